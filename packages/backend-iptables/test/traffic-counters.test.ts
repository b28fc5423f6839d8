// The traffic counters as `iptables -S CHAIN -v` prints them (`-c PACKETS BYTES`): the SNAT rules' and the
// accounting chain's rules, each found by the egress IP it names.
import { expect } from 'chai';
import { countedRules } from '../src/state/traffic-counters.js';

describe('rule counters (iptables -S -v)', () => {
  it('reads SNAT rules by their target and accounting rules by their comment', () => {
    const nat = [
      '-N EGRESS-PROXIER-POSTROUTING',
      '-A EGRESS-PROXIER-POSTROUTING -m set --match-set EGP-CLUSTER-4 dst -c 90 5400 -j RETURN',
      '-A EGRESS-PROXIER-POSTROUTING -m set --match-set EGP-S-1 src -d 203.0.113.0/24 -m comment --comment "a: snat to 192.0.2.10; sources a/192.0.2.10" -c 4 240 -j SNAT --to-source 192.0.2.10',
      '-A EGRESS-PROXIER-POSTROUTING -m set --match-set EGP-S-2 src -m comment --comment "b: snat to 192.0.2.10; sources b/192.0.2.10" -c 1 60 -j SNAT --to-source 192.0.2.10',
    ].join('\n');
    expect(countedRules(nat, / -j SNAT --to-source (\S+)/)).to.deep.equal([
      { egressIP: '192.0.2.10', packets: 4, bytes: 240 },
      { egressIP: '192.0.2.10', packets: 1, bytes: 60 },
    ]);
    const mangle =
      '-A EGRESS-PROXIER-ACCOUNT -m conntrack --ctrepldst 2001:db8:e::100 -m comment --comment "bytes sent as 2001:db8:e::100" -c 30 2800 -j RETURN';
    expect(countedRules(mangle, / --comment "bytes sent as (\S+)"/)).to.deep.equal([
      { egressIP: '2001:db8:e::100', packets: 30, bytes: 2800 },
    ]);
  });
});
