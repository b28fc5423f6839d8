// Rendezvous (highest random weight) hashing: each candidate gets a pseudo-random weight for a key and
// the highest wins. Adding or removing a candidate moves only the keys it wins or held, which is why both
// gateway assignment and multi-IP spreading use it. Every agent computes the same answer: the hash is
// fixed (FNV-1a then murmur3's finalizer), not seeded per process.

/** 32-bit hash of a string, stable across processes and versions of Node. */
export function hash32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  // murmur3 fmix32: FNV alone distributes the last characters poorly.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/** The candidate with the highest weight for `key`, ties broken by the smaller candidate; null if none. */
export function rendezvousPick(key: string, candidates: Iterable<string>): string | null {
  let best: string | null = null;
  let bestWeight = -1;
  for (const candidate of candidates) {
    const weight = hash32(`${key}|${candidate}`);
    if (weight > bestWeight || (weight === bestWeight && best !== null && candidate < best)) {
      best = candidate;
      bestWeight = weight;
    }
  }
  return best;
}
