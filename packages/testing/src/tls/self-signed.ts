import { isIP } from 'node:net';
import selfsigned from 'selfsigned';

export interface ServingCertificate {
  /** PEM certificate; self-signed, so it is also the CA clients trust. */
  cert: string;
  key: string;
}

/** Names a client may dial: loopback, the in-cluster service names, and the listen host. */
function subjectAltNames(host: string): Array<{ type: 2; value: string } | { type: 7; ip: string }> {
  const dns = [
    'localhost',
    'kubernetes',
    'kubernetes.default',
    'kubernetes.default.svc',
    'kubernetes.default.svc.cluster.local',
  ];
  const ips = new Set(['127.0.0.1', '::1']);
  if (isIP(host)) ips.add(host);
  else if (host && host !== '0.0.0.0') dns.push(host);
  return [
    ...dns.map((value) => ({ type: 2 as const, value })),
    ...[...ips].map((ip) => ({ type: 7 as const, ip })),
  ];
}

/** A fresh serving certificate for one server run (EC P-256: fast to generate, accepted by Go and Node). */
export async function generateServingCertificate(
  host: string,
  extraNames: string[] = [],
): Promise<ServingCertificate> {
  const altNames = [
    ...subjectAltNames(host),
    ...extraNames.map((n) => (isIP(n) ? { type: 7 as const, ip: n } : { type: 2 as const, value: n })),
  ];
  const pems = await selfsigned.generate(
    [{ name: 'commonName', value: 'egress-proxier-testing-apiserver' }],
    {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      notAfterDate: new Date(Date.now() + 365 * 24 * 3600 * 1000),
      extensions: [
        { name: 'basicConstraints', cA: true },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
        { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
        { name: 'subjectAltName', altNames },
      ],
    },
  );
  return { cert: pems.cert, key: pems.private };
}
