// The agent's NAT sweep on a real kernel (src/nat: sweepNat over the maps egress_nat*.h writes): entries of flows
// idle past their timeout go (tiny timeouts here) while an active flow's stay, whichever direction keeps it
// busy; entries of an egress IP the node no longer hosts go at once, both directions; the decoders read the
// programs' own bytes (checked against the object's BTF). Needs root, bpftool, tc, nsenter, iptables-nft,
// ip6tables-nft, python3 and `npm run build`'s objects; fails (never skips) saying what is missing.
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { endianness } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { assertLabPrerequisites, uniquePrefix, type LabProcess } from '@egress-proxier/netlab';
import { CommandRunner } from '@egress-proxier/node-datapath';
import { ExecaExec } from '@egress-proxier/core';
import ipaddr from 'ipaddr.js';
import pino from 'pino';
import { decodeNatEntries, NAT_MAP_IDS, NAT_MAPS, type NatMapId } from '../src/nat/nat-layout.js';
import { sweepNat } from '../src/nat/nat-sweep.js';
import { BtfLayouts, type Formatted } from './support/btf-layout.js';
import { clusterKey, clusterValue, policyKey, policyValue } from './support/map-bytes.js';
import {
  createSnatLab,
  EGRESS_IP,
  EGRESS_IP6,
  PODS,
  PODS6,
  REMOTE,
  REMOTE6,
  REMOTE_PORT,
  type NatMap,
  type SnatLab,
} from './support/snat-lab.js';

const CLASSIFY = fileURLToPath(new URL('../bpf/egress_classify.o', import.meta.url));
/** Pod 2's egress IP, the one that will "leave the node". */
const EGRESS_IP_B = '192.0.2.101';
const TIMEOUTS = { tcp: 3, udp: 3, icmp: 3 };

/** "<address> <port> <message>" as the peer reports it. */
const portSeen = (answer: string) => Number(answer.split(' ')[1]);

describe('NAT sweep on a real kernel (idle and stale entries)', function () {
  this.timeout(120_000);
  let t: SnatLab;
  const runner = new CommandRunner(new ExecaExec(pino({ level: 'silent' })), new AbortController().signal);
  const busy: LabProcess[] = [];

  const content = (map: NatMapId) => t.mapDumpRaw(NAT_MAPS[map].name as NatMap);
  /** "<pod> <pod port> <protocol>" of each forward entry, and the same of each reverse entry's pod side. */
  const flows = async () => ({
    forward: [
      ...decodeNatEntries('fwd4', await content('fwd4')),
      ...decodeNatEntries('fwd6', await content('fwd6')),
    ]
      .map(({ key }) => `${key.pod} ${key.podPort} ${key.protocol}`)
      .sort(),
    reverse: [
      ...decodeNatEntries('rev4', await content('rev4')),
      ...decodeNatEntries('rev6', await content('rev6')),
    ]
      .map(({ key, value }) => `${value.pod} ${value.podPort} ${key.protocol}`)
      .sort(),
  });
  /** A UDP datagram every 200 ms from `sport` of pod `index` to `to`, until killed. */
  const keepBusy = (index: number, to: string, sport: number) => {
    const script = [
      'import socket, sys, time',
      'host, port, sport = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])',
      's = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)',
      's.bind(("", sport))',
      'while True:',
      '    s.sendto(b"tick\\n", (host, port)); time.sleep(0.2)',
    ].join('\n');
    const args = ['-c', script, to, String(REMOTE_PORT), String(sport)];
    busy.push(t.lab.spawn(t.pods[index] ?? '', '/usr/bin/python3', args));
  };

  before(async () => {
    await assertLabPrerequisites([
      'bpftool',
      'tc',
      'nsenter',
      'mount',
      'umount',
      'iptables-nft',
      'ip6tables-nft',
    ]);
    if (!existsSync('/usr/bin/python3')) throw new Error('/usr/bin/python3 is missing (the ICMP probe)');
    if (!existsSync(CLASSIFY))
      throw new Error(`${CLASSIFY} is missing: run \`npm run build\` (needs clang and libbpf-dev)`);
    t = await createSnatLab(uniquePrefix('egpw'), CLASSIFY);
    await t.mapUpdate('egp_cluster4', clusterKey('10.244.0.0/16'), clusterValue());
    await t.mapUpdate('egp_cluster6', clusterKey('fd00:10:244::/48'), clusterValue());
    const local = (egressIP: string) => policyValue({ action: 'local', egressIP, ifindex: t.uplinkIfindex });
    await t.mapUpdate('egp_policy4', policyKey(PODS[0], '0.0.0.0/0'), local(EGRESS_IP));
    await t.mapUpdate('egp_policy6', policyKey(PODS6[0], '::/0'), local(EGRESS_IP6));
    await t.mapUpdate('egp_policy4', policyKey(PODS[1], '0.0.0.0/0'), local(EGRESS_IP_B));
  });
  after(async () => {
    for (const child of busy) child.kill('SIGKILL');
    await t?.destroy();
  });

  it("decodes the programs' entries as the C structs' BTF lays them out", async () => {
    await t.send('udp', 0, 46100, 'btf');
    await t.send('udp', 0, 46100, 'btf6', REMOTE6);
    const layouts = await BtfLayouts.read();
    for (const id of NAT_MAP_IDS) {
      const raw = [...(await content(id))];
      expect(raw, id).to.have.length(1);
      const [[key = '', value = ''] = []] = raw;
      const struct = NAT_MAPS[id].name; // egress_maps.h: struct <map name>_key and <map name>_value
      const formatted = {
        key: layouts.format(`${struct}_key`, Buffer.from(key, 'hex')),
        value: layouts.format(`${struct}_value`, Buffer.from(value, 'hex')),
      };
      const [entry] = decodeNatEntries(id, await content(id));
      expect({ key: entry?.key, value: entry?.value }, id).to.deep.equal(fromBtf(id, formatted));
    }
  });

  it('removes idle entries after their timeout, and keeps an active flow busy either way', async () => {
    await t.send('udp', 0, 46000, 'idle-udp');
    await t.send('udp', 0, 46000, 'idle-udp6', REMOTE6);
    await t.send('tcp', 0, 46002, 'idle-tcp');
    await t.ping(0, 7000);
    await t.ping(0, 7000, REMOTE6);
    keepBusy(0, REMOTE, 46001);
    keepBusy(0, REMOTE6, 46003);
    await sleep(TIMEOUTS.udp * 1000 + 1500);
    const report = await sweepNat(runner, t.maps, {
      hostedEgressIPs: [EGRESS_IP, EGRESS_IP6, EGRESS_IP_B],
      nowNs: process.hrtime.bigint(),
      timeouts: TIMEOUTS,
    });
    // Idle: the BTF test's two flows, UDP, UDP over IPv6, TCP, and both echoes: 7 flows of 2 entries.
    expect(report).to.deep.include({ seen: 18, expired: 14, stale: 0, vanished: 0, batchExecs: 1 });
    const active = [`${PODS[0]} 46001 udp`, `${PODS6[0]} 46003 udp`].sort();
    expect(await flows()).to.deep.equal({ forward: active, reverse: active });
    // An expired flow claims its port again at its next packet.
    expect(portSeen(await t.send('udp', 0, 46000, 'back'))).to.equal(46000);
  });

  it('removes the entries of an egress IP the node no longer hosts at once, both directions, busy or not', async () => {
    await t.send('tcp', 1, 47000, 'leaving');
    keepBusy(1, REMOTE, 47001);
    await sleep(500);
    expect((await flows()).forward.filter((flow) => flow.startsWith(`${PODS[1]} `))).to.have.length(2);
    const report = await sweepNat(runner, t.maps, {
      hostedEgressIPs: [EGRESS_IP, EGRESS_IP6],
      nowNs: process.hrtime.bigint(),
    });
    expect(report).to.deep.include({ expired: 0, stale: 4, vanished: 0, batchExecs: 1 });
    const after = await flows();
    expect(
      [...after.forward, ...after.reverse].filter((flow) => flow.startsWith(`${PODS[1]} `)),
    ).to.deep.equal([]);
    expect(after.forward, "the other egress IPs' flows stay").to.include(`${PODS[0]} 46001 udp`);
  });
});

/** The BTF view of an entry (host-order numbers, arrays of bytes) in the decoders' terms. */
function fromBtf(id: NatMapId, formatted: { key: Formatted; value: Formatted } | undefined) {
  if (formatted === undefined) throw new Error(`${id}: no BTF-formatted entry`);
  const little = endianness() === 'LE';
  const address = (field: number | number[] | undefined): string => {
    if (Array.isArray(field)) return ipaddr.fromByteArray(field).toString();
    const bytes = Buffer.alloc(4);
    if (little) bytes.writeUInt32LE(field ?? 0);
    else bytes.writeUInt32BE(field ?? 0);
    return ipaddr.fromByteArray([...bytes]).toString();
  };
  /** A __u16 holding network-order bytes, read as a host-order number. */
  const port = (field: number | number[] | undefined): number => {
    const bytes = Buffer.alloc(2);
    if (little) bytes.writeUInt16LE(Number(field));
    else bytes.writeUInt16BE(Number(field));
    return bytes.readUInt16BE(0);
  };
  const { key, value } = formatted;
  const protocolNumber = Number(key['proto']);
  const rest = {
    remote: address(key['remote']),
    remotePort: port(key['remote_port']),
    protocol: ({ 6: 'tcp', 17: 'udp', 1: 'icmp', 58: 'icmp' } as const)[protocolNumber] ?? 'other',
    protocolNumber,
  };
  const lastSeenNs = BigInt(Number(value['last_seen']));
  if (NAT_MAPS[id].direction === 'forward')
    return {
      key: { pod: address(key['pod']), podPort: port(key['pod_port']), ...rest },
      value: { lastSeenNs, port: port(value['port']), egress: address(value['egress']) },
    };
  return {
    key: { egress: address(key['egress']), port: port(key['port']), ...rest },
    value: { lastSeenNs, pod: address(value['pod']), podPort: port(value['pod_port']) },
  };
}
