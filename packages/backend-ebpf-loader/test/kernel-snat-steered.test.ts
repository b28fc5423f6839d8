// The gateway's SNAT of pods of other nodes on a real kernel: a pod on a source node whose egp_classify
// STEERs it (bpf_redirect_neigh) to the gateway node's underlay address, where egp_uplink_in finds the pod's
// LOCAL entry, SNATs to the egress IP and sends it out of the uplink; the reply is translated back at the
// gateway's uplink and routed to the pod's node. Real TCP and UDP from the pod to an outside peer that
// reports the address and port it sees, with CNI-like MASQUERADE rules on both nodes that must not apply;
// IPv4 and IPv6. Needs root, bpftool, tc, nsenter, iptables-nft, ip6tables-nft and `npm run build`'s
// objects; fails (never skips) saying what is missing.
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { assertLabPrerequisites, uniquePrefix } from '@egress-proxier/netlab';
import { decodeNatEntries } from '../src/nat/nat-layout.js';
import { clusterKey, clusterValue, policyKey, policyValue } from './support/map-bytes.js';
import {
  createSteeredLab,
  EGRESS_IP,
  EGRESS_IP6,
  GATEWAY_NODE_IP,
  GATEWAY_NODE_IP6,
  POD,
  POD6,
  REMOTE6,
  SOURCE_NODE_IP,
  SOURCE_NODE_IP6,
  type SteeredLab,
} from './support/steered-lab.js';

const CLASSIFY = fileURLToPath(new URL('../bpf/egress_classify.o', import.meta.url));
const DESTINATIONS = '203.0.113.0/24';
const DESTINATIONS6 = '2001:db8:113::/64';

/** "<address> <port> <message>" as the peer reports it. */
function seen(answer: string): { address: string; port: number; message: string } {
  const [address = '', port = '', ...message] = answer.split(' ');
  return { address, port: Number(port), message: message.join(' ') };
}

describe('SNAT in BPF on a real kernel (a pod of another node steered to the gateway node)', function () {
  this.timeout(120_000);
  let t: SteeredLab;

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
    if (!existsSync(CLASSIFY))
      throw new Error(`${CLASSIFY} is missing: run \`npm run build\` (needs clang and libbpf-dev)`);
    t = await createSteeredLab(uniquePrefix('egpt'), CLASSIFY);
    for (const node of ['source', 'gateway'] as const) {
      await t.mapUpdate(node, 'egp_cluster4', clusterKey('10.244.0.0/16'), clusterValue());
      await t.mapUpdate(node, 'egp_cluster6', clusterKey('fd00:10:244::/48'), clusterValue());
    }
  });
  after(async () => {
    await t?.destroy();
  });

  it('without entries, the pod leaves from its own node by the CNI-like masquerade', async () => {
    const answer = seen(await t.send('tcp', 0, 'baseline'));
    expect(answer.address).to.equal(SOURCE_NODE_IP);
    expect(answer.message).to.equal('baseline');
  });

  it('TCP steered to the gateway leaves from the egress IP and its reply reaches the pod', async () => {
    await t.mapUpdate(
      'source',
      'egp_policy4',
      policyKey(POD, DESTINATIONS),
      policyValue({ action: 'steer', ifindex: t.uplinkIfindex.source, nexthop: GATEWAY_NODE_IP }),
    );
    await t.mapUpdate(
      'gateway',
      'egp_policy4',
      policyKey(POD, DESTINATIONS),
      policyValue({ action: 'local', egressIP: EGRESS_IP, ifindex: t.uplinkIfindex.gateway }),
    );
    const answer = seen(await t.send('tcp', 42000, 'steered'));
    expect(answer.address, 'the SNAT in BPF, not either masquerade').to.equal(EGRESS_IP);
    expect(answer.message, 'the peer got our bytes and the pod got its answer').to.equal('steered');
    expect(answer.port).to.equal(42000);
    // The translation is the gateway's: its reverse entry (egress IP, port) → the pod; the source node has none.
    const entry = decodeNatEntries('rev4', await t.mapDumpRaw('gateway', 'egp_nat4_rev')).find(
      ({ key }) => key.egress === EGRESS_IP && key.port === answer.port,
    );
    expect(entry?.value.pod).to.equal(POD);
    expect(await t.mapDump('source', 'egp_nat4_rev')).to.deep.equal([]);
  });

  it('translates steered UDP request and response', async () => {
    const answer = seen(await t.send('udp', 43000, 'steered-udp'));
    expect(answer.address).to.equal(EGRESS_IP);
    expect(answer.message).to.equal('steered-udp');
    expect(answer.port).to.equal(43000);
  });

  it('the steered-in guard: traffic steered to a node with no LOCAL entry for it is dropped, never masqueraded there', async () => {
    // The gateway has withdrawn the egress IP (its entry is gone) while the source node still steers.
    await t.mapDelete('gateway', 'egp_policy4', policyKey(POD, DESTINATIONS));
    for (const protocol of ['tcp', 'udp'] as const) {
      const outcome = await t.send(protocol, 0, 'unsnated').then(
        (answer) => `answered from ${seen(answer).address}`,
        () => 'dropped',
      );
      expect(outcome, `${protocol}: not with the gateway's own address`).to.equal('dropped');
    }
    await t.mapUpdate(
      'gateway',
      'egp_policy4',
      policyKey(POD, DESTINATIONS),
      policyValue({ action: 'local', egressIP: EGRESS_IP, ifindex: t.uplinkIfindex.gateway }),
    );
    expect(seen(await t.send('tcp', 0, 'back')).address).to.equal(EGRESS_IP);
  });

  it('without IPv6 entries, the pod leaves from its own node by the ip6tables masquerade', async () => {
    const answer = seen(await t.send('tcp', 0, 'baseline6', REMOTE6));
    expect(answer.address).to.equal(SOURCE_NODE_IP6);
    expect(answer.message).to.equal('baseline6');
  });

  it('IPv6 TCP and UDP steered to the gateway leave from the IPv6 egress IP and their replies reach the pod', async () => {
    await t.mapUpdate(
      'source',
      'egp_policy6',
      policyKey(POD6, DESTINATIONS6),
      policyValue({ action: 'steer', ifindex: t.uplinkIfindex.source, nexthop: GATEWAY_NODE_IP6 }),
    );
    await t.mapUpdate(
      'gateway',
      'egp_policy6',
      policyKey(POD6, DESTINATIONS6),
      policyValue({ action: 'local', egressIP: EGRESS_IP6, ifindex: t.uplinkIfindex.gateway }),
    );
    const tcp = seen(await t.send('tcp', 44000, 'steered6', REMOTE6));
    expect(tcp.address, 'the SNAT in BPF, not either masquerade').to.equal(EGRESS_IP6);
    expect(tcp.message).to.equal('steered6');
    expect(tcp.port).to.equal(44000);
    const udp = seen(await t.send('udp', 45000, 'steered6-udp', REMOTE6));
    expect(udp.address).to.equal(EGRESS_IP6);
    expect(udp.message).to.equal('steered6-udp');
    const entries = decodeNatEntries('rev6', await t.mapDumpRaw('gateway', 'egp_nat6_rev'));
    expect(
      entries.map(({ key, value }) => [key.egress, key.port, key.protocol, value.pod]).sort(),
    ).to.deep.equal([
      [EGRESS_IP6, 44000, 'tcp', POD6],
      [EGRESS_IP6, 45000, 'udp', POD6],
    ]);
    expect(await t.mapDump('source', 'egp_nat6_rev')).to.deep.equal([]);
  });

  it('the steered-in guard holds for IPv6 too', async () => {
    await t.mapDelete('gateway', 'egp_policy6', policyKey(POD6, DESTINATIONS6));
    const outcome = await t.send('tcp', 0, 'unsnated6', REMOTE6).then(
      (answer) => `answered from ${seen(answer).address}`,
      () => 'dropped',
    );
    expect(outcome, "not with the gateway's own address").to.equal('dropped');
  });
});
