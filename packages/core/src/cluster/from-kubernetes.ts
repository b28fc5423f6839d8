// Full Kubernetes objects (as read from the API or a file) → the slim objects the core keeps. Conversion
// never throws: it always yields a slim object, leaving out values it cannot read, and lists what it left
// out with field paths. `render` refuses a file with problems; the agent, whose objects the API server has
// already validated, keeps the value.
import type { FieldProblem } from '../api/field-problem.js';
import { canonicalIP, parseCidr } from '../net/ip.js';
import { NAMESPACE_NAME_LABEL } from '../tracker/egress-tracker.js';
import type { PodPhase, SlimNamespace, SlimNode, SlimPod } from './slim-objects.js';

export interface Converted<T> {
  value: T;
  problems: FieldProblem[];
}

const PHASES: readonly PodPhase[] = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'];

export function slimPodFrom(object: unknown): Converted<SlimPod> {
  const problems: FieldProblem[] = [];
  const meta = record(object, 'metadata');
  const spec = record(object, 'spec');
  const status = record(object, 'status');
  const name = requiredString(meta, 'metadata.name', problems);
  const namespace = typeof meta.namespace === 'string' && meta.namespace !== '' ? meta.namespace : 'default';
  const labels = stringMap(meta.labels, 'metadata.labels', problems);
  let phase: PodPhase = 'Pending';
  if (PHASES.includes(status.phase as PodPhase)) phase = status.phase as PodPhase;
  else if (status.phase !== undefined) {
    problems.push({ path: 'status.phase', message: `must be one of ${PHASES.join(', ')}` });
  }

  const podIPs: string[] = [];
  for (const { path, value } of podIPEntries(status, problems)) {
    const canonical = typeof value === 'string' ? canonicalIP(value) : null;
    if (value === undefined) problems.push({ path, message: 'required' });
    else if (canonical === null)
      problems.push({ path, message: `${JSON.stringify(value)} is not a valid IP address` });
    else if (!podIPs.includes(canonical)) podIPs.push(canonical);
  }

  return {
    problems,
    value: {
      namespace,
      name,
      labels,
      nodeName: typeof spec.nodeName === 'string' ? spec.nodeName : '',
      hostNetwork: spec.hostNetwork === true,
      phase,
      podIPs,
    },
  };
}

export function slimNamespaceFrom(object: unknown): Converted<SlimNamespace> {
  const problems: FieldProblem[] = [];
  const meta = record(object, 'metadata');
  const name = requiredString(meta, 'metadata.name', problems);
  const labels = stringMap(meta.labels, 'metadata.labels', problems);
  // The API server always sets this label; files written by hand often do not.
  return { problems, value: { name, labels: { [NAMESPACE_NAME_LABEL]: name, ...labels } } };
}

export function slimNodeFrom(object: unknown): Converted<SlimNode> {
  const problems: FieldProblem[] = [];
  const meta = record(object, 'metadata');
  const spec = record(object, 'spec');
  const status = record(object, 'status');
  const name = requiredString(meta, 'metadata.name', problems);
  const labels = stringMap(meta.labels, 'metadata.labels', problems);

  const conditions = Array.isArray(status.conditions) ? status.conditions : [];
  const ready = conditions.some((c: unknown) => {
    const condition = c as { type?: unknown; status?: unknown } | null;
    return condition?.type === 'Ready' && condition.status === 'True';
  });

  const internalIPs: string[] = [];
  (Array.isArray(status.addresses) ? status.addresses : []).forEach((entry: unknown, index: number) => {
    const address = entry as { type?: unknown; address?: unknown } | null;
    if (address?.type !== 'InternalIP') return;
    const canonical = typeof address.address === 'string' ? canonicalIP(address.address) : null;
    if (canonical === null)
      problems.push({
        path: `status.addresses[${index}].address`,
        message: `"${String(address.address)}" is not a valid IP address`,
      });
    else internalIPs.push(canonical);
  });

  const podCIDRs: string[] = [];
  for (const { path, value } of podCIDREntries(spec, problems)) {
    const parsed = parseCidr(value as string); // it refuses what is not a string
    if ('error' in parsed) problems.push({ path, message: parsed.error });
    else podCIDRs.push(parsed.cidr.text);
  }

  return { problems, value: { name, labels, ready, internalIPs, podCIDRs } };
}

/** A value read from the object with the field path it was read from, for messages that name that field. */
interface Located {
  path: string;
  value: unknown;
}

/** `status.podIPs[*].ip`, or the older `status.podIP` when `podIPs` is absent. */
function podIPEntries(status: Record<string, unknown>, problems: FieldProblem[]): Located[] {
  const { podIPs, podIP } = status;
  if (podIPs === undefined || podIPs === null) {
    return podIP === undefined || podIP === '' ? [] : [{ path: 'status.podIP', value: podIP }];
  }
  if (!Array.isArray(podIPs)) {
    problems.push({ path: 'status.podIPs', message: 'must be a list of {ip: ADDRESS}' });
    return [];
  }
  return podIPs.flatMap((entry: unknown, index): Located[] => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      problems.push({ path: `status.podIPs[${index}]`, message: 'must be {ip: ADDRESS}' });
      return [];
    }
    return [{ path: `status.podIPs[${index}].ip`, value: (entry as { ip?: unknown }).ip }];
  });
}

/** `spec.podCIDRs[*]`, or the older `spec.podCIDR` when `podCIDRs` is absent. */
function podCIDREntries(spec: Record<string, unknown>, problems: FieldProblem[]): Located[] {
  const { podCIDRs, podCIDR } = spec;
  if (podCIDRs === undefined || podCIDRs === null) {
    return podCIDR === undefined || podCIDR === '' ? [] : [{ path: 'spec.podCIDR', value: podCIDR }];
  }
  if (!Array.isArray(podCIDRs)) {
    problems.push({ path: 'spec.podCIDRs', message: 'must be a list of CIDRs' });
    return [];
  }
  return podCIDRs.map((value: unknown, index) => ({ path: `spec.podCIDRs[${index}]`, value }));
}

function record(object: unknown, field: string): Record<string, unknown> {
  const value = (object as Record<string, unknown> | null)?.[field];
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function requiredString(object: Record<string, unknown>, path: string, problems: FieldProblem[]): string {
  const field = path.split('.').pop() as string;
  const value = object[field];
  if (typeof value !== 'string' || value === '') {
    problems.push({ path, message: 'required' });
    return '';
  }
  return value;
}

function stringMap(value: unknown, path: string, problems: FieldProblem[]): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    problems.push({ path, message: 'must be a map of strings' });
    return {};
  }
  const result: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') problems.push({ path: `${path}[${key}]`, message: 'must be a string' });
    else result[key] = item;
  }
  return result;
}
