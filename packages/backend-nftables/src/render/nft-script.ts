// The `nft -f` scripts of a table. Each is one transaction: the kernel applies all of it or none, and a packet
// sees the table before or after it, never a mix. A full script replaces the whole table (add, delete, define:
// the add makes the delete valid on a node without the table); an element script changes only set and map
// elements, which is all a pod event needs when the structure (chains, set declarations) is unchanged.
import { createHash } from 'node:crypto';
import { COMMENT_PREFIX, TABLE } from '../names.js';
import type { NftChain, NftSet, NftTable } from '../model/nft-table.js';

/** The table's definition without elements: what must be equal for an element script to suffice. */
export function structureText(table: NftTable): string {
  return definition(table, false, undefined);
}

/** Short digest of the structure; the table's comment carries it, so a restarted agent can adopt the table. */
export function structureDigest(table: NftTable): string {
  return createHash('sha256').update(structureText(table)).digest('hex').slice(0, 16);
}

export function tableComment(table: NftTable): string {
  return `${COMMENT_PREFIX}${structureDigest(table)}`;
}

/** Replaces our table, whatever the kernel holds, in one transaction. */
export function fullScript(table: NftTable): string {
  return `table ${TABLE}\ndelete table ${TABLE}\n${definition(table, true, tableComment(table))}`;
}

/** Each set's and map's elements by name, as a set: the form element scripts compare. */
export function elementSets(table: NftTable): Map<string, Set<string>> {
  return new Map(table.sets.map((set) => [set.name, new Set(set.elements)]));
}

/**
 * Turns the elements `current` holds into `desired`'s (both as elementSets gives them), in one transaction:
 * deletions first (a key of an interval set must not overlap one still present), then additions. A map
 * element whose data changes is deleted and added. Empty when nothing changes.
 */
export function elementScript(
  current: ReadonlyMap<string, ReadonlySet<string>>,
  desired: ReadonlyMap<string, ReadonlySet<string>>,
): { script: string; changes: number } {
  const deletions: string[] = [];
  const additions: string[] = [];
  let changes = 0;
  for (const [name, want] of desired) {
    const held = current.get(name) ?? new Set<string>();
    const gone: string[] = [];
    for (const element of held) if (!want.has(element)) gone.push(keyOf(element));
    const added: string[] = [];
    for (const element of want) if (!held.has(element)) added.push(element);
    changes += gone.length + added.length;
    if (gone.length > 0) deletions.push(`delete element ${TABLE} ${name} { ${gone.join(', ')} }`);
    if (added.length > 0) additions.push(`add element ${TABLE} ${name} { ${added.join(', ')} }`);
  }
  const lines = [...deletions, ...additions];
  return { script: lines.length === 0 ? '' : `${lines.join('\n')}\n`, changes };
}

function keyOf(element: string): string {
  const colon = element.indexOf(' : ');
  return colon < 0 ? element : element.slice(0, colon);
}

function definition(table: NftTable, withElements: boolean, comment: string | undefined): string {
  const body = [
    ...(comment === undefined ? [] : [`\tcomment "${comment}"`]),
    ...table.sets.map((set) => setText(set, withElements)),
    ...table.chains.map(chainText),
  ];
  return `table ${TABLE} {\n${body.join('\n')}\n}\n`;
}

function setText(set: NftSet, withElements: boolean): string {
  const lines = [`\t${set.kind} ${set.name} {`, `\t\ttype ${set.type}`, '\t\tflags interval'];
  if (set.counter) lines.push('\t\tcounter');
  if (withElements && set.elements.length > 0)
    lines.push(`\t\telements = {\n${set.elements.map((element) => `\t\t\t${element}`).join(',\n')}\n\t\t}`);
  lines.push('\t}');
  return lines.join('\n');
}

function chainText(chain: NftChain): string {
  const lines = [`\tchain ${chain.name} {`];
  if (chain.hook !== undefined) lines.push(`\t\t${chain.hook}; policy accept;`);
  lines.push(...chain.rules.map((rule) => `\t\t${rule}`), '\t}');
  return lines.join('\n');
}
