// The eBPF backend's traffic read at scale (issue 14 part 4; root: a bpffs of its own and the object loaded,
// never attached). Pinned maps filled as a busy gateway's: EGRESS_IPS egress IPs with counters, FLOWS live IPv4
// flows (a forward and a reverse NAT entry each) spread over them. Measured, each the median of ROUNDS: the
// counter maps alone (one dump per family, summed over CPUs); one read as readTraffic does it (those, and port use
// from the reverse NAT maps alone); and the naive read that dumps and pairs all four NAT maps as a sweep does
// (the same port use, checked): wall time, node's heap growth, and bpftool's CPU time and peak memory (from
// /usr/bin/time, 10 ms resolution). Then what a packet costs on the counted path: egp_classify's SNAT of a known
// flow (policy and NAT lookups, rewrite, the counter update, redirect) by BPF_PROG_TEST_RUN, in a network
// namespace of its own (test_run sends nothing; its skb belongs to that namespace's loopback). Prints a table and
// one BENCH_JSON line.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { ExecaExec } from '@egress-proxier/core';
import { CommandRunner } from '@egress-proxier/node-datapath';
import {
  busiestEndpoints,
  CLASSIFY_OBJECT,
  decodeNatEntries,
  encodeNatForwardKey,
  encodeNatForwardValue,
  encodeNatReverseKey,
  encodeNatReverseValue,
  encodePolicyKey,
  encodePolicyValue,
  encodeTrafficKey,
  encodeTrafficValue,
  loadObject,
  natMapPaths,
  pinLayout,
  planNatSweep,
  programDir,
  readNatMaps,
  readNatPortUse,
  readTrafficCounters,
  runBatch,
  trafficReading,
  updateLine,
} from '@egress-proxier/backend-ebpf-loader';

const EGRESS_IPS = Number(process.env.TRAFFIC_EGRESS_IPS ?? 2_000);
const FLOWS = Number(process.env.TRAFFIC_FLOWS ?? 100_000);
const ROUNDS = 5;
/** test_run reuses one skb, translating it again each repeat: a TTL of 255 bounds a sample to 250 repeats. */
const PACKET_REPEAT = 250;
const PACKET_SAMPLES = 100;
const PACKET_POD = '10.244.1.2';
const PACKET_EGRESS_IP = '192.0.2.100';
const signal = new AbortController().signal;

/** bpftool and friends under /usr/bin/time: each exec's CPU seconds and peak RSS are kept in `children`. */
const children = [];
const base = new ExecaExec(pino({ level: 'silent' }));
const exec = {
  async run(request) {
    const result = await base.run({
      ...request,
      command: '/usr/bin/time',
      args: ['-f', 'EGP_TIME %U %S %M', request.command, ...request.args],
    });
    const lines = result.stderr.trimEnd().split('\n');
    const [, user, system, maxRssKB] = (lines.pop() ?? '').split(' ');
    children.push({ cpuMs: (Number(user) + Number(system)) * 1000, maxRssMB: Number(maxRssKB) / 1024 });
    return { ...result, stderr: lines.join('\n') };
  },
};
const runner = new CommandRunner(exec, signal);

const dir = await mkdtemp(join(tmpdir(), 'egp-traffic-bench-'));
let mounted = false;
let exitCode = 0;
try {
  await base.run({ command: 'mount', args: ['-t', 'bpf', 'bpf', dir] }).catch((error) => {
    throw new Error(`cannot mount a bpffs on ${dir} (needs root): ${error.message}`);
  });
  mounted = true;
  await main();
} catch (error) {
  console.error(error);
  exitCode = 1;
} finally {
  if (mounted) await base.run({ command: 'umount', args: [dir] }).catch((error) => console.error(error));
  await rm(dir, { recursive: true, force: true });
}
process.exit(exitCode);

async function main() {
  const layout = pinLayout(join(dir, 'egress-proxier'));
  await loadObject(runner, layout, CLASSIFY_OBJECT, 'bench');
  const egressIPs = Array.from({ length: EGRESS_IPS }, (_, i) => `198.18.${i >> 8}.${i & 0xff}`);
  await fill(layout.maps, egressIPs);

  const live = { hostedEgressIPs: egressIPs, nowNs: process.hrtime.bigint() };
  const counters = await measure(async () => {
    const read = await readTrafficCounters(runner, layout.maps);
    return trafficReading(egressIPs, read, []);
  });
  const reading = await measure(async () => {
    const [read, portUse] = await Promise.all([
      readTrafficCounters(runner, layout.maps),
      readNatPortUse(runner, layout.maps, live),
    ]);
    return trafficReading(egressIPs, read, portUse);
  });
  // What a sweep does: both directions of the four maps, paired; the reverse entries it would keep hold ports.
  const paired = await measure(async () => {
    const read = await readTrafficCounters(runner, layout.maps);
    const dumps = await readNatMaps(runner, layout.maps);
    const gone = new Set(planNatSweep(dumps, live).deletions.map((deletion) => deletion.key));
    const kept = [...decodeNatEntries('rev4', dumps.rev4), ...decodeNatEntries('rev6', dumps.rev6)].filter(
      (entry) => !gone.has(entry.hexKey),
    );
    return trafficReading(egressIPs, read, busiestEndpoints(kept));
  });
  const ports = (figures) => figures.result.portUse.reduce((total, use) => total + use.ports, 0);
  if (
    counters.result.traffic.length !== EGRESS_IPS ||
    ports(reading) !== ports(paired) ||
    ports(reading) === 0
  )
    throw new Error(`the reads disagree or found nothing: ${ports(reading)} vs ${ports(paired)} ports`);

  const packet = await packetCost(layout);

  const rows = [
    ['the counter maps alone (2 dumps)', counters],
    ['readTraffic: counters + the reverse NAT maps for port use (4 dumps)', reading],
    ['naive: counters + all four NAT maps, paired as a sweep pairs them (6 dumps)', paired],
  ];
  console.log(
    `eBPF traffic read: ${EGRESS_IPS.toLocaleString('en')} egress IPs, ${FLOWS.toLocaleString('en')} live IPv4 flows (${(2 * FLOWS).toLocaleString('en')} NAT entries); medians of ${ROUNDS}`,
  );
  console.log('| read | wall | node heap growth | bpftool CPU | bpftool peak RSS |');
  console.log('|---|---|---|---|---|');
  for (const [name, figures] of rows)
    console.log(
      `| ${name} | ${figures.ms.toFixed(1)} ms | ${figures.heapMB.toFixed(1)} MB | ${figures.execs === 0 ? '– (no exec)' : `${figures.childCpuMs.toFixed(0)} ms`} | ${figures.execs === 0 ? '–' : `${figures.childRssMB.toFixed(1)} MB`} |`,
    );
  const json = Object.fromEntries(
    rows.flatMap(([, figures], index) => {
      const key = ['counters', 'readTraffic', 'pairedRead'][index];
      return [
        [`${key}Ms`, round(figures.ms)],
        [`${key}HeapMB`, round(figures.heapMB)],
        [`${key}BpftoolCpuMs`, round(figures.childCpuMs)],
        [`${key}BpftoolRssMB`, round(figures.childRssMB)],
      ];
    }),
  );
  console.log(
    `egp_classify, SNAT of a known flow with its counter update (BPF_PROG_TEST_RUN, ${PACKET_SAMPLES} × ${PACKET_REPEAT} runs): median ${packet.medianNs} ns per packet, fastest sample ${packet.minNs} ns`,
  );
  console.log(
    `BENCH_JSON ${JSON.stringify({ bench: 'ebpf-traffic', egressIPs: EGRESS_IPS, flows: FLOWS, rounds: ROUNDS, ...json, pairedOverReadTraffic: round(paired.ms / reading.ms), packetNs: packet.medianNs, packetMinNs: packet.minNs })}`,
  );
}

/** Counters for every egress IP and FLOWS flows, one remote endpoint per 50 flows of an egress IP. */
async function fill(mapsDir, egressIPs) {
  const paths = natMapPaths(mapsDir);
  const now = process.hrtime.bigint();
  const lines = egressIPs.map((ip, i) =>
    updateLine(
      join(mapsDir, 'egp_traffic4'),
      encodeTrafficKey(ip).toString('hex'),
      encodeTrafficValue({ connections: i, bytes: i * 1000 }).toString('hex'),
    ),
  );
  for (let n = 0; n < FLOWS; n++) {
    const egress = egressIPs[n % egressIPs.length];
    const pod = `10.244.${(n >> 8) & 0xff}.${n & 0xff}`;
    const flow = { remote: `203.0.113.${(n >> 6) & 0xff}`, remotePort: 443, protocolNumber: 6 };
    const podPort = 10_000 + (n >> 16);
    const port = 32_768 + (n % 28_000);
    const forward = [
      encodeNatForwardKey(4, { ...flow, pod, podPort }),
      encodeNatForwardValue(4, { lastSeenNs: now, port, egress }),
    ];
    const reverse = [
      encodeNatReverseKey(4, { ...flow, egress, port }),
      encodeNatReverseValue(4, { lastSeenNs: now, pod, podPort }),
    ];
    lines.push(updateLine(paths.fwd4, forward[0].toString('hex'), forward[1].toString('hex')));
    lines.push(updateLine(paths.rev4, reverse[0].toString('hex'), reverse[1].toString('hex')));
  }
  await runBatch(runner, lines);
}

/**
 * ns per packet of egp_classify's LOCAL path on a TCP segment from PACKET_POD. The egress IP has a LOCAL entry of
 * its own, so the already translated skb of the next repeat takes the same path; after the first sample every
 * flow in that chain is known (no claims), as for an established connection's packets.
 */
async function packetCost(layout) {
  const value = encodePolicyValue({ action: 'local', egressIP: PACKET_EGRESS_IP, ifindex: 1 }).toString(
    'hex',
  );
  const policy4 = join(layout.maps, 'egp_policy4');
  await runBatch(
    runner,
    [PACKET_POD, PACKET_EGRESS_IP].map((source) =>
      updateLine(policy4, encodePolicyKey(4, source, '0.0.0.0/0').toString('hex'), value),
    ),
  );
  const scratch = await mkdtemp(join(tmpdir(), 'egp-traffic-packet-'));
  const frame = join(scratch, 'frame');
  await writeFile(frame, tcpFrame(PACKET_POD, '203.0.113.10', 100));
  const namespace = `egp-bench-packet-${process.pid}`;
  await base.run({ command: 'ip', args: ['netns', 'add', namespace] });
  try {
    const program = join(programDir(layout, 'bench'), 'egp_classify');
    const samples = [];
    for (let i = 0; i < PACKET_SAMPLES; i++) {
      const { stdout } = await base.run({
        command: 'ip',
        args: [
          ...['netns', 'exec', namespace, 'bpftool', 'prog', 'run', 'pinned', program],
          ...['data_in', frame, 'repeat', String(PACKET_REPEAT)],
        ],
      });
      const match = /Return value: (\d+), duration \(average\): (\d+)ns/.exec(stdout);
      // TC_ACT_REDIRECT: translated and sent on to the uplink, the path being measured.
      if (match?.[1] !== '7') throw new Error(`egp_classify did not take the SNAT path: ${stdout.trim()}`);
      samples.push(Number(match[2]));
    }
    samples.sort((a, b) => a - b);
    return { medianNs: samples[Math.floor(samples.length / 2)], minNs: samples[0] };
  } finally {
    await base.run({ command: 'ip', args: ['netns', 'del', namespace] });
    await rm(scratch, { recursive: true, force: true });
  }
}

/** An Ethernet frame with an IPv4 TCP segment (ACK) of `payload` bytes, TTL 255; checksums left zero. */
function tcpFrame(source, destination, payload) {
  const ip = Buffer.alloc(20);
  ip.writeUInt8(0x45, 0);
  ip.writeUInt16BE(20 + 20 + payload, 2);
  ip.writeUInt8(255, 8);
  ip.writeUInt8(6, 9);
  Buffer.from(source.split('.').map(Number)).copy(ip, 12);
  Buffer.from(destination.split('.').map(Number)).copy(ip, 16);
  const tcp = Buffer.alloc(20);
  tcp.writeUInt16BE(40000, 0);
  tcp.writeUInt16BE(443, 2);
  tcp.writeUInt8(0x50, 12);
  tcp.writeUInt8(0x10, 13);
  tcp.writeUInt16BE(65535, 14);
  const ethernet = Buffer.from([...Array(6).fill(2), 2, 0, 0, 0, 0, 1, 0x08, 0x00]);
  return Buffer.concat([ethernet, ip, tcp, Buffer.alloc(payload, 0x78)]);
}

/** Median of ROUNDS runs: wall time, heap growth of this process, and its children's CPU time and peak RSS. */
async function measure(read) {
  const samples = [];
  let result;
  for (let i = 0; i < ROUNDS; i++) {
    globalThis.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const first = children.length;
    const started = performance.now();
    result = await read();
    const ms = performance.now() - started;
    const heapMB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    const mine = children.slice(first);
    samples.push({
      execs: mine.length,
      ms,
      heapMB,
      childCpuMs: mine.reduce((total, child) => total + child.cpuMs, 0),
      childRssMB: Math.max(0, ...mine.map((child) => child.maxRssMB)),
    });
  }
  const median = (field) =>
    samples.map((sample) => sample[field]).sort((a, b) => a - b)[Math.floor(ROUNDS / 2)];
  return {
    result,
    execs: median('execs'),
    ms: median('ms'),
    heapMB: median('heapMB'),
    childCpuMs: median('childCpuMs'),
    childRssMB: median('childRssMB'),
  };
}

function round(value) {
  return +value.toFixed(1);
}
