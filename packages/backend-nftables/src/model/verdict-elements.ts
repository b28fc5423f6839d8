// The longest-prefix table (one verdict per source and nested destination prefix, longest wins) as the
// disjoint (source . destination range) keys an nftables interval map holds. A concatenated interval set
// (pipapo) has no "most specific match": overlapping keys are refused, so each source's nested prefixes are cut
// into the ranges where one prefix is the deepest. Each range keeps its prefix's verdict; `noRule` ranges (an
// exclusion no later rule covers) get no element, and adjacent ranges with equal verdicts are merged.
//
// Sources selected by the same policies have the same destinations and verdicts (the compiled table shares
// them), so the cut is computed once per distinct list and reused: a gateway with 150,000 pods under 2,000
// policies cuts 2,000 lists, not 150,000, on every sync.
import type {
  IPFamily,
  LongestPrefixEntry,
  LongestPrefixTable,
  LongestPrefixVerdict,
} from '@egress-proxier/core/plugin';
import { prefixRange, rangeText, type AddressRange } from './address-range.js';

export interface VerdictRange {
  family: IPFamily;
  destination: AddressRange;
  /** `destination` as nft prints it (rangeText). */
  destinationText: string;
  verdict: LongestPrefixVerdict;
}

/** One source's keys; sources with the same entries share one `ranges` array (do not modify it). */
export interface SourceRanges {
  source: string;
  ranges: readonly VerdictRange[];
}

export function verdictRanges(table: LongestPrefixTable): SourceRanges[] {
  const out: SourceRanges[] = [];
  const verdictIds = new Map<LongestPrefixVerdict, number>();
  const byShape = new Map<string, VerdictRange[]>();
  let start = 0;
  const entries = table.entries;
  while (start < entries.length) {
    let end = start + 1;
    const source = (entries[start] as LongestPrefixEntry).source;
    while (end < entries.length && (entries[end] as LongestPrefixEntry).source === source) end++;
    // Same destinations and the same verdict objects give the same ranges; equal verdicts that are different
    // objects only miss the memo.
    let shape = '';
    for (let i = start; i < end; i++) {
      const { destination, verdict } = entries[i] as LongestPrefixEntry;
      let id = verdictIds.get(verdict);
      if (id === undefined) verdictIds.set(verdict, (id = verdictIds.size));
      shape += `${destination} ${id};`;
    }
    let ranges = byShape.get(shape);
    if (ranges === undefined) byShape.set(shape, (ranges = sourceRanges(entries.slice(start, end))));
    if (ranges.length > 0) out.push({ source, ranges });
    start = end;
  }
  return out;
}

interface Open {
  range: AddressRange;
  verdict: LongestPrefixVerdict;
  /** First address of this prefix not yet given to a range. */
  cursor: bigint;
}

/** One source's entries, sorted so that a prefix comes before the prefixes inside it (the table's order). */
function sourceRanges(entries: readonly LongestPrefixEntry[]): VerdictRange[] {
  const first = entries[0];
  if (first === undefined) return [];
  const { family } = first;
  const pieces: { range: AddressRange; verdict: LongestPrefixVerdict }[] = [];
  const emit = (open: Open, last: bigint) => {
    if (open.cursor <= last && open.verdict.kind !== 'noRule')
      pieces.push({ range: { family, first: open.cursor, last }, verdict: open.verdict });
  };
  const stack: Open[] = [];
  const close = () => {
    const done = stack.pop() as Open;
    emit(done, done.range.last);
    const parent = stack[stack.length - 1];
    if (parent !== undefined) parent.cursor = done.range.last + 1n;
  };
  for (const entry of entries) {
    const range = prefixRange(entry.destination);
    while (stack.length > 0 && (stack[stack.length - 1] as Open).range.last < range.first) close();
    const parent = stack[stack.length - 1];
    if (parent !== undefined) {
      emit(parent, range.first - 1n);
      parent.cursor = range.first;
    }
    stack.push({ range, verdict: entry.verdict, cursor: range.first });
  }
  while (stack.length > 0) close();
  return merged(pieces).map(({ range, verdict }) => ({
    family,
    destination: range,
    destinationText: rangeText(range),
    verdict,
  }));
}

function merged(pieces: { range: AddressRange; verdict: LongestPrefixVerdict }[]) {
  const out: typeof pieces = [];
  for (const piece of pieces) {
    const previous = out[out.length - 1];
    if (
      previous !== undefined &&
      previous.range.last + 1n === piece.range.first &&
      JSON.stringify(previous.verdict) === JSON.stringify(piece.verdict)
    ) {
      previous.range = { ...previous.range, last: piece.range.last };
    } else out.push({ ...piece });
  }
  return out;
}
