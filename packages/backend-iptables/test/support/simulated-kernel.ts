// A node's kernel in memory, for unit tests of whole syncs. It runs the commands the iptables proxier issues
// (restores, ipset, ip rule/route/addr/link, bridge, the reads of a first sync) against its own state, refuses
// what the real tools refuse where ordering matters (a rule naming a set or chain that does not exist, destroying
// a set a rule uses, deleting a rule that is not there), and records a snapshot after every step that commits:
// each table's COMMIT, each `ipset restore` line, each route or rule change. The packet tracer walks packets
// through every snapshot. A command it does not know fails the test instead of being skipped.
import type { Exec, ExecRequest, ExecResult, IPFamily } from '@egress-proxier/core';
import { parseRuleSpec, type ParsedRule, type ParsedSteering, type ParsedTables } from './restore-parser.js';

export interface SimSet {
  type: string;
  family: IPFamily;
  entries: string[];
}

export interface SimRule {
  family: IPFamily;
  mark: number;
  mask: number;
  table: number;
  priority: number;
}

export interface SimRoute {
  family: IPFamily;
  table: number;
  type: 'unicast' | 'throw';
  /** `default`, or the throw route's CIDR. */
  dst: string;
  via?: string;
  device?: string;
}

export interface SimAddress {
  device: string;
  family: IPFamily;
  cidr: string;
  label?: string;
}

export interface KernelState {
  /** Per family: table → chain → rules; built-in chains hold the jumps to ours. */
  iptables: Record<IPFamily, ParsedTables>;
  sets: Map<string, SimSet>;
  rules: SimRule[];
  routes: SimRoute[];
  addresses: SimAddress[];
  /** Links created through the simulation (the uplink is implied). */
  links: Map<string, { kind: string; addresses: string[]; fdb: string[] }>;
}

export interface Snapshot {
  /** The step that produced this state, e.g. `iptables-restore v4 filter` or `ipset: add EGP-S-… 10.0.0.1`. */
  step: string;
  state: KernelState;
}

const BUILTINS: Record<string, readonly string[]> = {
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
};

const OK: ExecResult = { exitCode: 0, stdout: '', stderr: '' };

export class SimulatedKernel implements Exec {
  state: KernelState = {
    iptables: { 4: new Map(), 6: new Map() },
    sets: new Map(),
    rules: [],
    routes: [],
    addresses: [],
    links: new Map(),
  };
  readonly snapshots: Snapshot[] = [];
  /** Every command run, as text, for tests that look at what a sync did. */
  readonly commands: string[] = [];

  constructor(
    private readonly uplink = 'eth0',
    private readonly uplinkAddress = '192.0.2.11',
  ) {}

  /** Forgets the recorded snapshots and commands; the current state becomes the first snapshot. */
  mark(step = 'before'): void {
    this.snapshots.length = 0;
    this.commands.length = 0;
    this.snapshot(step);
  }

  /** Records the current state as a step (e.g. after a test changed the state by hand). */
  record(step: string): void {
    this.snapshot(step);
  }

  async run(request: ExecRequest): Promise<ExecResult> {
    this.commands.push([request.command, ...request.args].join(' '));
    const result = this.dispatch(request);
    if (result.exitCode !== 0 && !(request.allowedExitCodes ?? []).includes(result.exitCode)) {
      throw new Error(`simulated ${request.command} ${request.args.join(' ')} failed: ${result.stderr}`);
    }
    return result;
  }

  private dispatch({ command, args, input }: ExecRequest): ExecResult {
    const tool = /^(ip6?tables)-nft(-restore|-save)?$/.exec(command);
    if (tool !== null) {
      const family: IPFamily = tool[1] === 'ip6tables' ? 6 : 4;
      if (tool[2] === '-restore') return this.iptablesRestore(family, args, input ?? '');
      if (tool[2] === '-save') return { ...OK, stdout: this.iptablesSave(family) };
      return this.iptablesList(family, args);
    }
    if (command === 'ipset') return this.ipset(args, input ?? '');
    if (command === 'ip') {
      if (args[0] === '-batch' && args[1] === '-') {
        for (const line of (input ?? '').split('\n').filter((l) => l.trim() !== '')) this.ip(line.split(' '));
        return OK;
      }
      return this.ip([...args]);
    }
    if (command === 'bridge') return this.bridge(args);
    if (command === 'sysctl')
      return args[0] === '-n'
        ? {
            ...OK,
            stdout: args
              .slice(1)
              .map(() => '0')
              .join('\n'),
          }
        : OK;
    throw new Error(`the simulated kernel does not know ${command} ${args.join(' ')}`);
  }

  // --- iptables -------------------------------------------------------------------------------------------

  private iptablesRestore(family: IPFamily, args: readonly string[], input: string): ExecResult {
    if (args.join(' ') !== '-w --noflush') throw new Error(`unexpected restore arguments ${args.join(' ')}`);
    let table: string | undefined;
    let working: Map<string, ParsedRule[]> | undefined;
    for (const line of input.split('\n')) {
      if (line === '') continue;
      if (line.startsWith('*')) {
        table = line.slice(1);
        working = cloneChains(this.state.iptables[family].get(table) ?? new Map());
        for (const builtin of BUILTINS[table] ?? []) if (!working.has(builtin)) working.set(builtin, []);
        continue;
      }
      if (table === undefined || working === undefined)
        throw new Error(`restore line outside a table: ${line}`);
      if (line === 'COMMIT') {
        this.checkReferences(family, table, working);
        this.state.iptables[family].set(table, working);
        this.snapshot(`iptables-restore v${family} ${table}`);
        table = undefined;
        continue;
      }
      const declared = /^:(\S+) - \[0:0\]$/.exec(line);
      if (declared !== null) {
        working.set(declared[1] ?? '', []);
        continue;
      }
      const [verb, chain = '', ...rest] = line.split(' ');
      const rules = working.get(chain);
      if (verb === '-X') {
        if (rules === undefined) throw new Error(`-X of missing chain ${chain}`);
        working.delete(chain);
      } else if (rules === undefined) {
        throw new Error(`${line}: no chain ${chain} in ${table}`);
      } else if (verb === '-A') {
        rules.push(parseRuleSpec(rest.join(' ')));
      } else if (verb === '-I' && rest[0] === '1') {
        rules.unshift(parseRuleSpec(rest.slice(1).join(' ')));
      } else if (verb === '-D') {
        const index = rules.findIndex((rule) => rule.text === rest.join(' '));
        if (index === -1) throw new Error(`${line}: no such rule`);
        rules.splice(index, 1);
      } else throw new Error(`unsupported restore line: ${line}`);
    }
    if (table !== undefined) throw new Error(`restore input ends without COMMIT for ${table}`);
    return OK;
  }

  /** What iptables-restore itself refuses: jumps to missing chains, matches on missing sets. */
  private checkReferences(family: IPFamily, table: string, chains: Map<string, ParsedRule[]>): void {
    for (const [chain, rules] of chains) {
      for (const rule of rules) {
        if (rule.target.kind === 'jump' && !chains.has(rule.target.chain)) {
          throw new Error(`v${family} ${table} ${chain}: jump to missing chain ${rule.target.chain}`);
        }
        for (const match of rule.matches) {
          if (match.kind === 'set' && !this.state.sets.has(match.set)) {
            throw new Error(`v${family} ${table} ${chain}: set ${match.set} does not exist (${rule.text})`);
          }
        }
      }
    }
  }

  private iptablesSave(family: IPFamily): string {
    const lines: string[] = [];
    for (const [table, chains] of this.state.iptables[family]) {
      lines.push(`*${table}`);
      for (const chain of chains.keys()) {
        lines.push((BUILTINS[table] ?? []).includes(chain) ? `:${chain} ACCEPT [0:0]` : `:${chain} - [0:0]`);
      }
      for (const [chain, rules] of chains) for (const rule of rules) lines.push(`-A ${chain} ${rule.text}`);
      lines.push('COMMIT');
    }
    return `${lines.join('\n')}\n`;
  }

  /** `iptables -w -t TABLE -S CHAIN [N]`. */
  private iptablesList(family: IPFamily, args: readonly string[]): ExecResult {
    const [w, t, table = '', s, chain = '', number] = args;
    if (w !== '-w' || t !== '-t' || s !== '-S') throw new Error(`unsupported iptables ${args.join(' ')}`);
    const rules = this.state.iptables[family].get(table)?.get(chain);
    if (rules === undefined)
      return { exitCode: 1, stdout: '', stderr: 'No chain/target/match by that name.' };
    const lines = rules.map((rule) => `-A ${chain} ${rule.text}`);
    if (number !== undefined) return { ...OK, stdout: `${lines[Number(number) - 1] ?? ''}\n` };
    return { ...OK, stdout: [`-N ${chain}`, ...lines].join('\n') + '\n' };
  }

  // --- ipset ----------------------------------------------------------------------------------------------

  private ipset(args: readonly string[], input: string): ExecResult {
    if (args[0] === 'save') return { ...OK, stdout: this.ipsetSave() };
    if (args.join(' ') === 'list -t') return { ...OK, stdout: this.ipsetTerse() };
    if (args.join(' ') !== 'restore -exist') throw new Error(`unsupported ipset ${args.join(' ')}`);
    for (const line of input.split('\n').filter((l) => l !== '')) {
      const [verb, name = '', ...rest] = line.split(' ');
      const set = this.state.sets.get(name);
      if (verb === 'create') {
        if (set === undefined) {
          const family = rest[rest.indexOf('family') + 1] === 'inet6' ? 6 : 4;
          this.state.sets.set(name, { type: rest[0] ?? '', family, entries: [] });
        }
      } else if (set === undefined) {
        throw new Error(`ipset ${line}: no set ${name}`);
      } else if (verb === 'add') {
        if (!set.entries.includes(rest[0] ?? '')) set.entries.push(rest[0] ?? '');
      } else if (verb === 'del') {
        set.entries = set.entries.filter((entry) => entry !== rest[0]);
      } else if (verb === 'flush') {
        set.entries = [];
      } else if (verb === 'swap') {
        const other = this.state.sets.get(rest[0] ?? '');
        if (other === undefined) throw new Error(`ipset ${line}: no set ${rest[0]}`);
        this.state.sets.set(name, other);
        this.state.sets.set(rest[0] ?? '', set);
      } else if (verb === 'destroy') {
        const user = this.ruleUsing(name);
        if (user !== undefined) throw new Error(`ipset destroy ${name}: in use by ${user}`);
        this.state.sets.delete(name);
      } else throw new Error(`unsupported ipset line: ${line}`);
      this.snapshot(`ipset ${line}`);
    }
    return OK;
  }

  private ruleUsing(set: string): string | undefined {
    for (const family of [4, 6] as const) {
      for (const chains of this.state.iptables[family].values()) {
        for (const rules of chains.values()) {
          const user = rules.find((rule) => rule.matches.some((m) => m.kind === 'set' && m.set === set));
          if (user !== undefined) return user.text;
        }
      }
    }
    return undefined;
  }

  /** `ipset list -t`: headers only (name, type, family, entry count). */
  private ipsetTerse(): string {
    return [...this.state.sets]
      .map(([name, set]) =>
        [
          `Name: ${name}`,
          `Type: ${set.type}`,
          'Revision: 6',
          `Header: family ${set.family === 4 ? 'inet' : 'inet6'} hashsize 1024 maxelem 1048576`,
          'Size in memory: 1024',
          'References: 1',
          `Number of entries: ${set.entries.length}`,
          '',
        ].join('\n'),
      )
      .join('');
  }

  private ipsetSave(): string {
    const lines: string[] = [];
    for (const [name, set] of this.state.sets) {
      lines.push(`create ${name} ${set.type} family ${set.family === 4 ? 'inet' : 'inet6'} hashsize 1024`);
      for (const entry of set.entries) lines.push(`add ${name} ${entry.replace(/\/(32|128)$/, '')}`);
    }
    return `${lines.join('\n')}\n`;
  }

  // --- ip -------------------------------------------------------------------------------------------------

  private ip(words: string[]): ExecResult {
    let family: IPFamily | undefined;
    let json = false;
    let details = false;
    while (words[0]?.startsWith('-')) {
      const flag = words.shift();
      if (flag === '-4') family = 4;
      else if (flag === '-6') family = 6;
      else if (flag === '-j') json = true;
      else if (flag === '-d') details = true;
      else throw new Error(`unsupported ip flag ${flag}`);
    }
    const text = words.join(' ');
    const familyOf = (address: string): IPFamily => family ?? (address.includes(':') ? 6 : 4);
    let match: RegExpExecArray | null;
    if (json) return this.ipRead(words, family, details);
    if ((match = /^rule (add|del) fwmark (\S+)\/(\S+) lookup (\d+) priority (\d+)$/.exec(text))) {
      const rule: SimRule = {
        family: family ?? 4,
        mark: Number(match[2]),
        mask: Number(match[3]),
        table: Number(match[4]),
        priority: Number(match[5]),
      };
      const same = (r: SimRule) => JSON.stringify(r) === JSON.stringify(rule);
      if (match[1] === 'add') this.state.rules.push(rule);
      else if (this.state.rules.some(same)) this.state.rules = this.state.rules.filter((r) => !same(r));
      else throw new Error(`ip ${text}: no such rule`);
      this.snapshot(`ip ${text}`);
    } else if ((match = /^route replace default via (\S+) dev (\S+) onlink table (\d+)$/.exec(text))) {
      const route: SimRoute = {
        family: familyOf(match[1] ?? ''),
        table: Number(match[3]),
        type: 'unicast',
        dst: 'default',
        via: match[1] ?? '',
        device: match[2] ?? '',
      };
      this.replaceRoute(route);
      this.snapshot(`ip ${text}`);
    } else if ((match = /^route replace throw (\S+) table (\d+)$/.exec(text))) {
      const dst = (match[1] ?? '').replace(/\/(32|128)$/, '');
      this.replaceRoute({ family: familyOf(dst), table: Number(match[2]), type: 'throw', dst });
      this.snapshot(`ip ${text}`);
    } else if ((match = /^route del throw (\S+) table (\d+)$/.exec(text))) {
      const [, dst, table] = match;
      const before = this.state.routes.length;
      this.state.routes = this.state.routes.filter(
        (r) => !(r.type === 'throw' && r.dst === dst && r.table === Number(table)),
      );
      if (this.state.routes.length === before) throw new Error(`ip ${text}: no such route`);
      this.snapshot(`ip ${text}`);
    } else if ((match = /^route flush table (\d+)$/.exec(text))) {
      this.state.routes = this.state.routes.filter(
        (r) => !(r.table === Number(match?.[1]) && r.family === (family ?? 4)),
      );
      this.snapshot(`ip ${text}`);
    } else if ((match = /^addr replace (\S+) dev (\S+)(?: scope host)?(.*)$/.exec(text))) {
      const [, cidr = '', device = '', rest = ''] = match;
      const link = this.state.links.get(device);
      if (link !== undefined) {
        if (!link.addresses.includes(cidr)) link.addresses.push(cidr);
        return OK;
      }
      const label = / label (\S+)/.exec(rest)?.[1];
      this.state.addresses = this.state.addresses.filter((a) => !(a.cidr === cidr && a.device === device));
      this.state.addresses.push({
        device,
        family: familyOf(cidr),
        cidr,
        ...(label === undefined ? {} : { label }),
      });
    } else if ((match = /^addr del (\S+) dev (\S+)$/.exec(text))) {
      this.state.addresses = this.state.addresses.filter(
        (a) => !(a.cidr === match?.[1] && a.device === match[2]),
      );
    } else if ((match = /^link add (\S+) type (\S+) /.exec(text))) {
      this.state.links.set(match[1] ?? '', { kind: match[2] ?? '', addresses: [], fdb: [] });
    } else if (/^link set \S+ mtu \d+ up$/.test(text)) {
      return OK;
    } else if ((match = /^link del (\S+)$/.exec(text))) {
      this.state.links.delete(match[1] ?? '');
    } else throw new Error(`the simulated kernel does not know ip ${text}`);
    return OK;
  }

  private ipRead(words: readonly string[], family: IPFamily | undefined, details: boolean): ExecResult {
    const text = words.join(' ');
    const json = (value: unknown) => ({ ...OK, stdout: JSON.stringify(value) });
    if (text === 'rule show') {
      return json(
        this.state.rules
          .filter((rule) => rule.family === family)
          .map((rule) => ({
            priority: rule.priority,
            src: 'all',
            fwmark: `0x${rule.mark.toString(16)}`,
            fwmask: `0x${rule.mask.toString(16)}`,
            table: String(rule.table),
          })),
      );
    }
    if (text === 'route show table all') {
      return json(
        this.state.routes
          .filter((route) => route.family === family)
          .map((route) => ({
            ...(route.type === 'throw' ? { type: 'throw' } : {}),
            dst: route.dst,
            ...(route.via === undefined ? {} : { gateway: route.via, dev: route.device, flags: ['onlink'] }),
            table: String(route.table),
          })),
      );
    }
    const addr = /^addr show dev (\S+)$/.exec(text);
    if (addr !== null) {
      const device = addr[1] ?? '';
      const link = this.state.links.get(device);
      const held =
        link !== undefined
          ? link.addresses.map((cidr) => ({ family: 4 as IPFamily, cidr, label: undefined }))
          : device === this.uplink
            ? [
                { family: 4 as IPFamily, cidr: `${this.uplinkAddress}/24`, label: device },
                ...this.state.addresses,
              ]
            : [];
      const addrInfo = held
        .filter((a) => family === undefined || a.family === family)
        .map((a) => {
          const [local, prefix] = a.cidr.split('/');
          const ours = a.cidr !== `${this.uplinkAddress}/24`;
          return {
            family: a.family === 4 ? 'inet' : 'inet6',
            local,
            prefixlen: Number(prefix),
            ...(a.label === undefined ? {} : { label: a.label }),
            ...(ours && link === undefined
              ? { dynamic: true, ...(a.family === 6 ? { nodad: true } : {}) }
              : {}),
          };
        });
      return json([{ ifname: device, addr_info: addrInfo }]);
    }
    const link = /^link show dev (\S+)$/.exec(text);
    if (link !== null && details) {
      const found = this.state.links.get(link[1] ?? '');
      if (found === undefined)
        return { exitCode: 1, stdout: '', stderr: `Device "${link[1]}" does not exist.` };
      return json([{ ifname: link[1], mtu: 1450, linkinfo: { info_kind: found.kind } }]);
    }
    if (link !== null && link[1] === this.uplink)
      return json([{ ifindex: 2, ifname: this.uplink, mtu: 1500 }]);
    throw new Error(`the simulated kernel does not know ip -j ${text}`);
  }

  private replaceRoute(route: SimRoute): void {
    this.state.routes = this.state.routes.filter(
      (r) => !(r.family === route.family && r.table === route.table && r.dst === route.dst),
    );
    this.state.routes.push(route);
  }

  // --- bridge ---------------------------------------------------------------------------------------------

  private bridge(args: readonly string[]): ExecResult {
    const text = args.join(' ');
    let match: RegExpExecArray | null;
    if ((match = /^fdb (append|del) 00:00:00:00:00:00 dev (\S+) dst (\S+)$/.exec(text))) {
      const link = this.state.links.get(match[2] ?? '');
      if (link === undefined) throw new Error(`bridge ${text}: no device`);
      link.fdb = link.fdb.filter((remote) => remote !== match?.[3]);
      if (match[1] === 'append') link.fdb.push(match[3] ?? '');
      return OK;
    }
    if ((match = /^-j fdb show dev (\S+)$/.exec(text))) {
      const link = this.state.links.get(match[1] ?? '');
      const entries = (link?.fdb ?? []).map((dst) => ({ mac: '00:00:00:00:00:00', dst }));
      return { ...OK, stdout: JSON.stringify(entries) };
    }
    throw new Error(`the simulated kernel does not know bridge ${text}`);
  }

  private snapshot(step: string): void {
    this.snapshots.push({ step, state: structuredClone(this.state) });
  }
}

function cloneChains(chains: Map<string, ParsedRule[]>): Map<string, ParsedRule[]> {
  return new Map([...chains].map(([chain, rules]) => [chain, [...rules]]));
}

/** What the packet tracer needs of a snapshot, for one family. */
export function tracerView(
  state: KernelState,
  family: IPFamily,
): { tables: ParsedTables; sets: Map<string, string[]>; steering: ParsedSteering } {
  return {
    tables: state.iptables[family],
    sets: new Map([...state.sets].map(([name, set]) => [name, set.entries])),
    steering: {
      rules: state.rules.filter((rule) => rule.family === family),
      routes: state.routes
        .filter((route) => route.family === family && route.type === 'unicast')
        .map((route) => ({ table: route.table, via: route.via ?? '', device: route.device ?? '' })),
      throws: state.routes
        .filter((route) => route.family === family && route.type === 'throw')
        .map((route) => ({ table: route.table, cidr: route.dst })),
    },
  };
}
