// What the port-use and traffic-reading tests share: SnatPortUse records written compactly, and their egress IPs.
import type { SnatPortUse } from '@egress-proxier/core';

export const EGRESS_A = '192.0.2.100';
export const EGRESS_B = '192.0.2.101';
export const EGRESS_V6 = '2001:db8:2::100';

export const portUse = (
  egressIP: string,
  protocol: 'tcp' | 'udp',
  remoteAddress: string,
  remotePort: number,
  ports: number,
): SnatPortUse => ({ egressIP, protocol, remoteAddress, remotePort, ports });
