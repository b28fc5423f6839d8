// What kubelets would report for the example cluster. `kubectl apply` never sets status (a created pod
// starts Pending), so the test writes each node's and pod's status from examples/cluster.yaml through
// the status subresource, as the kubelet does.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { REPO_ROOT } from '../../deploy/repo-root.js';

export const EXAMPLE_CLUSTER = 'examples/cluster.yaml';

interface ListedObject {
  kind: string;
  metadata: { name: string; namespace?: string };
  status?: Record<string, unknown>;
}

export interface StatusReport {
  /** kubectl arguments that name the object, e.g. ['pod', 'checkout-1', '-n', 'shop']. */
  target: string[];
  status: Record<string, unknown>;
}

function exampleObjects(): ListedObject[] {
  const list = parse(readFileSync(join(REPO_ROOT, EXAMPLE_CLUSTER), 'utf8')) as { items?: ListedObject[] };
  if (!Array.isArray(list.items)) throw new Error(`${EXAMPLE_CLUSTER} is not a List`);
  return list.items;
}

/**
 * examples/cluster.yaml's items as a multi-document stream for `kubectl apply -f -`. kubectl validates a
 * `kind: List` file client-side against /openapi/v2, which the in-memory server does not serve (404); single
 * objects are validated by the server (fieldValidation), which it does support.
 */
export function exampleClusterDocuments(): string {
  return exampleObjects()
    .map((object) => stringify(object))
    .join('---\n');
}

/** Node Ready conditions and addresses, pod phase and IPs: the status each kubelet would write. */
export function kubeletStatusReports(): StatusReport[] {
  return exampleObjects().flatMap((object): StatusReport[] => {
    const { name, namespace } = object.metadata;
    if (object.kind === 'Node') {
      const { conditions, addresses } = object.status ?? {};
      return [{ target: ['node', name], status: { conditions, addresses } }];
    }
    if (object.kind === 'Pod') {
      if (!namespace) throw new Error(`${EXAMPLE_CLUSTER}: pod ${name} has no namespace`);
      const { phase, podIPs } = (object.status ?? {}) as { phase?: string; podIPs?: { ip: string }[] };
      const podIP = podIPs?.[0]?.ip;
      return [{ target: ['pod', name, '-n', namespace], status: { phase, podIP, podIPs } }];
    }
    return [];
  });
}

export function exampleNodeNames(): string[] {
  return exampleObjects()
    .filter((object) => object.kind === 'Node')
    .map((object) => object.metadata.name);
}
