// `npm run bench`: runs every benchmark in scripts/bench/ (or those named on the command line) one after
// another, each in its own Node process so heap figures do not mix. Each prints a table and a JSON line.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = path.join(here, 'bench');
const wanted = process.argv.slice(2);
const scripts = readdirSync(dir)
  .filter((name) => name.endsWith('.mjs'))
  .filter((name) => wanted.length === 0 || wanted.includes(name.replace(/\.mjs$/, '')))
  .sort();

let failed = 0;
for (const script of scripts) {
  console.log(`\n=== ${script} ===`);
  const result = spawnSync(process.execPath, ['--expose-gc', path.join(dir, script)], { stdio: 'inherit' });
  if (result.status !== 0) {
    failed++;
    console.error(`${script} failed (exit ${result.status ?? result.signal})`);
  }
}
process.exit(failed === 0 ? 0 : 1);
