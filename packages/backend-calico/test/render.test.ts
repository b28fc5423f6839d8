// `render` shows, with no cluster, the pools and annotations a sync would write and the conditions it knows.
import { expect } from 'chai';
import { parse } from 'yaml';
import plugin from '../src/index.js';
import { SECTION_TITLES } from '../src/render/render-calico.js';
import { policy } from './support/fake-cluster.js';

describe('calico render', () => {
  const rendered = plugin.render(
    {
      clusterCIDRs: [],
      policies: [
        policy('ns-wide', {
          egressIPs: ['192.0.2.1'],
          namespaceSelector: { matchLabels: { a: 'b' } },
          namespaces: ['n1'],
        }),
        policy('per-pod', { egressIPs: ['2001:db8::9'], podSelector: { matchLabels: { app: 'x' } } }),
        policy('closed', {
          egressIPs: ['192.0.2.5'],
          namespaceSelector: { matchLabels: { a: 'b' } },
          namespaces: ['n1'],
          failurePolicy: 'FailClosed',
        }),
        policy('scoped', { egressIPs: ['192.0.2.3'], destinationCIDRs: ['203.0.113.0/24'] }),
      ],
    },
    {},
  );
  const section = (title: string): string =>
    rendered.sections.find((s) => s.title === title)?.content ?? '<missing>';

  it('renders one pool per address of the policies it can honour', () => {
    const pools = section(SECTION_TITLES.pools)
      .split('---\n')
      .map((text) => parse(text) as { spec: { cidr: string; blockSize: number } });
    expect(pools.map((p) => [p.spec.cidr, p.spec.blockSize])).to.deep.equal([
      ['192.0.2.1/32', 32],
      ['2001:db8::9/128', 128],
      ['192.0.2.5/32', 32],
    ]);
  });

  it('renders namespace annotations, webhook targets and conditions', () => {
    expect(parse(section(SECTION_TITLES.namespaces))).to.deep.equal({
      namespace: 'n1',
      metadata: {
        annotations: {
          'cni.projectcalico.org/ipv4pools': '["egress-ns-wide-192-0-2-1"]',
          'egress.proxier.io/pools-owner': 'ns-wide',
        },
      },
    });
    expect(parse(section(SECTION_TITLES.pods))).to.deep.include({
      egress: 'per-pod',
      pools: ['egress-per-pod-2001-db8--9'],
    });
    const conditions = parse(section(SECTION_TITLES.conditions)) as {
      egress: string;
      conditions: string[];
    }[];
    expect(conditions.find((c) => c.egress === 'scoped')?.conditions[0]).to.match(
      /^DestinationScopedUnsupported: /,
    );
  });

  it('renders the FailClosed tier and deny policy for FailClosed Egresses only', () => {
    const objects = section(SECTION_TITLES.failClosed)
      .split('---\n')
      .map(
        (text) => parse(text) as { kind: string; metadata: { name: string }; spec: Record<string, unknown> },
      );
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).to.deep.equal([
      'Tier/egress-proxier',
      'GlobalNetworkPolicy/egress-proxier.egress-closed',
      'GlobalNetworkPolicy/egress-proxier.pass-to-next-tier',
    ]);
    expect(objects[1]?.spec['selector']).to.equal('has(projectcalico.org/namespace) && pcns.a == "b"');
    expect(objects[1]?.spec['egress']).to.deep.equal([
      {
        action: 'Deny',
        ipVersion: 4,
        source: { notNets: ['192.0.2.1/32', '192.0.2.5/32'] },
        destination: { nets: ['0.0.0.0/0'], notNets: ['192.0.2.1/32', '192.0.2.5/32'] },
      },
    ]);
  });
});
