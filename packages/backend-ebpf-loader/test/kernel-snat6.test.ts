// The gateway's IPv6 SNAT in BPF on a real kernel (egp_classify's LOCAL and egp_uplink_in, egress_nat6.h): real
// TCP, UDP and ICMPv6 echo from pod namespaces through the gateway node to an outside peer that reports the
// address and port it sees, with a CNI-like ip6tables MASQUERADE rule in the node that our SNAT must get ahead
// of. Needs root, bpftool, tc, nsenter, ip6tables-nft, python3 and `npm run build`'s objects; fails (never
// skips) saying what is missing.
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { assertLabPrerequisites, uniquePrefix } from '@egress-proxier/netlab';
import { decodeNatEntries } from '../src/nat/nat-layout.js';
import { clusterKey, clusterValue, policyKey, policyValue } from './support/map-bytes.js';
import {
  createSnatLab,
  EGRESS_IP6,
  NODE_UPLINK_IP6,
  PODS6,
  REMOTE6,
  type SnatLab,
} from './support/snat-lab.js';

const CLASSIFY = fileURLToPath(new URL('../bpf/egress_classify.o', import.meta.url));

/** "<address> <port> <message>" as the peer reports it. */
function seen(answer: string): { address: string; port: number; message: string } {
  const [address = '', port = '', ...message] = answer.split(' ');
  return { address, port: Number(port), message: message.join(' ') };
}

describe('IPv6 SNAT in BPF on a real kernel (gateway node: pod veths and uplink at tc ingress)', function () {
  this.timeout(120_000);
  let t: SnatLab;

  const reverseEntries = async () => decodeNatEntries('rev6', await t.mapDumpRaw('egp_nat6_rev'));

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
    if (!existsSync('/usr/bin/python3'))
      throw new Error('/usr/bin/python3 is missing (the ICMP echo client)');
    if (!existsSync(CLASSIFY))
      throw new Error(`${CLASSIFY} is missing: run \`npm run build\` (needs clang and libbpf-dev)`);
    t = await createSnatLab(uniquePrefix('egp6'), CLASSIFY);
    await t.mapUpdate('egp_cluster4', clusterKey('10.244.0.0/16'), clusterValue());
    await t.mapUpdate('egp_cluster6', clusterKey('fd00:10:244::/48'), clusterValue());
    for (const pod of PODS6.slice(0, 2)) {
      const local = policyValue({ action: 'local', egressIP: EGRESS_IP6, ifindex: t.uplinkIfindex });
      await t.mapUpdate('egp_policy6', policyKey(pod, '::/0'), local);
    }
  });
  after(async () => {
    await t?.destroy();
  });

  it('leaves a pod without a LOCAL entry to the CNI-like ip6tables masquerade', async () => {
    const answer = seen(await t.send('tcp', 2, 0, 'hello', REMOTE6));
    expect(answer.address).to.equal(NODE_UPLINK_IP6);
    expect(answer.message).to.equal('hello');
  });

  it('TCP from a LOCAL pod leaves from the IPv6 egress IP, ahead of the masquerade, and works both ways', async () => {
    const answer = seen(await t.send('tcp', 0, 0, 'from-pod-1', REMOTE6));
    expect(answer.address).to.equal(EGRESS_IP6);
    expect(answer.message, 'the peer got our bytes and we got its answer').to.equal('from-pod-1');
    const entry = (await reverseEntries()).find(
      ({ key }) => key.egress === EGRESS_IP6 && key.port === answer.port && key.protocol === 'tcp',
    );
    expect(entry?.value.pod).to.equal(PODS6[0]);
    expect(entry?.key.remote).to.equal(REMOTE6);
  });

  it('gives two pods on the same source port to the same remote distinct translated ports (TCP and UDP)', async () => {
    for (const protocol of ['tcp', 'udp'] as const) {
      const first = seen(await t.send(protocol, 0, 40000, 'pod-1', REMOTE6));
      const second = seen(await t.send(protocol, 1, 40000, 'pod-2', REMOTE6));
      expect([first.address, second.address]).to.deep.equal([EGRESS_IP6, EGRESS_IP6]);
      expect([first.message, second.message]).to.deep.equal(['pod-1', 'pod-2']);
      expect(first.port, `${protocol}: the first keeps its own port`).to.equal(40000);
      expect(second.port, `${protocol}: the second gets another`).to.not.equal(40000);
      expect(second.port).to.be.within(32768, 60999);
      expect(seen(await t.send(protocol, 1, 40000, 'again', REMOTE6)).port, 'the claim stays').to.equal(
        second.port,
      );
    }
  });

  it('translates UDP request and response (a datagram the pod would drop with a bad checksum)', async () => {
    const answer = seen(await t.send('udp', 0, 41000, 'udp-1', REMOTE6));
    expect(answer.address).to.equal(EGRESS_IP6);
    expect(answer.message).to.equal('udp-1');
    expect(answer.port).to.equal(41000);
  });

  it('translates ICMPv6 echo, whose checksum covers the pseudo-header: request and reply, two pods on one identifier', async () => {
    expect(await t.ping(0, 4242, REMOTE6)).to.equal(REMOTE6);
    expect(await t.ping(1, 4242, REMOTE6), 'the same identifier from the other pod').to.equal(REMOTE6);
    const echo = (await reverseEntries()).filter(({ key }) => key.protocol === 'icmp');
    expect(echo.map(({ key }) => key.egress)).to.deep.equal([EGRESS_IP6, EGRESS_IP6]);
    expect(new Set(echo.map(({ key }) => key.port)).size, 'distinct translated identifiers').to.equal(2);
    expect(echo.map(({ value }) => value.pod).sort()).to.deep.equal([PODS6[0], PODS6[1]]);
  });
});
