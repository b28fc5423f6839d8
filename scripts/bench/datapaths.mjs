// The gateway's datapaths side by side, in one run (root; its own namespaces, removed also on failure): on a
// gateway with 2,000 policies and 10,000 / 150,000 selected sources, new TCP connections per second and one
// TCP stream's throughput from a pod on the gateway through it to an external server — with no egress rules
// (the limit: the lab's masquerade only), with the iptables backend and with the ebpf backend — and the ebpf
// backend's full map sync (into empty maps) and one pod event's sync. The no-rules limit is measured before
// and after the backends and averaged: these machines are noisy, so figures compare within the run only.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import iptables from '@egress-proxier/backend-iptables';
import ebpf from '@egress-proxier/backend-ebpf-loader';
import { assertLabPrerequisites, createLab, uniquePrefix } from '@egress-proxier/netlab';
import {
  CLIENT_EGRESS_IP,
  connectionRate,
  fmt,
  generateTable,
  namespaceExec,
  POLICIES,
  ratio,
  round,
  uploadRate,
  withOneMorePod,
} from './support/gateway-bench.mjs';

const SIZES = [10_000, 150_000];
const UPLOAD_BYTES = 128 * 1024 * 1024;
const signal = new AbortController().signal;

await assertLabPrerequisites([
  'ipset',
  'iptables-nft-restore',
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
    ebpf: { plugin: ebpf, options: { announceCount: 0, uplink: gateway.uplink, ...bpffs.options } },
  };
  const figures = { policies: POLICIES, uploadMB: UPLOAD_BYTES / 1e6 };
  const rows = [];
  for (const sources of SIZES) {
    const table = generateTable(lab, gateway, client.ip, sources / POLICIES);
    const key = sources === 150_000 ? '150k' : '10k';
    // Each phase starts from an empty conntrack table: a client port reused within an old entry's lifetime would
    // otherwise keep that entry's NAT (the masquerade of the no-rules phase) and leave with the wrong source.
    const fresh = () => lab.exec(gateway.namespace, 'conntrack', ['-F'], { allowFailure: true });
    await fresh();
    const before = await connectionRate(lab, client, gateway.ip);
    const streamNone = await uploadRate(lab, client, gateway.ip, UPLOAD_BYTES);
    const row = { sources, streamNone };
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
      row[`${name}FullMs`] = performance.now() - started;
      started = performance.now();
      await proxier.sync(withOneMorePod(table), signal);
      row[`${name}PodEventMs`] = performance.now() - started;
      await fresh();
      row[name] = await connectionRate(lab, client, CLIENT_EGRESS_IP).catch((error) => {
        throw new Error(`${name}: ${error.message}`);
      });
      row[`${name}Stream`] = await uploadRate(lab, client, CLIENT_EGRESS_IP, UPLOAD_BYTES);
      await proxier.cleanup(signal);
    }
    await fresh();
    const after = await connectionRate(lab, client, gateway.ip);
    row.limit = Math.round((before + after) / 2);
    row.limitRange = `${Math.min(before, after)}–${Math.max(before, after)}`;
    rows.push(row);
    Object.assign(figures, {
      [`connPerSecNoRules_${key}`]: row.limit,
      [`connPerSecIptables_${key}`]: row.iptables,
      [`connPerSecEbpf_${key}`]: row.ebpf,
      [`iptablesOverLimit_${key}`]: ratio(row.iptables, row.limit),
      [`ebpfOverLimit_${key}`]: ratio(row.ebpf, row.limit),
      [`streamMBpsNoRules_${key}`]: row.streamNone,
      [`streamMBpsIptables_${key}`]: row.iptablesStream,
      [`streamMBpsEbpf_${key}`]: row.ebpfStream,
      [`ebpfFullSyncMs_${key}`]: round(row.ebpfFullMs),
      [`ebpfPodEventSyncMs_${key}`]: round(row.ebpfPodEventMs),
      [`iptablesFullSyncMs_${key}`]: round(row.iptablesFullMs),
      [`iptablesPodEventSyncMs_${key}`]: round(row.iptablesPodEventMs),
    });
  }
  console.log(`gateway datapaths: ${POLICIES} policies / egress IPs, client matched by the last one`);
  console.log(
    '  sources   new conn/s: no rules [range]   iptables (share)   ebpf (share)    stream MB/s: none  iptables  ebpf',
  );
  for (const row of rows) {
    console.log(
      `  ${String(row.sources).padStart(7)}   ${String(row.limit).padStart(8)} [${row.limitRange}]`.padEnd(
        43,
      ) +
        `${row.iptables} (${Math.round((100 * row.iptables) / row.limit)} %)`.padEnd(19) +
        `${row.ebpf} (${Math.round((100 * row.ebpf) / row.limit)} %)`.padEnd(16) +
        `${String(row.streamNone).padStart(16)} ${String(row.iptablesStream).padStart(9)} ${String(row.ebpfStream).padStart(5)}`,
    );
  }
  console.log('  sources   full sync: iptables   ebpf        one pod event: iptables   ebpf');
  for (const row of rows) {
    console.log(
      `  ${String(row.sources).padStart(7)}   ${fmt(row.iptablesFullMs).padStart(18)}   ${fmt(row.ebpfFullMs).padEnd(10)}  ${fmt(row.iptablesPodEventMs).padStart(22)}   ${fmt(row.ebpfPodEventMs)}`,
    );
  }
  console.log(`BENCH_JSON ${JSON.stringify({ bench: 'datapaths', ...figures })}`);
}
