// The gateway's SNAT of pods of other nodes on a real kernel: a pod on a source node whose egp_classify
// STEERs it (bpf_redirect_neigh) to the gateway node's underlay address, where egp_uplink_in finds the pod's
// LOCAL entry, SNATs to the egress IP and sends it out of the uplink; the reply is translated back at the
// gateway's uplink and routed to the pod's node. Real TCP and UDP from the pod to an outside peer that
// reports the address and port it sees, with a CNI-like MASQUERADE rule on both nodes that must not apply.
// Needs root, bpftool, tc, nsenter, iptables-nft and `npm run build`'s objects; fails (never skips) saying
// what is missing.
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { assertLabPrerequisites, uniquePrefix } from '@egress-proxier/netlab';
import { clusterKey, clusterValue, policyKey, policyValue } from './support/map-bytes.js';
import {
  createSteeredLab,
  EGRESS_IP,
  GATEWAY_NODE_IP,
  POD,
  SOURCE_NODE_IP,
  type SteeredLab,
} from './support/steered-lab.js';

const CLASSIFY = fileURLToPath(new URL('../bpf/egress_classify.o', import.meta.url));
const DESTINATIONS = '203.0.113.0/24';

/** "<address> <port> <message>" as the peer reports it. */
function seen(answer: string): { address: string; port: number; message: string } {
  const [address = '', port = '', ...message] = answer.split(' ');
  return { address, port: Number(port), message: message.join(' ') };
}

const dotted = (bytes: string[]) => bytes.map((byte) => parseInt(byte, 16)).join('.');

describe('SNAT in BPF on a real kernel (a pod of another node steered to the gateway node)', function () {
  this.timeout(120_000);
  let t: SteeredLab;

  before(async () => {
    await assertLabPrerequisites(['bpftool', 'tc', 'nsenter', 'mount', 'umount', 'iptables-nft']);
    if (!existsSync(CLASSIFY))
      throw new Error(`${CLASSIFY} is missing: run \`npm run build\` (needs clang and libbpf-dev)`);
    t = await createSteeredLab(uniquePrefix('egpt'), CLASSIFY);
    for (const node of ['source', 'gateway'] as const)
      await t.mapUpdate(node, 'egp_cluster4', clusterKey('10.244.0.0/16'), clusterValue());
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
    const port = (bytes: string[]) => parseInt(`${bytes[0]}${bytes[1]}`.replace(/0x/g, ''), 16);
    const entry = (await t.mapDump('gateway', 'egp_nat4_rev')).find(
      ({ key }) => dotted(key.slice(0, 4)) === EGRESS_IP && port(key.slice(8, 10)) === answer.port,
    );
    expect(entry && dotted(entry.value.slice(0, 4))).to.equal(POD);
    expect(await t.mapDump('source', 'egp_nat4_rev')).to.deep.equal([]);
  });

  it('translates steered UDP request and response', async () => {
    const answer = seen(await t.send('udp', 43000, 'steered-udp'));
    expect(answer.address).to.equal(EGRESS_IP);
    expect(answer.message).to.equal('steered-udp');
    expect(answer.port).to.equal(43000);
  });
});
