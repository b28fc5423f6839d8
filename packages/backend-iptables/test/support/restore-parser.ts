// An independent reader of the text we feed iptables-restore and ipset restore, for the packet tracer. It
// understands only the matches and targets it names and throws on anything else, so a rule the tracer cannot
// evaluate fails a test instead of being skipped.
export interface ParsedRule {
  text: string;
  matches: Match[];
  target: Target;
}

export type Match =
  | { kind: 'set'; negated: boolean; set: string; direction: 'src' | 'dst' }
  | { kind: 'address'; negated: boolean; cidr: string; direction: 'src' | 'dst' }
  | { kind: 'mark'; negated: boolean; value: number; mask: number; conntrack: boolean }
  | { kind: 'protocol'; protocol: string }
  | { kind: 'tcpFlags'; mask: string[]; set: string[] }
  | { kind: 'outInterface'; device: string }
  | { kind: 'inInterface'; negated: boolean; device: string }
  | { kind: 'ctstate'; negated: boolean; states: string[] }
  /** The accounting chain's matches on a connection's NAT (direction, reply destination): never walked. */
  | { kind: 'ctNat'; option: '--ctdir' | '--ctrepldst'; value: string };

export type Target =
  | { kind: 'jump'; chain: string }
  | { kind: 'RETURN' | 'ACCEPT' | 'DROP' }
  | { kind: 'SNAT'; to: string }
  | { kind: 'MARK'; value: number; mask: number; conntrack: boolean }
  | { kind: 'TCPMSS' };

/** table → chain → rules, with built-in chains holding the jumps the restore inserts. */
export type ParsedTables = Map<string, Map<string, ParsedRule[]>>;

export function parseRestore(text: string): ParsedTables {
  const tables: ParsedTables = new Map();
  let chains: Map<string, ParsedRule[]> | undefined;
  for (const line of text.split('\n')) {
    if (line === '' || line === 'COMMIT') continue;
    if (line.startsWith('*')) {
      chains = new Map();
      tables.set(line.slice(1), chains);
      continue;
    }
    if (chains === undefined) throw new Error(`rule outside a table: ${line}`);
    if (line.startsWith(':')) {
      chains.set(line.slice(1).split(' ')[0] ?? '', []);
      continue;
    }
    const words = tokenize(line);
    const [verb, chain = ''] = words;
    if (verb === '-A') append(chains, chain).push(parseRule(words.slice(2), line));
    else if (verb === '-I' && words[2] === '1')
      append(chains, chain).unshift(parseRule(words.slice(3), line));
    else throw new Error(`unsupported restore line: ${line}`);
  }
  return tables;
}

/** One rule's arguments (what follows `-A <chain>`), parsed; throws on what the tracer cannot evaluate. */
export function parseRuleSpec(spec: string): ParsedRule {
  return parseRule(tokenize(spec), spec);
}

function append(chains: Map<string, ParsedRule[]>, chain: string): ParsedRule[] {
  const rules = chains.get(chain) ?? [];
  chains.set(chain, rules);
  return rules;
}

function parseRule(words: string[], text: string): ParsedRule {
  const matches: Match[] = [];
  let target: Target | undefined;
  let i = 0;
  const next = () => {
    const word = words[i++];
    if (word === undefined) throw new Error(`truncated rule: ${text}`);
    return word;
  };
  while (i < words.length) {
    let word = next();
    let negated = false;
    if (word === '!') {
      negated = true;
      word = next();
    }
    if (word === '-m') {
      const module = next();
      if (module === 'comment') {
        if (next() !== '--comment') throw new Error(`bad comment: ${text}`);
        next();
      } else if (module === 'set') {
        const negatedSet = words[i] === '!' ? (i++, true) : false;
        if (next() !== '--match-set') throw new Error(`bad set match: ${text}`);
        const set = next();
        const direction = next();
        if (direction !== 'src' && direction !== 'dst') throw new Error(`bad set direction: ${text}`);
        matches.push({ kind: 'set', negated: negatedSet, set, direction });
      } else if (module === 'mark' || module === 'connmark') {
        const negatedMark = words[i] === '!' ? (i++, true) : false;
        if (next() !== '--mark') throw new Error(`bad mark match: ${text}`);
        const [value, mask] = parseMark(next());
        matches.push({ kind: 'mark', negated: negatedMark, value, mask, conntrack: module === 'connmark' });
      } else if (module === 'conntrack') {
        while (words[i] === '!' || words[i]?.startsWith('--ct')) {
          const negatedOption = words[i] === '!' ? (i++, true) : false;
          const option = next();
          if (option === '--ctstate')
            matches.push({ kind: 'ctstate', negated: negatedOption, states: next().split(',') });
          else if ((option === '--ctdir' || option === '--ctrepldst') && !negatedOption)
            matches.push({ kind: 'ctNat', option, value: next() });
          else throw new Error(`bad conntrack match: ${text}`);
        }
      } else if (module === 'tcp') {
        if (next() !== '--tcp-flags') throw new Error(`bad tcp match: ${text}`);
        matches.push({ kind: 'tcpFlags', mask: next().split(','), set: next().split(',') });
      } else throw new Error(`unknown match module ${module}: ${text}`);
    } else if (word === '-d' || word === '-s') {
      matches.push({ kind: 'address', negated, cidr: next(), direction: word === '-d' ? 'dst' : 'src' });
    } else if (word === '-p') {
      matches.push({ kind: 'protocol', protocol: next() });
    } else if (word === '-o') {
      if (negated) throw new Error(`negated -o is not traced: ${text}`);
      matches.push({ kind: 'outInterface', device: next() });
    } else if (word === '-i') {
      matches.push({ kind: 'inInterface', negated, device: next() });
    } else if (word === '-j') {
      target = parseTarget(next(), () => next(), text);
    } else throw new Error(`unknown option ${word}: ${text}`);
  }
  if (target === undefined) throw new Error(`rule without target: ${text}`);
  return { text, matches, target };
}

function parseTarget(name: string, next: () => string, text: string): Target {
  switch (name) {
    case 'RETURN':
    case 'ACCEPT':
    case 'DROP':
      return { kind: name };
    case 'SNAT':
      if (next() !== '--to-source') throw new Error(`bad SNAT: ${text}`);
      return { kind: 'SNAT', to: next() };
    case 'MARK':
    case 'CONNMARK': {
      if (next() !== '--set-xmark') throw new Error(`bad ${name}: ${text}`);
      const [value, mask] = parseMark(next());
      return { kind: 'MARK', value, mask, conntrack: name === 'CONNMARK' };
    }
    case 'TCPMSS': {
      const option = next();
      if (option === '--set-mss') next();
      else if (option !== '--clamp-mss-to-pmtu') throw new Error(`bad TCPMSS: ${text}`);
      return { kind: 'TCPMSS' };
    }
    default:
      if (!name.startsWith('EGRESS-PROXIER-')) throw new Error(`unknown target ${name}: ${text}`);
      return { kind: 'jump', chain: name };
  }
}

function parseMark(text: string): [number, number] {
  const [value = '', mask = '0xffffffff'] = text.split('/');
  return [Number(value), Number(mask)];
}

function tokenize(line: string): string[] {
  const words: string[] = [];
  const pattern = /"([^"]*)"|(\S+)/g;
  for (let match = pattern.exec(line); match !== null; match = pattern.exec(line))
    words.push(match[1] ?? match[2] ?? '');
  return words;
}

/** `ipset restore` input → set name → entries. */
export function parseIpsetRestore(text: string): Map<string, string[]> {
  const sets = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const [verb, name = '', entry = ''] = line.split(' ');
    if (verb === 'create') sets.set(name, []);
    else if (verb === 'add') sets.get(name)?.push(entry);
    else if (line !== '') throw new Error(`unsupported ipset line: ${line}`);
  }
  return sets;
}

export interface ParsedSteering {
  rules: { mark: number; mask: number; table: number; priority: number }[];
  routes: { table: number; via: string; device: string }[];
  /** `throw` routes: destinations that leave the table for the next rule (the main table). */
  throws: { table: number; cidr: string }[];
}

/** The `ip rule add` / `ip route replace` lines of the routing section. */
export function parseRouting(text: string): ParsedSteering {
  const parsed: ParsedSteering = { rules: [], routes: [], throws: [] };
  for (const line of text.split('\n').filter((l) => l !== '')) {
    const rule = /^ip -[46] rule add fwmark (\S+) lookup (\d+) priority (\d+)$/.exec(line);
    const route = /^ip -[46] route replace default via (\S+) dev (\S+) onlink table (\d+)$/.exec(line);
    const thrown = /^ip -[46] route replace throw (\S+) table (\d+)$/.exec(line);
    if (thrown !== null) {
      parsed.throws.push({ cidr: thrown[1] ?? '', table: Number(thrown[2]) });
    } else if (rule !== null) {
      const [mark, mask] = parseMark(rule[1] ?? '');
      parsed.rules.push({ mark, mask, table: Number(rule[2]), priority: Number(rule[3]) });
    } else if (route !== null) {
      parsed.routes.push({ via: route[1] ?? '', device: route[2] ?? '', table: Number(route[3]) });
    } else throw new Error(`unsupported routing line: ${line}`);
  }
  return parsed;
}
