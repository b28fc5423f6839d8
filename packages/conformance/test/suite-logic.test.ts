// Unit tests of the suite's own logic (no kernel): judging connection loops, the hand-over order, the
// render read-back comparison, snapshot normalization and the report.
import { EgressModel } from '@egress-proxier/core';
import { expect } from 'chai';
import { judgeAttempts } from '../src/expect-source.js';
import { HandOver } from '../src/handover.js';
import {
  dropEmptyNftChains,
  maskIdleQdiscs,
  normalize,
  snapshotDifferences,
} from '../src/kernel-snapshot.js';
import {
  canonicalRule,
  compareAddresses,
  compareIpsets,
  compareIptables,
  compareNftListings,
} from '../src/render-compare.js';
import { formatReportTable, summarize } from '../src/report.js';

describe('conformance: judging a connection loop', () => {
  const windows = [
    { from: 0, to: 100, allowed: ['192.0.2.11'] },
    { from: 100, to: 200, allowed: ['192.0.2.11', '192.0.2.100', 'dropped'] },
    { from: 200, to: Infinity, allowed: ['192.0.2.100'] },
  ];
  const cases: {
    name: string;
    attempt: { startedAt: number; endedAt: number; source?: string; error?: string };
    wrong: number;
    failed: number;
  }[] = [
    {
      name: 'old source before the change',
      attempt: { startedAt: 10, endedAt: 20, source: '192.0.2.11' },
      wrong: 0,
      failed: 0,
    },
    {
      name: 'drop during the change',
      attempt: { startedAt: 150, endedAt: 160, error: 'timeout' },
      wrong: 0,
      failed: 0,
    },
    {
      name: 'new source after',
      attempt: { startedAt: 250, endedAt: 260, source: '192.0.2.100' },
      wrong: 0,
      failed: 0,
    },
    {
      name: 'old source after the change',
      attempt: { startedAt: 250, endedAt: 260, source: '192.0.2.11' },
      wrong: 1,
      failed: 0,
    },
    {
      name: 'pod IP at any time',
      attempt: { startedAt: 150, endedAt: 160, source: '10.244.1.2' },
      wrong: 1,
      failed: 0,
    },
    {
      name: 'failure in a steady phase',
      attempt: { startedAt: 10, endedAt: 20, error: 'ECONNRESET' },
      wrong: 0,
      failed: 1,
    },
    {
      name: 'spanning into the change',
      attempt: { startedAt: 90, endedAt: 120, error: 'timeout' },
      wrong: 0,
      failed: 0,
    },
  ];
  for (const { name, attempt, wrong, failed } of cases) {
    it(name, () => {
      const judged = judgeAttempts([attempt], windows);
      expect(judged.wrongSource).to.have.length(wrong);
      expect(judged.unexpectedFailures).to.have.length(failed);
    });
  }
});

describe('conformance: hand-over order', () => {
  const model = () => {
    const m = new EgressModel({ clusterCIDRs: ['10.244.0.0/16'] });
    for (const name of ['node-1', 'node-2'])
      m.upsertNode({
        name,
        labels: { 'kubernetes.io/hostname': name },
        ready: true,
        internalIPs: [name === 'node-1' ? '192.0.2.11' : '192.0.2.12'],
        podCIDRs: [],
      });
    return m;
  };
  const egress = (gateway: string) => ({
    apiVersion: 'egress.proxier.io/v1alpha1',
    kind: 'Egress',
    metadata: { name: 'e', generation: 1, creationTimestamp: '2025-01-01T00:00:00Z' },
    spec: {
      podSelector: {},
      egressIPs: ['192.0.2.100'],
      gatewayNodeSelector: { matchLabels: { 'kubernetes.io/hostname': gateway } },
    },
  });

  it('programs a new IP on its gateway before any source steers to it, and moves it in four generations', () => {
    const m = model();
    const handOver = new HandOver();
    const seen = () => [
      handOver.view('node-1').hostedHere().join(),
      handOver.view('node-2').hostedHere().join(),
      String(handOver.view('node-2').steerTarget('192.0.2.100')),
    ];
    m.upsertEgress(egress('node-1'));
    const states = handOver.steps(m).map((step) => (step(), seen()));
    expect(states).to.deep.equal([
      ['', '', 'null'],
      ['192.0.2.100', '', 'null'],
      ['192.0.2.100', '', 'node-1'],
    ]);
    m.upsertEgress(egress('node-2'));
    const moved = handOver.steps(m).map((step) => (step(), seen()));
    expect(moved).to.deep.equal([
      ['192.0.2.100', '', 'null'],
      ['', '', 'null'],
      ['', '192.0.2.100', 'null'],
      ['', '192.0.2.100', 'null'],
    ]);
    expect(handOver.view('node-1').steerTarget('192.0.2.100')).to.equal('node-2');
    expect(handOver.steps(m)).to.have.length(1);
  });
});

describe('conformance: render read-back comparison', () => {
  it('puts basic matches first, as iptables-save prints them', () => {
    expect(
      canonicalRule('-A C -m set --match-set S src ! -d 10.0.0.0/8 -m comment --comment "a b" -j RETURN'),
    ).to.equal('-A C ! -d 10.0.0.0/8 -m set --match-set S src -m comment --comment "a b" -j RETURN');
  });
  it('finds a rule that differs and accepts one only reordered', () => {
    const rendered =
      '*nat\n:OURS - [0:0]\n-A OURS -m set --match-set S src -d 203.0.113.0/24 -j SNAT --to-source 192.0.2.100\nCOMMIT';
    const same =
      '*nat\n:OURS - [0:0]\n-A OURS -d 203.0.113.0/24 -m set --match-set S src -j SNAT --to-source 192.0.2.100\nCOMMIT';
    const other = same.replace('192.0.2.100', '192.0.2.101');
    expect(compareIptables('t', rendered, same)).to.deep.equal([]);
    expect(compareIptables('t', rendered, other)).to.have.length(1);
    expect(compareIptables('t', rendered, '*nat\nCOMMIT')).to.have.length(1);
  });
  it('compares set members, host nets without their /32', () => {
    const rendered = 'create S hash:net family inet\nadd S 192.0.2.11/32\nadd S 10.244.0.0/16';
    expect(
      compareIpsets(
        't',
        rendered,
        'create S hash:net family inet hashsize 1024\nadd S 10.244.0.0/16\nadd S 192.0.2.11',
      ),
    ).to.deep.equal([]);
    expect(compareIpsets('t', rendered, 'create S hash:net\nadd S 10.244.0.0/16')[0]).to.match(
      /missing \[192\.0\.2\.11\]/,
    );
    expect(compareIpsets('t', rendered, '')[0]).to.match(/set S missing/);
  });
  it('finds a rendered address missing from its device', () => {
    const rendered = 'ip -4 addr replace 192.0.2.100/32 dev eth0 valid_lft 60 preferred_lft 60';
    expect(
      compareAddresses('t', rendered, '2: eth0    inet 192.0.2.100/32 scope global eth0:egp'),
    ).to.deep.equal([]);
    expect(compareAddresses('t', rendered, '2: eth0    inet 192.0.2.11/24 scope global eth0')).to.have.length(
      1,
    );
  });
});

describe('conformance: kernel snapshots', () => {
  it('masks lifetimes, counters and link-local noise but not a leftover rule or route', () => {
    const before = [
      {
        title: 'ip -o addr',
        content: normalize('2: eth0 inet 192.0.2.11/24 valid_lft forever preferred_lft forever'),
      },
    ];
    const same = [
      {
        title: 'ip -o addr',
        content: normalize(
          '2: eth0 inet 192.0.2.11/24 valid_lft 30sec preferred_lft 30sec\n2: eth0 inet6 fe80::1/64 scope link',
        ),
      },
    ];
    const leftover = [
      { title: 'ip -o addr', content: normalize('2: eth0 inet 192.0.2.11/24\n2: eth0 inet 192.0.2.100/32') },
    ];
    expect(snapshotDifferences(before, same)).to.deep.equal([]);
    expect(snapshotDifferences(before, leftover)[0]).to.match(/\+ 2: eth0 inet 192\.0\.2\.100\/32/);
  });
  it("masks the noqueue a device keeps once down again, not a down device's other qdisc or an up one's", () => {
    const snapshot = (tunl0: string, qdiscs: string[]) =>
      maskIdleQdiscs([
        {
          title: 'ip -o link',
          content: [
            `2: tunl0@NONE: <${tunl0}> mtu 1480 qdisc ${tunl0.includes('UP') ? 'noqueue' : 'noop'} mode DEFAULT`,
            '3: veth2@if4: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue mode DEFAULT',
          ].join('\n'),
        },
        { title: 'tc qdisc show', content: qdiscs.join('\n') },
      ]);
    const veth = 'qdisc noqueue 0: dev veth2 root refcnt 2';
    const neverUp = snapshot('NOARP', [veth]);
    const wasUp = maskIdleQdiscs([
      {
        title: 'ip -o link',
        content: [
          '2: tunl0@NONE: <NOARP> mtu 1480 qdisc noqueue mode DEFAULT',
          '3: veth2@if4: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue mode DEFAULT',
        ].join('\n'),
      },
      { title: 'tc qdisc show', content: ['qdisc noqueue 0: dev tunl0 root refcnt 2', veth].join('\n') },
    ]);
    expect(snapshotDifferences(neverUp, wasUp)).to.deep.equal([]);
    expect(
      snapshotDifferences(
        neverUp,
        snapshot('NOARP', ['qdisc clsact ffff: dev tunl0 parent ffff:fff1', veth]),
      ),
    ).to.have.length(1);
    expect(
      snapshotDifferences(
        neverUp,
        snapshot('NOARP,UP,LOWER_UP', ['qdisc noqueue 0: dev tunl0 root refcnt 2', veth]),
      ),
    ).to.have.length(2);
  });

  it('drops nft base chains and tables without rules, keeps those with rules', () => {
    const ruleset = [
      'table ip filter {',
      '\tchain FORWARD {',
      '\t\ttype filter hook forward priority filter; policy accept;',
      '\t}',
      '}',
      'table ip nat {',
      '\tchain POSTROUTING {',
      '\t\ttype nat hook postrouting priority srcnat; policy accept;',
      '\t\tmasquerade',
      '\t}',
      '}',
    ].join('\n');
    const kept = dropEmptyNftChains(ruleset);
    expect(kept).to.not.include('table ip filter');
    expect(kept).to.include('table ip nat').and.include('masquerade');
  });
});

describe('conformance: report', () => {
  it('prints case × family with failures and their assertions, and is not conformant on any failure', () => {
    const report = summarize(
      'x',
      [4, 6],
      [
        { id: 'a', title: 'A', family: 4, status: 'pass', durationMs: 1, details: [] },
        { id: 'a', title: 'A', family: 6, status: 'fail', durationMs: 1, details: ['expected 1, saw 2'] },
        { id: 'c', title: 'C', family: 'both', status: 'pass', durationMs: 1, details: [] },
      ],
      1000,
    );
    const text = formatReportTable(report);
    expect(report.passed).to.equal(false);
    expect(text)
      .to.match(/^a\s+pass\s+FAIL/m)
      .and.match(/^c\s+pass\s+pass/m);
    expect(text).to.include('a (IPv6): A').and.include('- expected 1, saw 2').and.include('NOT CONFORMANT');
    expect(summarize('x', [4], [], 0).passed, 'an empty run proves nothing').to.equal(false);
  });
});

describe('render versus kernel: nft listings', () => {
  const listing = (comment: string, elements: string) =>
    `table inet egress-proxier {\n\tcomment "${comment}"\n\tset cluster4 {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\telements = { ${elements} }\n\t}\n\tchain c {\n\t\tip daddr @cluster4 return\n\t}\n}\n`;

  it('equal when only the element order (and line wrapping) and the table comment differ', () => {
    expect(
      compareNftListings(
        'nft -f',
        listing('a', '10.96.0.0/12, 10.244.0.0/16'),
        listing('b', '10.244.0.0/16,\n\t\t\t     10.96.0.0/12'),
      ),
    ).to.deep.equal([]);
  });

  it('names what only one side holds: a missing element, a changed rule', () => {
    const [elements] = compareNftListings(
      'nft -f',
      listing('a', '10.96.0.0/12, 10.244.0.0/16'),
      listing('a', '10.244.0.0/16'),
    );
    expect(elements).to.match(/rendered only \[.*10\.96\.0\.0\/12.*\], kernel only \[.*\]/);
    const [rule] = compareNftListings(
      'nft -f',
      listing('a', '10.244.0.0/16'),
      listing('a', '10.244.0.0/16').replace('return', 'accept'),
    );
    expect(rule).to.include('kernel only ["ip daddr @cluster4 accept"]');
  });
});
