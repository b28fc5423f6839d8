// Validation of built-in kinds against the Kubernetes OpenAPI schemas, as compiled by kubernetes-models.
// It checks types, required fields and enums; it does not flag unknown fields, so the manifest tests also
// assert the fields that matter one by one.
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { describeManifest, type Manifest } from './manifest-yaml.js';

interface ValidatableModel {
  validate(): void;
}
type ModelClass = new (data: never) => ValidatableModel;

const MODELS_BY_TYPE: ReadonlyMap<string, ModelClass> = new Map<string, ModelClass>([
  ['v1/Namespace', Namespace],
  ['v1/ServiceAccount', ServiceAccount],
  ['apiextensions.k8s.io/v1/CustomResourceDefinition', CustomResourceDefinition],
  ['rbac.authorization.k8s.io/v1/ClusterRole', ClusterRole],
  ['rbac.authorization.k8s.io/v1/ClusterRoleBinding', ClusterRoleBinding],
  ['rbac.authorization.k8s.io/v1/Role', Role],
  ['rbac.authorization.k8s.io/v1/RoleBinding', RoleBinding],
  ['apps/v1/DaemonSet', DaemonSet],
]);

/** Throws when the manifest breaks its kind's schema, or when no schema is registered for its kind. */
export function validateBuiltInManifest(manifest: Manifest): void {
  const Model = MODELS_BY_TYPE.get(`${manifest.apiVersion}/${manifest.kind}`);
  if (Model === undefined) {
    throw new Error(`no Kubernetes schema registered for ${describeManifest(manifest)}; add its kind to kubernetes-models-by-kind.ts`);
  }
  try {
    new Model(manifest as never).validate();
  } catch (error) {
    throw new Error(`${describeManifest(manifest)}: ${(error as Error).message}`, { cause: error });
  }
}
