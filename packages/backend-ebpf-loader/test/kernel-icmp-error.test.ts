// ICMP errors about translated flows on a real kernel (egress_icmp_error.h): the router one hop past the gateway
// (`out` in the SNAT lab) and the remote send their errors to the egress IP, about the packet as it left the
// gateway; egp_uplink_in must hand them to the pod with the embedded header translated back, so that the pod's
// kernel finds the socket (time exceeded, port unreachable, fragmentation needed / packet too big) and
// `ping -t`-like probes see the router. IPv4 and IPv6, every checksum verified by the probe. Needs root, bpftool,
// tc, nsenter, iptables-nft, ip6tables-nft, python3 and `npm run build`'s objects; fails (never skips) saying
// what is missing.
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { assertLabPrerequisites, uniquePrefix } from '@egress-proxier/netlab';
import { decodeNatEntries } from '../src/nat/nat-layout.js';
import { clusterKey, clusterValue, policyKey, policyValue } from './support/map-bytes.js';
import {
  createSnatLab,
  EGRESS_IP,
  EGRESS_IP6,
  FAR,
  FAR6,
  FAR_LINK_MTU,
  PODS,
  PODS6,
  REMOTE,
  REMOTE6,
  ROUTER,
  ROUTER6,
  type SnatLab,
} from './support/snat-lab.js';

const CLASSIFY = fileURLToPath(new URL('../bpf/egress_classify.o', import.meta.url));
const CLOSED_PORT = 9;
const EHOSTUNREACH = 113;
const ECONNREFUSED = 111;
const EMSGSIZE = 90;

const FAMILIES = [
  {
    family: 4,
    pods: PODS,
    egress: EGRESS_IP,
    router: ROUTER,
    far: FAR,
    remote: REMOTE,
    gatewayOnPodSide: '10.244.1.1',
    forward: 'egp_nat4_fwd',
    origin: 2, // SO_EE_ORIGIN_ICMP
    timeExceeded: { type: 11, code: 0 },
    portUnreachable: { type: 3, code: 3 },
    tooBig: { type: 3, code: 4 },
    checksums: { icmp: true, innerIp: true, innerL4: true },
  },
  {
    family: 6,
    pods: PODS6,
    egress: EGRESS_IP6,
    router: ROUTER6,
    far: FAR6,
    remote: REMOTE6,
    gatewayOnPodSide: 'fd00:10:244:1::1',
    forward: 'egp_nat6_fwd',
    origin: 3, // SO_EE_ORIGIN_ICMP6
    timeExceeded: { type: 3, code: 0 },
    portUnreachable: { type: 1, code: 4 },
    tooBig: { type: 2, code: 0 },
    checksums: { icmp: true, innerL4: true },
  },
] as const;

describe('ICMP errors about translated flows on a real kernel (router and remote → egress IP → pod)', function () {
  this.timeout(120_000);
  let t: SnatLab;

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
    t = await createSnatLab(uniquePrefix('egpi'), CLASSIFY);
    await t.mapUpdate('egp_cluster4', clusterKey('10.244.0.0/16'), clusterValue());
    await t.mapUpdate('egp_cluster6', clusterKey('fd00:10:244::/48'), clusterValue());
    for (const [map, pods, egressIP, everything] of [
      ['egp_policy4', PODS, EGRESS_IP, '0.0.0.0/0'],
      ['egp_policy6', PODS6, EGRESS_IP6, '::/0'],
    ] as const) {
      const local = policyValue({ action: 'local', egressIP, ifindex: t.uplinkIfindex });
      for (const pod of pods.slice(0, 2)) await t.mapUpdate(map, policyKey(pod, everything), local);
    }
  });
  after(async () => {
    await t?.destroy();
  });

  for (const f of FAMILIES) {
    /** The translated port (identifier) of pod `index`'s flow to `remote`. */
    const translated = async (index: number, protocol: 'udp' | 'icmp', remote: string) => {
      const entries = decodeNatEntries(f.family === 4 ? 'fwd4' : 'fwd6', await t.mapDumpRaw(f.forward));
      return entries.filter(
        ({ key }) => key.pod === f.pods[index] && key.protocol === protocol && key.remote === remote,
      );
    };

    describe(`IPv${f.family}`, () => {
      it('an echo request with one hop left past the gateway gets the router’s time exceeded, translated back to the pod', async () => {
        // Pod 1 takes identifier 5151 towards FAR, so pod 2's leaves with another one.
        expect((await t.echo(0, 5151, f.far)).kind, 'FAR answers').to.equal('reply');
        const error = await t.echo(1, 5151, f.far, 2);
        const [flow] = await translated(1, 'icmp', f.far);
        expect(flow?.value.port, 'pod 2 left with another identifier').to.be.a('number').and.not.equal(5151);
        expect(error).to.deep.include({ kind: 'error', from: f.router, ...f.timeExceeded });
        expect(error).to.deep.include({ innerSource: f.pods[1], innerDestination: f.far, innerPort: 5151 });
        expect(error.checksums, 'outer ICMP, inner header and inner echo checksums').to.deep.equal(
          f.checksums,
        );
      });

      it('a UDP datagram with one hop left: the embedded UDP header and its checksum are translated too', async () => {
        const refused = await t.udpError(0, f.far, CLOSED_PORT, 47000);
        expect(refused, "FAR's port unreachable reaches pod 1").to.deep.include({
          from: f.far,
          innerSource: f.pods[0],
          innerPort: 47000,
          ...f.portUnreachable,
        });
        expect(refused.checksums).to.deep.equal(f.checksums);
        const error = await t.udpError(1, f.far, CLOSED_PORT, 47000, 2);
        const [flow] = await translated(1, 'udp', f.far);
        expect(flow?.value.port, 'pod 2 left from another port').to.be.a('number').and.not.equal(47000);
        expect(error).to.deep.include({
          from: f.router,
          innerSource: f.pods[1],
          innerPort: 47000,
          ...f.timeExceeded,
        });
        expect(error.checksums, 'outer ICMP, inner header and inner UDP checksums').to.deep.equal(
          f.checksums,
        );
      });

      it("the pod's UDP socket gets the router's time exceeded (its kernel matched the embedded header to it)", async () => {
        const error = await t.udpSocketError(0, f.far, CLOSED_PORT, 2);
        expect(error).to.deep.include({
          errno: EHOSTUNREACH,
          origin: f.origin,
          offender: f.router,
          ...f.timeExceeded,
        });
      });

      it("the pod's UDP socket gets a remote's port unreachable: ECONNREFUSED", async () => {
        const error = await t.udpSocketError(0, f.remote, CLOSED_PORT);
        expect(error).to.deep.include({ errno: ECONNREFUSED, offender: f.remote, ...f.portUnreachable });
      });

      it("too big for the router's next link: the pod's socket learns that link's MTU", async () => {
        const error = await t.udpSocketError(1, f.far, CLOSED_PORT, 64, 1400);
        expect(error).to.deep.include({
          errno: EMSGSIZE,
          offender: f.router,
          info: FAR_LINK_MTU,
          ...f.tooBig,
        });
      });

      it('with one hop left at the gateway, the kernel answers as a router and nothing is translated', async () => {
        const error = await t.echo(0, 6161, f.far, 1);
        expect(error).to.deep.include({ kind: 'error', from: f.gatewayOnPodSide, innerSource: f.pods[0] });
        expect(error).to.deep.include(f.timeExceeded);
        expect((await translated(0, 'icmp', f.far)).map(({ key }) => key.podPort)).to.not.include(6161);
      });
    });
  }
});
