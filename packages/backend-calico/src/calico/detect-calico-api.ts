// Discovery of the Calico API (which group/version serves IPPools) and of what the installed IPPool schema
// accepts. Runs against the live cluster; the result is cached by the proxier and refreshed on failure.
import {
  ApiextensionsV1Api,
  ApisApi,
  type KubeConfig,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { describeError } from './api-errors.js';
import { ipPoolCrdName, type CalicoApi, type CalicoApiGroup } from './calico-api.js';

export type CalicoApiDetection =
  { available: true; calico: CalicoApi; notes: string[] } | { available: false; reason: string };

export async function detectCalicoApi(kubeConfig: KubeConfig): Promise<CalicoApiDetection> {
  let groups: Map<string, string[]>;
  try {
    const list = await kubeConfig.makeApiClient(ApisApi).getAPIVersions();
    groups = new Map(list.groups.map((group) => [group.name, group.versions.map((v) => v.version)]));
  } catch (error) {
    return { available: false, reason: `API discovery failed (${describeError(error)})` };
  }
  const extensions = kubeConfig.makeApiClient(ApiextensionsV1Api);
  const notes: string[] = [];
  let api: CalicoApiGroup;
  let schemaCrd: V1CustomResourceDefinition | undefined;
  if (groups.get('projectcalico.org')?.includes('v3')) {
    const v3Crd = await readCrd(extensions, ipPoolCrdName('projectcalico.org'));
    api = {
      group: 'projectcalico.org',
      version: 'v3',
      servedBy: v3Crd === undefined ? 'aggregated-apiserver' : 'crd',
    };
    // The aggregated API server stores pools in the crd.projectcalico.org CRD of the same release, so that
    // CRD's schema tells which fields the served v3 API knows.
    schemaCrd = v3Crd ?? (await readCrd(extensions, ipPoolCrdName('crd.projectcalico.org')));
  } else if (groups.get('crd.projectcalico.org')?.includes('v1')) {
    api = { group: 'crd.projectcalico.org', version: 'v1', servedBy: 'crd' };
    schemaCrd = await readCrd(extensions, ipPoolCrdName('crd.projectcalico.org'));
  } else {
    return {
      available: false,
      reason: 'neither projectcalico.org/v3 nor crd.projectcalico.org/v1 is served (is Calico installed?)',
    };
  }
  const specFields = schemaCrd === undefined ? undefined : ipPoolSpecFields(schemaCrd);
  if (specFields === undefined) {
    notes.push('the IPPool schema could not be read; fencing pools with nodeSelector "!all()"');
  }
  return {
    available: true,
    calico: {
      api,
      fencing: specFields?.has('assignmentMode') ? 'assignmentMode' : 'nodeSelector',
      allowedUses: specFields?.has('allowedUses') ?? false,
    },
    notes,
  };
}

/** The property names of `spec` in the served storage version's schema, or undefined when absent. */
export function ipPoolSpecFields(crd: V1CustomResourceDefinition): Set<string> | undefined {
  const version =
    crd.spec.versions.find((v) => v.served && v.storage) ?? crd.spec.versions.find((v) => v.served);
  const spec = version?.schema?.openAPIV3Schema?.properties?.['spec'];
  return spec?.properties === undefined ? undefined : new Set(Object.keys(spec.properties));
}

async function readCrd(
  api: ApiextensionsV1Api,
  name: string,
): Promise<V1CustomResourceDefinition | undefined> {
  try {
    return await api.readCustomResourceDefinition({ name });
  } catch {
    // Missing (aggregated API) or forbidden (RBAC): the caller falls back to what every schema accepts.
    return undefined;
  }
}
