// Reads `iptables-save` output: which chains exist in each table and the rules of each chain, as printed.
import type { IptablesTable } from '../names.js';

export interface SavedTable {
  chains: Set<string>;
  /** Rule arguments after `-A <chain>`, in order, per chain. */
  rules: Map<string, string[]>;
}

export type SavedRuleset = Map<string, SavedTable>;

export function parseIptablesSave(text: string): SavedRuleset {
  const tables: SavedRuleset = new Map();
  let current: SavedTable | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) {
      current = { chains: new Set(), rules: new Map() };
      tables.set(line.slice(1).trim(), current);
    } else if (current === undefined || line.startsWith('#') || line === 'COMMIT') {
      continue;
    } else if (line.startsWith(':')) {
      const name = line.slice(1).split(' ')[0] ?? '';
      current.chains.add(name);
    } else if (line.startsWith('-A ')) {
      const rest = line.slice(3);
      const space = rest.indexOf(' ');
      const chain = space === -1 ? rest : rest.slice(0, space);
      const spec = space === -1 ? '' : rest.slice(space + 1);
      const rules = current.rules.get(chain) ?? [];
      rules.push(spec);
      current.rules.set(chain, rules);
    }
  }
  return tables;
}

export function savedRules(saved: SavedRuleset, table: IptablesTable, chain: string): string[] {
  return saved.get(table)?.rules.get(chain) ?? [];
}

/** The chain a rule jumps to (`-j X` or `-g X`), if any. */
export function jumpTarget(spec: string): string | undefined {
  return /(?:^| )-[jg] (\S+)/.exec(spec)?.[1];
}

/** Counts `-A` lines: how many rules a flavour holds, for flavour detection. */
export function countRules(text: string): number {
  return text.split('\n').filter((line) => line.startsWith('-A ')).length;
}
