// readTraffic on a real kernel: the proxier on the gateway node of a netlab lab (pods behind a bridge CNI, an
// external server behind a router, a CNI-like masquerade), a pod holding N TCP connections open through the
// gateway's BPF SNAT while the test reads. The counters must show the N connections, the bytes the external
// server's own netfilter counter saw arrive from the egress IP, and N ports in use towards that endpoint while
// open, none once idle past the TCP timeout; an egress IP that carried nothing reads zero. Needs root, bpftool, tc, iptables-nft and `npm run
// build`'s objects; fails (never skips) saying what is missing. Only lab namespaces and a bpffs of its own.
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { systemClock, type NodeEgressTable } from '@egress-proxier/core';
import {
  assertLabPrerequisites,
  createLab,
  namespaceExec,
  uniquePrefix,
  type Lab,
} from '@egress-proxier/netlab';
import pino from 'pino';
import { parseOptions } from '../src/options.js';
import { EbpfProxier } from '../src/proxier/ebpf-proxier.js';
import { decodeNatEntries } from '../src/nat/nat-layout.js';
import { decodeTrafficCounters } from '../src/traffic/traffic-layout.js';
import { mapContent, perCpuMapContent } from './support/bpf-node.js';
import { BtfLayouts } from './support/btf-layout.js';
import { mountBpffs } from './support/classify-lab.js';

const CLASSIFY = fileURLToPath(new URL('../bpf/egress_classify.o', import.meta.url));
const EXTERNAL = '203.0.113.10';
const PORT = 8080;
const EGRESS_IP = '192.0.2.100'; // pod 1's, on the lab's underlay
const QUIET_EGRESS_IP = '192.0.2.101'; // pod 2's, which sends nothing
const CONNECTIONS = 8;
const BYTES_EACH = 300;
const OPEN_MS = 5000;
/** An IPv4 TCP packet's headers at least: every packet counts them. */
const MIN_HEADERS = 40;
const TCP_IDLE_SECONDS = 3;

function gatewayTable(lab: Lab): NodeEgressTable {
  const node = lab.node(1);
  const policy = (name: string, pod: string, egressIP: string) => ({
    sourceSet: { id: `${name}/${egressIP}`, policy: name, family: 4 as const, addresses: [pod] },
    rule: {
      policy: name,
      family: 4 as const,
      sourceSet: `${name}/${egressIP}`,
      destination: '0.0.0.0/0',
      excludedCIDRs: [],
      failurePolicy: 'FailClosed' as const,
      action: { kind: 'snat' as const, egressIP },
    },
    hosted: { ip: egressIP, family: 4 as const, policies: [name] },
  });
  const policies = [
    policy('busy', lab.pod(1, 1).ip, EGRESS_IP),
    policy('quiet', lab.pod(1, 2).ip, QUIET_EGRESS_IP),
  ];
  return {
    node: node.name,
    clusterCIDRs: ['10.244.0.0/16', `${node.ip}/32`],
    hostedEgressIPs: policies.map(({ hosted }) => hosted),
    sourceSets: policies.map(({ sourceSet }) => sourceSet),
    rules: policies.map(({ rule }) => rule),
  };
}

describe('traffic counters of the eBPF backend on a real kernel (readTraffic)', function () {
  this.timeout(120_000);
  const signal = new AbortController().signal;
  let lab: Lab | undefined;
  let bpffs: Awaited<ReturnType<typeof mountBpffs>> | undefined;
  let proxier: EbpfProxier;
  let table: NodeEgressTable;

  /** Bytes the external server's INPUT counted from the egress IP (its own netfilter, not ours). */
  const bytesArrived = async () => {
    const external = lab?.external(EXTERNAL).namespace ?? '';
    const listed = await lab?.exec(external, 'iptables-nft', ['-L', 'INPUT', '-v', '-x', '-n']);
    const line = listed?.stdout.split('\n').find((row) => row.includes(EGRESS_IP)) ?? '';
    return Number(line.trim().split(/\s+/)[1]);
  };

  before(async () => {
    await assertLabPrerequisites(['bpftool', 'tc', 'mount', 'umount', 'iptables-nft']);
    if (!existsSync(CLASSIFY))
      throw new Error(`${CLASSIFY} is missing: run \`npm run build\` (needs clang and libbpf-dev)`);
    lab = await createLab({
      prefix: uniquePrefix('ebtraf'),
      nodes: 1,
      podsPerNode: 2,
      externals: [EXTERNAL],
    });
    bpffs = await mountBpffs('ebtraf');
    const external = lab.external(EXTERNAL).namespace;
    await lab.exec(external, 'iptables-nft', [
      '-A',
      'INPUT',
      '-s',
      EGRESS_IP,
      '-p',
      'tcp',
      '--dport',
      String(PORT),
    ]);
    const logger = pino({ level: 'silent' });
    proxier = new EbpfProxier(
      {
        nodeName: lab.node(1).name,
        exec: namespaceExec(lab, lab.node(1).namespace),
        logger,
        clock: systemClock,
        options: {},
      },
      // A short TCP idle timeout, and no idle sweep during the test: the reading itself must leave idle flows out.
      parseOptions({
        pinDir: `${bpffs.dir}/egress-proxier`,
        uplink: lab.node(1).uplink,
        announceCount: 0,
        natSweepSeconds: 3600,
        natTcpIdleSeconds: TCP_IDLE_SECONDS,
      }),
    );
    table = gatewayTable(lab);
    await proxier.sync(table, signal);
  });
  after(async () => {
    await lab?.destroy();
    await bpffs?.release();
  });

  it('reads every hosted egress IP as zero before any traffic, with the BPF NAT port range as capacity', async () => {
    expect(await proxier.readTraffic(signal)).to.deep.equal({
      traffic: [
        { egressIP: EGRESS_IP, connections: 0, bytes: 0 },
        { egressIP: QUIET_EGRESS_IP, connections: 0, bytes: 0 },
      ],
      portUse: [],
      portCapacity: 28_232,
    });
  });

  it('counts N connections, their bytes, and N ports towards the endpoint while they are open', async () => {
    const pod = lab?.pod(1, 1);
    if (lab === undefined || pod === undefined)
      throw new Error('the lab was not built (see the before hook)');
    const prober = lab.prober(pod);
    const sends = Array.from({ length: CONNECTIONS }, () =>
      prober.send(EXTERNAL, PORT, { bytes: BYTES_EACH, spreadMs: OPEN_MS, timeoutMs: OPEN_MS + 5000 }),
    );
    await sleep(1500); // all connected, all still trickling
    const open = await proxier.readTraffic(signal);
    expect(open.portUse).to.deep.equal([
      { egressIP: EGRESS_IP, protocol: 'tcp', remoteAddress: EXTERNAL, remotePort: PORT, ports: CONNECTIONS },
    ]);
    expect(open.traffic[0]).to.include({ egressIP: EGRESS_IP, connections: CONNECTIONS });

    const results = await Promise.all(sends);
    prober.stop();
    for (const result of results)
      expect(result, JSON.stringify(result)).to.include({ source: EGRESS_IP, bytes: BYTES_EACH });
    const closed = await proxier.readTraffic(signal);
    const [busy, quiet] = closed.traffic;
    expect(busy?.connections, 'one claim per connection').to.equal(CONNECTIONS);
    const arrived = await bytesArrived();
    expect(arrived, 'the external counted the IP packets').to.be.at.least(
      CONNECTIONS * (BYTES_EACH + 4 * MIN_HEADERS),
    );
    // Every packet that arrived left through our SNAT first; no more than a few retransmissions besides.
    expect(busy?.bytes).to.be.within(arrived, arrived * 1.05);
    expect(quiet).to.deep.equal({ egressIP: QUIET_EGRESS_IP, connections: 0, bytes: 0 });
  });

  it('leaves flows idle past their timeout out of port use, before any sweep removes their entries', async () => {
    await sleep(TCP_IDLE_SECONDS * 1000 + 1500);
    const reverse = decodeNatEntries(
      'rev4',
      await mapContent(`${bpffs?.dir}/egress-proxier/maps`, 'egp_nat4_rev'),
    );
    expect(
      reverse.filter(({ key }) => key.egress === EGRESS_IP),
      'the entries are still there',
    ).to.have.length(CONNECTIONS);
    expect((await proxier.readTraffic(signal)).portUse).to.deep.equal([]);
  });

  it("sums the per-CPU copies the programs wrote, laid out as the C struct's BTF says", async () => {
    const raw = await perCpuMapContent(`${bpffs?.dir}/egress-proxier/maps`, 'egp_traffic4');
    const layouts = await BtfLayouts.read();
    const sum = { connections: 0, bytes: 0 };
    expect(raw.size, 'one entry: the busy egress IP (the quiet one never translated a packet)').to.equal(1);
    for (const value of [...raw.values()].flat()) {
      const formatted = layouts.format('egp_traffic_value', Buffer.from(value, 'hex'));
      sum.connections += Number(formatted['connections']);
      sum.bytes += Number(formatted['bytes']);
    }
    expect(sum.connections).to.equal(CONNECTIONS);
    expect(decodeTrafficCounters('traffic4', raw)).to.deep.equal(new Map([[EGRESS_IP, sum]]));
  });

  it('forgets the counters and port use of an egress IP the node no longer hosts', async () => {
    const quietOnly = {
      ...table,
      hostedEgressIPs: table.hostedEgressIPs.filter(({ ip }) => ip === QUIET_EGRESS_IP),
      sourceSets: table.sourceSets.filter(({ policy }) => policy === 'quiet'),
      rules: table.rules.filter(({ policy }) => policy === 'quiet'),
    };
    await proxier.sync(quietOnly, signal);
    expect((await perCpuMapContent(`${bpffs?.dir}/egress-proxier/maps`, 'egp_traffic4')).size).to.equal(0);
    expect(await proxier.readTraffic(signal)).to.deep.include({
      traffic: [{ egressIP: QUIET_EGRESS_IP, connections: 0, bytes: 0 }],
      portUse: [],
    });
  });
});
