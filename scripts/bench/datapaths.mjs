// The gateway's datapaths side by side, in one run (root; its own namespaces, removed also on failure): on a
// gateway with 2,000 policies and 10,000 / 150,000 selected sources, for the iptables, nftables and ebpf backends
// in turn: full sync into an empty node, one pod event's sync (one pod added to one source set), new TCP
// connections per second and one TCP stream's throughput from a pod on the gateway through it to an external
// server, one readTraffic after them (backends that have it), and cleanup. The limit is the same client with no
// egress rules (the lab's masquerade only).
//
// These machines are noisy (a single 3 s sample of the limit varied by a third between runs), so every rate is
// the median of ROUNDS samples, and the limit is measured before and after each backend: a backend's share is its
// median over the mean of the two limits around it. Figures compare within the run only.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import iptables from '@egress-proxier/backend-iptables';
import nftables from '@egress-proxier/backend-nftables';
import ebpf from '@egress-proxier/backend-ebpf-loader';
import { assertLabPrerequisites, createLab, uniquePrefix } from '@egress-proxier/netlab';
import {
  CLIENT_EGRESS_IP,
  connectionRate,
  fmt,
  generateTable,
  namespaceExec,
  POLICIES,
  RATE_SECONDS,
  ratio,
  round,
  uploadRate,
  withOneMorePod,
} from './support/gateway-bench.mjs';

const SIZES = [10_000, 150_000];
const ROUNDS = 3;
const UPLOAD_BYTES = 128 * 1024 * 1024;
const signal = new AbortController().signal;

await assertLabPrerequisites([
  'ipset',
  'iptables-nft-restore',
  'nft',
  'bpftool',
  'tc',
  'mount',
  'umount',
  'conntrack',
]);
const lab = await createLab({
  prefix: uniquePrefix('bdp'),
  nodes: 2,
  podsPerNode: 1,
  externals: ['203.0.113.10'],
});
const stateDir = await mkdtemp(join(tmpdir(), 'egp-bench-'));
let bpffs;
let exitCode = 0;
try {
  await main();
} catch (error) {
  console.error(error);
  exitCode = 1;
} finally {
  await lab.destroy();
  await bpffs?.release().catch((error) => console.error(error));
  await rm(stateDir, { recursive: true, force: true });
}
process.exit(exitCode);

async function main() {
  const gateway = lab.node(1);
  const client = lab.pod(1, 1);
  await lab.exec(client.namespace, 'sysctl', ['-q', '-w', 'net.ipv4.tcp_tw_reuse=1']);
  await lab.exec(client.namespace, 'sysctl', ['-q', '-w', 'net.ipv4.ip_local_port_range=1024 65000']);
  await lab.exec(gateway.namespace, 'sysctl', [
    '-q',
    '-w',
    'net.netfilter.nf_conntrack_tcp_timeout_time_wait=1',
  ]);
  bpffs = await ebpf.labNode(stateDir, { run: (request) => lab.host.run(request.command, request.args) });
  const backends = {
    iptables: { plugin: iptables, options: { garpCount: 0, uplink: gateway.uplink } },
    nftables: { plugin: nftables, options: { announceCount: 0, uplink: gateway.uplink } },
    ebpf: { plugin: ebpf, options: { announceCount: 0, uplink: gateway.uplink, ...bpffs.options } },
  };
  // Each sample starts from an empty conntrack table: a client port reused within an old entry's lifetime would
  // otherwise keep that entry's NAT (the masquerade of the no-rules phase) and leave with the wrong source.
  const rate = async (expectedSource) => {
    const samples = [];
    for (let i = 0; i < ROUNDS; i++) {
      await lab.exec(gateway.namespace, 'conntrack', ['-F'], { allowFailure: true });
      samples.push(await connectionRate(lab, client, expectedSource));
    }
    return median(samples);
  };
  const figures = {
    policies: POLICIES,
    uploadMB: UPLOAD_BYTES / 1e6,
    rounds: ROUNDS,
    rateSeconds: RATE_SECONDS,
  };
  const rows = [];
  for (const sources of SIZES) {
    const table = generateTable(lab, gateway, client.ip, sources / POLICIES);
    const key = sources === 150_000 ? '150k' : '10k';
    const limits = [await rate(gateway.ip)];
    const streamNone = await uploadRate(lab, client, gateway.ip, UPLOAD_BYTES);
    Object.assign(figures, { [`streamMBpsNoRules_${key}`]: streamNone });
    for (const [name, { plugin, options }] of Object.entries(backends)) {
      const proxier = await plugin.create({
        nodeName: gateway.name,
        exec: namespaceExec(lab, gateway.namespace),
        logger: pino({ level: 'silent' }),
        clock: { now: () => Date.now(), monotonic: () => performance.now(), setTimeout },
        options,
      });
      let started = performance.now();
      await proxier.sync(table, signal);
      const fullMs = performance.now() - started;
      started = performance.now();
      const event = await proxier.sync(withOneMorePod(table), signal);
      const eventMs = performance.now() - started;
      if (!event.changed || (event.counts.setChanges !== undefined && event.counts.setChanges !== 1))
        throw new Error(`${name}: one pod event should change one element: ${JSON.stringify(event.counts)}`);
      const connPerSec = await rate(CLIENT_EGRESS_IP).catch((error) => {
        throw new Error(`${name}: ${error.message}`);
      });
      const stream = await uploadRate(lab, client, CLIENT_EGRESS_IP, UPLOAD_BYTES);
      // One traffic read after the rate samples' connections (the agent's periodic read), by backends that have it.
      started = performance.now();
      const traffic = await proxier.readTraffic?.(signal);
      const readTrafficMs = traffic === undefined ? undefined : performance.now() - started;
      started = performance.now();
      await proxier.cleanup(signal);
      const cleanupMs = performance.now() - started;
      limits.push(await rate(gateway.ip));
      const limit = Math.round((limits.at(-2) + limits.at(-1)) / 2);
      const row = {
        sources,
        name,
        fullMs,
        eventMs,
        cleanupMs,
        readTrafficMs,
        connPerSec,
        limit,
        stream,
        streamNone,
      };
      row.limitRange = `${Math.min(...limits.slice(-2))}–${Math.max(...limits.slice(-2))}`;
      rows.push(row);
      Object.assign(figures, {
        [`${name}FullSyncMs_${key}`]: round(fullMs),
        [`${name}PodEventSyncMs_${key}`]: round(eventMs),
        [`${name}CleanupMs_${key}`]: round(cleanupMs),
        ...(readTrafficMs === undefined ? {} : { [`${name}ReadTrafficMs_${key}`]: round(readTrafficMs) }),
        [`${name}ConnPerSec_${key}`]: connPerSec,
        [`${name}ConnPerSecLimit_${key}`]: limit,
        [`${name}OverLimit_${key}`]: ratio(connPerSec, limit),
        [`${name}StreamMBps_${key}`]: stream,
      });
    }
  }
  console.log(
    `gateway datapaths: ${POLICIES} policies / egress IPs, client matched by the last one; rates are medians of ${ROUNDS} × ${RATE_SECONDS} s`,
  );
  console.log(
    '| sources | backend | full sync | one pod event | cleanup | one readTraffic | new conn/s | no rules [before–after] | share | stream MB/s (no rules) |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const row of rows) {
    console.log(
      `| ${row.sources.toLocaleString('en')} | ${row.name} | ${fmt(row.fullMs)} | ${fmt(row.eventMs)} | ${fmt(row.cleanupMs)} | ${row.readTrafficMs === undefined ? '–' : fmt(row.readTrafficMs)} | ${row.connPerSec.toLocaleString('en')} | ${row.limit.toLocaleString('en')} [${row.limitRange}] | ${Math.round((100 * row.connPerSec) / row.limit)} % | ${row.stream} (${row.streamNone}) |`,
    );
  }
  console.log(`BENCH_JSON ${JSON.stringify({ bench: 'datapaths', ...figures })}`);
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
