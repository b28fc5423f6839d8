// The IPVS backend's preflight in tunnel mode: tunl0 is required, ip6tnl0 (ip6_tunnel) only warned about, since
// only IPv6 policies need it — and the probe lists all links, so it never loads ip6_tunnel by asking for it.
import { runPreflight, systemClock } from '@egress-proxier/core';
import { RecordingExec } from '@egress-proxier/core/testing';
import { expect } from 'chai';
import { pino } from 'pino';
import plugin from '../src/index.js';

const IP6TNL = 'ip6tnl0 (ip6_tunnel: gateways decapsulate IPv6-in-IPv6 on it)';

function links(...names: string[]): string {
  return JSON.stringify(names.map((ifname, index) => ({ ifindex: index + 1, ifname, flags: [] })));
}

async function ip6tnlCheck(linkNames: string[]) {
  const exec = new RecordingExec().respond(/^ip -j link show$/, { stdout: links(...linkNames) });
  const context = {
    nodeName: 'node-b',
    exec,
    logger: pino({ level: 'silent' }),
    clock: systemClock,
    options: { forwarding: 'tunnel' },
  };
  const outcome = await runPreflight(plugin, context);
  expect(exec.commandLines()).to.not.include('ip -j link show dev ip6tnl0');
  return outcome.checks.find((check) => check.name === IP6TNL);
}

describe('ipvs preflight, tunnel mode', () => {
  it('passes the ip6tnl0 check when ip6_tunnel has created it', async () => {
    const check = await ip6tnlCheck(['lo', 'eth0', 'tunl0', 'ip6tnl0']);
    expect(check?.ok).to.equal(true);
  });

  it('warns, without blocking, when ip6_tunnel is not loaded', async () => {
    const check = await ip6tnlCheck(['lo', 'eth0', 'tunl0']);
    expect(check).to.include({ ok: false, severity: 'warning' });
    expect(check?.detail).to.contain('ip6_tunnel is not loaded');
    expect(check?.remedy).to.contain('load the ip6_tunnel module');
  });
});
