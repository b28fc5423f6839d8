import { expect } from 'chai';
import type { IpsetSpec } from '../src/model/desired-datapath.js';
import { planIpsets } from '../src/render/ipset-script.js';

const set = (name: string, entries: string[], type: IpsetSpec['type'] = 'hash:ip'): IpsetSpec => ({
  name,
  type,
  family: 4,
  entries,
});
const kernel = (...sets: IpsetSpec[]) => new Map(sets.map((s) => [s.name, s]));

describe('ipset plan: entry changes in an order packets may see', () => {
  it('adds to every set before deleting from any (a pod moving between sets is never in neither)', () => {
    const plan = planIpsets(
      [set('EGP-S-A', ['10.0.0.2']), set('EGP-S-B', ['10.0.0.1'])],
      kernel(set('EGP-S-A', ['10.0.0.1']), set('EGP-S-B', ['10.0.0.2'])),
    );
    expect(plan.update).to.deep.equal([
      'add EGP-S-A 10.0.0.2',
      'add EGP-S-B 10.0.0.1',
      'del EGP-S-B 10.0.0.2',
      'del EGP-S-A 10.0.0.1',
    ]);
  });

  it('adds in the order of the sets’ first rules and deletes in reverse', () => {
    const precedence = new Map([
      ['EGP-S-LATE', 5],
      ['EGP-S-EARLY', 1],
      ['EGP-CLUSTER-4', -1],
    ]);
    const plan = planIpsets(
      [
        set('EGP-S-LATE', ['10.0.0.9']),
        set('EGP-S-EARLY', ['10.0.0.9']),
        set('EGP-S-UNUSED', ['10.0.0.9']),
        set('EGP-CLUSTER-4', ['10.244.0.0/16', '192.0.2.14/32'], 'hash:net'),
      ],
      kernel(
        set('EGP-S-LATE', ['10.0.0.8']),
        set('EGP-S-EARLY', ['10.0.0.8']),
        set('EGP-S-UNUSED', ['10.0.0.8']),
        set('EGP-CLUSTER-4', ['10.244.0.0/16'], 'hash:net'),
      ),
      (name) => precedence.get(name) ?? Infinity,
    );
    expect(plan.update).to.deep.equal([
      'add EGP-CLUSTER-4 192.0.2.14/32',
      'add EGP-S-EARLY 10.0.0.9',
      'add EGP-S-LATE 10.0.0.9',
      'add EGP-S-UNUSED 10.0.0.9',
      'del EGP-S-UNUSED 10.0.0.8',
      'del EGP-S-LATE 10.0.0.8',
      'del EGP-S-EARLY 10.0.0.8',
    ]);
  });

  it('creates new sets (and scratch copies) apart from changes to sets in use, and names the changed ones', () => {
    const plan = planIpsets(
      [
        set('EGP-S-NEW', ['10.0.0.1']),
        set('EGP-S-SAME', ['10.0.0.1']),
        set('EGP-S-GROWN', ['10.0.0.1', '10.0.0.2']),
        set('EGP-X-RETYPED', ['10.0.0.0/8'], 'hash:net'),
      ],
      kernel(
        set('EGP-S-SAME', ['10.0.0.1']),
        set('EGP-S-GROWN', ['10.0.0.1']),
        set('EGP-X-RETYPED', ['10.0.0.1']),
        set('EGP-S-GONE', ['10.0.0.1']),
      ),
    );
    expect(plan.create[0]).to.match(/^create EGP-S-NEW hash:ip /);
    expect(plan.create).to.include('add EGP-S-NEW 10.0.0.1');
    expect(plan.create.some((line) => line.startsWith('create EGP-T-'))).to.equal(true);
    expect(plan.update[0]).to.equal('add EGP-S-GROWN 10.0.0.2');
    expect(plan.update.slice(1)[0]).to.match(/^swap EGP-T-\w+ EGP-X-RETYPED$/);
    expect(plan.destroy).to.deep.equal(['destroy EGP-S-GONE']);
    expect([...plan.changedSets].sort()).to.deep.equal(['EGP-S-GROWN', 'EGP-X-RETYPED']);
  });
});
