// The nftables backend's preflight: nft ≥ 1.0, then the kernel's verdict on the table's constructs via
// `nft -c -f -` (validated and aborted: nothing is applied), plus the node kit's tools.
import { blockingChecks, runPreflight, systemClock } from '@egress-proxier/core';
import { RecordingExec } from '@egress-proxier/core/testing';
import { expect } from 'chai';
import { pino } from 'pino';
import plugin from '../src/index.js';
import { versionVerdict } from '../src/apply/nft-preflight.js';

const logger = pino({ level: 'silent' });

function host(): RecordingExec {
  return new RecordingExec()
    .respond(/^sysctl -n net.ipv4.ip_forward$/, { stdout: '1\n' })
    .respond(/^nft --version$/, { stdout: 'nftables v1.0.6 (Lester Gooch #5)\n' });
}

async function preflight(exec: RecordingExec) {
  const context = { nodeName: 'node-b', exec, logger, clock: systemClock, options: {} };
  const outcome = await runPreflight(plugin, context);
  return { outcome, failed: blockingChecks(outcome).map((check) => check.name) };
}

describe('nftables preflight', () => {
  it('passes with nft 1.0 and a kernel that accepts the table, which it only checks (nft -c)', async () => {
    const exec = host();
    const { outcome, failed } = await preflight(exec);
    expect(outcome.ok, JSON.stringify(outcome.checks)).to.equal(true);
    expect(failed).to.deep.equal([]);
    const check = exec.calls.find((call) => call.command === 'nft' && call.args.includes('-c'));
    expect(check?.args).to.deep.equal(['-c', '-f', '-']);
    // Every construct the backend writes is in the probe, in a throwaway table name.
    for (const construct of [
      'table inet egress-proxier-preflight',
      'snat ip to ip saddr . ip daddr map @snat4',
      'ip6 saddr . ip6 daddr vmap @steer6',
      'type ipv4_addr . ipv4_addr : verdict',
      '192.0.2.2 . 203.0.113.0-203.0.113.9',
      'priority srcnat - 10',
    ])
      expect(check?.input).to.include(construct);
    expect(check?.input).to.not.match(/table inet egress-proxier\n/);
  });

  it('fails when the kernel refuses the table, with the remedy', async () => {
    const exec = host().respond(/^nft -c -f -$/, {
      exitCode: 1,
      stderr: 'Error: Could not process rule: No such file or directory\n',
    });
    const { outcome, failed } = await preflight(exec);
    expect(outcome.ok).to.equal(false);
    expect(failed).to.have.length(1);
    expect(JSON.stringify(outcome.checks)).to.match(/nft_set_pipapo/);
  });

  it('fails without nft, and does not probe the kernel then', async () => {
    const exec = host().respond(/^nft --version$/, { exitCode: 127 });
    const { outcome } = await preflight(exec);
    expect(outcome.ok).to.equal(false);
    expect(exec.commandLines()).to.not.include('nft -c -f -');
  });

  it('judges versions', () => {
    expect(versionVerdict('nftables v1.0.6 (Lester Gooch #5)')).to.equal(true);
    expect(versionVerdict('nftables v1.1.1 (Commodore Bullmoose #2)')).to.equal(true);
    expect(versionVerdict('nftables v0.9.8 (E.D.S.)')).to.match(/older than 1\.0/);
    expect(versionVerdict('garbage')).to.match(/cannot read a version/);
  });
});
