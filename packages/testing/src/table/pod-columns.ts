import { isJsonObject, type JsonValue, type StoredObject } from '../api/kube-object.js';
import { ageOf } from './human-duration.js';
import type { ColumnDefinition } from './column-definition.js';

const column = (
  name: string,
  type: string,
  priority: number,
  description: string,
  format = '',
): ColumnDefinition => ({
  name,
  type,
  format,
  description,
  priority,
});

/** The columns of kubectl's pod printer that need no kubelet: NAME READY STATUS RESTARTS AGE (+ IP NODE wide). */
export const podColumns: ColumnDefinition[] = [
  column('Name', 'string', 0, 'Name must be unique within a namespace.', 'name'),
  column('Ready', 'string', 0, 'The aggregate readiness state of this pod for accepting traffic.'),
  column('Status', 'string', 0, 'The aggregate status of the containers in this pod.'),
  column(
    'Restarts',
    'string',
    0,
    'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
  ),
  column(
    'Age',
    'string',
    0,
    'CreationTimestamp is a timestamp representing the server time when this object was created.',
  ),
  column(
    'IP',
    'string',
    1,
    'IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.',
  ),
  column('Node', 'string', 1, 'NodeName is a request to schedule this pod onto a specific node.'),
];

function list(value: JsonValue | undefined): JsonValue[] {
  return Array.isArray(value) ? value : [];
}

export function podCells(pod: StoredObject, now: Date): JsonValue[] {
  const spec = isJsonObject(pod['spec']) ? pod['spec'] : {};
  const status = isJsonObject(pod['status']) ? pod['status'] : {};
  const containers = list(spec['containers']);
  const statuses = list(status['containerStatuses']).filter(isJsonObject);
  const ready = statuses.filter((s) => s['ready'] === true).length;
  const restarts = statuses.reduce(
    (sum, s) => sum + (typeof s['restartCount'] === 'number' ? s['restartCount'] : 0),
    0,
  );
  let phase =
    typeof status['reason'] === 'string'
      ? status['reason']
      : typeof status['phase'] === 'string'
        ? status['phase']
        : 'Unknown';
  if (pod.metadata.deletionTimestamp) phase = 'Terminating';
  return [
    pod.metadata.name,
    `${ready}/${containers.length}`,
    phase,
    String(restarts),
    ageOf(pod.metadata.creationTimestamp, now),
    typeof status['podIP'] === 'string' ? status['podIP'] : '<none>',
    typeof spec['nodeName'] === 'string' ? spec['nodeName'] : '<none>',
  ];
}
