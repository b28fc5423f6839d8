// When a hosted egress IP is about to run out of SNAT source ports towards one remote endpoint, and how a
// gateway tells the status leader so (an annotation of its heartbeat Lease, like the gateway state: it rides
// on renewals and costs no write of its own). Every live translated connection to one remote address, port
// and protocol holds a source port of the egress IP; at the datapath's port capacity the next connection
// fails. The condition comes on at `threshold` of the capacity and goes off below 90 % of that, so a figure
// hovering at the threshold does not flap the status.
import type { SnatPortUse } from '../plugin/traffic.js';

export const PORT_PRESSURE_ANNOTATION = 'egress.proxier.io/snat-port-pressure';
const FORMAT_VERSION = 1;
const RELEASE_FRACTION = 0.9;

/** An egress IP near exhaustion: its busiest remote endpoint, and how many of how many ports it uses. */
export interface PortPressure {
  egressIP: string;
  protocol: SnatPortUse['protocol'];
  remoteAddress: string;
  remotePort: number;
  ports: number;
  capacity: number;
}

/** Egress IPs under pressure, by IP. */
export type PortPressureMap = ReadonlyMap<string, PortPressure>;

/**
 * The egress IPs under pressure now: those whose busiest endpoint reaches `threshold` × capacity, and those
 * already under pressure (`before`) that have not dropped below the release level. A figure that moved by
 * less than 1 % of the capacity keeps its previous value, so the annotation (and the status message) does not
 * change at every reading.
 */
export function judgePortPressure(
  portUse: readonly SnatPortUse[],
  capacity: number,
  threshold: number,
  before: PortPressureMap,
): Map<string, PortPressure> {
  const busiest = new Map<string, SnatPortUse>();
  for (const use of portUse) {
    const current = busiest.get(use.egressIP);
    if (current === undefined || use.ports > current.ports) busiest.set(use.egressIP, use);
  }
  const result = new Map<string, PortPressure>();
  for (const [ip, use] of busiest) {
    const previous = before.get(ip);
    const level = previous === undefined ? threshold : threshold * RELEASE_FRACTION;
    if (capacity <= 0 || use.ports < level * capacity) continue;
    const steady =
      previous !== undefined &&
      previous.capacity === capacity &&
      previous.remoteAddress === use.remoteAddress &&
      previous.remotePort === use.remotePort &&
      previous.protocol === use.protocol &&
      Math.abs(previous.ports - use.ports) < capacity / 100;
    result.set(ip, steady ? previous : { ...use, capacity });
  }
  return result;
}

export function formatPortPressure(pressure: PortPressureMap): string {
  const ips = Object.fromEntries(
    [...pressure.values()]
      .sort((a, b) => (a.egressIP < b.egressIP ? -1 : a.egressIP > b.egressIP ? 1 : 0))
      .map(({ egressIP, ...rest }) => [egressIP, rest]),
  );
  return JSON.stringify({ v: FORMAT_VERSION, ips });
}

/** Reads the annotation; absent or unreadable (a newer format, a hand edit) means no pressure known. */
export function parsePortPressure(text: string | undefined): Map<string, PortPressure> {
  const result = new Map<string, PortPressure>();
  if (text === undefined || text === '') return result;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return result;
  }
  const { v, ips } = (value ?? {}) as { v?: unknown; ips?: unknown };
  if (v !== FORMAT_VERSION || typeof ips !== 'object' || ips === null) return result;
  for (const [egressIP, entry] of Object.entries(ips as Record<string, unknown>)) {
    const e = (entry ?? {}) as Record<string, unknown>;
    if (
      (e.protocol === 'tcp' || e.protocol === 'udp') &&
      typeof e.remoteAddress === 'string' &&
      typeof e.remotePort === 'number' &&
      typeof e.ports === 'number' &&
      typeof e.capacity === 'number'
    )
      result.set(egressIP, {
        egressIP,
        protocol: e.protocol,
        remoteAddress: e.remoteAddress,
        remotePort: e.remotePort,
        ports: e.ports,
        capacity: e.capacity,
      });
  }
  return result;
}

/** `192.0.2.5:443/tcp`, `[2001:db8::5]:443/tcp`. */
export function remoteEndpoint(p: Pick<PortPressure, 'remoteAddress' | 'remotePort' | 'protocol'>): string {
  const host = p.remoteAddress.includes(':') ? `[${p.remoteAddress}]` : p.remoteAddress;
  return `${host}:${p.remotePort}/${p.protocol}`;
}
