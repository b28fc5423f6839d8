// The NodeDatapath serialises every call into the proxier and gives a sync that adds addresses a lifetime
// computed when it runs.
import { expect } from 'chai';
import { LifetimeBudgetError, NodeDatapath } from '../../src/agent/node-datapath.js';
import type { NodeProxier } from '../../src/plugin/proxier.js';
import { emptyNodeEgressTable, type NodeEgressTable } from '../../src/table/node-egress-table.js';

function hosting(...ips: string[]): NodeEgressTable {
  return {
    ...emptyNodeEgressTable('node-a'),
    hostedEgressIPs: ips.map((ip) => ({ ip, family: 4 as const, policies: ['p'] })),
  };
}

/** A proxier that records its calls and lets each sync be released by the test. */
function recordingProxier() {
  const calls: string[] = [];
  const pending: (() => void)[] = [];
  const proxier: NodeProxier = {
    sync: async (table) => {
      calls.push(`sync start [${table.hostedEgressIPs.map((h) => h.ip).join()}]`);
      await new Promise<void>((resolve) => pending.push(resolve));
      calls.push('sync end');
      return { changed: true };
    },
    heartbeat: async (seconds) => {
      calls.push(`heartbeat ${seconds}`);
    },
    cleanup: async () => undefined,
  };
  const release = async (): Promise<void> => {
    for (let i = 0; i < 20 && pending.length === 0; i++) await Promise.resolve();
    pending.shift()?.();
    for (let i = 0; i < 20; i++) await Promise.resolve();
  };
  return { proxier, calls, release };
}

const signal = new AbortController().signal;

describe('NodeDatapath', () => {
  it('never runs a lifetime renewal during a sync: it waits for the sync to end', async () => {
    const { proxier, calls, release } = recordingProxier();
    const datapath = new NodeDatapath(proxier, () => 2);
    const syncing = datapath.sync(hosting(), signal);
    const renewing = datapath.renewLifetimes(() => 2, signal);
    await release();
    await Promise.all([syncing, renewing]);
    expect(calls).to.deep.equal(['sync start []', 'sync end', 'heartbeat 2']);
  });

  it('computes a renewal’s lifetime when it runs, and skips it when nothing is left', async () => {
    const { proxier, calls, release } = recordingProxier();
    let left = 2;
    const datapath = new NodeDatapath(proxier, () => left);
    const syncing = datapath.sync(hosting(), signal);
    const renewing = datapath.renewLifetimes(() => left, signal);
    left = 0; // the sync took the rest of the lease's budget
    await release();
    await syncing;
    expect(await renewing).to.equal(0);
    expect(calls).to.deep.equal(['sync start []', 'sync end']);
  });

  it('renews lifetimes right before a sync that adds addresses, and only then', async () => {
    const { proxier, calls, release } = recordingProxier();
    const datapath = new NodeDatapath(proxier, () => 1);
    const first = datapath.sync(hosting('192.0.2.10'), signal);
    await release();
    await first;
    const same = datapath.sync(hosting('192.0.2.10'), signal);
    await release();
    await same;
    expect(calls).to.deep.equal([
      'heartbeat 1',
      'sync start [192.0.2.10]',
      'sync end',
      'sync start [192.0.2.10]',
      'sync end',
    ]);
  });

  it('refuses to add addresses when the lease has no lifetime left, but still withdraws', async () => {
    const { proxier, calls, release } = recordingProxier();
    const datapath = new NodeDatapath(proxier, () => 0);
    let failure: unknown;
    await datapath.sync(hosting('192.0.2.10'), signal).catch((error: unknown) => (failure = error));
    expect(failure).to.be.instanceOf(LifetimeBudgetError);
    expect(calls, 'nothing reached the proxier').to.deep.equal([]);
    const withdrawing = datapath.sync(hosting(), signal);
    await release();
    await withdrawing;
    expect(calls).to.deep.equal(['sync start []', 'sync end']);
  });
});
