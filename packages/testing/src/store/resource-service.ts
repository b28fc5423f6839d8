import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { deepCopy, type JsonObject, type KubeObject, type StoredObject } from '../api/kube-object.js';
import { alreadyExists, badRequest, conflict, invalid, notFound, StatusError } from '../api/status-error.js';
import type { KindRegistry } from '../kinds/kind-registry.js';
import { apiVersionOf, storageKey, type ResourceKind } from '../kinds/resource-kind.js';
import { applyPatch, type PatchType } from '../patch/apply-patch.js';
import { matchesFields, type FieldRequirement } from '../selectors/field-selector.js';
import { matchesLabels, type LabelRequirement } from '../selectors/label-selector.js';
import { CrdLifecycle } from './crd-lifecycle.js';
import { checkIdentity } from './object-validation.js';
import { admit, decodeForWrite, type DecodeOptions } from './schema-admission.js';
import type { ObjectStore } from './object-store.js';

export interface Selectors {
  labels: LabelRequirement[];
  fields: FieldRequirement[];
}

export interface ListResult {
  items: StoredObject[];
  resourceVersion: string;
}

export interface WriteOptions extends DecodeOptions {
  /** `status` writes only `.status`; the main endpoint writes everything else. */
  subresource?: 'status';
  /** Test setup path: keep the client's status on create and update, as if a controller wrote it. */
  privileged?: boolean;
}

const nameSuffixAlphabet = 'bcdfghjklmnpqrstvwxz2456789';
const namespaceKind = { group: '', plural: 'namespaces' };

/** Kubernetes timestamps have second precision. */
function timestamp(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The fields whose change bumps `metadata.generation`: everything but metadata and status. */
function specOf(object: KubeObject): JsonObject {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = object;
  return rest as JsonObject;
}

export function selectorsMatch(selectors: Selectors, object: KubeObject): boolean {
  return (
    matchesLabels(selectors.labels, object.metadata.labels ?? {}) && matchesFields(selectors.fields, object)
  );
}

/**
 * The API semantics over raw storage: server-set metadata, generation, optimistic concurrency, status
 * subresource, finalizers, namespaces and CRD registration. HTTP handlers and test setup both use it.
 */
export class ResourceService {
  private readonly crds: CrdLifecycle;

  constructor(
    readonly registry: KindRegistry,
    readonly store: ObjectStore,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.crds = new CrdLifecycle(registry);
  }

  /** Sets the apiVersion to the version the client asked for (CRD versions share storage, conversion None). */
  present(kind: ResourceKind, object: StoredObject): StoredObject {
    return { ...object, apiVersion: apiVersionOf(kind), kind: kind.kind };
  }

  get(kind: ResourceKind, namespace: string | undefined, name: string): StoredObject {
    const found = this.store.get(storageKey(kind), kind.namespaced ? namespace : undefined, name);
    if (!found) throw notFound(kind, name);
    return this.present(kind, found);
  }

  list(kind: ResourceKind, namespace: string | undefined, selectors: Selectors): ListResult {
    const items = this.store
      .list(storageKey(kind), kind.namespaced ? namespace : undefined)
      .filter((o) => selectorsMatch(selectors, o))
      .map((o) => this.present(kind, o));
    return { items, resourceVersion: String(this.store.currentResourceVersion()) };
  }

  create(
    kind: ResourceKind,
    namespace: string | undefined,
    input: KubeObject,
    options: WriteOptions = {},
  ): StoredObject {
    checkIdentity(kind, input, namespace, true);
    if (input.metadata.resourceVersion)
      throw badRequest('resourceVersion should not be set on objects to be created');
    const object = deepCopy(decodeForWrite(kind, input, options, 'body'));
    const ns = kind.namespaced ? (namespace ?? object.metadata.namespace) : undefined;
    if (kind.namespaced && !ns)
      throw badRequest('the namespace of the object must be set for namespaced resources');
    if (ns && !this.store.get('namespaces.', undefined, ns)) throw notFound(namespaceKind, ns);
    const name = object.metadata.name || this.generateName(kind, ns, object.metadata.generateName ?? '');
    if (this.store.get(storageKey(kind), ns, name)) throw alreadyExists(kind, name);
    const created = this.initialize(kind, object, name, ns, options);
    admit(kind, created);
    return this.present(kind, this.store.write(storageKey(kind), created, 'ADDED'));
  }

  update(
    kind: ResourceKind,
    namespace: string | undefined,
    name: string,
    input: KubeObject,
    options: WriteOptions = {},
  ): StoredObject {
    checkIdentity(kind, input, namespace, false);
    if (input.metadata.name !== name)
      throw badRequest(
        `the name of the object (${input.metadata.name ?? ''}) does not match the name on the URL (${name})`,
      );
    const ns = kind.namespaced ? namespace : undefined;
    const current = this.store.get(storageKey(kind), ns, name);
    if (!current) throw notFound(kind, name);
    const requested = input.metadata.resourceVersion;
    if (!requested && kind.crdName && options.subresource === undefined && !options.privileged)
      throw invalid(kind.kind, kind.group, name, [
        {
          reason: 'FieldValueInvalid',
          field: 'metadata.resourceVersion',
          message: 'Invalid value: 0x0: must be specified for an update',
        },
      ]);
    if (requested && requested !== current.metadata.resourceVersion) throw conflict(kind, name);
    return this.commitUpdate(kind, current, decodeForWrite(kind, input, options, 'body'), options);
  }

  patch(
    kind: ResourceKind,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    body: string,
    options: WriteOptions = {},
  ): StoredObject {
    if (type === 'strategic' && kind.crdName)
      throw new StatusError(
        415,
        'UnsupportedMediaType',
        'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
      );
    const current = this.get(kind, namespace, name);
    const patched = applyPatch(current, type, body, kind.mergeKeys ?? {});
    if (patched.metadata.resourceVersion !== current.metadata.resourceVersion) throw conflict(kind, name);
    checkIdentity(kind, patched, namespace, false);
    if (patched.metadata.name !== name)
      throw badRequest(
        `the name of the object (${patched.metadata.name ?? ''}) does not match the name on the URL (${name})`,
      );
    return this.commitUpdate(kind, current, decodeForWrite(kind, patched, options, 'patch'), options);
  }

  delete(
    kind: ResourceKind,
    namespace: string | undefined,
    name: string,
    preconditions?: { uid?: string; resourceVersion?: string },
  ): StoredObject {
    const current = this.get(kind, namespace, name);
    if (preconditions?.uid && preconditions.uid !== current.metadata.uid)
      throw new StatusError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${kind.plural} "${name}": Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${current.metadata.uid}`,
        { name, kind: kind.plural },
      );
    if (preconditions?.resourceVersion && preconditions.resourceVersion !== current.metadata.resourceVersion)
      throw new StatusError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${kind.plural} "${name}": Precondition failed: ResourceVersion in precondition: ${preconditions.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`,
        { name, kind: kind.plural },
      );
    if ((current.metadata.finalizers ?? []).length > 0) {
      if (current.metadata.deletionTimestamp) return current;
      const terminating = deepCopy(current);
      terminating.metadata.deletionTimestamp = timestamp(this.now());
      terminating.metadata.deletionGracePeriodSeconds = 0;
      return this.present(kind, this.store.write(storageKey(kind), terminating, 'MODIFIED'));
    }
    return this.present(kind, this.removeNow(kind, current));
  }

  deleteCollection(kind: ResourceKind, namespace: string | undefined, selectors: Selectors): StoredObject[] {
    return this.list(kind, namespace, selectors).items.map((o) =>
      this.delete(kind, o.metadata.namespace, o.metadata.name),
    );
  }

  private generateName(kind: ResourceKind, namespace: string | undefined, prefix: string): string {
    for (;;) {
      let suffix = '';
      for (let i = 0; i < 5; i++)
        suffix += nameSuffixAlphabet[Math.floor(Math.random() * nameSuffixAlphabet.length)];
      const candidate = `${prefix}${suffix}`;
      if (!this.store.get(storageKey(kind), namespace, candidate)) return candidate;
    }
  }

  private initialize(
    kind: ResourceKind,
    object: KubeObject,
    name: string,
    ns: string | undefined,
    options: WriteOptions,
  ): StoredObject {
    const meta = object.metadata;
    meta.name = name;
    if (ns) meta.namespace = ns;
    else delete meta.namespace;
    meta.uid = randomUUID();
    meta.creationTimestamp = timestamp(this.now());
    meta.generation = 1;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    object.apiVersion = apiVersionOf(kind);
    object.kind = kind.kind;
    if (!options.privileged) this.statusOnCreate(kind, object);
    if (kind.kind === 'Namespace' && !kind.group) {
      meta.labels = { ...meta.labels, 'kubernetes.io/metadata.name': name };
      object['spec'] = { finalizers: ['kubernetes'] };
    }
    if (kind.plural === 'customresourcedefinitions') {
      this.crds.validate(object);
      return this.crds.establish(object, timestamp(this.now())) as StoredObject;
    }
    return object as StoredObject;
  }

  private statusOnCreate(kind: ResourceKind, object: KubeObject): void {
    const rule = kind.statusOnCreate;
    if (rule === 'drop') delete object['status'];
    else if (rule !== 'keep') object['status'] = deepCopy(rule.reset);
  }

  /** Merges what the endpoint may change into the current object, bumps generation, writes or no-ops. */
  private commitUpdate(
    kind: ResourceKind,
    current: StoredObject,
    input: KubeObject,
    options: WriteOptions,
  ): StoredObject {
    let next: KubeObject;
    if (options.subresource === 'status') {
      next = deepCopy(current);
      if (input['status'] === undefined) delete next['status'];
      else next['status'] = deepCopy(input['status']);
    } else {
      next = deepCopy(input);
      if (kind.hasStatusSubresource && !options.privileged) {
        if (current['status'] === undefined) delete next['status'];
        else next['status'] = deepCopy(current['status']);
      }
    }
    const meta = next.metadata;
    const old = current.metadata;
    meta.uid = old.uid;
    meta.creationTimestamp = old.creationTimestamp;
    meta.resourceVersion = old.resourceVersion;
    meta.generation = old.generation ?? 1;
    if (old.namespace) meta.namespace = old.namespace;
    else delete meta.namespace;
    if (old.deletionTimestamp) {
      meta.deletionTimestamp = old.deletionTimestamp;
      meta.deletionGracePeriodSeconds = old.deletionGracePeriodSeconds ?? 0;
    } else {
      delete meta.deletionTimestamp;
      delete meta.deletionGracePeriodSeconds;
    }
    next.apiVersion = current.apiVersion;
    next.kind = kind.kind;
    if (!isDeepStrictEqual(specOf(next), specOf(current))) meta.generation = (old.generation ?? 0) + 1;
    if (kind.plural === 'customresourcedefinitions' && options.subresource !== 'status') {
      this.crds.validate(next);
      next = this.crds.establish(next, timestamp(this.now()));
    }
    admit(kind, next, current);
    if (isDeepStrictEqual(next, current)) return this.present(kind, current);
    // Removing the last finalizer of a deleting object deletes it in the same step: one DELETED event.
    if (meta.deletionTimestamp && (meta.finalizers ?? []).length === 0)
      return this.present(kind, this.removeNow(kind, next as StoredObject));
    return this.present(kind, this.store.write(storageKey(kind), next as StoredObject, 'MODIFIED'));
  }

  /** Removes an object for good, cascading what the real controllers clean up (namespace content, CRD objects). */
  private removeNow(kind: ResourceKind, object: StoredObject): StoredObject {
    if (kind.kind === 'Namespace' && !kind.group) {
      const namespaced = new Set(
        this.registry
          .all()
          .filter((k) => k.namespaced)
          .map((k) => storageKey(k)),
      );
      for (const key of namespaced)
        for (const o of this.store.list(key, object.metadata.name))
          this.store.remove(key, o.metadata.namespace, o.metadata.name);
    }
    if (kind.plural === 'customresourcedefinitions') {
      const served = this.registry.all().find((k) => k.crdName === object.metadata.name);
      if (served)
        for (const o of this.store.list(storageKey(served)))
          this.store.remove(storageKey(served), o.metadata.namespace, o.metadata.name);
      this.crds.withdraw(object.metadata.name);
    }
    const removed = this.store.remove(
      storageKey(kind),
      object.metadata.namespace,
      object.metadata.name,
      object,
    );
    if (!removed) throw notFound(kind, object.metadata.name);
    return removed;
  }
}
