// backend-ipvs against backend-iptables in one qemu guest (Debian's cloud kernel: this host has no IP_VS;
// docs/guest-lab.md), source node side, where the two differ: the full sync and one pod event's sync of a
// source node steering 150,000 sources of 2,000 policies to one gateway, and new TCP connections per second
// from a pod on that node through the steering (policy routing on-link for iptables; IPVS direct routing and
// IP-in-IP for ipvs) and the gateway's SNAT. TCG emulates every instruction, so only the ratios mean anything.
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import iptables from '@egress-proxier/backend-iptables';
import ipvs from '@egress-proxier/backend-ipvs';
import { createLab, uniquePrefix } from '@egress-proxier/netlab';
import { GuestMachine, guestLabHost } from '@egress-proxier/testing/guest';
import {
  CLIENT_EGRESS_IP,
  connectionRate,
  fmt,
  generateTable,
  namespaceExec,
  POLICIES,
  ratio,
  round,
  withOneMorePod,
} from './support/gateway-bench.mjs';

const SOURCES = 150_000;
const signal = new AbortController().signal;

const machine = await GuestMachine.boot({ name: 'bench-ipvs' });
let lab;
let exitCode = 0;
try {
  lab = await createLab({
    prefix: uniquePrefix('bipvs'),
    nodes: 2,
    podsPerNode: 1,
    externals: ['203.0.113.10'],
    host: guestLabHost(machine),
  });
  await main(lab);
} catch (error) {
  console.error(error);
  exitCode = 1;
} finally {
  await lab?.destroy();
  await machine.shutdown();
}
process.exit(exitCode);

/** The gateway's table seen from another node: every rule steers there, nothing is hosted here. */
function sourceNodeTable(gatewayTable, node, gateway) {
  return {
    ...gatewayTable,
    node: node.name,
    hostedEgressIPs: [],
    rules: gatewayTable.rules.map((rule) => ({
      ...rule,
      action: {
        kind: 'steer',
        egressIP: rule.action.egressIP,
        gateway: { node: gateway.name, nodeIP: gateway.ip },
      },
    })),
  };
}

async function proxierOn(lab, node, plugin, options) {
  return plugin.create({
    nodeName: node.name,
    exec: namespaceExec(lab, node.namespace),
    logger: pino({ level: 'silent' }),
    clock: { now: () => Date.now(), monotonic: () => performance.now(), setTimeout },
    options: { announceCount: 0, uplink: node.uplink, ...options },
  });
}

async function main(lab) {
  const source = lab.node(1);
  const gateway = lab.node(2);
  const client = lab.pod(1, 1);
  await lab.exec(client.namespace, 'sysctl', ['-q', '-w', 'net.ipv4.tcp_tw_reuse=1']);
  const gatewayTable = generateTable(lab, gateway, client.ip, SOURCES / POLICIES);
  const table = sourceNodeTable(gatewayTable, source, gateway);
  const variants = [
    { name: 'iptables', plugin: iptables, options: {} },
    { name: 'ipvsDr', plugin: ipvs, options: { forwarding: 'dr' } },
    { name: 'ipvsTunnel', plugin: ipvs, options: { forwarding: 'tunnel' } },
  ];
  const figures = { sources: SOURCES, policies: POLICIES };
  for (const { name, plugin, options } of variants) {
    // The gateway's SNAT side is the same in all three; with tunnels it also decapsulates (tunl0 up).
    const gatewayProxier = await proxierOn(lab, gateway, plugin, options);
    await gatewayProxier.sync(gatewayTable, signal);
    const proxier = await proxierOn(lab, source, plugin, options);
    let started = performance.now();
    await proxier.sync(table, signal);
    figures[`${name}FullSyncMs`] = round(performance.now() - started);
    started = performance.now();
    await proxier.sync(withOneMorePod(table), signal);
    figures[`${name}PodEventSyncMs`] = round(performance.now() - started);
    await lab.exec(gateway.namespace, 'conntrack', ['-F'], { allowFailure: true });
    figures[`${name}ConnPerSec`] = await connectionRate(lab, client, CLIENT_EGRESS_IP).catch((error) => {
      throw new Error(`${name}: ${error.message}`);
    });
    await proxier.cleanup(signal);
    await gatewayProxier.cleanup(signal);
  }
  for (const name of ['ipvsDr', 'ipvsTunnel']) {
    figures[`${name}OverIptablesConn`] = ratio(figures[`${name}ConnPerSec`], figures.iptablesConnPerSec);
    figures[`${name}OverIptablesFullSync`] = ratio(figures[`${name}FullSyncMs`], figures.iptablesFullSyncMs);
  }
  console.log(
    `source node in a TCG guest: ${SOURCES} sources of ${POLICIES} policies steered to one gateway`,
  );
  console.log('  backend          full sync    one pod event    new conn/s (vs iptables)');
  for (const { name } of variants) {
    const share = name === 'iptables' ? '' : ` (${figures[`${name}OverIptablesConn`]}x)`;
    console.log(
      `  ${name.padEnd(15)}  ${fmt(figures[`${name}FullSyncMs`]).padStart(9)}    ${fmt(figures[`${name}PodEventSyncMs`]).padStart(13)}    ${figures[`${name}ConnPerSec`]}${share}`,
    );
  }
  console.log(`BENCH_JSON ${JSON.stringify({ bench: 'ipvs-guest', ...figures })}`);
}
