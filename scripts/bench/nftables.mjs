// nftables backend benchmark against iptables (root; its own namespaces with @egress-proxier/netlab, removed also
// on failure). On a gateway node namespace with 2,000 policies / egress IPs and 10,000 or 150,000 sources, for
// each backend in turn: full sync into an empty node, one pod event's sync (one pod added to one source set),
// new TCP connections per second from a pod (matched by the last policy) through the gateway, and cleanup; plus
// the rate with no egress rules (the limit). The table, the client and the rates are support/gateway-bench.mjs's.
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import iptables from '@egress-proxier/backend-iptables';
import nftables from '@egress-proxier/backend-nftables';
import { assertLabPrerequisites, createLab, uniquePrefix } from '@egress-proxier/netlab';
import {
  CLIENT_EGRESS_IP,
  CONCURRENCY,
  connectionRate,
  EXTERNAL,
  generateTable,
  namespaceExec,
  POLICIES,
  RATE_SECONDS,
  ratio,
  round,
  withOneMorePod,
} from './support/gateway-bench.mjs';

const SIZES = [10_000, 150_000];
const BACKENDS = [
  ['iptables', iptables],
  ['nftables', nftables],
];
const signal = new AbortController().signal;

await assertLabPrerequisites(['nft', 'ipset', 'iptables-nft-restore']);
const lab = await createLab({
  prefix: uniquePrefix('bnft'),
  nodes: 1,
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
  for (const setting of ['net.ipv4.tcp_tw_reuse=1', 'net.ipv4.ip_local_port_range=1024 65000'])
    await lab.exec(client.namespace, 'sysctl', ['-q', '-w', setting]);
  await lab.exec(gateway.namespace, 'sysctl', [
    '-q',
    '-w',
    'net.netfilter.nf_conntrack_tcp_timeout_time_wait=1',
  ]);
  const figures = { policies: POLICIES, rateSeconds: RATE_SECONDS, concurrency: CONCURRENCY };
  console.log(`nftables vs iptables: ${POLICIES} policies / egress IPs on one gateway`);
  console.log(
    '| sources | backend | full sync | one pod event | cleanup | conn/s (no rules) | conn/s | of limit |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const sources of SIZES) {
    const table = generateTable(lab, gateway, client.ip, sources / POLICIES);
    const grown = withOneMorePod(table);
    const limit = await connectionRate(lab, client, gateway.ip);
    const key = sources === 150_000 ? '150k' : '10k';
    figures[`connPerSecNoRules_${key}`] = limit;
    for (const [name, plugin] of BACKENDS) {
      const proxier = await plugin.create({
        nodeName: gateway.name,
        exec: namespaceExec(lab, gateway.namespace),
        logger: pino({ level: 'silent' }),
        clock: { now: () => Date.now() },
        options: { announceCount: 0, uplink: gateway.uplink },
      });
      let start = performance.now();
      await proxier.sync(table, signal);
      const fullMs = performance.now() - start;
      start = performance.now();
      const report = await proxier.sync(grown, signal);
      const eventMs = performance.now() - start;
      if (report.counts.setChanges !== 1)
        throw new Error(`${name}: expected 1 set change, got ${report.counts.setChanges}`);
      const rate = await connectionRate(lab, client, CLIENT_EGRESS_IP);
      start = performance.now();
      await proxier.cleanup(signal);
      const cleanupMs = performance.now() - start;
      Object.assign(figures, {
        [`${name}FullSyncMs_${key}`]: round(fullMs),
        [`${name}PodEventSyncMs_${key}`]: round(eventMs),
        [`${name}CleanupMs_${key}`]: round(cleanupMs),
        [`${name}ConnPerSec_${key}`]: rate,
        [`${name}OverLimit_${key}`]: ratio(rate, limit),
      });
      console.log(
        `| ${sources.toLocaleString('en')} | ${name} | ${(fullMs / 1000).toFixed(2)} s | ${round(eventMs)} ms | ${round(cleanupMs)} ms | ${limit.toLocaleString('en')} | ${rate.toLocaleString('en')} | ×${ratio(rate, limit)} |`,
      );
    }
  }
  console.log(`BENCH_JSON ${JSON.stringify({ bench: 'nftables', ...figures })}`);
}
