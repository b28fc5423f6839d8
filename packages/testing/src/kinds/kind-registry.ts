import { apiVersionOf, type ResourceKind } from './resource-kind.js';

/** Every served group/version/resource; CRDs add and remove entries at runtime. */
export class KindRegistry {
  private readonly kinds: ResourceKind[] = [];

  constructor(initial: ResourceKind[]) {
    this.kinds.push(...initial);
  }

  all(): readonly ResourceKind[] {
    return this.kinds;
  }

  byResource(group: string, version: string, plural: string): ResourceKind | undefined {
    return this.kinds.find((k) => k.group === group && k.version === version && k.plural === plural);
  }

  byKind(apiVersion: string, kind: string): ResourceKind | undefined {
    return this.kinds.find((k) => apiVersionOf(k) === apiVersion && k.kind === kind);
  }

  /** Any served version of a group/resource, to reach shared storage when the caller has no version. */
  versionsOf(group: string, plural: string): ResourceKind[] {
    return this.kinds.filter((k) => k.group === group && k.plural === plural);
  }

  groupVersions(group: string): string[] {
    return [...new Set(this.kinds.filter((k) => k.group === group).map((k) => k.version))];
  }

  groups(): string[] {
    return [...new Set(this.kinds.map((k) => k.group).filter((g) => g !== ''))];
  }

  inGroupVersion(group: string, version: string): ResourceKind[] {
    return this.kinds.filter((k) => k.group === group && k.version === version);
  }

  /** Replaces whatever a CRD served before with its current versions. */
  setCrdKinds(crdName: string, kinds: ResourceKind[]): void {
    this.removeCrdKinds(crdName);
    this.kinds.push(...kinds);
  }

  removeCrdKinds(crdName: string): void {
    for (let i = this.kinds.length - 1; i >= 0; i--) {
      if (this.kinds[i]?.crdName === crdName) this.kinds.splice(i, 1);
    }
  }
}
