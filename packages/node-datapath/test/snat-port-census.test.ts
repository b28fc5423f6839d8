// SNAT port use from `conntrack -L` text: only connections translated to a hosted egress IP count, grouped by
// remote address, port and protocol, busiest first; other NAT (a CNI's masquerade) and ICMP are left out.
import { expect } from 'chai';
import { countSnatPorts } from '../src/traffic/snat-port-census.js';

const LINES = [
  'tcp      6 431999 ESTABLISHED src=10.244.1.5 dst=203.0.113.5 sport=40001 dport=443 src=203.0.113.5 dst=192.0.2.10 sport=443 dport=40001 [ASSURED] mark=0 use=1',
  'tcp      6 119 TIME_WAIT src=10.244.2.7 dst=203.0.113.5 sport=40001 dport=443 src=203.0.113.5 dst=192.0.2.10 sport=443 dport=1024 [ASSURED] mark=0 use=1',
  'tcp      6 60 SYN_SENT src=10.244.1.6 dst=203.0.113.5 sport=41000 dport=80 [UNREPLIED] src=203.0.113.5 dst=192.0.2.10 sport=80 dport=41000 mark=0 use=1',
  'udp      17 29 src=10.244.1.5 dst=198.51.100.53 sport=5353 dport=53 src=198.51.100.53 dst=192.0.2.10 sport=53 dport=5353 mark=0 use=1',
  // Masqueraded by the CNI to the node's address: not an egress IP.
  'tcp      6 431999 ESTABLISHED src=10.244.1.9 dst=203.0.113.5 sport=40002 dport=443 src=203.0.113.5 dst=198.51.100.11 sport=443 dport=40002 [ASSURED] mark=0 use=1',
  'icmp     1 29 src=10.244.1.5 dst=203.0.113.5 type=8 code=0 id=7 src=203.0.113.5 dst=192.0.2.10 type=0 code=0 id=7 mark=0 use=1',
  'tcp      6 431999 ESTABLISHED src=fd00:10:244:1::5 dst=2001:db8:0:0::5 sport=40001 dport=443 src=2001:db8::5 dst=2001:0db8:e::100 sport=443 dport=40001 [ASSURED] mark=0 use=1',
  '',
].join('\n');

describe('SNAT port census (conntrack -L)', () => {
  it('counts ports per egress IP and remote endpoint, busiest first', () => {
    const uses = countSnatPorts(LINES, new Set(['192.0.2.10', '2001:db8:e::100']));
    expect(uses).to.deep.equal([
      { egressIP: '192.0.2.10', protocol: 'tcp', remoteAddress: '203.0.113.5', remotePort: 443, ports: 2 },
      { egressIP: '192.0.2.10', protocol: 'tcp', remoteAddress: '203.0.113.5', remotePort: 80, ports: 1 },
      { egressIP: '192.0.2.10', protocol: 'udp', remoteAddress: '198.51.100.53', remotePort: 53, ports: 1 },
      {
        egressIP: '2001:db8:e::100',
        protocol: 'tcp',
        remoteAddress: '2001:db8::5',
        remotePort: 443,
        ports: 1,
      },
    ]);
  });

  it('reports at most the 5 busiest endpoints of an egress IP', () => {
    const text = Array.from(
      { length: 8 },
      (_, i) =>
        `tcp 6 100 ESTABLISHED src=10.244.1.5 dst=203.0.113.${i} sport=4000 dport=443 src=203.0.113.${i} dst=192.0.2.10 sport=443 dport=4000 mark=0 use=1`,
    ).join('\n');
    expect(countSnatPorts(text, new Set(['192.0.2.10']))).to.have.length(5);
  });
});
