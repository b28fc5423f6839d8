import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  loadYaml,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  type V1ConfigMap,
} from '@kubernetes/client-node';
import { expect } from 'chai';
import { startApiServer, type RunningApiServer } from '../src/index.js';
import { egressCrdYaml } from './helpers/egress-crd.js';
import { eventually } from './helpers/kubectl.js';

/** The informer's cache as name → resourceVersion, to compare with the server's list. */
function cacheState(objects: readonly V1ConfigMap[]): Record<string, string> {
  const entries = objects.map((o) => [o.metadata?.name ?? '', o.metadata?.resourceVersion ?? ''] as const);
  return Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)));
}

describe('in-memory API server driven by @kubernetes/client-node', function () {
  this.timeout(20_000);
  let server: RunningApiServer;
  let kc: KubeConfig;
  let core: CoreV1Api;

  before(async () => {
    server = await startApiServer({ https: true, historySize: 50 });
    kc = new KubeConfig();
    kc.loadFromOptions(server.kubeConfigForClientNode());
    core = kc.makeApiClient(CoreV1Api);
  });

  after(() => server?.close());

  it('creates, reads and lists with CoreV1Api over HTTPS, with Status errors as ApiException', async () => {
    await core.createNamespace({ body: { metadata: { name: 'client-node' } } });
    const created = await core.createNamespacedConfigMap({
      namespace: 'client-node',
      body: { metadata: { name: 'one', labels: { app: 'x' } }, data: { a: '1' } },
    });
    expect(created.metadata?.uid).to.be.a('string');
    const listed = await core.listNamespacedConfigMap({
      namespace: 'client-node',
      labelSelector: 'app in (x, y)',
    });
    expect(listed.items.map((c) => c.metadata?.name)).to.deep.equal(['one']);
    expect(listed.metadata?.resourceVersion).to.match(/^\d+$/);
    try {
      await core.createNamespacedConfigMap({ namespace: 'client-node', body: { metadata: { name: 'one' } } });
      expect.fail('duplicate create must fail');
    } catch (e) {
      expect((e as { code?: number }).code).to.equal(409);
      expect(JSON.parse((e as { body: string }).body)).to.include({
        kind: 'Status',
        reason: 'AlreadyExists',
        code: 409,
      });
    }
  });

  it('serves custom objects of a CRD and their status subresource through CustomObjectsApi', async () => {
    // The typed client serializes its model's property names: a CRD parsed as plain YAML would reach the
    // server without x-kubernetes-preserve-unknown-fields (and have its spec and status pruned).
    const crd = loadYaml<object>(egressCrdYaml);
    await fetchCreateCrd(server, crd);
    const custom = kc.makeApiClient(CustomObjectsApi);
    const base = { group: 'egress.proxier.io', version: 'v1alpha1', plural: 'egresses' };
    await custom.createClusterCustomObject({
      ...base,
      body: {
        apiVersion: 'egress.proxier.io/v1alpha1',
        kind: 'Egress',
        metadata: { name: 'e1' },
        spec: { egressIPs: ['192.0.2.1'] },
        status: { ignored: true },
      },
    });
    const patched = (await custom.patchClusterCustomObjectStatus(
      { ...base, name: 'e1', body: { status: { observedGeneration: 1 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as { status: unknown; metadata: { generation: number } };
    expect(patched.status).to.deep.equal({ observedGeneration: 1 });
    expect(patched.metadata.generation).to.equal(1);
  });

  it('keeps an informer in sync across a dropped watch and a 410 relist, ending with the server’s state', async () => {
    const ns = 'informer';
    await core.createNamespace({ body: { metadata: { name: ns } } });
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'one' } } });
    const path = `/api/v1/namespaces/${ns}/configmaps`;
    let lists = 0;
    const informer = makeInformer(kc, path, () => {
      lists++;
      return core.listNamespacedConfigMap({ namespace: ns });
    });
    const seen: string[] = [];
    let connects = 0;
    informer.on('add', (o) => seen.push(`add ${o.metadata?.name}`));
    informer.on('update', (o) => seen.push(`update ${o.metadata?.name}`));
    informer.on('delete', (o) => seen.push(`delete ${o.metadata?.name}`));
    informer.on('connect', () => connects++);
    // ListWatch stops on any error other than 410: a real user must restart it, as here, after a short pause.
    informer.on('error', () => setTimeout(() => void informer.start(), 50));
    await informer.start();
    try {
      await eventually(() => seen.includes('add one'), 'the initial list');

      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'two' } } });
      await eventually(() => seen.includes('add two'), 'a watched add');

      expect(server.faults.dropWatches()).to.equal(1);
      // Changes while no watch is open: the restarted watch resumes from the last resourceVersion.
      await core.deleteNamespacedConfigMap({ namespace: ns, name: 'one' });
      await eventually(
        () => seen.includes('delete one') && connects >= 2,
        'the reconnected watch to replay the delete',
      );
      expect(lists).to.equal(1);

      server.faults.expireNextWatch();
      expect(server.faults.dropWatches()).to.equal(1);
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'three' } } });
      await eventually(
        () => seen.includes('add three') && lists === 2,
        'a relist after 410 to find the new object',
      );

      const live = await core.listNamespacedConfigMap({ namespace: ns });
      await eventually(
        () => JSON.stringify(cacheState(informer.list(ns))) === JSON.stringify(cacheState(live.items)),
        'the cache to equal the server',
      );
      expect(Object.keys(cacheState(informer.list(ns)))).to.deep.equal(['three', 'two']);
    } finally {
      await informer.stop();
    }
  });
});

/** Creates a CRD through ApiextensionsV1Api and checks the server reports it Established. */
async function fetchCreateCrd(server: RunningApiServer, crd: object): Promise<void> {
  const { ApiextensionsV1Api } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  kc.loadFromOptions(server.kubeConfigForClientNode());
  const created = await kc
    .makeApiClient(ApiextensionsV1Api)
    .createCustomResourceDefinition({ body: crd as never });
  expect(created.status?.conditions?.find((c) => c.type === 'Established')?.status).to.equal('True');
}
