// Rule text as iptables-save prints it, to tell whether the kernel's chains already are the ones we want.
// iptables-save (nft and legacy alike) prints the address, interface and protocol options first, in the order
// -s -d -i -o -p, then the match modules in the order given, and quotes a comment only when it needs quotes.
// A difference this does not normalise only costs a needless (safe) rewrite.

const HEADER_OPTIONS = ['-s', '-d', '-i', '-o', '-p'];

export function canonicalRule(spec: string): string {
  const words = tokenize(spec);
  const header = new Map<string, string[]>();
  const rest: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? '';
    const negated = word === '!' && HEADER_OPTIONS.includes(words[i + 1] ?? '');
    const option = negated ? (words[i + 1] ?? '') : word;
    if (HEADER_OPTIONS.includes(option) && !header.has(option)) {
      const value = words[i + (negated ? 2 : 1)] ?? '';
      header.set(option, negated ? ['!', option, value] : [option, value]);
      i += negated ? 2 : 1;
    } else rest.push(word);
  }
  const ordered = HEADER_OPTIONS.flatMap((option) => header.get(option) ?? []);
  return [...ordered, ...rest].map((word) => (/^[\w./:,!-]+$/.test(word) ? word : `"${word}"`)).join(' ');
}

/** Words of a rule, a double-quoted string being one word (without its quotes). */
function tokenize(spec: string): string[] {
  const words: string[] = [];
  const pattern = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let match = pattern.exec(spec); match !== null; match = pattern.exec(spec)) {
    words.push(match[1] ?? match[2] ?? '');
  }
  return words;
}
