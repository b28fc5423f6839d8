// Render golden files: `egress-proxier render` over the repository's examples/ (the CLI, as a user runs it)
// compared with test/golden/<name>.txt of the backend's package; UPDATE_GOLDEN=1 rewrites the file first.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../../../../', import.meta.url));
const CLI = fileURLToPath(new URL('../../../../core/dist/src/cli/main.js', import.meta.url));
const CIDRS = ['--cluster-cidr', '10.244.0.0/16', '--service-cidr', '10.96.0.0/12'];

export interface RenderGoldenCase {
  name: string;
  node: string;
  flags: readonly string[];
}

/** What `render -f examples/ --node NODE --backend BACKEND FLAGS` prints, and the golden text it must equal. */
export function renderGolden(
  backend: string,
  golden: URL,
  { name, node, flags }: RenderGoldenCase,
): { actual: string; expected: string; path: string } {
  const args = ['render', '-f', 'examples/', '--node', node, '--backend', backend, ...flags, ...CIDRS];
  const actual = execFileSync(process.execPath, [CLI, ...args], { cwd: REPO, encoding: 'utf8' });
  const path = fileURLToPath(new URL(`${name}.txt`, golden));
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(path, actual);
  return { actual, expected: readFileSync(path, 'utf8'), path };
}
