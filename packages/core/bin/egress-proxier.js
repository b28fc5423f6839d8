#!/usr/bin/env node
// The `egress-proxier` command (`npx egress-proxier …` from the repository, or on PATH in the image). npm links a
// workspace's bins while `npm ci` runs, before `npm run build` has made dist/, and skips a bin whose file does not
// exist yet: a bin pointing into dist/ was never linked on a fresh clone, and `npx egress-proxier` asked the npm
// registry for a package of that name. This file exists from the clone on and runs the built CLI.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  console.error('egress-proxier is not built yet: run `npm run build` in the repository root');
  process.exit(1);
}
await import(main.href);
