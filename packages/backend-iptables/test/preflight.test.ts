// The iptables backend's preflight: the node kit's tools and settings plus iptables and ipset, judged as the
// agent judges them (a failed error-level check stops `run`; warnings do not).
import { blockingChecks, runPreflight, systemClock } from '@egress-proxier/core';
import { RecordingExec } from '@egress-proxier/core/testing';
import { expect } from 'chai';
import plugin from '../src/index.js';
import { logger } from './support/lab-cluster.js';

function host(): RecordingExec {
  return new RecordingExec()
    .respond(/^sysctl -n net.ipv4.ip_forward$/, { stdout: '1\n' })
    .respond(/^ipset version$/, { stdout: 'ipset v7.17, protocol version: 7\n' });
}

async function preflight(exec: RecordingExec, options: Record<string, string> = {}) {
  const context = { nodeName: 'node-b', exec, logger, clock: systemClock, options };
  const outcome = await runPreflight(plugin, context);
  return { outcome, failed: blockingChecks(outcome).map((check) => check.name) };
}

describe('iptables preflight', () => {
  it('passes on a host with every tool, and probes only by reading', async () => {
    const exec = host();
    const { outcome, failed } = await preflight(exec);
    expect(outcome.ok, JSON.stringify(outcome.checks)).to.equal(true);
    expect(failed).to.deep.equal([]);
    expect(exec.commandLines()).to.include.members([
      'iptables-nft-save',
      'iptables-legacy-save',
      'ipset version',
      'ip -V',
      'arping --help',
      'ndptool -h',
    ]);
    expect(exec.commandLines().some((line) => / (add|replace|del|restore|flush)\b/.test(line))).to.equal(
      false,
    );
  });

  it('fails without ipset (or ip_set in the kernel), naming the remedy', async () => {
    const exec = host().respond(/^ipset version$/, {
      exitCode: 1,
      stderr: 'Kernel error received: ipset protocol error',
    });
    const { outcome, failed } = await preflight(exec);
    expect(outcome.ok).to.equal(false);
    expect(failed).to.deep.equal(['ipset (and the kernel ip_set module)']);
    expect(outcome.checks.find((check) => check.name.startsWith('ipset'))?.remedy).to.contain(
      'install ipset',
    );
  });

  it('with --iptables-mode=auto, one working flavour is enough; a forced flavour must work itself', async () => {
    const noLegacy = host().respond(/^iptables-legacy-save$/, { exitCode: 127, stderr: 'not found' });
    expect((await preflight(noLegacy)).failed).to.deep.equal([]);
    const forced = host().respond(/^iptables-legacy-save$/, { exitCode: 127, stderr: 'not found' });
    expect((await preflight(forced, { iptablesMode: 'legacy' })).failed).to.deep.equal([
      'iptables-legacy-save',
    ]);
  });

  it('warns, without stopping the agent, when ip_forward is off or ndptool is missing', async () => {
    const exec = host()
      .respond(/^sysctl -n net.ipv4.ip_forward$/, { stdout: '0\n' })
      .respond(/^ndptool -h$/, { exitCode: 127, stderr: 'not found' });
    const { outcome, failed } = await preflight(exec);
    expect(outcome.ok).to.equal(true);
    expect(failed).to.deep.equal([]);
    const warned = outcome.checks.filter((check) => !check.ok).map((check) => check.severity);
    expect(warned).to.deep.equal(['warning', 'warning']);
  });

  it('checks the bridge tool only with VXLAN steering', async () => {
    const onlink = host();
    await preflight(onlink);
    expect(onlink.commandLines()).to.not.include('bridge -V');
    const vxlan = host();
    await preflight(vxlan, { steering: 'vxlan' });
    expect(vxlan.commandLines()).to.include('bridge -V');
  });
});
