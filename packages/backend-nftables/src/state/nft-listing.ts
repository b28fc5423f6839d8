// Reading our table back: `nft -j list table` (elements, as JSON) into the element text build-table.ts
// renders, and our table's part of `nft -t list ruleset` (terse: no elements) for the comment and a digest of
// the structure as the kernel holds it. Anything that is not the shape nft 1.0 prints is an error, never a guess.
import { createHash } from 'node:crypto';
import { COMMENT_PREFIX, TABLE } from '../names.js';
import { normaliseRange } from '../model/address-range.js';

export interface TableListing {
  /** Elements per set or map name, as build-table.ts renders them. */
  elements: Map<string, Set<string>>;
  chains: string[];
}

type Json = unknown;

export function parseJsonListing(text: string): TableListing {
  const parsed = JSON.parse(text) as { nftables?: Json[] };
  if (!Array.isArray(parsed.nftables)) throw new Error('nft -j output has no "nftables" array');
  const elements = new Map<string, Set<string>>();
  const chains: string[] = [];
  for (const object of parsed.nftables) {
    const record = object as Record<string, Record<string, Json>>;
    const set = record.set ?? record.map;
    if (set !== undefined) {
      const items = Array.isArray(set.elem) ? (set.elem as Json[]) : [];
      elements.set(
        String(set.name),
        new Set(items.map((item) => elementText(item, record.map !== undefined))),
      );
    }
    if (record.chain !== undefined) chains.push(String(record.chain.name));
  }
  return { elements, chains };
}

function elementText(item: Json, isMap: boolean): string {
  if (!isMap) return keyText(item);
  if (!Array.isArray(item) || item.length !== 2)
    throw new Error(`unexpected map element ${JSON.stringify(item)}`);
  return `${keyText(item[0])} : ${dataText(item[1])}`;
}

function keyText(key: Json): string {
  const value = unwrap(key);
  const concat = (value as { concat?: Json[] }).concat;
  if (Array.isArray(concat)) {
    const [source, destination] = concat;
    return `${String(source)} . ${addressPart(destination)}`;
  }
  return addressPart(value);
}

/** An element may come wrapped with its options (`{"elem": {"val": …}}`). */
function unwrap(key: Json): Json {
  const elem = (key as { elem?: { val?: Json } }).elem;
  return elem?.val ?? key;
}

function addressPart(part: Json): string {
  if (typeof part === 'string') return normaliseRange(part);
  const prefix = (part as { prefix?: { addr?: string; len?: number } }).prefix;
  if (prefix?.addr !== undefined && prefix.len !== undefined)
    return normaliseRange(`${prefix.addr}/${prefix.len}`);
  const range = (part as { range?: [string, string] }).range;
  if (Array.isArray(range)) return normaliseRange(`${range[0]}-${range[1]}`);
  throw new Error(`unexpected address in an element: ${JSON.stringify(part)}`);
}

function dataText(data: Json): string {
  if (typeof data === 'string') return data;
  const jump = (data as { jump?: { target?: string } }).jump;
  if (jump?.target !== undefined) return `jump ${jump.target}`;
  throw new Error(`unexpected map data ${JSON.stringify(data)}`);
}

/**
 * Our table's block of a terse ruleset listing (from its `table inet egress-proxier {` line to the `}` that closes
 * it at the start of a line), or undefined when the ruleset has no such table. `nft -t list ruleset` is read
 * rather than `nft -t list table`: nft 1.0.6 fetches every set element from the kernel for the latter, terse or
 * not (0.6 s and 350 MB with 150,000 elements), and none for the former.
 */
export function tableSection(ruleset: string): string | undefined {
  // With a newline in front, the header's preceding newline sits at the header's own index in `ruleset`.
  const start = `\n${ruleset}`.indexOf(`\ntable ${TABLE} {\n`);
  if (start < 0) return undefined;
  const close = ruleset.indexOf('\n}\n', start);
  if (close < 0) throw new Error(`nft -t list ruleset: the block of table ${TABLE} is not closed`);
  return ruleset.slice(start, close + 3);
}

/** The structure digest the table's comment carries, if it is ours. */
export function commentDigest(terse: string): string | undefined {
  const match = /^\s*comment "([^"]*)"/m.exec(terse);
  const comment = match?.[1];
  return comment?.startsWith(COMMENT_PREFIX) ? comment.slice(COMMENT_PREFIX.length) : undefined;
}

/** Digest of the terse listing: changes when any chain, rule or set declaration of the table changes. */
export function terseDigest(terse: string): string {
  return createHash('sha256').update(terse).digest('hex');
}
