// "render equals what sync programmed", decided generically from the rendered sections' kinds. A section is
// compared with a read-back of the tool it feeds: `iptables-restore`/`ip6tables-restore` (every rule of the
// chains the section declares, in order, against `*-save`), `ipset restore` (each set's members against
// `ipset save`), `nft -f` (the script loaded into a scratch namespace, listed, against the node's listing of
// the same table), and `ip addr` commands (each address present on its device). A section of another kind is
// reported as not compared, never as equal. `<uplink>` in rendered text stands for the node's uplink.
import type { RenderedDatapath } from '@egress-proxier/core';

export interface KernelReader {
  read(command: string, args: readonly string[]): Promise<string>;
  /**
   * Loads an `nft -f` script into an empty scratch namespace and returns `nft list <args>` there: the rendered
   * table as the kernel prints it, to compare with the node's. Without it nft sections are not compared.
   */
  nftScratch?(script: string, listArgs: readonly string[]): Promise<string>;
}

export interface RenderComparison {
  compared: string[];
  notCompared: string[];
  differences: string[];
}

export async function compareRenderWithKernel(
  rendered: RenderedDatapath,
  kernel: KernelReader,
  uplink: string,
): Promise<RenderComparison> {
  const result: RenderComparison = { compared: [], notCompared: [], differences: [] };
  for (const section of rendered.sections) {
    const content = section.content.replaceAll('<uplink>', uplink);
    const title = section.title;
    if (/^ip6?tables-restore/.test(title)) {
      const save = title.startsWith('ip6') ? 'ip6tables-save' : 'iptables-save';
      result.differences.push(...compareIptables(title, content, await readSave(kernel, save, content)));
    } else if (title.startsWith('ipset')) {
      result.differences.push(...compareIpsets(title, content, await kernel.read('ipset', ['save'])));
    } else if (/^nft -f/.test(title) && kernel.nftScratch !== undefined) {
      const table = /^table (\S+) (\S+) \{/m.exec(content);
      if (table === null) {
        result.differences.push(`${title}: no table definition in the rendered script`);
      } else {
        const list = ['table', table[1] ?? '', table[2] ?? ''];
        const want = await kernel.nftScratch(content, list);
        const have = await kernel.read('nft', ['list', ...list]);
        result.differences.push(...compareNftListings(title, want, have));
      }
    } else if (title === 'ip addr') {
      result.differences.push(...compareAddresses(title, content, await kernel.read('ip', ['-o', 'addr'])));
    } else if (content.trim() === '' || content.trim() === '(nothing)') {
      continue;
    } else {
      result.notCompared.push(title);
      continue;
    }
    result.compared.push(title);
  }
  return result;
}

/** The kernel's rules in the flavour that holds our chains: nft first, then legacy. */
async function readSave(kernel: KernelReader, save: string, content: string): Promise<string> {
  const chain = /^:(\S+)/m.exec(content)?.[1];
  for (const flavour of ['nft', 'legacy']) {
    const text = await kernel.read(save.replace('-save', `-${flavour}-save`), []);
    if (chain === undefined || text.includes(`:${chain} `)) return text;
  }
  return '';
}

export function compareIptables(title: string, rendered: string, saved: string): string[] {
  const differences: string[] = [];
  for (const [table, lines] of tables(rendered)) {
    const savedLines = tables(saved).get(table) ?? [];
    const chains = lines
      .filter((line) => line.startsWith(':'))
      .map((line) => line.slice(1).split(' ')[0] ?? '');
    for (const chain of chains) {
      const want = lines.filter((line) => line.startsWith(`-A ${chain} `)).map(canonicalRule);
      const have = savedLines.filter((line) => line.startsWith(`-A ${chain} `)).map(canonicalRule);
      if (JSON.stringify(want) !== JSON.stringify(have))
        differences.push(
          `${title} *${table} ${chain}: rendered ${JSON.stringify(want)}, kernel ${JSON.stringify(have)}`,
        );
    }
    for (const line of lines.filter((l) => /^-I \S+ \d+ /.test(l))) {
      const [, chain = '', , ...rest] = line.split(' ');
      const rule = canonicalRule(`-A ${chain} ${rest.join(' ')}`);
      if (!savedLines.map(canonicalRule).includes(rule))
        differences.push(`${title} *${table}: jump missing: ${rule}`);
    }
  }
  return differences;
}

/**
 * iptables-save prints the basic matches (-s, -d, -i, -o, -p, each maybe negated) first, whatever order
 * they were given in; a rule is put in that form before comparing.
 */
export function canonicalRule(rule: string): string {
  const words = rule.match(/"[^"]*"|\S+/g) ?? [];
  const [verb = '', chain = '', ...rest] = words;
  const basic = new Map<string, string[]>();
  const others: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const negated = rest[i] === '!' && ['-s', '-d', '-i', '-o', '-p'].includes(rest[i + 1] ?? '');
    const flag = negated ? (rest[i + 1] ?? '') : (rest[i] ?? '');
    if (['-s', '-d', '-i', '-o', '-p'].includes(flag) && (negated || rest[i] === flag)) {
      const value = rest[i + (negated ? 2 : 1)] ?? '';
      basic.set(flag, [...(negated ? ['!'] : []), flag, value]);
      i += negated ? 2 : 1;
    } else others.push(rest[i] ?? '');
  }
  const ordered = ['-s', '-d', '-i', '-o', '-p'].flatMap((flag) => basic.get(flag) ?? []);
  return [verb, chain, ...ordered, ...others].join(' ');
}

function tables(text: string): Map<string, string[]> {
  const result = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('*')) result.set(line.slice(1), (current = []));
    else if (line !== 'COMMIT' && current !== undefined && line !== '')
      current.push(line.replace(/ \[\d+:\d+\]$/, ''));
  }
  return result;
}

export function compareIpsets(title: string, rendered: string, saved: string): string[] {
  const members = (text: string) => {
    const sets = new Map<string, Set<string>>();
    for (const line of text.split('\n')) {
      const [verb, name = '', member] = line.trim().split(/\s+/);
      if (verb === 'create') sets.set(name, sets.get(name) ?? new Set());
      // ipset save prints a host-sized hash:net entry without its /32 or /128.
      const entry = member?.replace(/\/(32|128)$/, '');
      if (verb === 'add' && entry !== undefined)
        (sets.get(name) ?? sets.set(name, new Set()).get(name))?.add(entry);
    }
    return sets;
  };
  const want = members(rendered);
  const have = members(saved);
  const differences: string[] = [];
  for (const [name, entries] of want) {
    const kernel = have.get(name);
    if (kernel === undefined) {
      differences.push(`${title}: set ${name} missing`);
      continue;
    }
    const missing = [...entries].filter((entry) => !kernel.has(entry));
    const extra = [...kernel].filter((entry) => !entries.has(entry));
    if (missing.length + extra.length > 0)
      differences.push(`${title}: set ${name} missing [${missing.join(' ')}] extra [${extra.join(' ')}]`);
  }
  return differences;
}

export function compareAddresses(title: string, rendered: string, addresses: string): string[] {
  const differences: string[] = [];
  for (const line of rendered.split('\n')) {
    const match = /addr (?:add|replace) (\S+) dev (\S+)/.exec(line);
    if (match === null) continue;
    const [, cidr = '', device = ''] = match;
    const present = addresses
      .split('\n')
      .some((held) => held.includes(` ${device} `) && held.includes(` ${cidr} `));
    if (!present) differences.push(`${title}: ${cidr} not on ${device}`);
  }
  return differences;
}

/**
 * Two `nft list table` outputs, compared with each set's elements sorted: the kernel prints a set in its own
 * order, which depends on how elements were added (whole or one by one), not on what the set holds. The table's
 * own comment is left out: it is the backend's metadata (backend-nftables puts a digest there that covers the
 * uplink's name, which a render without `--nftables-uplink` cannot know).
 */
export function compareNftListings(title: string, rendered: string, kernel: string): string[] {
  const normal = (text: string) =>
    text
      .replace(/elements = \{([^}]*)\}/g, (_match, items: string) => {
        const sorted = items
          .split(',')
          .map((item) => item.trim().replace(/\s+/g, ' '))
          .filter((item) => item !== '')
          .sort();
        return `elements = { ${sorted.join(', ')} }`;
      })
      .split('\n')
      .map((line) => line.trim())
      .filter(
        (line, i, lines) =>
          line !== '' && !(line.startsWith('comment "') && /^table /.test(lines[i - 1] ?? '')),
      );
  const want = normal(rendered);
  const have = normal(kernel);
  const missing = want.filter((line) => !have.includes(line));
  const extra = have.filter((line) => !want.includes(line));
  const differences: string[] = [];
  if (missing.length + extra.length > 0)
    differences.push(
      `${title}: rendered only ${JSON.stringify(missing.slice(0, 5))}, kernel only ${JSON.stringify(extra.slice(0, 5))}`,
    );
  else if (want.join('\n') !== have.join('\n')) differences.push(`${title}: same lines in another order`);
  return differences;
}
