// The eBPF backend's traffic read at scale (issue 14 part 4; root, no network namespace: a bpffs of its own and
// the object loaded, never attached). Pinned maps filled as a busy gateway's: EGRESS_IPS egress IPs with
// counters, FLOWS live IPv4 flows (a forward and a reverse NAT entry each) spread over them. Measured, each the
// median of ROUNDS: one read as readTraffic does it (the counter maps: one dump per family, summed over CPUs),
// against the naive read that also dumps the NAT maps for port use (what readTraffic avoids by taking port use
// from the idle sweep), and what counting port use adds to a sweep that has the dumps anyway. Wall time, node's
// heap growth, and bpftool's CPU time and peak memory (from /usr/bin/time). Prints a table and one BENCH_JSON line.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { ExecaExec } from '@egress-proxier/core';
import { CommandRunner } from '@egress-proxier/node-datapath';
import {
  busiestEndpoints,
  CLASSIFY_OBJECT,
  encodeNatForwardKey,
  encodeNatForwardValue,
  encodeNatReverseKey,
  encodeNatReverseValue,
  encodeTrafficKey,
  encodeTrafficValue,
  loadObject,
  natMapPaths,
  pinLayout,
  planNatSweep,
  readNatMaps,
  readTrafficCounters,
  runBatch,
  trafficReading,
  updateLine,
} from '@egress-proxier/backend-ebpf-loader';

const EGRESS_IPS = Number(process.env.TRAFFIC_EGRESS_IPS ?? 2_000);
const FLOWS = Number(process.env.TRAFFIC_FLOWS ?? 100_000);
const ROUNDS = 5;
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

  const counters = await measure(async () => {
    const read = await readTrafficCounters(runner, layout.maps);
    return trafficReading(egressIPs, read, []);
  });
  const withNatDumps = await measure(async () => {
    const read = await readTrafficCounters(runner, layout.maps);
    const plan = planNatSweep(await readNatMaps(runner, layout.maps), {
      hostedEgressIPs: egressIPs,
      nowNs: process.hrtime.bigint(),
    });
    return trafficReading(egressIPs, read, busiestEndpoints(plan.keptReverse));
  });
  const dumps = await readNatMaps(runner, layout.maps);
  const plan = planNatSweep(dumps, { hostedEgressIPs: egressIPs, nowNs: process.hrtime.bigint() });
  const portUse = await measure(async () => busiestEndpoints(plan.keptReverse));
  if (counters.result.traffic.length !== EGRESS_IPS || withNatDumps.result.portUse.length === 0)
    throw new Error('the reads did not find what was filled');

  const rows = [
    ['readTraffic (counter maps only)', counters],
    ['naive: counters + the four NAT dumps for port use', withNatDumps],
    ['port use counted in the idle sweep (its dumps already read)', portUse],
  ];
  console.log(
    `eBPF traffic read: ${EGRESS_IPS.toLocaleString('en')} egress IPs, ${FLOWS.toLocaleString('en')} live IPv4 flows (${(2 * FLOWS).toLocaleString('en')} NAT entries); medians of ${ROUNDS}`,
  );
  console.log('| read | wall | node heap growth | bpftool CPU | bpftool peak RSS |');
  console.log('|---|---|---|---|---|');
  for (const [name, figures] of rows)
    console.log(
      `| ${name} | ${figures.ms.toFixed(1)} ms | ${figures.heapMB.toFixed(1)} MB | ${figures.childCpuMs.toFixed(0)} ms | ${figures.childRssMB.toFixed(1)} MB |`,
    );
  const json = Object.fromEntries(
    rows.flatMap(([, figures], index) => {
      const key = ['readTraffic', 'naiveRead', 'sweepPortUse'][index];
      return [
        [`${key}Ms`, round(figures.ms)],
        [`${key}HeapMB`, round(figures.heapMB)],
        [`${key}BpftoolCpuMs`, round(figures.childCpuMs)],
        [`${key}BpftoolRssMB`, round(figures.childRssMB)],
      ];
    }),
  );
  console.log(
    `BENCH_JSON ${JSON.stringify({ bench: 'ebpf-traffic', egressIPs: EGRESS_IPS, flows: FLOWS, rounds: ROUNDS, ...json, naiveOverRead: round(withNatDumps.ms / counters.ms) })}`,
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
    ms: median('ms'),
    heapMB: median('heapMB'),
    childCpuMs: median('childCpuMs'),
    childRssMB: median('childRssMB'),
  };
}

function round(value) {
  return +value.toFixed(1);
}
