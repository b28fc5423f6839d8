// iptables backend benchmark (root; builds its own namespaces with @egress-proxier/netlab, removes them also on
// failure). Measures, on a gateway node namespace:
//   - full sync (first sync into an empty node) and incremental sync (one pod added to one source set) of a
//     table with 2,000 egress IPs and 2,000 policies of 75 sources (150,000 source IPs);
//   - the same for a naive baseline: one `-s POD -j SNAT --to EGRESS` rule per pod, one iptables-restore;
//   - new TCP connections per second from a pod through the gateway to an external server, with 10,000 and
//     150,000 selected sources: no egress rules (the limit), our ipset rules, the naive per-pod chain;
//   - the steered-in guard: new connections per second from a pod on a second node steered to the gateway
//     (2,000 policies, 10,000 sources), with the guard and with the guard's jump removed, alternated; the same for
//     a pod on the gateway (its traffic must not pay for the guard), and the throughput of one established
//     steered connection (neither must established packets).
// The table, the client and the rates are support/gateway-bench.mjs's (the client matched by the last rule).
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import plugin from '@egress-proxier/backend-iptables';
import { assertLabPrerequisites, createLab, uniquePrefix } from '@egress-proxier/netlab';
import {
  CLIENT_EGRESS_IP,
  CONCURRENCY,
  connectionRate as rateFrom,
  EXTERNAL,
  fmt,
  generateTable as tableOf,
  namespaceExec as execIn,
  POLICIES,
  RATE_SECONDS,
  ratio,
  round,
  uploadRate as uploadFrom,
  withOneMorePod,
} from './support/gateway-bench.mjs';

const SIZES = [10_000, 150_000];
const NAIVE_CHAIN = 'EGP-NAIVE-SNAT';
const GUARD_ROUNDS = 3;
const UPLOAD_BYTES = 256 * 1024 * 1024;
const signal = new AbortController().signal;

await assertLabPrerequisites(['ipset', 'iptables-nft-restore']);
const lab = await createLab({
  prefix: uniquePrefix('bipt'),
  nodes: 2,
  podsPerNode: 1,
  externals: [EXTERNAL],
});
let exitCode = 0;
try {
  await main();
} catch (error) {
  console.error(error);
  exitCode = 1;
} finally {
  await lab.destroy();
}
process.exit(exitCode);

async function main() {
  const gateway = lab.node(1);
  const client = lab.pod(1, 1);
  for (const pod of [client, lab.pod(2, 1)]) {
    for (const setting of ['net.ipv4.tcp_tw_reuse=1', 'net.ipv4.ip_local_port_range=1024 65000']) {
      await lab.exec(pod.namespace, 'sysctl', ['-q', '-w', setting]);
    }
  }
  // Finished connections leave the nodes' conntrack tables at once, so each measurement starts from a
  // similar table instead of inheriting the previous one's tens of thousands of TIME_WAIT entries.
  for (const node of lab.nodes) {
    await lab.exec(node.namespace, 'sysctl', [
      '-q',
      '-w',
      'net.netfilter.nf_conntrack_tcp_timeout_time_wait=1',
    ]);
  }
  const figures = {
    policies: POLICIES,
    egressIPs: POLICIES,
    rateSeconds: RATE_SECONDS,
    concurrency: CONCURRENCY,
  };
  const rows = [];
  for (const sources of SIZES) {
    const perPolicy = sources / POLICIES;
    const table = generateTable(gateway, client.ip, perPolicy);

    const limit = await connectionRate(client, gateway.ip);

    const proxier = await plugin.create({
      nodeName: gateway.name,
      exec: namespaceExec(gateway.namespace),
      logger: pino({ level: 'silent' }),
      clock: { now: () => Date.now() },
      options: { garpCount: 0, uplink: gateway.uplink },
    });
    let start = performance.now();
    await proxier.sync(table, signal);
    const fullMs = performance.now() - start;
    const grown = withOneMorePod(table);
    start = performance.now();
    const report = await proxier.sync(grown, signal);
    const incrementalMs = performance.now() - start;
    if (report.counts.setChanges !== 1)
      throw new Error(`expected 1 set change, got ${report.counts.setChanges}`);
    const ours = await connectionRate(client, CLIENT_EGRESS_IP);
    start = performance.now();
    await proxier.cleanup(signal);
    const cleanupMs = performance.now() - start;

    await addEgressAddresses(gateway, table);
    start = performance.now();
    await naiveRestore(gateway, table);
    const naiveFullMs = performance.now() - start;
    start = performance.now();
    await naiveRestore(gateway, grown);
    const naiveIncrementalMs = performance.now() - start;
    const naive = await connectionRate(client, CLIENT_EGRESS_IP);
    await naiveRemove(gateway, table);

    rows.push({
      sources,
      limit,
      ours,
      naive,
      fullMs,
      incrementalMs,
      naiveFullMs,
      naiveIncrementalMs,
      cleanupMs,
    });
    const key = sources === 150_000 ? '150k' : '10k';
    Object.assign(figures, {
      [`fullSyncMs_${key}`]: round(fullMs),
      [`incrementalSyncMs_${key}`]: round(incrementalMs),
      [`naiveFullSyncMs_${key}`]: round(naiveFullMs),
      [`naiveIncrementalSyncMs_${key}`]: round(naiveIncrementalMs),
      [`naiveOverOursFull_${key}`]: ratio(naiveFullMs, fullMs),
      [`naiveOverOursIncremental_${key}`]: ratio(naiveIncrementalMs, incrementalMs),
      [`cleanupMs_${key}`]: round(cleanupMs),
      [`connPerSecNoRules_${key}`]: limit,
      [`connPerSecOurs_${key}`]: ours,
      [`connPerSecNaive_${key}`]: naive,
      [`oursOverLimit_${key}`]: ratio(ours, limit),
      [`naiveOverLimit_${key}`]: ratio(naive, limit),
    });
  }

  const guard = await measureGuard(gateway, lab.node(2), client, lab.pod(2, 1));
  Object.assign(figures, guard.figures);

  console.log(`iptables backend: ${POLICIES} policies / egress IPs on one gateway, nft flavour`);
  console.log(
    '  sources   full sync ms (naive, ratio)      incremental ms (naive, ratio)    conn/s: no rules   ours   naive',
  );
  for (const row of rows) {
    console.log(
      `  ${String(row.sources).padStart(7)}   ${fmt(row.fullMs)} (${fmt(row.naiveFullMs)}, ×${ratio(row.naiveFullMs, row.fullMs)})`.padEnd(
        46,
      ) +
        `${fmt(row.incrementalMs)} (${fmt(row.naiveIncrementalMs)}, ×${ratio(row.naiveIncrementalMs, row.incrementalMs)})`.padEnd(
          33,
        ) +
        `${String(row.limit).padStart(16)} ${String(row.ours).padStart(6)} ${String(row.naive).padStart(7)}`,
    );
  }
  console.log(
    `  steered-in guard (${POLICIES} policies, 10,000 sources; guard on / off, alternated ${GUARD_ROUNDS}x):`,
  );
  for (const line of guard.lines) console.log(`    ${line}`);
  console.log(`BENCH_JSON ${JSON.stringify({ bench: 'iptables', ...figures })}`);
}

/**
 * The guard's cost. The steered client is the last policy's only pod on the gateway's table, so a guarded new
 * connection walks all 2,000 snat rules in the steered-in chain (and again in nat). "Off" removes the guard's jump
 * from our filter FORWARD chain, everything else unchanged.
 */
async function measureGuard(gateway, sourceNode, localPod, steeredPod) {
  const table = generateTable(gateway, steeredPod.ip, 5);
  const local = table.sourceSets.at(-1);
  local.addresses = [...local.addresses, localPod.ip].sort();
  const gatewayProxier = await plugin.create({
    nodeName: gateway.name,
    exec: namespaceExec(gateway.namespace),
    logger: pino({ level: 'silent' }),
    clock: { now: () => Date.now() },
    options: { garpCount: 0, uplink: gateway.uplink },
  });
  const sourceProxier = await plugin.create({
    nodeName: sourceNode.name,
    exec: namespaceExec(sourceNode.namespace),
    logger: pino({ level: 'silent' }),
    clock: { now: () => Date.now() },
    options: { garpCount: 0, uplink: sourceNode.uplink },
  });
  await gatewayProxier.sync(table, signal);
  await sourceProxier.sync(steeringTable(sourceNode, gateway, steeredPod.ip, table.clusterCIDRs), signal);
  const guardLines = (
    await lab.exec(gateway.namespace, 'iptables-nft', ['-S', 'EGRESS-PROXIER-FORWARD'])
  ).stdout
    .split('\n')
    .filter((line) => line.includes('-j EGRESS-PROXIER-STEERED-IN'))
    .map((line) => line.replace(/^-A EGRESS-PROXIER-FORWARD /, ''));
  if (guardLines.length !== 1) throw new Error(`expected one guard line, found ${guardLines.length}`);
  const setGuard = async (on) => {
    const args = on ? ['-I', 'EGRESS-PROXIER-FORWARD', '1'] : ['-D', 'EGRESS-PROXIER-FORWARD'];
    await lab.exec(gateway.namespace, 'iptables-nft', [...args, ...splitRule(guardLines[0])]);
  };
  const samples = { steeredOn: [], steeredOff: [], localOn: [], localOff: [], uploadOn: [], uploadOff: [] };
  for (let round = 0; round < GUARD_ROUNDS; round++) {
    for (const on of round % 2 === 0 ? [true, false] : [false, true]) {
      await setGuard(on);
      const key = on ? 'On' : 'Off';
      samples[`steered${key}`].push(await connectionRate(steeredPod, CLIENT_EGRESS_IP));
      samples[`local${key}`].push(await connectionRate(localPod, CLIENT_EGRESS_IP));
      samples[`upload${key}`].push(await uploadRate(steeredPod));
      if (!on) await setGuard(true);
    }
  }
  const window = await transitionWindow(gateway, table);
  await sourceProxier.cleanup(signal);
  await gatewayProxier.cleanup(signal);
  const mean = (values) => Math.round(values.reduce((a, b) => a + b, 0) / values.length);
  const range = (values) => `${Math.min(...values)}–${Math.max(...values)}`;
  const row = (name, on, off, unit) =>
    `${name.padEnd(34)} guard ${String(mean(on)).padStart(6)} [${range(on)}]  no guard ${String(mean(off)).padStart(6)} [${range(off)}] ${unit}  (×${ratio(mean(on), mean(off))})`;
  return {
    lines: [
      row('new steered connections', samples.steeredOn, samples.steeredOff, 'conn/s'),
      row('new connections of a gateway pod', samples.localOn, samples.localOff, 'conn/s'),
      row('one established steered upload', samples.uploadOn, samples.uploadOff, 'MB/s'),
      `a sync changing one rule: ${fmt(window.syncMs)}, of which T1..T3 (changing rules dropped) ${fmt(window.windowMs)}`,
    ],
    figures: {
      guardSteeredConnPerSec: mean(samples.steeredOn),
      unguardedSteeredConnPerSec: mean(samples.steeredOff),
      guardOverUnguardedSteered: ratio(mean(samples.steeredOn), mean(samples.steeredOff)),
      guardLocalConnPerSec: mean(samples.localOn),
      unguardedLocalConnPerSec: mean(samples.localOff),
      guardUploadMBps: mean(samples.uploadOn),
      unguardedUploadMBps: mean(samples.uploadOff),
      guardRounds: GUARD_ROUNDS,
      transitionSyncMs: round(window.syncMs),
      transitionWindowMs: round(window.windowMs),
    },
  };
}

/**
 * A sync that changes one rule's action (the first policy loses its gateway, FailClosed) on the 2,000-policy
 * gateway, with a fresh proxier that first adopts the kernel: how long the whole sync takes, and how long the
 * transition chain is in force (from the start of T1 to the end of T3), when packets of changing rules are dropped.
 */
async function transitionWindow(gateway, table) {
  const restores = [];
  const exec = namespaceExec(gateway.namespace);
  const timed = {
    async run(request) {
      const started = performance.now();
      const result = await exec.run(request);
      if (request.command.endsWith('-restore')) restores.push({ started, ended: performance.now() });
      return result;
    },
  };
  const proxier = await plugin.create({
    nodeName: gateway.name,
    exec: timed,
    logger: pino({ level: 'silent' }),
    clock: { now: () => Date.now() },
    options: { garpCount: 0, uplink: gateway.uplink },
  });
  await proxier.sync(table, signal);
  restores.length = 0;
  const [first, ...rest] = table.rules;
  const changed = {
    ...table,
    rules: [{ ...first, failurePolicy: 'FailClosed', action: { kind: 'drop' } }, ...rest],
  };
  const started = performance.now();
  await proxier.sync(changed, signal);
  const syncMs = performance.now() - started;
  if (restores.length !== 3) throw new Error(`expected 3 restores (T1, T2, T3), saw ${restores.length}`);
  const windowMs = (restores.at(-1)?.ended ?? 0) - (restores[0]?.started ?? 0);
  await proxier.sync(table, signal);
  return { syncMs, windowMs };
}

/** The source node's table: the steered client's one rule, steering to the gateway. */
function steeringTable(sourceNode, gateway, podIP, clusterCIDRs) {
  const id = `client/${CLIENT_EGRESS_IP}`;
  return {
    node: sourceNode.name,
    clusterCIDRs,
    hostedEgressIPs: [],
    sourceSets: [{ id, policy: 'client', family: 4, addresses: [podIP] }],
    rules: [
      {
        policy: 'client',
        family: 4,
        sourceSet: id,
        destination: '0.0.0.0/0',
        excludedCIDRs: [],
        failurePolicy: 'FailOpen',
        action: {
          kind: 'steer',
          egressIP: CLIENT_EGRESS_IP,
          gateway: { node: gateway.name, nodeIP: gateway.ip },
        },
      },
    ],
  };
}

/** iptables-save rule text → argv (quoted comments stay one argument). */
function splitRule(spec) {
  return [...spec.matchAll(/"([^"]*)"|(\S+)/g)].map((match) => match[1] ?? match[2]);
}

/** The naive baseline: one nat rule per pod, the whole chain written by one iptables-restore. */
async function naiveRestore(gateway, table) {
  const lines = ['*nat', `:${NAIVE_CHAIN} - [0:0]`];
  const jump = `-A POSTROUTING -j ${NAIVE_CHAIN}`;
  const saved = await lab.exec(gateway.namespace, 'iptables-nft-save', ['-t', 'nat']);
  if (!saved.stdout.includes(jump)) lines.push(`-I POSTROUTING 1 -j ${NAIVE_CHAIN}`);
  const bySet = new Map(table.sourceSets.map((set) => [set.id, set.addresses]));
  for (const rule of table.rules) {
    for (const pod of bySet.get(rule.sourceSet) ?? []) {
      lines.push(`-A ${NAIVE_CHAIN} -s ${pod}/32 -j SNAT --to-source ${rule.action.egressIP}`);
    }
  }
  lines.push('COMMIT', '');
  await lab.exec(gateway.namespace, 'iptables-nft-restore', ['-w', '--noflush'], {
    input: lines.join('\n'),
    timeoutMs: 120_000,
  });
}

async function naiveRemove(gateway, table) {
  const script = [
    '*nat',
    `:${NAIVE_CHAIN} - [0:0]`,
    `-D POSTROUTING -j ${NAIVE_CHAIN}`,
    `-X ${NAIVE_CHAIN}`,
    'COMMIT',
    '',
  ];
  await lab.exec(gateway.namespace, 'iptables-nft-restore', ['-w', '--noflush'], {
    input: script.join('\n'),
  });
  await lab.exec(gateway.namespace, 'ip', ['-batch', '-'], {
    input: table.hostedEgressIPs.map(({ ip }) => `addr del ${ip}/32 dev ${gateway.uplink}\n`).join(''),
  });
}

/** The naive setup needs the egress addresses too (not timed: both variants need them). */
async function addEgressAddresses(gateway, table) {
  await lab.exec(gateway.namespace, 'ip', ['-batch', '-'], {
    input: table.hostedEgressIPs.map(({ ip }) => `addr replace ${ip}/32 dev ${gateway.uplink}\n`).join(''),
  });
}

// The shared helpers, bound to this benchmark's lab.
function generateTable(gateway, clientIP, perPolicy) {
  return tableOf(lab, gateway, clientIP, perPolicy);
}

function connectionRate(pod, expectedSource) {
  return rateFrom(lab, pod, expectedSource);
}

function uploadRate(pod) {
  return uploadFrom(lab, pod, CLIENT_EGRESS_IP, UPLOAD_BYTES);
}

function namespaceExec(namespace) {
  return execIn(lab, namespace);
}
