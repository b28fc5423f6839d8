// The x-kubernetes-validations (CEL) rules of Calico's IPPool CRDs (master), restated as plain checks for
// the pools this backend writes; the structural checker does not evaluate CEL.
import { parseCidr } from '@egress-proxier/core';
import type { IPPool } from '../../src/calico/ippool.js';

export function celInvariantProblems(pool: IPPool): string[] {
  const problems: string[] = [];
  const parsed = parseCidr(pool.spec.cidr);
  if ('error' in parsed) return [`cidr: ${parsed.error} (CEL: strictly masked)`];
  const { family, prefixLength } = parsed.cidr;
  const on = (mode: unknown): boolean => typeof mode === 'string' && mode !== '' && mode !== 'Never';
  if (on(pool.spec.ipipMode) && on(pool.spec.vxlanMode))
    problems.push('ipipMode and vxlanMode cannot both be enabled');
  if (family === 6 && on(pool.spec.ipipMode)) problems.push('IPIP is not supported on IPv6 pools');
  const blockSize = pool.spec.blockSize ?? (family === 4 ? 26 : 122);
  const [low, high] = family === 4 ? [20, 32] : [116, 128];
  if (blockSize < low || blockSize > high) problems.push(`blockSize ${blockSize} outside ${low}..${high}`);
  if (pool.spec.disabled !== true && prefixLength > blockSize)
    problems.push('pool smaller than its block size');
  const uses = pool.spec.allowedUses ?? [];
  if (uses.includes('LoadBalancer')) problems.push('LoadBalancer use is not ours');
  for (const selector of [pool.spec.nodeSelector, pool.spec['namespaceSelector']]) {
    if (typeof selector === 'string' && selector.includes('global(')) problems.push('global() selector');
  }
  return problems;
}
