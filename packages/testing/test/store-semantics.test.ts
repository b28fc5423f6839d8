import { expect } from 'chai';
import type { KubeObject } from '../src/api/kube-object.js';
import type { StatusError } from '../src/api/status-error.js';
import { builtinKinds } from '../src/kinds/builtin-kinds.js';
import { KindRegistry } from '../src/kinds/kind-registry.js';
import type { ResourceKind } from '../src/kinds/resource-kind.js';
import { ObjectStore } from '../src/store/object-store.js';
import { ResourceService } from '../src/store/resource-service.js';
import type { StoreEvent } from '../src/store/store-event.js';

const none = { labels: [], fields: [] };

function setup(historySize = 100) {
  const registry = new KindRegistry(builtinKinds());
  const store = new ObjectStore(historySize);
  const service = new ResourceService(registry, store);
  const kind = (plural: string, group = ''): ResourceKind => {
    const k = registry.all().find((x) => x.plural === plural && x.group === group);
    if (!k) throw new Error(`no kind ${plural}`);
    return k;
  };
  service.create(kind('namespaces'), undefined, { metadata: { name: 'default' } });
  const events: StoreEvent[] = [];
  store.subscribe((e) => events.push(e));
  return { service, store, kind, events };
}

function statusOf(fn: () => unknown): { code: number; reason: string; message: string } {
  try {
    fn();
  } catch (e) {
    const s = e as StatusError;
    return { code: s.code, reason: s.reason, message: s.message };
  }
  throw new Error('expected a StatusError');
}

const pod = (name: string, extra: Partial<KubeObject> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels: { app: 'db' } },
  spec: { containers: [{ name: 'c', image: 'i' }] },
  ...extra,
});

describe('store semantics', () => {
  it('uses one cluster-wide resourceVersion counter across kinds and sets uid/creationTimestamp', () => {
    const { service, kind } = setup();
    const a = service.create(kind('configmaps'), 'default', { metadata: { name: 'a' } });
    const b = service.create(kind('pods'), 'default', pod('b'));
    expect(Number(b.metadata.resourceVersion)).to.equal(Number(a.metadata.resourceVersion) + 1);
    expect(a.metadata.uid).to.match(/^[0-9a-f-]{36}$/);
    expect(a.metadata.creationTimestamp).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(service.list(kind('configmaps'), undefined, none).resourceVersion).to.equal(
      b.metadata.resourceVersion,
    );
  });

  it('bumps generation on spec changes only, and writes nothing for a no-op update', () => {
    const { service, kind, events } = setup();
    const created = service.create(kind('pods'), 'default', pod('p'));
    expect(created.metadata.generation).to.equal(1);
    const labelled = service.patch(
      kind('pods'),
      'default',
      'p',
      'merge',
      '{"metadata":{"labels":{"x":"y"}}}',
    );
    expect(labelled.metadata.generation).to.equal(1);
    const respec = service.patch(kind('pods'), 'default', 'p', 'merge', '{"spec":{"nodeName":"n1"}}');
    expect(respec.metadata.generation).to.equal(2);
    const status = service.patch(kind('pods'), 'default', 'p', 'merge', '{"status":{"phase":"Running"}}', {
      subresource: 'status',
    });
    expect(status.metadata.generation).to.equal(2);
    const before = events.length;
    const same = service.update(kind('pods'), 'default', 'p', status);
    expect(same.metadata.resourceVersion).to.equal(status.metadata.resourceVersion);
    expect(events.length).to.equal(before);
  });

  it('answers with the real server’s Status errors', () => {
    const { service, kind } = setup();
    service.create(kind('pods'), 'default', pod('p'));
    const cases: Array<[() => unknown, number, string, string]> = [
      [
        () => service.create(kind('pods'), 'default', pod('p')),
        409,
        'AlreadyExists',
        'pods "p" already exists',
      ],
      [() => service.get(kind('pods'), 'default', 'q'), 404, 'NotFound', 'pods "q" not found'],
      [
        () => service.create(kind('pods'), 'nope', { ...pod('p'), metadata: { name: 'p' } }),
        404,
        'NotFound',
        'namespaces "nope" not found',
      ],
      [
        () => service.create(kind('pods'), 'other', pod('p')),
        400,
        'BadRequest',
        'the namespace of the provided object does not match',
      ],
      [
        () => service.create(kind('pods'), 'default', pod('')),
        422,
        'Invalid',
        'Pod "" is invalid: metadata.name: Required value: name or generateName is required',
      ],
      [
        () => service.create(kind('pods'), 'default', pod('p', { kind: 'Service' })),
        422,
        'Invalid',
        'Pod "p" is invalid: kind: Invalid value: "Service": must be Pod',
      ],
      [
        () => service.create(kind('pods'), 'default', pod('Bad_Name')),
        422,
        'Invalid',
        'Pod "Bad_Name" is invalid: metadata.name: Invalid value',
      ],
      [
        () =>
          service.update(
            kind('pods'),
            'default',
            'p',
            pod('p', { metadata: { name: 'p', namespace: 'default', resourceVersion: '1' } }),
          ),
        409,
        'Conflict',
        'Operation cannot be fulfilled on pods "p": the object has been modified',
      ],
    ];
    for (const [fn, code, reason, message] of cases) {
      const s = statusOf(fn);
      expect([s.code, s.reason]).to.deep.equal([code, reason]);
      expect(s.message).to.contain(message);
    }
  });

  it('generates names from generateName', () => {
    const { service, kind } = setup();
    const a = service.create(kind('configmaps'), 'default', { metadata: { generateName: 'cfg-' } });
    expect(a.metadata.name).to.match(/^cfg-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it('keeps status out of main-endpoint writes for kinds with a status subresource', () => {
    const { service, kind } = setup();
    const created = service.create(kind('pods'), 'default', pod('p', { status: { phase: 'Running' } }));
    expect(created['status']).to.deep.equal({ phase: 'Pending' });
    const updated = service.update(kind('pods'), 'default', 'p', { ...created, status: { phase: 'Failed' } });
    expect(updated['status']).to.deep.equal({ phase: 'Pending' });
    const viaStatus = service.update(
      kind('pods'),
      'default',
      'p',
      { ...updated, spec: { containers: [] }, status: { phase: 'Running' } },
      { subresource: 'status' },
    );
    expect(viaStatus['status']).to.deep.equal({ phase: 'Running' });
    expect(viaStatus['spec']).to.deep.equal(created['spec']);
  });

  it('holds objects with finalizers in deletion until the last finalizer goes, with one DELETED event', () => {
    const { service, kind, events } = setup();
    service.create(kind('configmaps'), 'default', { metadata: { name: 'f', finalizers: ['a', 'b'] } });
    const deleting = service.delete(kind('configmaps'), 'default', 'f');
    expect(deleting.metadata.deletionTimestamp).to.be.a('string');
    const one = service.patch(
      kind('configmaps'),
      'default',
      'f',
      'json',
      '[{"op":"remove","path":"/metadata/finalizers/0"}]',
    );
    expect(one.metadata.finalizers).to.deep.equal(['b']);
    events.length = 0;
    service.patch(kind('configmaps'), 'default', 'f', 'merge', '{"metadata":{"finalizers":null}}');
    expect(events.map((e) => e.type)).to.deep.equal(['DELETED']);
    expect(statusOf(() => service.get(kind('configmaps'), 'default', 'f')).code).to.equal(404);
  });

  it('applies strategic merge patches by merge key, merge patches by replacing lists', () => {
    const { service, kind } = setup();
    service.create(
      kind('pods'),
      'default',
      pod('p', {
        spec: {
          containers: [
            { name: 'a', image: '1' },
            { name: 'b', image: '1' },
          ],
        },
      }),
    );
    const smp = service.patch(
      kind('pods'),
      'default',
      'p',
      'strategic',
      '{"spec":{"containers":[{"name":"b","image":"2"},{"name":"a","$patch":"delete"}]}}',
    );
    expect(smp['spec']).to.deep.equal({ containers: [{ name: 'b', image: '2' }] });
    const merge = service.patch(
      kind('pods'),
      'default',
      'p',
      'merge',
      '{"spec":{"containers":[{"name":"c"}]}}',
    );
    expect(merge['spec']).to.deep.equal({ containers: [{ name: 'c' }] });
    const bad = statusOf(() =>
      service.patch(
        kind('pods'),
        'default',
        'p',
        'json',
        '[{"op":"test","path":"/spec/containers/0/name","value":"zzz"}]',
      ),
    );
    expect(bad.code).to.equal(422);
  });

  it('replays history to watches and reports expiry once events were evicted', () => {
    const { service, store, kind } = setup(3);
    const first = service.create(kind('configmaps'), 'default', { metadata: { name: 'a' } });
    for (const n of ['b', 'c', 'd']) service.create(kind('configmaps'), 'default', { metadata: { name: n } });
    const rv = Number(first.metadata.resourceVersion);
    expect(store.history.since(rv)?.map((e) => e.object.metadata.name)).to.deep.equal(['b', 'c', 'd']);
    expect(store.history.since(rv - 1)).to.equal(undefined);
    expect(store.history.oldestAvailable()).to.equal(rv);
  });

  it('deleting a namespace removes its content', () => {
    const { service, kind } = setup();
    service.create(kind('namespaces'), undefined, { metadata: { name: 'gone' } });
    service.create(kind('configmaps'), 'gone', { metadata: { name: 'a' } });
    service.delete(kind('namespaces'), undefined, 'gone');
    expect(service.list(kind('configmaps'), 'gone', none).items).to.deep.equal([]);
  });
});
