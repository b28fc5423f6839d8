// Kernel state of one lab namespace as comparable text, for "cleanup leaves the kernel exactly as before":
// addresses, links, rules and routes of both families, iptables/ip6tables (both flavours), the nft ruleset,
// ipsets, qdiscs, and the bpffs pins. Lifetimes (which count down), counters and the default qdisc a down
// device keeps are masked; nothing else is.
import type { Lab } from '@egress-proxier/netlab';

export interface SnapshotSection {
  title: string;
  content: string;
}

const COMMANDS: readonly (readonly string[])[] = [
  ['ip', '-o', 'addr'],
  ['ip', '-o', 'link'],
  ['ip', '-4', 'rule'],
  ['ip', '-6', 'rule'],
  ['ip', '-4', 'route', 'show', 'table', 'all'],
  ['ip', '-6', 'route', 'show', 'table', 'all'],
  ['iptables-nft-save'],
  ['ip6tables-nft-save'],
  ['iptables-legacy-save'],
  ['ip6tables-legacy-save'],
  ['nft', 'list', 'ruleset'],
  ['ipset', 'list'],
  // clsact qdiscs (BPF programs at tc), and any other qdisc a backend might add.
  ['tc', 'qdisc', 'show'],
  // bpffs is per mount namespace: `ip netns exec` mounts a fresh /sys, so read it through nsenter.
  ['nsenter', '--net=/run/netns/{ns}', 'find', '/sys/fs/bpf', '-mindepth', '1'],
];

export const SNAPSHOT_TOOLS = [
  'ip',
  'tc',
  'iptables-nft-save',
  'ip6tables-nft-save',
  'nft',
  'ipset',
  'nsenter',
];

export async function kernelSnapshot(lab: Lab, namespace: string): Promise<SnapshotSection[]> {
  const sections: SnapshotSection[] = [];
  for (const argv of COMMANDS) {
    const [command = '', ...args] = argv.map((arg) => arg.replace('{ns}', namespace));
    const result =
      command === 'nsenter'
        ? await lab.host.run(command, args, { allowFailure: true })
        : await lab.exec(namespace, command, args, { allowFailure: true });
    const content = result.exitCode === 0 ? normalize(result.stdout) : `(exit ${result.exitCode})`;
    sections.push({ title: argv.join(' ').replace('{ns}', '<ns>'), content });
  }
  return maskIdleQdiscs(sections);
}

/**
 * A device that is down shows the qdisc it had when last up: `noqueue` once it has been up, `noop` if never.
 * No command brings `noop` back and a down device sends nothing, so a device brought up and down again (a
 * tunnel device we decapsulated on) counts as the one that never was up. Any other qdisc still shows.
 */
export function maskIdleQdiscs(sections: readonly SnapshotSection[]): SnapshotSection[] {
  const links = sections.find((section) => section.title === 'ip -o link')?.content ?? '';
  const down = new Set(
    links
      .split('\n')
      .map((line) => /^\d+: ([^:@\s]+)[^<]*<([^>]*)>/.exec(line))
      .filter((match) => match !== null && !match[2]?.split(',').includes('UP'))
      .map((match) => match?.[1]),
  );
  const idle = (line: string) => {
    const device = /^qdisc noqueue 0: dev (\S+) root\b/.exec(line.trim())?.[1];
    return device !== undefined && down.has(device);
  };
  return sections.map((section) => {
    if (section.title === 'ip -o link')
      return {
        ...section,
        content: section.content
          .split('\n')
          .map((line) =>
            /<(?![^>]*\bUP\b)[^>]*>/.test(line) ? line.replace(' qdisc noqueue ', ' qdisc noop ') : line,
          )
          .join('\n'),
      };
    if (section.title === 'tc qdisc show')
      return {
        ...section,
        content: section.content
          .split('\n')
          .filter((line) => !idle(line))
          .join('\n'),
      };
    return section;
  });
}

/**
 * Masks what changes by itself: address lifetimes, counters, save timestamps, DAD and link operstate,
 * link-local IPv6 addresses and their routes (they appear as links come up), and netfilter tables or base
 * chains without a rule (iptables-nft registers them on a mere read: not state anybody programmed).
 */
export function normalize(text: string): string {
  return (
    dropEmptyNftChains(text)
      .split('\n')
      .filter((line) => !line.startsWith('# '))
      .filter((line) => !/fe80:|ff00::\/8|multicast ff/.test(line))
      .map((line) =>
        line
          .replace(/valid_lft \S+ preferred_lft \S+/g, '')
          .replace(/ tentative| dadfailed/g, '')
          .replace(/\[\d+:\d+\]/g, '[0:0]')
          .replace(/ (packets|bytes) \d+/g, '')
          .replace(/ state (UP|UNKNOWN|DOWN|LOWERLAYERDOWN)/g, ''),
      )
      // An emptied built-in iptables table stays registered after its last rule goes: not state of ours.
      .join('\n')
      .replace(/\*(\w+)\n(:[A-Z]+ \w+ \[0:0\]\n)*COMMIT\n?/g, '')
      .trim()
  );
}

/** Section-by-section differences, as "title: +line / -line" for the report. */
export function snapshotDifferences(
  before: readonly SnapshotSection[],
  after: readonly SnapshotSection[],
): string[] {
  const differences: string[] = [];
  for (const section of before) {
    const other = after.find((candidate) => candidate.title === section.title);
    if (other === undefined || other.content === section.content) continue;
    const was = new Set(section.content.split('\n'));
    const now = new Set(other.content.split('\n'));
    const added = [...now].filter((line) => !was.has(line)).map((line) => `+ ${line}`);
    const removed = [...was].filter((line) => !now.has(line)).map((line) => `- ${line}`);
    const lines = [...added, ...removed];
    differences.push(
      `${section.title}: ${lines.length > 0 ? lines.slice(0, 8).join(' | ') : 'order changed'}`,
    );
  }
  return differences;
}

/** `nft list ruleset` without base chains that hold no rule, and without tables left empty by that. */
export function dropEmptyNftChains(text: string): string {
  if (!/^table /m.test(text)) return text;
  const out: string[] = [];
  let table: string[] | undefined;
  let chain: string[] | undefined;
  let tableHasChain = false;
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (table === undefined) {
      if (trimmed.startsWith('table ')) {
        table = [line];
        tableHasChain = false;
      } else out.push(line);
    } else if (chain !== undefined) {
      chain.push(line);
      if (trimmed === '}') {
        const body = chain.slice(1, -1).filter((l) => l.trim() !== '' && !/^type .* hook /.test(l.trim()));
        if (body.length > 0) {
          table.push(...chain);
          tableHasChain = true;
        }
        chain = undefined;
      }
    } else if (trimmed.startsWith('chain ') || trimmed.startsWith('set ') || trimmed.startsWith('map ')) {
      chain = [line];
      if (!trimmed.startsWith('chain ')) tableHasChain = true;
    } else if (trimmed === '}') {
      if (tableHasChain) out.push(...table, line);
      table = undefined;
    } else if (trimmed !== '') table.push(line);
  }
  return out.join('\n');
}
