import { expect } from 'chai';
import { planJumps } from '../src/apply/jump-plan.js';
import { familyRuleset } from '../src/model/chains.js';
import { parseOptions, DEFAULT_OPTIONS } from '../src/options.js';
import { steeringDriver } from '@egress-proxier/node-datapath';
import { ipsetScripts } from '../src/render/ipset-script.js';
import { parseIpsetSave } from '../src/state/ipset-save.js';
import { parseIptablesSave } from '../src/state/iptables-save.js';
import {
  addressDelete,
  addressReplace,
  ipBatch,
  isOurAddress,
  parseAddresses,
  parseRules,
} from '@egress-proxier/node-datapath';
import { CLUSTER } from './support/cluster-tables.js';

describe('ipset updates by difference', () => {
  const set = (name: string, entries: string[], type: 'hash:ip' | 'hash:net' = 'hash:ip') => ({
    name,
    type,
    family: 4 as const,
    entries,
  });
  it('adds and deletes only the changed entries and destroys sets no longer wanted', () => {
    const current = new Map([
      ['EGP-S-A', set('EGP-S-A', ['10.0.0.1', '10.0.0.2'])],
      ['EGP-S-OLD', set('EGP-S-OLD', ['10.0.0.9'])],
    ]);
    const scripts = ipsetScripts([set('EGP-S-A', ['10.0.0.2', '10.0.0.3'])], current);
    expect(scripts.update).to.equal('add EGP-S-A 10.0.0.3\ndel EGP-S-A 10.0.0.1\n');
    expect(scripts.destroy).to.equal('destroy EGP-S-OLD\n');
  });
  it('writes nothing when nothing changed', () => {
    const wanted = set('EGP-S-A', ['10.0.0.1']);
    expect(ipsetScripts([wanted], new Map([['EGP-S-A', wanted]]))).to.deep.equal({
      update: '',
      destroy: '',
      changes: 0,
    });
  });
  it('builds a set whose type changed aside and swaps it in', () => {
    const scripts = ipsetScripts(
      [set('EGP-X-A', ['10.0.0.0/8'], 'hash:net')],
      new Map([['EGP-X-A', set('EGP-X-A', ['10.0.0.1'])]]),
    );
    expect(scripts.update).to.match(
      /^create EGP-T-\w+ hash:net family inet .*\nflush EGP-T-\w+\nadd EGP-T-\w+ 10\.0\.0\.0\/8\nswap EGP-T-\w+ EGP-X-A\ndestroy EGP-T-\w+\n$/,
    );
  });
  it('reads ipset save output, only our sets, with host prefixes restored', () => {
    const saved = parseIpsetSave(
      [
        'create KUBE-X hash:ip family inet hashsize 1024 maxelem 65536',
        'add KUBE-X 10.0.0.1',
        'create EGP-CLUSTER-4 hash:net family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x1',
        'add EGP-CLUSTER-4 10.1.0.0/16',
        'add EGP-CLUSTER-4 192.0.2.11',
      ].join('\n'),
      'EGP-',
    );
    expect([...saved.keys()]).to.deep.equal(['EGP-CLUSTER-4']);
    expect(saved.get('EGP-CLUSTER-4')?.entries).to.deep.equal(['10.1.0.0/16', '192.0.2.11/32']);
  });
});

describe('jumps from built-in chains', () => {
  const ruleset = familyRuleset(CLUSTER['node-a'], 4, {
    options: DEFAULT_OPTIONS,
    steering: steeringDriver(DEFAULT_OPTIONS, 'eth0'),
    slots: [
      { node: 'node-b', mark: 0x100, table: 7100, priority: 7100 },
      { node: 'node-c', mark: 0x200, table: 7101, priority: 7101 },
    ],
  });
  const natJump =
    '-m comment --comment "egress-proxier: egress SNAT, before any masquerade" -j EGRESS-PROXIER-POSTROUTING';
  const save = (postrouting: string[]) =>
    parseIptablesSave(
      [
        '*mangle',
        ':PREROUTING ACCEPT [0:0]',
        '-A PREROUTING -m comment --comment "egress-proxier: mark pod traffic steered to a gateway" -j EGRESS-PROXIER-MARK',
        '-A FORWARD -m comment --comment "egress-proxier: clamp MSS of tunnelled connections" -j EGRESS-PROXIER-MSS',
        '-A POSTROUTING -m conntrack --ctstate SNAT --ctdir ORIGINAL -m comment --comment "egress-proxier: count bytes sent as egress IPs" -j EGRESS-PROXIER-ACCOUNT',
        'COMMIT',
        '*filter',
        '-A FORWARD -j KUBE-FORWARD',
        '-A FORWARD -m comment --comment "egress-proxier: drop traffic of fail-closed policies" -j EGRESS-PROXIER-FORWARD',
        'COMMIT',
        '*nat',
        ...postrouting.map((rule) => `-A POSTROUTING ${rule}`),
        'COMMIT',
      ].join('\n'),
    );
  it('leaves jumps in place, even not first where order does not matter', () => {
    expect(planJumps(ruleset, save([natJump, '-j MASQUERADE']))).to.deep.equal([]);
  });
  it('moves the nat jump back to the top when a masquerade was inserted before it', () => {
    const changes = planJumps(ruleset, save(['-s 10.244.0.0/16 -j MASQUERADE', natJump]));
    expect(
      changes.map((c) => (c.kind === 'delete' ? `-D ${c.builtin} ${c.spec}` : `-I ${c.jump.builtin} 1`)),
    ).to.deep.equal([`-D POSTROUTING ${natJump}`, '-I POSTROUTING 1']);
  });
  it('inserts a missing jump and removes duplicates', () => {
    expect(planJumps(ruleset, save([])).map((c) => c.kind)).to.deep.equal(['insert']);
    expect(planJumps(ruleset, save([natJump, natJump])).map((c) => c.kind)).to.deep.equal(['delete']);
  });
});

describe('ownership of kernel objects', () => {
  it('recognises our IPv4 egress addresses by label and IPv6 ones by /128 + lifetime + nodad', () => {
    const addresses = parseAddresses(
      JSON.stringify([
        {
          ifname: 'eth0',
          addr_info: [
            { family: 'inet', local: '192.0.2.11', prefixlen: 24, label: 'eth0' },
            { family: 'inet', local: '192.0.2.100', prefixlen: 32, label: 'eth0:egp', dynamic: true },
            { family: 'inet6', local: '2001:db8::1', prefixlen: 128, dynamic: true, nodad: true },
            { family: 'inet6', local: '2001:db8::2', prefixlen: 128, dynamic: true },
          ],
        },
      ]),
    );
    expect(addresses.filter((a) => isOurAddress(a, 'eth0')).map((a) => a.local)).to.deep.equal([
      '192.0.2.100',
      '2001:db8::1',
    ]);
  });
  it('reads fwmark rules with their masks', () => {
    const rules = parseRules(
      '[{"priority":7100,"src":"all","fwmark":"0x100","fwmask":"0x3f00","table":"7100"},{"priority":32766,"table":"main"}]',
      4,
    );
    expect(rules).to.deep.equal([{ family: 4, priority: 7100, mark: 0x100, mask: 0x3f00, table: 7100 }]);
  });
});

describe('options', () => {
  const cases: { values: Record<string, string | number>; error: RegExp }[] = [
    { values: { mask: '0xc000' }, error: /kube-proxy/ },
    { values: { mark: '0x1', mask: '0x3f00' }, error: /inside --iptables-mask/ },
    { values: { steering: 'gre' }, error: /onlink, vxlan/ },
    { values: { uplink: 'this-name-is-too-long' }, error: /device name/ },
    { values: { iptablesMode: 'nftables' }, error: /auto, nft, legacy/ },
  ];
  for (const { values, error } of cases) {
    it(`refuses ${JSON.stringify(values)}`, () => expect(() => parseOptions(values)).to.throw(error));
  }
  it('defaults stay clear of kube-proxy and Calico mark bits', () => {
    const options = parseOptions({});
    expect(options.mask & 0xffffc000).to.equal(0);
    expect(options.mark & ~options.mask).to.equal(0);
  });
});

describe('ip batches', () => {
  it('writes many address commands as one `ip -batch -` input, family taken from the addresses', () => {
    const v4 = {
      ip: '192.0.2.100',
      family: 4 as const,
      cidr: '192.0.2.100/32',
      device: 'eth0',
      label: 'eth0:egp',
    };
    const v6 = {
      ip: '2001:db8::1',
      family: 6 as const,
      cidr: '2001:db8::1/128',
      device: 'eth0',
      label: undefined,
    };
    const batch = ipBatch([
      addressReplace(v4, 30),
      addressReplace(v6, 30),
      addressDelete('192.0.2.7/32', 'eth0'),
    ]);
    expect(batch.command).to.deep.equal({ command: 'ip', args: ['-batch', '-'] });
    expect(batch.input).to.equal(
      [
        'addr replace 192.0.2.100/32 dev eth0 valid_lft 30 preferred_lft 30 label eth0:egp',
        'addr replace 2001:db8::1/128 dev eth0 valid_lft 30 preferred_lft 0 nodad noprefixroute',
        'addr del 192.0.2.7/32 dev eth0',
        '',
      ].join('\n'),
    );
  });
  it('refuses commands of other tools', () => {
    expect(() => ipBatch([{ command: 'bridge', args: ['fdb', 'show'] }])).to.throw(/not an ip command/);
  });
});
