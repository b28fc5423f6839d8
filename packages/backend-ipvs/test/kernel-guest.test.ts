// backend-ipvs on a kernel with IPVS: a qemu guest running Debian's cloud kernel (this host's kernel has no
// IP_VS; docs/guest-lab.md). One boot for everything: the conformance suite, with the backend's own IPVS
// cases (services repaired after drift, adopted across a restart), in direct-routing and in tunnel mode, for
// both families.
//
// Every exec in the TCG guest costs 0.1–0.3 s, so a case takes ~45 s there and the whole suite ~20 min per mode
// and family. CI runs, for IPv4, the cases that exercise what IPVS changes (steering from other nodes, a
// gateway move, the services' drift and adoption, cleanup) so the file stays near 10 minutes;
// `npm run conformance:guest` (IPVS_GUEST_CASES=all) runs every case in both families, and
// docs/backend-ipvs.md records its last result.
import {
  CLEANUP_CASE_ID,
  failedResults,
  formatReportTable,
  runConformance,
  type ConformanceReport,
  type Family,
} from '@egress-proxier/conformance';
import { GuestMachine, guestLabHost } from '@egress-proxier/testing/guest';
import { expect } from 'chai';
import plugin from '../src/index.js';
import { IPVS_CASES } from './support/ipvs-cases.js';

const ALL = process.env.IPVS_GUEST_CASES === 'all';
/** IPVS_GUEST_CASES=id,id runs those cases in every mode instead of the CI selection. */
const NAMED = ALL ? undefined : process.env.IPVS_GUEST_CASES?.split(',').filter((id) => id !== '');
/** IPVS_GUEST_MODES=dr or =tunnel runs one forwarding mode (a full run of both takes about an hour). */
const MODES = modesFrom(process.env.IPVS_GUEST_MODES);
/** IPVS_GUEST_FAMILIES=6 (or 4, or 4,6) overrides the families of the selection. */
const FAMILIES = familiesFrom(process.env.IPVS_GUEST_FAMILIES);

/** The CI selection per forwarding mode (IPv4): together they cover both modes and every IPVS case. */
const CI_CASES: Record<'dr' | 'tunnel', readonly string[]> = {
  dr: [
    'namespace-one-ip',
    'transitions-no-wrong-source',
    'gateway-sorting-first-joins',
    'ipvs-services-repaired',
    CLEANUP_CASE_ID,
  ],
  tunnel: ['per-destination', 'ipvs-restart-keeps-services', CLEANUP_CASE_ID],
};
/**
 * CI runs direct routing in both families (an IPv6 case after an IPv4 one caught the neighbour-discovery
 * drop) and tunnels in IPv4: the file stays near 10 minutes.
 */
const CI_FAMILIES: Record<'dr' | 'tunnel', readonly Family[]> = { dr: [4, 6], tunnel: [4] };

// A case takes ~45 s in the guest on an idle machine; a loaded CI machine may take three times that.
const CASE_BUDGET_MS = 150_000;
const LAB_BUDGET_MS = 300_000;

describe('backend-ipvs in a guest kernel with IPVS', function () {
  let machine: GuestMachine;

  before(async function () {
    this.timeout(180_000);
    machine = await GuestMachine.boot({ name: 'ipvs' });
  });

  after(async function () {
    this.timeout(60_000);
    await machine?.shutdown();
  });

  for (const forwarding of MODES) {
    const cases = ALL ? undefined : NAMED?.length ? NAMED : CI_CASES[forwarding];
    const families: readonly Family[] = FAMILIES ?? (ALL ? [4, 6] : CI_FAMILIES[forwarding]);
    const mode = forwarding === 'dr' ? 'direct routing' : 'IP-in-IP tunnel';
    const scope = `${families.map((family) => `IPv${family}`).join(' and ')}, ${ALL ? 'every case' : 'the CI selection'}`;
    describe(`conformance, ${mode} (${scope})`, () => {
      let report: ConformanceReport;

      before(async function () {
        const count = (cases?.length ?? 25) * families.length;
        this.timeout(LAB_BUDGET_MS + count * CASE_BUDGET_MS);
        // IPv6 tunnels need ip6_tunnel (its ip6tnl0 decapsulates on gateways); loading modules is the node's
        // job. Asking for the device by name makes the guest kernel load it through its modprobe helper, before
        // the lab exists, so every namespace has ip6tnl0 from the start (and the cleanup case proves the backend
        // takes it down again, link-local address and all). Direct routing runs without it.
        if (forwarding === 'tunnel') await machine.run('ip', ['link', 'show', 'dev', 'ip6tnl0']);
        report = await runConformance(plugin, {
          host: guestLabHost(machine),
          pluginOptions: { forwarding, announceCount: 1 },
          families,
          requiredTools: ['ipvsadm'],
          extraCases: IPVS_CASES,
          ...(cases === undefined ? {} : { cases }),
          prefix: forwarding === 'dr' ? 'ipvsdr' : 'ipvstun',
          onResult: (result) =>
            console.log(`      ${result.id}/${result.family}: ${result.status} (${result.durationMs} ms)`),
        });
        console.log(formatReportTable(report).replace(/^/gm, '      '));
      });

      it('passes every case it ran', () => {
        expect(failedResults(report)).to.deep.equal([]);
        const ran = new Set<Family | 'both'>(report.results.map((result) => result.family));
        expect([...ran].sort()).to.deep.equal([...families, 'both']);
        if (cases !== undefined)
          expect([...new Set(report.results.map((result) => result.id))].sort()).to.deep.equal(
            [...cases].sort(),
          );
      });
    });
  }
});

function modesFrom(value: string | undefined): readonly ('dr' | 'tunnel')[] {
  if (value === undefined || value === '') return ['dr', 'tunnel'];
  const modes = value.split(',');
  for (const mode of modes)
    if (mode !== 'dr' && mode !== 'tunnel')
      throw new Error(`IPVS_GUEST_MODES: ${mode} is not a forwarding mode (dr, tunnel)`);
  return modes as ('dr' | 'tunnel')[];
}

function familiesFrom(value: string | undefined): readonly Family[] | undefined {
  if (value === undefined || value === '') return undefined;
  return value.split(',').map((text) => {
    if (text !== '4' && text !== '6') throw new Error(`IPVS_GUEST_FAMILIES: ${text} is not 4 or 6`);
    return Number(text) as Family;
  });
}
