// What the kernel holds of our table. Read whole (elements included) on the first sync, after drift and after a
// failure; between those, every sync reads only the terse listing (no elements, cheap at any size) and compares
// its digest with the one taken after the last apply, so a flushed, deleted or edited table is noticed.
import type { CommandRunner } from '@egress-proxier/node-datapath';
import { TABLE_FAMILY, TABLE_NAME } from '../names.js';
import {
  commentDigest,
  parseJsonListing,
  tableSection,
  terseDigest,
  type TableListing,
} from '../state/nft-listing.js';

export type TableView =
  | { kind: 'absent' }
  | {
      kind: 'present';
      /** The structure digest from the table's comment (undefined: not written by this backend's scheme). */
      structure: string | undefined;
      /** Digest of the table's terse listing as read. */
      terse: string;
      listing: TableListing;
    };

const LIST = ['list', 'table', TABLE_FAMILY, TABLE_NAME];

/** The table's terse listing (no elements; cheap at any size), or undefined when the table does not exist. */
export async function readTerse(runner: CommandRunner): Promise<string | undefined> {
  return tableSection(await runner.stdout('nft', '-t', 'list', 'ruleset'));
}

export async function readTableView(runner: CommandRunner): Promise<TableView> {
  const terse = await readTerse(runner);
  if (terse === undefined) return { kind: 'absent' };
  const json = await runner.stdout('nft', '-j', ...LIST);
  return {
    kind: 'present',
    structure: commentDigest(terse),
    terse: terseDigest(terse),
    listing: parseJsonListing(json),
  };
}
