// The loader's own encoders (src/maps/map-layout.ts) as `bpftool map update … key hex … value hex …`
// arguments, so the classifier's kernel test fills the maps with exactly the bytes a sync writes.
import { isIPv4 } from 'node:net';
import {
  CLUSTER_VALUE,
  encodeClusterKey,
  encodePolicyKey,
  encodePolicyValue,
  type PolicyValue,
} from '../../src/maps/map-layout.js';

const familyOf = (address: string) => (isIPv4(address) ? 4 : 6);
const hexBytes = (bytes: Buffer): string[] => [...bytes].map((byte) => byte.toString(16).padStart(2, '0'));

export function policyKey(source: string, destination: string): string[] {
  return hexBytes(encodePolicyKey(familyOf(source), source, destination));
}

export function clusterKey(destination: string): string[] {
  return hexBytes(encodeClusterKey(familyOf(destination.split('/')[0] ?? ''), destination));
}

export function policyValue(value: PolicyValue): string[] {
  return hexBytes(encodePolicyValue(value));
}

export const clusterValue = (): string[] => hexBytes(CLUSTER_VALUE);
