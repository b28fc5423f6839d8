// The size a parsed YAML document would have with its aliases expanded. The parser shares an anchored
// value between its aliases instead of copying it, so parsing stays linear, but a "billion laughs" document
// (anchors aliasing anchors, a few hundred bytes) stands for a tree of billions of values that any walk
// over it, or a JSON/YAML printer, would expand. Counting with one memo per shared value keeps this linear.

/**
 * Counts the values (scalars, maps, lists) of `root` as if every alias were expanded, stopping as soon as
 * the count passes `limit`; returns the count, or Infinity past the limit (or for a value that contains
 * itself).
 */
export function expandedValueCount(root: unknown, limit: number): number {
  const memo = new Map<object, number>();
  const inProgress = new Set<object>();
  const count = (value: unknown): number => {
    if (typeof value !== 'object' || value === null) return 1;
    const known = memo.get(value);
    if (known !== undefined) return known;
    if (inProgress.has(value)) return Infinity;
    inProgress.add(value);
    let size = 1;
    for (const child of Array.isArray(value) ? value : Object.values(value)) {
      size += count(child);
      if (size > limit) break;
    }
    inProgress.delete(value);
    memo.set(value, size);
    return size;
  };
  const total = count(root);
  return total > limit ? Infinity : total;
}

/** Whether YAML text may contain an alias (`*name` where a value can start); without one there is no expansion. */
export function mayContainAlias(text: string): boolean {
  return /(?:^|[\s,[{])\*[^\s,[\]{}]/.test(text);
}
