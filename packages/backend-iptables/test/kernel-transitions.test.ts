// Safe transitions on a real kernel: the steered-in guard drops what a gateway does not SNAT, a connection loop
// running through syncs of every kind sees no wrong source, and gateway slots stay put when gateways come and go.
// Needs root, iproute2, iptables (nft), ipset; fails with a clear message without them.
import { systemClock, type Exec } from '@egress-proxier/core';
import { expect } from 'chai';
import {
  assertLabPrerequisites,
  createLab,
  uniquePrefix,
  type Lab,
  type LabNode,
} from '@egress-proxier/netlab';
import plugin from '../src/index.js';
import type { IptablesProxier } from '../src/proxier.js';
import { startConnectionLoop, type Attempt } from './support/connection-loop.js';
import {
  logger,
  namespaceExec,
  proxierFor,
  syncAll,
  tableFor,
  type LabPolicy,
} from './support/lab-cluster.js';

const DB_EXTERNAL = '203.0.113.10';
const WEB_EXTERNAL = '198.51.100.10';
const signal = new AbortController().signal;

for (const steering of ['onlink', 'vxlan'] as const) {
  describe(`steered-in guard on a real kernel (${steering} steering)`, function () {
    this.timeout(60_000);
    let lab: Lab;
    const proxiers = new Map<LabNode, IptablesProxier>();

    before(async () => {
      await assertLabPrerequisites(['ipset', 'iptables-nft-restore', 'bridge']);
      lab = await createLab({
        prefix: uniquePrefix('iptg'),
        nodes: 2,
        podsPerNode: 2,
        externals: [DB_EXTERNAL],
      });
      for (const node of lab.nodes) proxiers.set(node, await proxierFor(lab, node, { steering }));
    });
    after(async () => {
      for (const proxier of proxiers.values()) await proxier.settled();
      await lab?.destroy();
    });

    it('drops a connection steered from a pod the gateway has not learned, instead of masquerading it', async () => {
      const gateway = lab.node(1);
      const source = lab.node(2);
      const db = (pods: LabPolicy['pods']): LabPolicy => ({
        name: 'db',
        pods,
        egress: [{ ip: '192.0.2.100', gateway }],
      });
      // The source node already steers pod-2-2; the gateway's table does not contain it yet.
      await proxiers.get(gateway)?.sync(tableFor(lab, gateway, [db([lab.pod(2, 1)])]), signal);
      await proxiers.get(source)?.sync(tableFor(lab, source, [db([lab.pod(2, 1), lab.pod(2, 2)])]), signal);
      expect(await lab.connectFrom(lab.pod(2, 1), DB_EXTERNAL)).to.equal('192.0.2.100');
      const before = await guardDrops(lab, gateway);
      const failure = await lab.connectFrom(lab.pod(2, 2), DB_EXTERNAL, undefined, 1500).catch(String);
      expect(failure).to.match(/failed/);
      expect(await guardDrops(lab, gateway), 'dropped by the guard').to.be.greaterThan(before);

      // Negative control: without the guard the gateway's CNI masquerades it with the gateway's node IP.
      await lab.exec(gateway.namespace, 'iptables-nft', ['-t', 'filter', '-F', 'EGRESS-PROXIER-FORWARD']);
      expect(await lab.connectFrom(lab.pod(2, 2), DB_EXTERNAL)).to.equal(gateway.ip);
      // A restarted agent finds its chain changed and rewrites it.
      const restarted = await proxierFor(lab, gateway, { steering });
      proxiers.set(gateway, restarted);
      await restarted.sync(tableFor(lab, gateway, [db([lab.pod(2, 1)])]), signal);
      const again = await lab.connectFrom(lab.pod(2, 2), DB_EXTERNAL, undefined, 1500).catch(String);
      expect(again).to.match(/failed/);

      // Once the gateway learns the pod, it SNATs it.
      await restarted.sync(tableFor(lab, gateway, [db([lab.pod(2, 1), lab.pod(2, 2)])]), signal);
      expect(await lab.connectFrom(lab.pod(2, 2), DB_EXTERNAL)).to.equal('192.0.2.100');
    });
  });
}

describe('a connection loop through syncs of every kind (real kernel, on-link)', function () {
  this.timeout(120_000);
  let lab: Lab;
  const proxiers = new Map<LabNode, IptablesProxier>();

  before(async () => {
    await assertLabPrerequisites(['ipset', 'iptables-nft-restore']);
    lab = await createLab({
      prefix: uniquePrefix('iptt'),
      nodes: 3,
      podsPerNode: 2,
      externals: [DB_EXTERNAL, WEB_EXTERNAL],
    });
    for (const node of lab.nodes) proxiers.set(node, await proxierFor(lab, node));
  });
  after(async () => {
    for (const proxier of proxiers.values()) await proxier.settled();
    await lab?.destroy();
  });

  it('no connection leaves with a source other than the old or the new allowed one', async () => {
    const E = '192.0.2.100';
    const db = (egress: LabPolicy['egress']): LabPolicy => ({
      name: 'db',
      pods: [lab.pod(1, 1), lab.pod(2, 1)],
      egress,
      destination: '203.0.113.0/24',
    });
    // An unchanged policy next to the changing one: its connections must not even notice.
    const web: LabPolicy = {
      name: 'web',
      pods: [lab.pod(1, 2)],
      egress: [{ ip: '192.0.2.101', gateway: lab.node(3) }],
      destination: '198.51.100.0/24',
    };
    const steps: { name: string; policies: LabPolicy[]; source: string }[] = [
      { name: 'snat here', policies: [db([{ ip: E, gateway: lab.node(1) }]), web], source: E },
      { name: 'steer to node-2', policies: [db([{ ip: E, gateway: lab.node(2) }]), web], source: E },
      { name: 'drop', policies: [db('drop'), web], source: 'dropped' },
      { name: 'steer to node-3', policies: [db([{ ip: E, gateway: lab.node(3) }]), web], source: E },
      { name: 'removed', policies: [web], source: lab.node(1).ip },
    ];
    const [first, ...rest] = steps;
    if (first === undefined) throw new Error('no steps');
    await syncAll(lab, proxiers, first.policies);
    let steadyFrom = Date.now();
    const dbLoop = await startConnectionLoop(lab, lab.pod(1, 1), DB_EXTERNAL, 20);
    const webLoop = await startConnectionLoop(lab, lab.pod(1, 2), WEB_EXTERNAL, 20);
    const windows: { from: number; to: number; allowed: string[] }[] = [];
    let previous = first;
    await pause(400);
    for (const [index, step] of rest.entries()) {
      const startedAt = Date.now();
      windows.push({ from: steadyFrom, to: startedAt, allowed: [previous.source] });
      // Gateways first in some steps, source nodes first in others.
      const order = index % 2 === 0 ? lab.nodes : [...lab.nodes].reverse();
      for (const node of order) await proxiers.get(node)?.sync(tableFor(lab, node, step.policies), signal);
      steadyFrom = Date.now();
      // While nodes change, dropping is always allowed (transition chains, guards of nodes already changed).
      windows.push({ from: startedAt, to: steadyFrom, allowed: [previous.source, step.source, 'dropped'] });
      previous = step;
      await pause(400);
    }
    windows.push({ from: steadyFrom, to: Infinity, allowed: [previous.source] });
    const dbAttempts = await dbLoop.stop();
    const webAttempts = await webLoop.stop();

    const judge = (attempts: Attempt[]) => {
      const wrong: string[] = [];
      let failed = 0;
      let failedUnexpectedly = 0;
      for (const attempt of attempts) {
        const allowed = windows
          .filter((w) => w.from <= attempt.endedAt && w.to >= attempt.startedAt)
          .flatMap((w) => w.allowed);
        const outcome = attempt.source ?? 'dropped';
        if (attempt.source === undefined) failed++;
        if (attempt.source === undefined && !allowed.includes('dropped')) failedUnexpectedly++;
        if (!allowed.includes(outcome) && attempt.source !== undefined) {
          wrong.push(
            `${attempt.startedAt - (windows[0]?.from ?? 0)} ms: ${outcome} (allowed ${allowed.join(', ')})`,
          );
        }
      }
      return { wrong, failed, failedUnexpectedly };
    };
    const dbJudged = judge(dbAttempts);
    const webOther = webAttempts.filter((attempt) => attempt.source !== '192.0.2.101');
    const syncMs = windows.filter((_, i) => i % 2 === 1).map((w) => w.to - w.from);
    console.log(
      `      db: ${dbAttempts.length} connections, ${dbJudged.failed} failed (${dbJudged.failedUnexpectedly} in steady ` +
        `phases that do not drop), ${dbJudged.wrong.length} with a wrong source; ` +
        `web (unchanged policy): ${webAttempts.length} connections, ${webOther.length} failed or not 192.0.2.101; ` +
        `sync steps took ${syncMs.join(', ')} ms`,
    );
    expect(dbAttempts.length).to.be.greaterThan(50);
    expect(
      dbAttempts.some((a) => a.source === E),
      'some connections left as the egress IP',
    ).to.equal(true);
    expect(dbJudged.wrong).to.deep.equal([]);
    expect(dbJudged.failedUnexpectedly, 'failures while no drop and no change was in force').to.equal(0);
    expect(webOther, 'connections of the unchanged policy that failed or left otherwise').to.deep.equal([]);
  });
});

describe('gateway slots stay put when gateways leave and join (real kernel)', function () {
  this.timeout(60_000);
  let lab: Lab;

  before(async () => {
    await assertLabPrerequisites(['ipset', 'iptables-nft-restore']);
    lab = await createLab({
      prefix: uniquePrefix('ipts'),
      nodes: 4,
      podsPerNode: 2,
      externals: [DB_EXTERNAL],
    });
  });
  after(async () => {
    await lab?.destroy();
  });

  it('keeps the remaining gateway’s mark and table, and a restarted agent keeps them too', async () => {
    const source = lab.node(1);
    const recorded: string[] = [];
    const exec = recording(namespaceExec(lab, source.namespace), recorded);
    const proxiers = new Map<LabNode, IptablesProxier>();
    for (const node of lab.nodes)
      proxiers.set(node, node === source ? await proxierWith(exec, node) : await proxierFor(lab, node));
    const a = (gateway: LabNode): LabPolicy => ({
      name: 'a',
      pods: [lab.pod(1, 1)],
      egress: [{ ip: '192.0.2.100', gateway }],
    });
    const b: LabPolicy = {
      name: 'b',
      pods: [lab.pod(1, 2)],
      egress: [{ ip: '192.0.2.101', gateway: lab.node(3) }],
    };

    await syncAll(lab, proxiers, [a(lab.node(2)), b]);
    expect(await steering(lab, source)).to.deep.equal([
      '0x100 7100 via 192.0.2.12',
      '0x200 7101 via 192.0.2.13',
    ]);

    // node-2 leaves, node-4 joins: node-3 keeps slot 1; slot 0 is released by this sync, so node-4 gets slot 2.
    await syncAll(lab, proxiers, [a(lab.node(4)), b]);
    expect(await steering(lab, source)).to.deep.equal([
      '0x200 7101 via 192.0.2.13',
      '0x300 7102 via 192.0.2.14',
    ]);
    expect(await lab.connectFrom(lab.pod(1, 1), DB_EXTERNAL)).to.equal('192.0.2.100');
    expect(await lab.connectFrom(lab.pod(1, 2), DB_EXTERNAL)).to.equal('192.0.2.101');

    // A restarted agent re-learns the slots from the kernel and rewrites nothing...
    const restarted = await proxierWith(exec, source);
    proxiers.set(source, restarted);
    recorded.length = 0;
    const report = await restarted.sync(tableFor(lab, source, [a(lab.node(4)), b]), signal);
    expect(
      recorded.filter((command) => /restore|rule (add|del)|route (replace|flush)/.test(command)),
    ).to.deep.equal([]);
    expect(report.changed).to.equal(false);
    // ...and a gateway joining later gets the lowest free slot.
    const c: LabPolicy = {
      name: 'c',
      pods: [lab.pod(1, 1)],
      egress: [{ ip: '192.0.2.102', gateway: lab.node(2) }],
      destination: '198.51.100.0/24',
    };
    await syncAll(lab, proxiers, [a(lab.node(4)), b, c]);
    expect(await steering(lab, source)).to.deep.equal([
      '0x100 7100 via 192.0.2.12',
      '0x200 7101 via 192.0.2.13',
      '0x300 7102 via 192.0.2.14',
    ]);
    for (const proxier of proxiers.values()) await proxier.cleanup(signal);
  });

  async function proxierWith(exec: Exec, node: LabNode): Promise<IptablesProxier> {
    return (await plugin.create({
      nodeName: node.name,
      exec,
      logger,
      clock: systemClock,
      options: { garpCount: 1 },
    })) as IptablesProxier;
  }
});

/** Packets dropped by the steered-in chain's final DROP. */
async function guardDrops(lab: Lab, node: LabNode): Promise<number> {
  const listed = await lab.exec(node.namespace, 'iptables-nft', [
    '-t',
    'filter',
    '-L',
    'EGRESS-PROXIER-STEERED-IN',
    '-v',
    '-x',
    '-n',
  ]);
  const line = listed.stdout.split('\n').find((l) => l.includes('not SNATed here'));
  return Number(line?.trim().split(/\s+/)[0] ?? 0);
}

/** `mark table via gateway` of each of our fwmark rules, by mark. */
async function steering(lab: Lab, node: LabNode): Promise<string[]> {
  const rules = JSON.parse((await lab.exec(node.namespace, 'ip', ['-j', '-4', 'rule', 'show'])).stdout) as {
    fwmark?: string;
    table?: string;
  }[];
  const routes = JSON.parse(
    (await lab.exec(node.namespace, 'ip', ['-j', '-4', 'route', 'show', 'table', 'all'])).stdout,
  ) as { dst?: string; gateway?: string; table?: string }[];
  return rules
    .filter((rule) => rule.fwmark !== undefined)
    .map((rule) => {
      const via = routes.find((route) => route.table === rule.table && route.dst === 'default')?.gateway;
      return `${rule.fwmark} ${rule.table} via ${via}`;
    })
    .sort();
}

function recording(exec: Exec, commands: string[]): Exec {
  return {
    run(request) {
      commands.push([request.command, ...request.args].join(' '));
      return exec.run(request);
    },
  };
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
