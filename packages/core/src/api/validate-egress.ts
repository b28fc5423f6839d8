// Validation of an Egress object as read from the API or a file. Returns every problem with its field
// path, never throws, and on success yields the normalized EgressPolicy the rest of the core uses.
import {
  DEFAULT_GATEWAY_NODE_SELECTOR,
  EGRESS_API_VERSION,
  EGRESS_KIND,
  FAILURE_POLICIES,
  MAX_EGRESS_IPS,
  type FailurePolicy,
} from './egress-types.js';
import type { EgressPolicy } from './egress-policy.js';
import type { FieldProblem } from './field-problem.js';
import { canonicalIP, defaultRoute, ipFamily, parseCidr, type Cidr, type IPFamily } from '../net/ip.js';
import { compileLabelSelector, validateLabelSelector } from '../selectors/label-selector.js';
import type { LabelSelector } from '../selectors/label-selector-types.js';

export const MAX_CIDRS = 64;
const SPEC_FIELDS = new Set([
  'namespaceSelector',
  'podSelector',
  'egressIPs',
  'destinationCIDRs',
  'excludedCIDRs',
  'gatewayNodeSelector',
  'priority',
  'failurePolicy',
]);
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

export type EgressValidation = { ok: true; policy: EgressPolicy } | { ok: false; problems: FieldProblem[] };

export function validateEgress(object: unknown): EgressValidation {
  const problems: FieldProblem[] = [];
  if (!isObject(object)) return { ok: false, problems: [{ path: '', message: 'must be an object' }] };

  if (object.apiVersion !== EGRESS_API_VERSION) {
    problems.push({ path: 'apiVersion', message: `must be ${EGRESS_API_VERSION}` });
  }
  if (object.kind !== EGRESS_KIND) problems.push({ path: 'kind', message: `must be ${EGRESS_KIND}` });

  const metadata = isObject(object.metadata) ? object.metadata : {};
  if (!isObject(object.metadata)) problems.push({ path: 'metadata', message: 'required' });
  const name = metadata.name;
  if (typeof name !== 'string' || name.length === 0) {
    problems.push({ path: 'metadata.name', message: 'required' });
  } else if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    problems.push({
      path: 'metadata.name',
      message: 'must be a lowercase RFC 1123 subdomain of at most 253 characters',
    });
  }
  if (metadata.namespace !== undefined && metadata.namespace !== '') {
    problems.push({
      path: 'metadata.namespace',
      message: 'Egress is cluster-scoped and must not have a namespace',
    });
  }

  if (!isObject(object.spec)) {
    problems.push({ path: 'spec', message: 'required' });
    return { ok: false, problems };
  }
  const spec = object.spec;
  for (const field of Object.keys(spec)) {
    if (!SPEC_FIELDS.has(field)) problems.push({ path: `spec.${field}`, message: 'unknown field' });
  }

  const namespaceSelector = optionalSelector(spec.namespaceSelector, 'spec.namespaceSelector', problems);
  const podSelector = optionalSelector(spec.podSelector, 'spec.podSelector', problems);
  if (isAbsent(spec.namespaceSelector) && isAbsent(spec.podSelector)) {
    problems.push({ path: 'spec', message: 'at least one of namespaceSelector and podSelector is required' });
  }
  const gatewayNodeSelector =
    optionalSelector(spec.gatewayNodeSelector, 'spec.gatewayNodeSelector', problems) ??
    DEFAULT_GATEWAY_NODE_SELECTOR;

  const egressIPs = validateEgressIPs(spec.egressIPs, problems);
  const families = new Set(egressIPs.map(ipFamily));
  const destinations = validateCidrList(spec.destinationCIDRs, 'spec.destinationCIDRs', families, problems);
  const excluded = validateCidrList(spec.excludedCIDRs, 'spec.excludedCIDRs', families, problems);

  let priority = 0;
  if (!isAbsent(spec.priority)) {
    if (
      !Number.isInteger(spec.priority) ||
      (spec.priority as number) < INT32_MIN ||
      (spec.priority as number) > INT32_MAX
    ) {
      problems.push({ path: 'spec.priority', message: 'must be a 32-bit integer' });
    } else {
      priority = spec.priority as number;
    }
  }

  let failurePolicy: FailurePolicy = 'FailClosed';
  if (!isAbsent(spec.failurePolicy)) {
    if (!FAILURE_POLICIES.includes(spec.failurePolicy as FailurePolicy)) {
      problems.push({ path: 'spec.failurePolicy', message: `must be one of ${FAILURE_POLICIES.join(', ')}` });
    } else {
      failurePolicy = spec.failurePolicy as FailurePolicy;
    }
  }

  if (problems.length > 0) return { ok: false, problems };
  const destinationsExplicit = destinations.length > 0;
  const policy: EgressPolicy = {
    name: name as string,
    uid: typeof metadata.uid === 'string' ? metadata.uid : '',
    generation: typeof metadata.generation === 'number' ? metadata.generation : 1,
    creationTimestamp: typeof metadata.creationTimestamp === 'string' ? metadata.creationTimestamp : '',
    namespaceSelector: namespaceSelector ? compileLabelSelector(namespaceSelector) : null,
    podSelector: podSelector ? compileLabelSelector(podSelector) : null,
    gatewayNodeSelector: compileLabelSelector(gatewayNodeSelector),
    egressIPs,
    destinationCIDRs: destinationsExplicit ? destinations : [...families].sort().map((f) => defaultRoute(f)),
    destinationsExplicit,
    excludedCIDRs: excluded,
    priority,
    failurePolicy,
    source: { namespaceSelector, podSelector, gatewayNodeSelector },
  };
  return { ok: true, policy };
}

function optionalSelector(value: unknown, path: string, problems: FieldProblem[]): LabelSelector | null {
  if (isAbsent(value)) return null;
  const found = validateLabelSelector(value, path);
  problems.push(...found);
  return found.length === 0 ? (value as LabelSelector) : null;
}

function validateEgressIPs(value: unknown, problems: FieldProblem[]): string[] {
  if (!Array.isArray(value)) {
    problems.push({
      path: 'spec.egressIPs',
      message: isAbsent(value) ? 'required' : 'must be a list of IP addresses',
    });
    return [];
  }
  if (value.length === 0 || value.length > MAX_EGRESS_IPS) {
    problems.push({
      path: 'spec.egressIPs',
      message: `must have 1 to ${MAX_EGRESS_IPS} items, has ${value.length}`,
    });
  }
  const seen = new Set<string>();
  const ips: string[] = [];
  value.forEach((item, index) => {
    const canonical = typeof item === 'string' ? canonicalIP(item) : null;
    if (canonical === null) {
      problems.push({
        path: `spec.egressIPs[${index}]`,
        message: `"${String(item)}" is not a valid IP address`,
      });
    } else if (seen.has(canonical)) {
      problems.push({ path: `spec.egressIPs[${index}]`, message: `duplicate of ${canonical}` });
    } else {
      seen.add(canonical);
      ips.push(canonical);
    }
  });
  return ips;
}

function validateCidrList(
  value: unknown,
  path: string,
  families: ReadonlySet<IPFamily>,
  problems: FieldProblem[],
): Cidr[] {
  if (isAbsent(value)) return [];
  if (!Array.isArray(value)) {
    problems.push({ path, message: 'must be a list of CIDRs' });
    return [];
  }
  if (value.length > MAX_CIDRS)
    problems.push({ path, message: `must have at most ${MAX_CIDRS} items, has ${value.length}` });
  const seen = new Set<string>();
  const cidrs: Cidr[] = [];
  value.forEach((item, index) => {
    const parsed = parseCidr(item as string);
    if ('error' in parsed) {
      problems.push({ path: `${path}[${index}]`, message: `"${String(item)}": ${parsed.error}` });
    } else if (seen.has(parsed.cidr.text)) {
      problems.push({ path: `${path}[${index}]`, message: `duplicate of ${parsed.cidr.text}` });
    } else if (families.size > 0 && !families.has(parsed.cidr.family)) {
      problems.push({
        path: `${path}[${index}]`,
        message: `${parsed.cidr.text} is IPv${parsed.cidr.family} but no egress IP is`,
      });
    } else {
      seen.add(parsed.cidr.text);
      cidrs.push(parsed.cidr);
    }
  });
  return cidrs;
}

function isAbsent(value: unknown): boolean {
  return value === undefined || value === null;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
