import { expect } from 'chai';
import { planChainChange, type ChainChange } from '../src/apply/chain-transition.js';
import type { FamilyChainsView } from '../src/apply/kernel-view.js';
import { buildDatapath, freshSlots } from '../src/model/build-datapath.js';
import type { ChainRule, FamilyRuleset, IpsetSpec } from '../src/model/desired-datapath.js';
import { changedRules } from '../src/model/rule-changes.js';
import { transitionFilterChains } from '../src/model/transition-chain.js';
import { CHAINS, sourceSetName, TABLES } from '../src/names.js';
import { DEFAULT_OPTIONS } from '../src/options.js';
import { freshJumps, restoreScript } from '../src/render/iptables-script.js';
import { parseIptablesSave } from '../src/state/iptables-save.js';
import { canonicalRule } from '../src/state/rule-text.js';
import { CLUSTER } from './support/cluster-tables.js';

const rule = (key: string): ChainRule => ({
  key,
  match: `-m set --match-set EGP-S-${key} src`,
  sourceSet: `EGP-S-${key}`,
  sets: [`EGP-S-${key}`],
  description: key,
});
const keys = (rules: ChainRule[]) => rules.map((r) => r.key).sort();

describe('changed rules: not in both tables in the same relative order', () => {
  const cases: { name: string; before: string[]; after: string[]; changed: string[] }[] = [
    { name: 'nothing changed', before: ['a', 'b', 'c'], after: ['a', 'b', 'c'], changed: [] },
    { name: 'one rule replaced', before: ['a', 'b', 'c'], after: ['a', 'x', 'c'], changed: ['b', 'x'] },
    { name: 'a rule added and one removed', before: ['a', 'b'], after: ['b', 'c'], changed: ['a', 'c'] },
    { name: 'everything new', before: [], after: ['a', 'b'], changed: ['a', 'b'] },
    { name: 'everything gone', before: ['a', 'b'], after: [], changed: ['a', 'b'] },
  ];
  for (const { name, before, after, changed } of cases) {
    it(name, () => {
      expect(keys(changedRules(before.map(rule), after.map(rule)))).to.deep.equal(changed.sort());
    });
  }
  it('two rules swap places: one of them counts as moved (removed and added), the other is kept', () => {
    const changed = keys(changedRules(['a', 'b', 'c'].map(rule), ['b', 'a', 'c'].map(rule)));
    expect([
      ['a', 'a'],
      ['b', 'b'],
    ]).to.deep.include(changed);
  });
});

describe('planning a chain change', () => {
  // Slots of the full table for every variant, as a stable allocator would keep them.
  const datapath = (table = CLUSTER['node-a']) =>
    buildDatapath(table, DEFAULT_OPTIONS, { uplink: 'eth0' }, freshSlots(CLUSTER['node-a'], DEFAULT_OPTIONS));
  const ruleset = (table = CLUSTER['node-a']) => datapath(table).rulesets[0] as FamilyRuleset;
  const desired = ruleset();
  const kernelSets = new Map<string, IpsetSpec>([
    ['EGP-S-OLD', { name: 'EGP-S-OLD', type: 'hash:ip', family: 4, entries: [] }],
    ['EGP-CLUSTER-4', { name: 'EGP-CLUSTER-4', type: 'hash:net', family: 4, entries: [] }],
  ]);
  const plan = (known: FamilyChainsView | undefined, changedSets: string[] = []): ChainChange =>
    planChainChange({ desired, known, kernelSets, changedSets: new Set(changedSets) });
  const dropped = (change: ChainChange) => {
    if (change.kind !== 'transition') return change.kind;
    return change.drops.kind === 'allSources'
      ? ['all sources', ...change.drops.sourceSets]
      : change.drops.rules.map((r) => r.description.split(':')[0]);
  };
  /** What iptables-save prints for our chains and jumps: header options first, quotes only where needed. */
  const asSaved = (rules: FamilyRuleset, edit: (line: string) => string = (line) => line) =>
    parseIptablesSave(
      restoreScript(rules.chains, freshJumps(rules), TABLES)
        .split('\n')
        .map((line) => line.replace(/^-I (\S+) 1 /, '-A $1 '))
        .map((line) => (line.startsWith('-A ') ? edit(kernelOrder(line)) : line))
        .join('\n'),
    );

  it('leaves chains that did not change alone, even when set members change', () => {
    expect(plan({ kind: 'applied', ruleset: ruleset() }, [sourceSetName('db/192.0.2.100')])).to.deep.equal({
      kind: 'none',
    });
  });

  it('drops the rules that change, and those whose sets change members, while chains change', () => {
    const before = ruleset({ ...CLUSTER['node-a'], rules: CLUSTER['node-a'].rules.slice(1) });
    expect(dropped(plan({ kind: 'applied', ruleset: before }))).to.deep.equal(['db']);
    expect(
      dropped(plan({ kind: 'applied', ruleset: before }, [sourceSetName('web/192.0.2.101')])),
    ).to.deep.equal(['db', 'web']);
  });

  it('writes nothing into a kernel whose chains already are the desired ones, as iptables-save prints them', () => {
    expect(plan({ kind: 'read', saved: asSaved(desired), present: true })).to.deep.equal({ kind: 'none' });
  });

  it('drops everything from any of our source sets when the kernel holds other rules', () => {
    const saved = asSaved(desired, (line) => line.replace('0x200/0x3f00', '0x100/0x3f00'));
    expect(dropped(plan({ kind: 'read', saved, present: true }))).to.deep.equal([
      'all sources',
      'EGP-S-0172419CEB5700B7',
      'EGP-S-778E17502224FA7B',
      'EGP-S-EE959AF3427B537D',
      'EGP-S-OLD',
    ]);
  });

  it('knows a kernel without chains of ours holds no rule of ours, and inserts the jumps', () => {
    const change = plan({ kind: 'read', saved: parseIptablesSave('*nat\nCOMMIT\n'), present: false });
    expect(dropped(change)).to.deep.equal(['db', 'locked', 'web']);
    expect(change.kind === 'transition' ? change.jumps.map((j) => j.kind) : []).to.deep.equal([
      'insert',
      'insert',
      'insert',
      'insert',
      'insert',
    ]);
  });

  it('builds the transition chain: cluster RETURN, the drops, then the new FORWARD lines', () => {
    const change = plan({ kind: 'applied', ruleset: ruleset({ ...CLUSTER['node-a'], rules: [] }) });
    if (change.kind !== 'transition') throw new Error('expected a transition');
    const forward = transitionFilterChains(desired, change.drops).find((c) => c.chain === CHAINS.forward);
    const newForward = desired.chains.find((c) => c.chain === CHAINS.forward)?.rules ?? [];
    expect(forward?.rules[0]).to.equal(desired.clusterReturn[0]);
    expect(forward?.rules.slice(1, 4).every((line) => line.endsWith('-j DROP'))).to.equal(true);
    expect(forward?.rules.slice(4)).to.deep.equal(newForward);
  });
});

describe('rule text as iptables-save prints it', () => {
  const cases: [string, string][] = [
    [
      '-m set --match-set A src -d 203.0.113.0/24 -m comment --comment "db: x" -j RETURN',
      '-d 203.0.113.0/24 -m set --match-set A src -m comment --comment "db: x" -j RETURN',
    ],
    ['-m comment --comment "nocomment" -j DROP', '-m comment --comment nocomment -j DROP'],
    [
      '-m connmark ! --mark 0x0/0x3f00 -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss 1410',
      '-p tcp -m connmark ! --mark 0x0/0x3f00 -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss 1410',
    ],
    ['! -i eth0 -s 10.0.0.0/8 -j RETURN', '-s 10.0.0.0/8 ! -i eth0 -j RETURN'],
  ];
  for (const [written, printed] of cases) {
    it(`${written} ≡ ${printed}`, () => expect(canonicalRule(written)).to.equal(canonicalRule(printed)));
  }
  it('tells different rules apart', () => {
    expect(canonicalRule('-d 10.0.0.0/8 -j RETURN')).to.not.equal(canonicalRule('-d 10.0.0.0/8 -j DROP'));
  });
});

/** Moves -s/-d/-i/-o/-p to the front, as iptables-save does (the `-A CHAIN` prefix stays). */
function kernelOrder(line: string): string {
  const [verb, chain, ...rest] = line.split(' ');
  return `${verb} ${chain} ${canonicalRule(rest.join(' '))}`;
}
