// The transactions: a full script replaces the table whatever the kernel holds; an element script changes only
// the elements that differ, deletions before additions (interval keys must never overlap), a map element whose
// data changes deleted and re-added, nothing at all when nothing differs.
import { expect } from 'chai';
import type { NftTable } from '../src/model/nft-table.js';
import { elementScript, elementSets, fullScript, structureDigest } from '../src/render/nft-script.js';

const table = (snat: string[], drop: string[] = []): NftTable => ({
  sets: [
    { name: 'snat4', kind: 'map', type: 'ipv4_addr . ipv4_addr : ipv4_addr', elements: snat },
    { name: 'drop4', kind: 'set', type: 'ipv4_addr . ipv4_addr', elements: drop },
  ],
  chains: [
    {
      name: 'postrouting-snat',
      hook: 'type nat hook postrouting priority srcnat - 10',
      rules: ['snat ip to ip saddr . ip daddr map @snat4'],
    },
  ],
});
const held = (snat: string[], drop: string[] = []) =>
  new Map([
    ['snat4', new Set(snat)],
    ['drop4', new Set(drop)],
  ]);

describe('nft scripts', () => {
  it('a full script adds, deletes and defines the table in one file, with the structure digest as comment', () => {
    const script = fullScript(table(['10.244.1.2 . 0.0.0.0/0 : 192.0.2.100']));
    expect(script.split('\n').slice(0, 4)).to.deep.equal([
      'table inet egress-proxier',
      'delete table inet egress-proxier',
      'table inet egress-proxier {',
      `\tcomment "egress-proxier structure ${structureDigest(table([]))}"`,
    ]);
    expect(script).to.include('\t\telements = {\n\t\t\t10.244.1.2 . 0.0.0.0/0 : 192.0.2.100\n\t\t}');
    expect(script).to.include('\t\ttype nat hook postrouting priority srcnat - 10; policy accept;');
  });

  it('the structure digest ignores elements and follows chains', () => {
    expect(structureDigest(table(['10.244.1.2 . 0.0.0.0/0 : 192.0.2.100']))).to.equal(
      structureDigest(table([])),
    );
    const other = table([]);
    other.chains[0]?.rules.push('counter');
    expect(structureDigest(other)).to.not.equal(structureDigest(table([])));
  });

  it('an element script: deletions first, changed data deleted and re-added, untouched elements left', () => {
    const { script, changes } = elementScript(
      held(
        ['10.244.1.2 . 0.0.0.0/0 : 192.0.2.100', '10.244.1.3 . 0.0.0.0/0 : 192.0.2.100'],
        ['10.244.1.9 . 0.0.0.0/0'],
      ),
      elementSets(
        table(
          ['10.244.1.2 . 0.0.0.0/0 : 192.0.2.101', '10.244.1.3 . 0.0.0.0/0 : 192.0.2.100'],
          ['10.244.1.8 . 0.0.0.0/0'],
        ),
      ),
    );
    expect(script.split('\n')).to.deep.equal([
      'delete element inet egress-proxier snat4 { 10.244.1.2 . 0.0.0.0/0 }',
      'delete element inet egress-proxier drop4 { 10.244.1.9 . 0.0.0.0/0 }',
      'add element inet egress-proxier snat4 { 10.244.1.2 . 0.0.0.0/0 : 192.0.2.101 }',
      'add element inet egress-proxier drop4 { 10.244.1.8 . 0.0.0.0/0 }',
      '',
    ]);
    expect(changes).to.equal(4);
  });

  it('an element script is empty when the kernel holds the desired elements', () => {
    expect(
      elementScript(
        held(['10.244.1.2 . 0.0.0.0/0 : 192.0.2.100']),
        elementSets(table(['10.244.1.2 . 0.0.0.0/0 : 192.0.2.100'])),
      ),
    ).to.deep.equal({
      script: '',
      changes: 0,
    });
  });
});
