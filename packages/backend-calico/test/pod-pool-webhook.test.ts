// The admission webhook over real HTTPS with a self-signed certificate: AdmissionReview v1 in, JSONPatch out.
import { expect } from 'chai';
import { request } from 'node:https';
import selfsigned from 'selfsigned';
import type { ClusterEgressTable, Labels } from '@egress-proxier/core';
import { PodPoolWebhook, MUTATE_PODS_PATH } from '../src/webhook/pod-pool-webhook.js';
import {
  IPV4_POOLS_ANNOTATION,
  IPV6_POOLS_ANNOTATION,
  POOLS_OWNER_ANNOTATION,
} from '../src/calico/ownership.js';
import { policy } from './support/fake-cluster.js';

const TABLE: ClusterEgressTable = {
  clusterCIDRs: [],
  policies: [
    policy('api', {
      egressIPs: ['192.0.2.7', '2001:db8::7'],
      podSelector: { matchLabels: { app: 'api' } },
      namespaceSelector: { matchLabels: { team: 'pay' } },
    }),
  ],
};
const NAMESPACES: Record<string, Labels> = { payments: { team: 'pay' }, web: { team: 'web' } };

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

describe('PodPoolWebhook over HTTPS', () => {
  let webhook: PodPoolWebhook;
  let port: number;
  let ca: string;

  before(async () => {
    const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
    });
    ca = pems.cert;
    webhook = new PodPoolWebhook({
      tls: { cert: pems.cert, key: pems.private },
      host: '127.0.0.1',
      port: 0,
      currentTable: () => TABLE,
      namespaceLabels: (name) => Promise.resolve(NAMESPACES[name]),
      isUsablePool: (name) => name !== 'egress-api-unusable',
    });
    port = await webhook.start();
  });
  after(() => webhook.close());

  const post = (body: string, path = MUTATE_PODS_PATH): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path,
          method: 'POST',
          ca,
          headers: { 'Content-Type': 'application/json' },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) }),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  const review = (pod: unknown, overrides: Record<string, unknown> = {}): string =>
    JSON.stringify({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: 'u-1',
        kind: { group: '', version: 'v1', kind: 'Pod' },
        operation: 'CREATE',
        namespace: 'payments',
        object: pod,
        ...overrides,
      },
    });
  const response = (answer: Answer): Record<string, unknown> =>
    answer.body['response'] as Record<string, unknown>;
  const decodedPatch = (answer: Answer): unknown =>
    JSON.parse(Buffer.from(response(answer)['patch'] as string, 'base64').toString('utf8'));

  it('adds both pool annotations to a selected pod that has no annotations', async () => {
    const answer = await post(review({ metadata: { generateName: 'api-', labels: { app: 'api' } } }));
    expect(answer.status).to.equal(200);
    expect(response(answer)).to.include({ uid: 'u-1', allowed: true, patchType: 'JSONPatch' });
    expect(decodedPatch(answer)).to.deep.equal([
      {
        op: 'add',
        path: '/metadata/annotations',
        value: {
          [IPV4_POOLS_ANNOTATION]: '["egress-api-192-0-2-7"]',
          [IPV6_POOLS_ANNOTATION]: '["egress-api-2001-db8--7"]',
          [POOLS_OWNER_ANNOTATION]: 'api',
        },
      },
    ]);
  });

  it('adds keys with escaped JSON pointers when the pod already has annotations', async () => {
    const answer = await post(review({ metadata: { labels: { app: 'api' }, annotations: { a: 'b' } } }));
    expect(decodedPatch(answer)).to.deep.include({
      op: 'add',
      path: '/metadata/annotations/cni.projectcalico.org~1ipv4pools',
      value: '["egress-api-192-0-2-7"]',
    });
  });

  const untouched: [string, string][] = [
    ['a pod whose labels do not match', review({ metadata: { labels: { app: 'web' } } })],
    [
      'a matching pod in a namespace the policy does not select',
      review({ metadata: { labels: { app: 'api' } } }, { namespace: 'web' }),
    ],
    ['an UPDATE', review({ metadata: { labels: { app: 'api' } } }, { operation: 'UPDATE' })],
    [
      'a pod that requests pools itself',
      review({ metadata: { labels: { app: 'api' }, annotations: { [IPV4_POOLS_ANNOTATION]: '["mine"]' } } }),
    ],
  ];
  for (const [what, body] of untouched) {
    it(`allows ${what} unchanged`, async () => {
      const answer = await post(body);
      expect(answer.status).to.equal(200);
      expect(response(answer)['allowed']).to.equal(true);
      expect(response(answer)).to.not.have.property('patch');
    });
  }

  const malformed: [string, string, number][] = [
    ['bad JSON', '{"apiVersion": ', 400],
    ['the wrong kind', JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'Pod' }), 400],
    ['no request', JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }), 400],
  ];
  for (const [what, body, status] of malformed) {
    it(`answers ${what} with HTTP ${status} and a message`, async () => {
      const answer = await post(body);
      expect(answer.status).to.equal(status);
      expect(answer.body['message']).to.be.a('string').and.not.equal('');
    });
  }

  it('denies a pod CREATE review without request.object with a status, and keeps serving', async () => {
    const answer = await post(review(undefined));
    expect(answer.status).to.equal(200);
    expect(response(answer)).to.deep.include({ uid: 'u-1', allowed: false });
    expect((response(answer)['status'] as { message: string }).message).to.include('request.object');
    const next = await post(review({ metadata: { labels: { app: 'api' } } }));
    expect(response(next)['patchType']).to.equal('JSONPatch');
  });
});
