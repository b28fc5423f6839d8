// The conformance suite run by a third party against a backend installed from packed tarballs (outside the
// monorepo), by module name and by path: root and network namespaces, like every conformance run. One case
// per run keeps it short; the whole suite runs in packages/conformance.
import path from 'node:path';
import { expect } from 'chai';
import { packedProject, run, type PackedProject } from './support/packed-project.js';

const BACKEND = '@egress-proxier/backend-iptables';

describe('conformance of a backend installed from packed tarballs (real kernel)', function () {
  this.timeout(300_000);
  let project: PackedProject | undefined;

  before(async () => {
    project = await packedProject([BACKEND, '@egress-proxier/conformance']);
  });

  after(() => project?.remove());

  async function conformance(backend: string): Promise<string> {
    const { cli, dir } = project as PackedProject;
    const { stdout } = await run(
      cli,
      ['conformance', '--backend', backend, '--case', 'namespace-one-ip', '--family', '4'],
      { cwd: dir },
    );
    return stdout;
  }

  it('passes by module name', async () => {
    expect(await conformance(BACKEND)).to.match(/1\/1 passed .*CONFORMANT/);
  });

  it('passes by path', async () => {
    const backend = path.join((project as PackedProject).dir, 'node_modules', BACKEND);
    expect(await conformance(backend)).to.match(/1\/1 passed .*CONFORMANT/);
  });
});
