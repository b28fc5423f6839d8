import type { KubeObject } from '../api/kube-object.js';
import { invalid, type StatusCause } from '../api/status-error.js';
import { establishedCrdStatus, kindsFromCrd, validateCrd } from '../kinds/crd-kinds.js';
import type { KindRegistry } from '../kinds/kind-registry.js';
import { apiVersionOf, type ResourceKind } from '../kinds/resource-kind.js';
import { RuleCompileError } from '../schema/cel/rules.js';

/** Plays the apiextensions controllers: validate names, serve the versions, report Established. */
export class CrdLifecycle {
  constructor(private readonly registry: KindRegistry) {}

  /** Throws 422 for a CRD the real server would refuse, including a kind another resource already uses. */
  validate(crd: KubeObject): void {
    const causes = validateCrd(crd);
    if (causes.length === 0) {
      for (const k of this.compiledKinds(crd, causes)) {
        const clash = this.registry.byResource(k.group, k.version, k.plural);
        if (clash && clash.crdName !== crd.metadata.name)
          causes.push({
            reason: 'FieldValueInvalid',
            field: 'spec.names.plural',
            message: `Invalid value: "${k.plural}": ${apiVersionOf(k)} already serves it`,
          });
      }
    }
    if (causes.length > 0)
      throw invalid('CustomResourceDefinition', 'apiextensions.k8s.io', crd.metadata.name ?? '', causes);
  }

  /** The served kinds with their schemas; a rule that does not compile is a cause, as on the real server. */
  private compiledKinds(crd: KubeObject, causes: StatusCause[]): ResourceKind[] {
    try {
      return kindsFromCrd(crd);
    } catch (e) {
      if (!(e instanceof RuleCompileError)) throw e;
      causes.push({
        reason: 'FieldValueInvalid',
        field: `spec.versions.schema.${e.schemaPath}`,
        message: `Invalid value: ${JSON.stringify(e.rule)}: compilation failed: ${e.message}`,
      });
      return [];
    }
  }

  /** Registers the served versions and returns the status the controllers would write. */
  establish(crd: KubeObject, now: string): KubeObject {
    this.registry.setCrdKinds(crd.metadata.name ?? '', kindsFromCrd(crd));
    return { ...crd, status: establishedCrdStatus(crd, now) };
  }

  withdraw(crdName: string): void {
    this.registry.removeCrdKinds(crdName);
  }
}
