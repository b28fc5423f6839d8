// Which pods each policy selects, maintained incrementally the way the Endpoints controller does: every
// event touches only the pods and policies it can affect. The tracker keeps the previous version of each
// object itself, because client-node's informer hands over only the new object on update.
import type { CompiledSelector } from '../selectors/label-selector.js';
import type { Labels } from '../selectors/label-selector-types.js';
import { LabelPairIndex } from './label-pair-index.js';
import {
  isEligiblePod,
  podKey,
  type PodKey,
  type SlimNamespace,
  type SlimPod,
} from '../cluster/slim-objects.js';

/** What the tracker needs of a policy: its name and selectors (null = no constraint on that axis). */
export interface SelectingPolicy {
  name: string;
  namespaceSelector: CompiledSelector | null;
  podSelector: CompiledSelector | null;
}

/** The label every namespace carries; used for namespaces whose object has not been seen yet. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

export class EgressTracker {
  private readonly pods = new Map<PodKey, SlimPod>();
  private readonly namespaceLabels = new Map<string, Labels>();
  private readonly policies = new Map<string, SelectingPolicy>();
  /** For every namespace known or holding pods: the policies whose namespace selector matches it. */
  private readonly namespacePolicies = new Map<string, Set<string>>();
  /** The reverse: namespaces each policy's namespace selector matches. */
  private readonly policyNamespaces = new Map<string, Set<string>>();
  /** Indexed namespaces by their labels, and policies by the label their namespace selector requires. */
  private readonly namespacesByLabel = new LabelPairIndex<string>();
  private readonly policiesByRequiredLabel = new LabelPairIndex<string>();
  /** Policies whose namespace selector has no required label: they must be tested against every namespace. */
  private readonly unindexedPolicies = new Set<string>();
  private readonly selectedPods = new Map<string, Set<PodKey>>();
  /** Arrays, not sets: a pod is selected by one or two policies, and there are 150,000 pods. */
  private readonly podPolicies = new Map<PodKey, string[]>();
  private readonly podsByNamespace = new Map<string, Set<PodKey>>();
  private readonly podsByNode = new Map<string, Set<PodKey>>();

  // ---- events ----

  /** Returns false when nothing the tracker keeps changed (most pod updates are status churn). */
  upsertPod(pod: SlimPod): boolean {
    const key = podKey(pod);
    const previous = this.pods.get(key);
    if (previous && samePod(previous, pod)) return false;
    if (previous) this.unindexPod(key, previous);
    this.pods.set(key, pod);
    addTo(this.podsByNamespace, pod.namespace, key);
    if (pod.nodeName !== '') addTo(this.podsByNode, pod.nodeName, key);
    this.ensureNamespaceIndexed(pod.namespace);

    const before = this.podPolicies.get(key);
    const after = this.matchingPolicies(pod);
    if (before) for (const name of [...before]) if (!after.includes(name)) this.deselect(name, key);
    for (const name of after) this.select(name, key);
    return true;
  }

  /** Returns false for a pod it did not know. */
  deletePod(namespace: string, name: string): boolean {
    const key = `${namespace}/${name}`;
    const previous = this.pods.get(key);
    if (!previous) return false;
    this.unindexPod(key, previous);
    this.pods.delete(key);
    for (const policy of [...(this.podPolicies.get(key) ?? [])]) this.deselect(policy, key);
    this.forgetNamespaceIfUnused(namespace);
    return true;
  }

  /** Returns false when the namespace's labels did not change. */
  upsertNamespace(namespace: SlimNamespace): boolean {
    const previous = this.namespaceLabels.get(namespace.name);
    if (previous && sameLabels(previous, namespace.labels)) return false;
    if (this.namespacePolicies.has(namespace.name)) {
      this.namespacesByLabel.removeLabels(this.labelsOf(namespace.name), namespace.name);
    }
    this.namespaceLabels.set(namespace.name, namespace.labels);
    this.namespacesByLabel.addLabels(namespace.labels, namespace.name);
    this.reevaluateNamespace(namespace.name);
    return true;
  }

  deleteNamespace(name: string): void {
    const previous = this.namespaceLabels.get(name);
    if (!previous) return;
    this.namespacesByLabel.removeLabels(previous, name);
    this.namespaceLabels.delete(name);
    if (this.namespacePolicies.has(name)) this.namespacesByLabel.addLabels(this.labelsOf(name), name);
    this.reevaluateNamespace(name);
    this.forgetNamespaceIfUnused(name);
  }

  upsertPolicy(policy: SelectingPolicy): void {
    const previous = this.policies.get(policy.name);
    if (previous) this.unindexPolicy(previous);
    this.policies.set(policy.name, policy);
    this.indexPolicy(policy);

    const before = this.policyNamespaces.get(policy.name) ?? new Set<string>();
    const matched = new Set<string>();
    for (const namespace of this.candidateNamespaces(policy)) {
      if (namespaceMatches(policy, this.labelsOf(namespace))) matched.add(namespace);
    }
    for (const namespace of before)
      if (!matched.has(namespace)) this.namespacePolicies.get(namespace)?.delete(policy.name);
    for (const namespace of matched) this.namespacePolicies.get(namespace)?.add(policy.name);
    this.policyNamespaces.set(policy.name, matched);

    const selectedBefore = this.selectedPods.get(policy.name) ?? new Set<PodKey>();
    const selectedAfter = new Set<PodKey>();
    for (const namespace of matched) {
      for (const key of this.podsByNamespace.get(namespace) ?? []) {
        if (podMatches(policy, this.pods.get(key) as SlimPod)) selectedAfter.add(key);
      }
    }
    for (const key of [...selectedBefore]) if (!selectedAfter.has(key)) this.deselect(policy.name, key);
    for (const key of selectedAfter) this.select(policy.name, key);
  }

  deletePolicy(name: string): void {
    const policy = this.policies.get(name);
    if (!policy) return;
    this.unindexPolicy(policy);
    this.policies.delete(name);
    for (const key of [...(this.selectedPods.get(name) ?? [])]) this.deselect(name, key);
    this.selectedPods.delete(name);
    for (const namespace of this.policyNamespaces.get(name) ?? [])
      this.namespacePolicies.get(namespace)?.delete(name);
    this.policyNamespaces.delete(name);
  }

  // ---- queries ----

  pod(key: PodKey): SlimPod | undefined {
    return this.pods.get(key);
  }

  podCount(): number {
    return this.pods.size;
  }

  /** Pods a policy selects (eligible ones only). */
  podsSelectedBy(policy: string): ReadonlySet<PodKey> {
    return this.selectedPods.get(policy) ?? EMPTY;
  }

  policiesSelecting(key: PodKey): readonly string[] {
    return this.podPolicies.get(key) ?? NO_POLICIES;
  }

  podsOnNode(node: string): ReadonlySet<PodKey> {
    return this.podsByNode.get(node) ?? EMPTY;
  }

  /** Namespaces (known or holding pods) a policy's namespace selector matches. */
  namespacesMatchedBy(policy: string): string[] {
    return [...(this.policyNamespaces.get(policy) ?? [])];
  }

  // ---- internals ----

  private matchingPolicies(pod: SlimPod): string[] {
    const result: string[] = [];
    if (!isEligiblePod(pod)) return result;
    for (const name of this.namespacePolicies.get(pod.namespace) ?? []) {
      if (podMatches(this.policies.get(name) as SelectingPolicy, pod)) result.push(name);
    }
    return result;
  }

  private reevaluateNamespace(namespace: string): void {
    const labels = this.labelsOf(namespace);
    const matched = this.namespacePolicies.get(namespace) ?? new Set<string>();
    this.namespacePolicies.set(namespace, matched);
    const affected = new Set([...matched, ...this.candidatePolicies(labels)]);
    for (const name of affected) {
      const policy = this.policies.get(name) as SelectingPolicy;
      const was = matched.has(policy.name);
      const is = namespaceMatches(policy, labels);
      if (was === is) continue;
      if (is) {
        matched.add(policy.name);
        addTo(this.policyNamespaces, policy.name, namespace);
      } else {
        matched.delete(policy.name);
        this.policyNamespaces.get(policy.name)?.delete(namespace);
      }
      for (const key of this.podsByNamespace.get(namespace) ?? []) {
        const pod = this.pods.get(key) as SlimPod;
        const selected = is && isEligiblePod(pod) && podMatches(policy, pod);
        if (selected) this.select(policy.name, key);
        else if (was) this.deselect(policy.name, key);
      }
    }
  }

  private ensureNamespaceIndexed(namespace: string): void {
    if (this.namespacePolicies.has(namespace)) return;
    const labels = this.labelsOf(namespace);
    this.namespacesByLabel.addLabels(labels, namespace);
    const matched = new Set<string>();
    for (const name of this.candidatePolicies(labels)) {
      if (namespaceMatches(this.policies.get(name) as SelectingPolicy, labels)) {
        matched.add(name);
        addTo(this.policyNamespaces, name, namespace);
      }
    }
    this.namespacePolicies.set(namespace, matched);
  }

  private forgetNamespaceIfUnused(namespace: string): void {
    if (this.namespaceLabels.has(namespace) || this.podsByNamespace.has(namespace)) return;
    const policies = this.namespacePolicies.get(namespace);
    if (!policies) return;
    for (const name of policies) this.policyNamespaces.get(name)?.delete(namespace);
    this.namespacesByLabel.removeLabels(this.labelsOf(namespace), namespace);
    this.namespacePolicies.delete(namespace);
  }

  /** Indexed namespaces that may match a policy's namespace selector. */
  private candidateNamespaces(policy: SelectingPolicy): Iterable<string> {
    const required = policy.namespaceSelector?.requiredLabel;
    if (!required) return this.namespacePolicies.keys();
    const candidates = new Set<string>();
    for (const value of required.values)
      for (const namespace of this.namespacesByLabel.get(required.key, value)) candidates.add(namespace);
    return candidates;
  }

  /** Policies whose namespace selector may match a namespace with these labels. */
  private candidatePolicies(labels: Labels): Set<string> {
    const candidates = new Set(this.unindexedPolicies);
    for (const [key, value] of Object.entries(labels))
      for (const name of this.policiesByRequiredLabel.get(key, value)) candidates.add(name);
    return candidates;
  }

  private indexPolicy(policy: SelectingPolicy): void {
    const required = policy.namespaceSelector?.requiredLabel;
    if (!required) this.unindexedPolicies.add(policy.name);
    else
      for (const value of required.values) this.policiesByRequiredLabel.add(required.key, value, policy.name);
  }

  private unindexPolicy(policy: SelectingPolicy): void {
    const required = policy.namespaceSelector?.requiredLabel;
    if (!required) this.unindexedPolicies.delete(policy.name);
    else
      for (const value of required.values)
        this.policiesByRequiredLabel.remove(required.key, value, policy.name);
  }

  private labelsOf(namespace: string): Labels {
    return this.namespaceLabels.get(namespace) ?? { [NAMESPACE_NAME_LABEL]: namespace };
  }

  private select(policy: string, key: PodKey): void {
    const set = this.selectedPods.get(policy) ?? new Set<PodKey>();
    if (set.has(key)) return;
    set.add(key);
    this.selectedPods.set(policy, set);
    const policies = this.podPolicies.get(key);
    if (policies) policies.push(policy);
    else this.podPolicies.set(key, [policy]);
  }

  private deselect(policy: string, key: PodKey): void {
    const set = this.selectedPods.get(policy);
    if (!set?.delete(key)) return;
    const policies = this.podPolicies.get(key) ?? [];
    const remaining = policies.filter((name) => name !== policy);
    if (remaining.length > 0) this.podPolicies.set(key, remaining);
    else this.podPolicies.delete(key);
  }

  private unindexPod(key: PodKey, pod: SlimPod): void {
    removeFrom(this.podsByNamespace, pod.namespace, key);
    if (pod.nodeName !== '') removeFrom(this.podsByNode, pod.nodeName, key);
  }
}

const EMPTY: ReadonlySet<never> = new Set();
const NO_POLICIES: readonly string[] = [];

function namespaceMatches(policy: SelectingPolicy, labels: Labels): boolean {
  return policy.namespaceSelector === null || policy.namespaceSelector.matches(labels);
}

function podMatches(policy: SelectingPolicy, pod: SlimPod): boolean {
  return isEligiblePod(pod) && (policy.podSelector === null || policy.podSelector.matches(pod.labels));
}

function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  if (set) set.add(value);
  else map.set(key, new Set([value]));
}

function removeFrom<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(value);
  if (set.size === 0) map.delete(key);
}

function sameLabels(a: Labels, b: Labels): boolean {
  const aKeys = Object.keys(a);
  if (aKeys.length !== Object.keys(b).length) return false;
  return aKeys.every((key) => Object.prototype.hasOwnProperty.call(b, key) && a[key] === b[key]);
}

function samePod(a: SlimPod, b: SlimPod): boolean {
  return (
    a.nodeName === b.nodeName &&
    a.hostNetwork === b.hostNetwork &&
    a.phase === b.phase &&
    a.podIPs.length === b.podIPs.length &&
    a.podIPs.every((ip, i) => ip === b.podIPs[i]) &&
    sameLabels(a.labels, b.labels)
  );
}
