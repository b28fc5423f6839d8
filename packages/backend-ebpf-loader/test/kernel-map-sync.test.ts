// The map sync on a real kernel: LPM tries of egress_maps.h's exact layout, pinned in a bpffs instance of the
// test's own (mounted on a fresh temp dir, so nothing of the host's /sys/fs/bpf is touched), synced from
// compiled tables, dumped back and compared; later syncs send only the difference, in one exec.
// Needs root and bpftool; fails (never skips) without them.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  compileLongestPrefixTable,
  ExecaExec,
  type EgressRule,
  type Exec,
  type ExecRequest,
  type ExecResult,
  type NodeEgressTable,
  type SourceSet,
} from '@egress-proxier/core';
import { assertLabPrerequisites, run } from '@egress-proxier/netlab';
import { CommandRunner } from '@egress-proxier/node-datapath';
import { expect } from 'chai';
import { pino } from 'pino';
import { BatchError, deleteLine, runBatch, updateLine } from '../src/maps/batch-file.js';
import {
  desiredMaps,
  type EgressMapsContent,
  type NodeHops,
  type SteerHopOf,
} from '../src/maps/desired-maps.js';
import { readPinnedMap } from '../src/maps/map-dump.js';
import { EGRESS_MAP_IDS, EGRESS_MAPS, encodeClusterKey, hex } from '../src/maps/map-layout.js';
import { mapPaths, syncMaps } from '../src/maps/map-sync.js';

const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
const signal = new AbortController().signal;
const steerHop: SteerHopOf = (gateway) => ({ ifindex: 2, nexthop: gateway.nodeIP });
const UPLINK_IFINDEX = 7;
const nodeHops: NodeHops = { steer: steerHop, uplinkIfindex: UPLINK_IFINDEX };

/** Counts the execs a sync makes. */
class CountingExec implements Exec {
  readonly calls: ExecRequest[] = [];
  private readonly inner = new ExecaExec(logger);
  run(request: ExecRequest): Promise<ExecResult> {
    this.calls.push(request);
    return this.inner.run(request);
  }
  batches(): number {
    return this.calls.filter((request) => request.args.includes('batch')).length;
  }
}

describe('ebpf maps synced by difference on a real kernel (bpftool batch)', function () {
  this.timeout(120_000);
  let mountDir = '';
  let mounted = false;
  let pins = '';

  before(async () => {
    await assertLabPrerequisites(['bpftool']);
    mountDir = await mkdtemp(join(tmpdir(), 'egp-maptest-'));
    await run('mount', ['-t', 'bpf', 'bpf', mountDir]);
    mounted = true;
    pins = join(mountDir, 'egp');
    await run('mkdir', [pins]);
    for (const id of EGRESS_MAP_IDS) {
      const spec = EGRESS_MAPS[id];
      // Small max_entries for the cluster maps would do; the header's sizes are what the loader creates.
      await run('bpftool', [
        'map',
        'create',
        join(pins, spec.name),
        'type',
        'lpm_trie',
        'key',
        String(spec.keySize),
        'value',
        String(spec.valueSize),
        'entries',
        String(spec.maxEntries),
        'name',
        spec.name,
        'flags',
        '1',
      ]);
    }
  });

  after(async () => {
    // Unmounting the instance drops its pins, and the maps with them; then the empty mount point goes.
    if (mounted) await run('umount', [mountDir]);
    if (mountDir !== '') await rm(mountDir, { recursive: true, force: true });
  });

  async function kernelMaps(runner: CommandRunner): Promise<EgressMapsContent> {
    const paths = mapPaths(pins);
    const entries = await Promise.all(
      EGRESS_MAP_IDS.map(
        async (id) => [id, await readPinnedMap(runner, paths[id], EGRESS_MAPS[id])] as const,
      ),
    );
    return Object.fromEntries(entries) as EgressMapsContent;
  }

  async function syncAndCheck(table: NodeEgressTable) {
    const exec = new CountingExec();
    const runner = new CommandRunner(exec, signal);
    const desired = desiredMaps(compileLongestPrefixTable(table), nodeHops);
    const started = performance.now();
    const report = await syncMaps(runner, pins, desired);
    const ms = Math.round(performance.now() - started);
    const batches = exec.batches();
    expect(await kernelMaps(runner), 'the maps after the sync').to.deep.equal(desired);
    return { report, batches, ms, desired };
  }

  it('fills empty maps, then sends only the difference, then nothing', async () => {
    const first = await syncAndCheck(nodeTable());
    // 3 v4 pods × (0.0.0.0/0, the exclusion) + 1 v6 pod × ::/0 + 3 cluster prefixes.
    expect(first.desired.policy4.size).to.equal(6);
    expect(first.report.lines).to.equal(6 + 1 + 3);
    expect(first.batches).to.equal(1);

    // Pod .7 leaves (2 deletes), the v6 policy's gateway moves (1 changed value), a cluster CIDR is added.
    const second = await syncAndCheck(
      nodeTable({ pods: ['10.244.1.5', '10.244.1.6'], v6Gateway: 'fd00::c', moreCluster: true }),
    );
    expect(second.report.lines).to.equal(2 + 1 + 1);
    expect(second.report.diffs.policy4.deletes).to.have.length(2);
    expect(second.report.diffs.policy6.updates).to.have.length(1);
    expect(second.report.diffs.cluster4.updates).to.have.length(1);
    expect(second.batches).to.equal(1);

    const third = await syncAndCheck(
      nodeTable({ pods: ['10.244.1.5', '10.244.1.6'], v6Gateway: 'fd00::c', moreCluster: true }),
    );
    expect(third.report).to.include({ lines: 0, batchExecs: 0 });
    expect(third.batches).to.equal(0);
  });

  it('repairs an entry deleted by hand with one line', async () => {
    const table = nodeTable();
    await syncAndCheck(table);
    const key = hex(encodeClusterKey(4, '10.96.0.0/12')).replace(/(..)(?!$)/g, '$1 ');
    await run('bpftool', [
      'map',
      'delete',
      'pinned',
      join(pins, 'egp_cluster4'),
      'key',
      'hex',
      ...key.split(' '),
    ]);
    const repaired = await syncAndCheck(table);
    expect(repaired.report.lines).to.equal(1);
  });

  it('a failing line stops the batch: the lines before it are applied, the rest not, and the next sync repairs', async () => {
    const table = nodeTable();
    await syncAndCheck(table);
    const runner = new CommandRunner(new CountingExec(), signal);
    const path = join(pins, 'egp_cluster4');
    const before = hex(encodeClusterKey(4, '192.168.0.0/16'));
    const missing = hex(encodeClusterKey(4, '172.31.0.0/16'));
    const after = hex(encodeClusterKey(4, '192.169.0.0/16'));
    const failure = await runBatch(runner, [
      updateLine(path, before, '01'),
      deleteLine(path, missing),
      updateLine(path, after, '01'),
    ]).catch((error: unknown) => error);
    expect(failure).to.be.instanceOf(BatchError);
    expect(String(failure)).to.match(/stopped at line 2 of 3 \(delete failed: No such file or directory\)/);
    const cluster4 = await readPinnedMap(runner, path, EGRESS_MAPS.cluster4);
    expect(cluster4.has(before), 'line 1 applied').to.equal(true);
    expect(cluster4.has(after), 'line 3 not applied').to.equal(false);
    expect((await syncAndCheck(table)).report.lines, 'the next sync removes line 1').to.equal(1);
  });

  it('10,000 entries in one exec, then 5,000 changed values in one exec', async () => {
    const pods = Array.from({ length: 5000 }, (_, index) => `10.245.${index >> 8}.${index & 0xff}`);
    const big = await syncAndCheck(nodeTable({ pods, v6Pods: [], clusterOnly: true }));
    expect(big.desired.policy4.size).to.equal(10_000);
    expect(big.batches).to.equal(1);
    // Lines: the new 10,000 entries plus the previous test's table's entries and cluster prefixes going.
    expect(big.report.diffs.policy4.updates).to.have.length(10_000);
    const changed = await syncAndCheck(
      nodeTable({ pods, v6Pods: [], clusterOnly: true, egressIP: '192.0.2.200' }),
    );
    expect(changed.report.lines).to.equal(5000);
    expect(changed.batches).to.equal(1);
    console.log(
      `      10,000-entry sync from empty: ${big.ms} ms (${big.report.lines} lines, 1 batch); ` +
        `5,000 changed values: ${changed.ms} ms`,
    );
  });
});

interface TableShape {
  pods?: string[];
  v6Pods?: string[];
  v6Gateway?: string;
  moreCluster?: boolean;
  /** Only the v4 cluster CIDRs. */
  clusterOnly?: boolean;
  egressIP?: string;
}

/** v4 pods SNATed here with an exclusion, v6 pods steered to a gateway node. */
function nodeTable(shape: TableShape = {}): NodeEgressTable {
  const pods = shape.pods ?? ['10.244.1.5', '10.244.1.6', '10.244.1.7'];
  const v6Pods = shape.v6Pods ?? ['fd00:10::5'];
  const egressIP = shape.egressIP ?? '192.0.2.100';
  const sourceSets: SourceSet[] = [{ id: `web/${egressIP}`, policy: 'web', family: 4, addresses: pods }];
  const rules: EgressRule[] = [
    {
      policy: 'web',
      family: 4,
      sourceSet: `web/${egressIP}`,
      destination: '0.0.0.0/0',
      excludedCIDRs: ['203.0.113.0/24'],
      failurePolicy: 'FailClosed',
      action: { kind: 'snat', egressIP },
    },
  ];
  if (v6Pods.length > 0) {
    sourceSets.push({ id: 'db/2001:db8::100', policy: 'db', family: 6, addresses: v6Pods });
    rules.push({
      policy: 'db',
      family: 6,
      sourceSet: 'db/2001:db8::100',
      destination: '::/0',
      excludedCIDRs: [],
      failurePolicy: 'FailClosed',
      action: {
        kind: 'steer',
        egressIP: '2001:db8::100',
        gateway: { node: 'node-b', nodeIP: shape.v6Gateway ?? 'fd00::b' },
      },
    });
  }
  const cluster = ['10.96.0.0/12', '10.244.0.0/16'];
  if (!shape.clusterOnly) cluster.push('fd00:10::/64');
  if (shape.moreCluster) cluster.push('172.18.0.0/16');
  return {
    node: 'node-a',
    clusterCIDRs: cluster.sort(),
    hostedEgressIPs: [{ ip: egressIP, family: 4, policies: ['web'] }],
    sourceSets,
    rules,
  };
}
