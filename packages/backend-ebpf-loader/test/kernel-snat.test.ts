// The gateway's SNAT in BPF on a real kernel (egp_classify's LOCAL and egp_uplink_in, egress_nat.h): real TCP,
// UDP and ICMP echo from pod namespaces through the gateway node to an outside peer that reports the address
// and port it sees, with a CNI-like MASQUERADE rule in the node that our SNAT must get ahead of. Needs root,
// bpftool, tc, nsenter, iptables-nft, python3 and `npm run build`'s objects; fails (never skips) saying what is
// missing.
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { assertLabPrerequisites, uniquePrefix } from '@egress-proxier/netlab';
import { decodeNatEntries } from '../src/nat/nat-layout.js';
import { clusterKey, clusterValue, policyKey, policyValue } from './support/map-bytes.js';
import { createSnatLab, EGRESS_IP, NODE_UPLINK_IP, PODS, REMOTE, type SnatLab } from './support/snat-lab.js';

const CLASSIFY = fileURLToPath(new URL('../bpf/egress_classify.o', import.meta.url));

/** "<address> <port> <message>" as the peer reports it. */
function seen(answer: string): { address: string; port: number; message: string } {
  const [address = '', port = '', ...message] = answer.split(' ');
  return { address, port: Number(port), message: message.join(' ') };
}

describe('SNAT in BPF on a real kernel (gateway node: pod veths and uplink at tc ingress)', function () {
  this.timeout(120_000);
  let t: SnatLab;

  const reverseEntries = async () => decodeNatEntries('rev4', await t.mapDumpRaw('egp_nat4_rev'));

  before(async () => {
    await assertLabPrerequisites(['bpftool', 'tc', 'nsenter', 'mount', 'umount', 'iptables-nft']);
    if (!existsSync('/usr/bin/python3'))
      throw new Error('/usr/bin/python3 is missing (the ICMP echo client)');
    if (!existsSync(CLASSIFY))
      throw new Error(`${CLASSIFY} is missing: run \`npm run build\` (needs clang and libbpf-dev)`);
    t = await createSnatLab(uniquePrefix('egps'), CLASSIFY);
    await t.mapUpdate('egp_cluster4', clusterKey('10.244.0.0/16'), clusterValue());
    for (const pod of PODS.slice(0, 2)) {
      const local = policyValue({ action: 'local', egressIP: EGRESS_IP, ifindex: t.uplinkIfindex });
      await t.mapUpdate('egp_policy4', policyKey(pod, '0.0.0.0/0'), local);
    }
  });
  after(async () => {
    await t?.destroy();
  });

  it('leaves a pod without a LOCAL entry to the CNI-like masquerade', async () => {
    const answer = seen(await t.send('tcp', 2));
    expect(answer.address).to.equal(NODE_UPLINK_IP);
    expect(answer.message).to.equal('hello');
  });

  it('TCP from a LOCAL pod leaves from the egress IP, ahead of the masquerade, and works both ways', async () => {
    const answer = seen(await t.send('tcp', 0, 0, 'from-pod-1'));
    expect(answer.address).to.equal(EGRESS_IP);
    expect(answer.message, 'the peer got our bytes and we got its answer').to.equal('from-pod-1');
    // Translated back at the uplink by the reverse entry (egress IP, port the peer saw) → pod 1.
    const entry = (await reverseEntries()).find(
      ({ key }) => key.egress === EGRESS_IP && key.port === answer.port && key.protocol === 'tcp',
    );
    expect(entry?.value.pod).to.equal(PODS[0]);
    // The forward entry names the egress IP it was translated to (what the sweep pairs the two by).
    const forward = decodeNatEntries('fwd4', await t.mapDumpRaw('egp_nat4_fwd')).find(
      ({ key }) => key.pod === PODS[0] && key.protocol === 'tcp',
    );
    expect(forward?.value).to.include({ egress: EGRESS_IP, port: answer.port });
  });

  it('gives two pods on the same source port to the same remote distinct translated ports', async () => {
    const first = seen(await t.send('tcp', 0, 40000, 'pod-1'));
    const second = seen(await t.send('tcp', 1, 40000, 'pod-2'));
    expect([first.address, second.address]).to.deep.equal([EGRESS_IP, EGRESS_IP]);
    expect([first.message, second.message]).to.deep.equal(['pod-1', 'pod-2']);
    expect(first.port, 'the first keeps its own port').to.equal(40000);
    expect(second.port, 'the second gets another').to.not.equal(40000);
    expect(second.port).to.be.within(32768, 60999);
    // Both claims stay: each pod again gets the port it had.
    expect(seen(await t.send('tcp', 1, 40000, 'again')).port).to.equal(second.port);
  });

  it('translates UDP request and response', async () => {
    const first = seen(await t.send('udp', 0, 41000, 'udp-1'));
    const second = seen(await t.send('udp', 1, 41000, 'udp-2'));
    expect([first.address, second.address]).to.deep.equal([EGRESS_IP, EGRESS_IP]);
    expect([first.message, second.message]).to.deep.equal(['udp-1', 'udp-2']);
    expect(first.port).to.equal(41000);
    expect(second.port).to.not.equal(41000);
  });

  it('translates ICMP echo: the request leaves from the egress IP and the reply reaches the pod', async () => {
    expect(await t.ping(0, 4242)).to.equal(REMOTE);
    expect(await t.ping(1, 4242), 'the same identifier from the other pod').to.equal(REMOTE);
    const echo = (await reverseEntries()).filter(({ key }) => key.protocol === 'icmp');
    expect(echo.map(({ key }) => key.egress)).to.deep.equal([EGRESS_IP, EGRESS_IP]);
    expect(new Set(echo.map(({ key }) => key.port)).size, 'distinct translated identifiers').to.equal(2);
    expect(echo.map(({ value }) => value.pod).sort()).to.deep.equal([PODS[0], PODS[1]]);
  });
});
