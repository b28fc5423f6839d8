import { DryRunExec } from '@egress-proxier/core';
import { RecordingExec } from '@egress-proxier/core/testing';
import { expect } from 'chai';
import {
  CommandRunner,
  DEFAULT_NODE_OPTIONS,
  readNodeFacts,
  readNodeKernelView,
  VxlanSteering,
  cleanupNode,
  type Command,
} from '../src/index.js';
import { addressJson, floodJson, logger, signal, vxlanLinkJson } from './support/fixtures.js';

describe('CommandRunner', () => {
  it('refuses to run a change as a read', async () => {
    const runner = new CommandRunner(new RecordingExec(), signal);
    const cases: Command[] = [
      { command: 'ip', args: ['rule', 'add', 'fwmark', '0x100/0x3f00', 'lookup', '7100'] },
      {
        command: 'bridge',
        args: ['fdb', 'append', '00:00:00:00:00:00', 'dev', 'egp-vx', 'dst', '192.0.2.12'],
      },
      { command: 'sysctl', args: ['-w', 'net.ipv4.conf.egp-vx.rp_filter=2'] },
      { command: 'arping', args: ['-U', '-c', '1', '-I', 'eth0', '192.0.2.100'] },
    ];
    for (const command of cases) {
      let refused: unknown;
      await runner.read(command).catch((error: unknown) => (refused = error));
      expect(String(refused), command.args.join(' ')).to.match(/not a read-only invocation/);
    }
  });

  it('passes timeout, signal, input and allowed exit codes to the Exec', async () => {
    const exec = new RecordingExec().respond('ip link show', { exitCode: 1 });
    const runner = new CommandRunner(exec, signal);
    await runner.read({ command: 'ip', args: ['link', 'show', 'dev', 'x'] }, { allowedExitCodes: [1] });
    await runner.run({ command: 'ipset', args: ['restore'] }, { input: 'x\n' });
    expect(
      exec.calls.map((call) => [call.timeoutMs, call.signal === signal, call.input, call.allowedExitCodes]),
    ).to.deep.equal([
      [20_000, true, undefined, [1]],
      [20_000, true, 'x\n', undefined],
    ]);
  });

  it('runs several ip commands as one ip -batch and a single one as itself', async () => {
    const exec = new RecordingExec();
    const runner = new CommandRunner(exec, undefined);
    const add = (ip: string): Command => ({
      command: 'ip',
      args: ['-4', 'addr', 'replace', `${ip}/32`, 'dev', 'eth0'],
    });
    expect(await runner.runIpBatch([])).to.equal(0);
    expect(await runner.runIpBatch([add('192.0.2.100')])).to.equal(1);
    expect(await runner.runIpBatch([add('192.0.2.101'), add('192.0.2.102')])).to.equal(1);
    expect(exec.commandLines()).to.deep.equal(['ip -4 addr replace 192.0.2.100/32 dev eth0', 'ip -batch -']);
    expect(exec.calls[1]?.input).to.equal(
      'addr replace 192.0.2.101/32 dev eth0\naddr replace 192.0.2.102/32 dev eth0\n',
    );
  });

  it('every read node-datapath makes runs under --dry-run (the core knows it only reads)', async () => {
    const host = new RecordingExec();
    const dryRun = new DryRunExec(logger, host);
    const runner = new CommandRunner(dryRun, signal);
    await readNodeKernelView(runner, DEFAULT_NODE_OPTIONS, 'eth0');
    await readNodeFacts(runner, 'eth0');
    await cleanupNode(runner, DEFAULT_NODE_OPTIONS, 'eth0');
    expect(host.commandLines()).to.deep.equal([
      'ip -j -4 rule show',
      'ip -j -4 route show table all',
      'ip -j -6 rule show',
      'ip -j -6 route show table all',
      'ip -j addr show dev eth0',
      'ip -j -d link show dev egp-vx',
      'ip -j link show dev eth0',
      'sysctl -n net.ipv4.conf.all.rp_filter net.ipv4.conf.eth0.rp_filter',
      'sysctl -n net.ipv4.conf.all.arp_ignore net.ipv4.conf.eth0.arp_ignore',
      'ip -j -4 rule show',
      'ip -j -4 route show table all',
      'ip -j -6 rule show',
      'ip -j -6 route show table all',
      'ip -j -d link show dev egp-vx',
      'ip -j addr show dev eth0',
    ]);
  });

  it('a dry run reports no `bridge fdb append` for flood entries the kernel already holds', async () => {
    const host = new RecordingExec()
      .respond('ip -j -d link show dev egp-vx', { stdout: vxlanLinkJson('egp-vx') })
      .respond('bridge -j fdb show dev egp-vx', { stdout: floodJson(['192.0.2.12']) })
      .respond('ip -j -4 addr show dev egp-vx', { stdout: addressJson('egp-vx', ['192.0.0.8/32']) });
    const runner = new CommandRunner(new DryRunExec(logger, host), signal);
    const view = await readNodeKernelView(runner, DEFAULT_NODE_OPTIONS, 'eth0');
    const driver = new VxlanSteering('eth0', 0x3f00, { device: 'egp-vx', id: 4790, port: 4789, mtu: 1450 });
    const wanted = driver.tunnel([
      {
        family: 4,
        gatewayNode: 'node-b',
        mark: 0x100,
        mask: 0x3f00,
        table: 7100,
        priority: 7100,
        type: 'unicast',
        via: '192.0.2.12',
        device: 'egp-vx',
        tunnelEndpoint: '192.0.2.12',
      },
      {
        family: 4,
        gatewayNode: 'node-c',
        mark: 0x200,
        mask: 0x3f00,
        table: 7101,
        priority: 7101,
        type: 'unicast',
        via: '192.0.2.13',
        device: 'egp-vx',
        tunnelEndpoint: '192.0.2.13',
      },
    ]);
    const changes: string[] = [];
    await driver.prepare(
      async (command) => void changes.push([command.command, ...command.args].join(' ')),
      { runner, uplinkAddress: () => Promise.resolve('192.0.2.11') },
      { routes: [], addresses: [], vxlan: wanted, ipvs: [] },
      view,
    );
    expect(changes).to.deep.equal(['bridge fdb append 00:00:00:00:00:00 dev egp-vx dst 192.0.2.13']);
  });
});
