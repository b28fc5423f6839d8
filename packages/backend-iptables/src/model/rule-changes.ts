// Which rules a change of table touches. A rule is unchanged when it is in both tables, whole content equal,
// and the unchanged rules keep their relative order (the longest common subsequence of the two lists): then
// a packet that matches no changed rule has the same first match, hence the same decision, in both tables.
// Comparing by content alone is not enough: two rules that swap places (a priority change) decide the packets
// both match differently although neither changed.
import type { ChainRule } from './desired-datapath.js';

/** Above this many cells the subsequence is not searched and every rule between the common ends counts as changed. */
const MAX_LCS_CELLS = 4_000_000;

export function changedRules(previous: readonly ChainRule[], next: readonly ChainRule[]): ChainRule[] {
  let start = 0;
  while (start < previous.length && start < next.length && previous[start]?.key === next[start]?.key) start++;
  let endPrevious = previous.length;
  let endNext = next.length;
  while (
    endPrevious > start &&
    endNext > start &&
    previous[endPrevious - 1]?.key === next[endNext - 1]?.key
  ) {
    endPrevious--;
    endNext--;
  }
  const before = previous.slice(start, endPrevious);
  const after = next.slice(start, endNext);
  const [keptBefore, keptAfter] = commonSubsequence(
    before.map((rule) => rule.key),
    after.map((rule) => rule.key),
  );
  return [...before.filter((_, i) => !keptBefore.has(i)), ...after.filter((_, i) => !keptAfter.has(i))];
}

/** Indexes (in a and in b) of one longest common subsequence. */
function commonSubsequence(a: readonly string[], b: readonly string[]): [Set<number>, Set<number>] {
  const keptA = new Set<number>();
  const keptB = new Set<number>();
  if (a.length === 0 || b.length === 0 || (a.length + 1) * (b.length + 1) > MAX_LCS_CELLS)
    return [keptA, keptB];
  const width = b.length + 1;
  // lengths[i * width + j]: LCS length of a[i..] and b[j..]
  const lengths = new Uint32Array((a.length + 1) * width);
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lengths[i * width + j] =
        a[i] === b[j]
          ? (lengths[(i + 1) * width + j + 1] ?? 0) + 1
          : Math.max(lengths[(i + 1) * width + j] ?? 0, lengths[i * width + j + 1] ?? 0);
    }
  }
  for (let i = 0, j = 0; i < a.length && j < b.length;) {
    if (a[i] === b[j]) {
      keptA.add(i++);
      keptB.add(j++);
    } else if ((lengths[(i + 1) * width + j] ?? 0) >= (lengths[i * width + j + 1] ?? 0)) i++;
    else j++;
  }
  return [keptA, keptB];
}
