// `--dry-run`: every command that would change the host is logged and skipped (reported as a success with
// empty output); commands that only read state still run, so a backend can diff against what the kernel
// holds and log the exact changes it would make.
import type { Logger } from 'pino';
import type { Exec, ExecRequest, ExecResult } from './exec.js';

export type ReadOnlyPredicate = (request: ExecRequest) => boolean;

export class DryRunExec implements Exec {
  constructor(
    private readonly logger: Logger,
    /** Runs the requests `isReadOnly` accepts. */
    private readonly readOnly: Exec,
    private readonly isReadOnly: ReadOnlyPredicate = isReadOnlyCommand,
  ) {}

  async run(request: ExecRequest): Promise<ExecResult> {
    if (this.isReadOnly(request)) return this.readOnly.run(request);
    this.logger.info(
      {
        command: request.command,
        args: request.args,
        inputBytes: request.input === undefined ? undefined : Buffer.byteLength(request.input),
        // The content is what a reviewer of a dry run wants to see; it is logged at debug only.
      },
      'dry-run: skipped',
    );
    this.logger.debug({ command: request.command, input: request.input }, 'dry-run: skipped input');
    return { exitCode: 0, stdout: '', stderr: '' };
  }
}

/** Programs that never change anything. */
const ALWAYS_READ_ONLY = new Set([
  'iptables-save',
  'ip6tables-save',
  'iptables-legacy-save',
  'ip6tables-legacy-save',
  'iptables-nft-save',
  'ip6tables-nft-save',
]);
/** Verbs that ask rather than change, per tool. */
const IPTABLES_QUERIES = new Set(['-S', '-L', '--list', '--list-rules']);
const QUERY_VERBS: Readonly<Record<string, ReadonlySet<string>>> = {
  ip: new Set(['show', 'list', 'ls', 'lst', 'get']),
  bridge: new Set(['show', 'list', 'ls', 'lst']),
  tc: new Set(['show', 'list', 'ls']),
  bpftool: new Set(['show', 'list', 'dump', 'lookup', 'getnext']),
  ipset: new Set(['list', 'save', 'test', '-L', '-S', '-T']),
  ipvsadm: new Set(['-S', '--save', '-L', '-l', '--list']),
  conntrack: new Set(['-L', '--dump', '-C', '--count']),
  iptables: IPTABLES_QUERIES,
  ip6tables: IPTABLES_QUERIES,
  'iptables-nft': IPTABLES_QUERIES,
  'ip6tables-nft': IPTABLES_QUERIES,
  'iptables-legacy': IPTABLES_QUERIES,
  'ip6tables-legacy': IPTABLES_QUERIES,
};
/** Words that make any of the commands above change state (e.g. `ip netns exec`, `iptables -L -Z`). */
const MUTATING_WORDS = new Set([
  'add',
  'del',
  'delete',
  'replace',
  'change',
  'set',
  'flush',
  'exec',
  'append',
  'insert',
  'create',
  'destroy',
  'swap',
  'rename',
  'restore',
  'update',
  'load',
  'loadall',
  'attach',
  'detach',
  'pin',
  'batch',
  '-batch',
  '-Z',
  '--zero',
  '-D',
  '-F',
  '-I',
  '-U',
  '--flush',
  '--restore',
]);

/**
 * A conservative default: true only for the well-known query forms of the kernel tools above. Anything it
 * does not recognize counts as a change and is skipped in a dry run.
 */
export function isReadOnlyCommand(request: ExecRequest): boolean {
  const program = request.command.split('/').pop() ?? request.command;
  if (ALWAYS_READ_ONLY.has(program)) return true;
  if (program === 'sysctl') return isSysctlRead(request);
  if (program === 'nft') return isNftList(request);
  const verbs = QUERY_VERBS[program];
  if (verbs === undefined || request.input !== undefined) return false;
  if (request.args.some((arg) => MUTATING_WORDS.has(arg))) return false;
  return request.args.some((arg) => verbs.has(arg));
}

/**
 * `nft [-j] [-t] … list OBJECT …`: a listing, whatever it names (`list set` names a set, it does not set one).
 * Only the command word decides; `-f` (a script) or input never counts as a listing.
 */
function isNftList(request: ExecRequest): boolean {
  if (request.input !== undefined) return false;
  const words = request.args.filter((arg) => !/^-[jtnsaNyTS]+$/.test(arg));
  return words[0] === 'list';
}

/** `sysctl [-n] [-q] [-e] KEY…` reads; `-w`, `-p`, `--system` or a `KEY=VALUE` writes. */
function isSysctlRead(request: ExecRequest): boolean {
  if (request.input !== undefined || request.args.length === 0) return false;
  return request.args.every((arg) => ['-n', '-q', '-e', '-N'].includes(arg) || /^\w[\w./-]*$/.test(arg));
}
