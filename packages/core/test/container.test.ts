// The composition root wires fakes in and the real implementations by default.
import { expect } from 'chai';
import { createContainer } from '../src/composition/container.js';
import { resolveService, TOKENS } from '../src/composition/tokens.js';
import { DryRunExec } from '../src/exec/dry-run-exec.js';
import { ExecaExec } from '../src/exec/execa-exec.js';
import { silentLogger } from '../src/logging/logger.js';
import { createProxierPlugin } from '../src/plugin/proxier.js';
import { systemClock } from '../src/runner/clock.js';
import { ManualClock } from '../src/testing/manual-clock.js';
import { RecordingExec } from '../src/testing/recording-exec.js';

describe('createContainer', () => {
  it('resolves the Exec, Clock and Logger it was given', async () => {
    const exec = new RecordingExec();
    const clock = new ManualClock();
    const logger = silentLogger();
    const container = createContainer({ logger, exec, clock });
    expect(resolveService(container, TOKENS.Exec)).to.equal(exec);
    expect(resolveService(container, TOKENS.Clock)).to.equal(clock);
    expect(resolveService(container, TOKENS.Logger)).to.equal(logger);
    await resolveService(container, TOKENS.Exec).run({ command: 'ip', args: ['link'] });
    expect(exec.commandLines()).to.deep.equal(['ip link']);
  });

  it('defaults to execa and the system clock, one Exec for the whole process', () => {
    const container = createContainer({ logger: silentLogger() });
    const exec = resolveService(container, TOKENS.Exec);
    expect(exec).to.be.instanceOf(ExecaExec);
    expect(resolveService(container, TOKENS.Exec)).to.equal(exec);
    expect(resolveService(container, TOKENS.Clock)).to.equal(systemClock);
  });

  it('wraps the Exec for --dry-run: changes are skipped, reads reach the real Exec', async () => {
    const exec = new RecordingExec().respond('ipset list', { stdout: 'Name: s\n' });
    const container = createContainer({ logger: silentLogger(), exec, dryRun: true });
    const dryRun = resolveService(container, TOKENS.Exec);
    expect(dryRun).to.be.instanceOf(DryRunExec);
    expect((await dryRun.run({ command: 'ipset', args: ['list', '-n'] })).stdout).to.equal('Name: s\n');
    await dryRun.run({ command: 'ipset', args: ['restore', '-exist'], input: 'add s 10.244.0.1\n' });
    expect(exec.commandLines()).to.deep.equal(['ipset list -n']);
  });

  it('binds the plugin and its options when given, empty options otherwise', () => {
    const plugin = createProxierPlugin({
      name: 'fake',
      description: 'fake',
      scope: 'node',
      capabilities: [],
      create: () => ({ sync: async () => ({ changed: false }), cleanup: async () => {} }),
      render: () => ({ sections: [] }),
    });
    const withPlugin = createContainer({
      logger: silentLogger(),
      plugin,
      pluginOptions: { 'mark-mask': '0xff00' },
    });
    expect(resolveService(withPlugin, TOKENS.ProxierPlugin)).to.equal(plugin);
    expect(resolveService(withPlugin, TOKENS.ProxierOptions)).to.deep.equal({ 'mark-mask': '0xff00' });

    const without = createContainer({ logger: silentLogger() });
    expect(without.isBound(TOKENS.ProxierPlugin)).to.equal(false);
    expect(resolveService(without, TOKENS.ProxierOptions)).to.deep.equal({});
  });
});
