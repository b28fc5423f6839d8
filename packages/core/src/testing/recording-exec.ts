// An Exec for tests: records every request and answers from a script, so a backend test asserts exactly
// which commands ran, in which order, with which input, without touching the host.
import { ExecError, type Exec, type ExecRequest, type ExecResult } from '../exec/exec.js';
import { assertAllowedExitCode } from '../exec/exit-code.js';

/**
 * Which requests a scripted response applies to:
 * - a string matches the command line (`command arg1 arg2…`) exactly or as a whole-word prefix, so
 *   `'ipset'` matches every ipset call and `'ipset list'` matches `ipset list -n`;
 * - a RegExp is tested against the command line;
 * - a function decides from the whole request (e.g. its input).
 */
export type ExecMatcher = string | RegExp | ((request: ExecRequest) => boolean);

/** Unset fields default to exit 0 and empty output. A function may also throw, e.g. an ExecError. */
export type ScriptedResult = Partial<ExecResult> | ((request: ExecRequest) => Partial<ExecResult>);

interface ScriptedResponse {
  matcher: ExecMatcher;
  result: ScriptedResult;
  once: boolean;
}

export class RecordingExec implements Exec {
  /** Every request, in the order it was made, including those that failed. */
  readonly calls: ExecRequest[] = [];
  private readonly script: ScriptedResponse[] = [];

  /** Answers every matching request with `result`. Later `respond` calls take precedence over earlier ones. */
  respond(matcher: ExecMatcher, result: ScriptedResult): this {
    this.script.unshift({ matcher, result, once: false });
    return this;
  }

  /**
   * Answers the next matching request with a failure (exit 1 unless `result` says otherwise), then goes
   * back to the other responses. One-shot responses are used before standing ones, oldest first.
   */
  failNext(matcher: ExecMatcher, result: ScriptedResult = {}): this {
    const failing = (request: ExecRequest): Partial<ExecResult> => ({
      exitCode: 1,
      ...(typeof result === 'function' ? result(request) : result),
    });
    this.script.push({ matcher, result: failing, once: true });
    return this;
  }

  async run(request: ExecRequest): Promise<ExecResult> {
    const recorded: ExecRequest = { ...request, args: [...request.args] };
    this.calls.push(recorded);
    if (request.signal?.aborted) throw new ExecError(recorded, undefined, 'aborted');
    const response = this.takeResponse(recorded);
    const scripted =
      response === undefined
        ? {}
        : typeof response.result === 'function'
          ? response.result(recorded)
          : response.result;
    const result: ExecResult = { exitCode: 0, stdout: '', stderr: '', ...scripted };
    assertAllowedExitCode(recorded, result);
    return result;
  }

  /** The command lines run so far, e.g. `['ipset restore -exist', 'iptables-restore --noflush']`. */
  commandLines(): string[] {
    return this.calls.map(commandLine);
  }

  /** The requests whose command line matches, e.g. to look at what was written to `iptables-restore`. */
  callsMatching(matcher: ExecMatcher): ExecRequest[] {
    return this.calls.filter((request) => matches(matcher, request));
  }

  /** Forgets the recorded calls; scripted responses stay. */
  clearCalls(): void {
    this.calls.length = 0;
  }

  private takeResponse(request: ExecRequest): ScriptedResponse | undefined {
    const oneShot = this.script.findIndex((entry) => entry.once && matches(entry.matcher, request));
    if (oneShot >= 0) return this.script.splice(oneShot, 1)[0];
    return this.script.find((entry) => !entry.once && matches(entry.matcher, request));
  }
}

export function commandLine(request: ExecRequest): string {
  return [request.command, ...request.args].join(' ');
}

function matches(matcher: ExecMatcher, request: ExecRequest): boolean {
  if (typeof matcher === 'function') return matcher(request);
  const line = commandLine(request);
  if (matcher instanceof RegExp) {
    matcher.lastIndex = 0; // a /g RegExp would otherwise remember where its last match ended
    return matcher.test(line);
  }
  return line === matcher || line.startsWith(`${matcher} `);
}
