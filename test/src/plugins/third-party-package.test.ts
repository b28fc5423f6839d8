// The path a third-party backend takes, proven: the backend and the core are packed with `npm pack` (what a
// registry would serve), installed into a project outside the monorepo, and the installed CLI renders with
// the backend named by module and by path. The conformance run of the same install needs root: see
// kernel-third-party-conformance.test.ts.
import path from 'node:path';
import { expect } from 'chai';
import { REPO_ROOT } from '../deploy/repo-root.js';
import { packedProject, run, type PackedProject } from './support/packed-project.js';

const BACKEND = '@egress-proxier/backend-iptables';

describe('a backend installed from packed tarballs, outside the monorepo', function () {
  this.timeout(240_000);
  let project: PackedProject | undefined;

  before(async () => {
    project = await packedProject([BACKEND]);
  });

  after(() => project?.remove());

  async function render(backend: string): Promise<string> {
    const { cli, dir } = project as PackedProject;
    const cluster = path.join(REPO_ROOT, 'examples/cluster.yaml');
    const { stdout } = await run(cli, ['render', '-f', cluster, '--node', 'node-b', '--backend', backend], {
      cwd: dir,
    });
    return stdout;
  }

  it('installs the core and the backend as packages, not as links into the repository', async () => {
    const { dir } = project as PackedProject;
    const { stdout } = await run('npm', ['ls', '--all', '--parseable'], { cwd: dir });
    const installed = stdout.split('\n').filter((line) => line.includes('@egress-proxier'));
    expect(installed.length).to.be.at.least(2);
    for (const line of installed) expect(line.startsWith(dir), line).to.equal(true);
  });

  it('renders with the backend named by its module name', async () => {
    expect(await render(BACKEND)).to.contain('iptables-restore');
  });

  it('renders with the backend named by its path', async () => {
    expect(await render(path.join((project as PackedProject).dir, 'node_modules', BACKEND))).to.contain(
      'iptables-restore',
    );
  });
});
