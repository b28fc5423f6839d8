// Preflight: a backend probes what it needs from the host before the agent starts it, and the core judges the
// report. A missing tool or kernel feature then stops the agent at once with that reason (Cilium's start
// hook), instead of a first sync that fails and is retried forever behind a live /livez. A plugin module is
// plain JS at run time, so its report is checked as data, and a preflight that throws, hangs or answers
// nonsense is itself a failed check: the outcome is always a report a user can read.
import { ExecError, type Exec, type ExecResult } from '../exec/exec.js';
import type { PreflightCheck, ProxierContext, ProxierPlugin } from './proxier.js';

/** How long the agent and `egress-proxier preflight` wait for a backend's preflight. */
export const PREFLIGHT_TIMEOUT_MS = 60_000;

/** A check as judged: its severity is always set. */
export type JudgedCheck = PreflightCheck & { severity: 'error' | 'warning' };

export interface PreflightOutcome {
  backend: string;
  /** False when the plugin has no preflight: nothing was checked. */
  declared: boolean;
  checks: JudgedCheck[];
  /** False when a check of severity `error` failed. */
  ok: boolean;
}

export interface RunPreflightOptions {
  /** The caller gives up (e.g. the agent is stopping). */
  signal?: AbortSignal;
  /** Default PREFLIGHT_TIMEOUT_MS, on the context's clock. */
  timeoutMs?: number;
}

/** Runs the plugin's preflight, if it has one, and judges its report. Never rejects. */
export async function runPreflight(
  plugin: ProxierPlugin,
  context: ProxierContext,
  options: RunPreflightOptions = {},
): Promise<PreflightOutcome> {
  const backend = plugin.name;
  if (typeof plugin.preflight !== 'function') return { backend, declared: false, checks: [], ok: true };
  const timeoutMs = options.timeoutMs ?? PREFLIGHT_TIMEOUT_MS;
  const timeout = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, timeout.signal]) : timeout.signal;
  let timer: { cancel(): void } | undefined;
  const gaveUp = new Promise<'gave-up'>((resolve) => {
    timer = context.clock.setTimeout(() => {
      timeout.abort();
      resolve('gave-up');
    }, timeoutMs);
    signal.addEventListener('abort', () => resolve('gave-up'), { once: true });
  });
  let checks: JudgedCheck[];
  try {
    const answer = await Promise.race([plugin.preflight(context, signal), gaveUp]);
    checks =
      answer === 'gave-up'
        ? [
            failedPreflight(
              timeout.signal.aborted
                ? `did not finish within ${timeoutMs / 1000} s`
                : 'aborted: the agent is stopping',
            ),
          ]
        : judgeReport(answer);
  } catch (error) {
    checks = [failedPreflight(`the backend's preflight failed: ${messageOf(error)}`)];
  } finally {
    timer?.cancel();
  }
  return {
    backend,
    declared: true,
    checks,
    ok: checks.every((check) => check.ok || check.severity === 'warning'),
  };
}

/** The failed checks of severity `error`: why the backend must not start. */
export function blockingChecks(outcome: PreflightOutcome): JudgedCheck[] {
  return outcome.checks.filter((check) => !check.ok && check.severity === 'error');
}

/** One line for logs and exit messages: every blocking check with what was found and what to do. */
export function preflightFailureMessage(outcome: PreflightOutcome): string {
  const blocking = blockingChecks(outcome);
  const reasons = blocking.map(
    (check) => `${check.name}: ${check.detail ?? 'failed'}${check.remedy ? ` → ${check.remedy}` : ''}`,
  );
  return `preflight of backend ${outcome.backend} failed (${blocking.length} of ${outcome.checks.length} checks): ${reasons.join('; ')}`;
}

/** The agent refuses to start: the backend's preflight found something missing. */
export class PreflightFailedError extends Error {
  override name = 'PreflightFailedError';

  constructor(readonly outcome: PreflightOutcome) {
    super(preflightFailureMessage(outcome));
  }
}

export interface CommandCheckSpec {
  /** The check's name in the report, e.g. `ipset`. */
  name: string;
  command: string;
  /** Arguments that only read, e.g. `['--version']`. */
  args: readonly string[];
  /** Standard input, for a check that validates a script without applying it (e.g. `nft -c -f -`). */
  input?: string;
  /** What to do when the command is missing or fails, e.g. `install the ipset package`. */
  remedy: string;
  severity?: 'error' | 'warning';
  /** Default 10 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Judges a command that ran: `true`, or why it is not good enough (e.g. a version too old). */
  accept?: (result: ExecResult) => true | string;
}

/**
 * A check that a command runs through `exec` and exits 0 (e.g. `ipset --version`). Its detail is the first
 * line of output (usually a version), or why it failed: `command not found`, the exit code and stderr.
 */
export async function commandCheck(exec: Exec, spec: CommandCheckSpec): Promise<PreflightCheck> {
  const { name, remedy } = spec;
  const severity = spec.severity === undefined ? {} : { severity: spec.severity };
  try {
    const result = await exec.run({
      command: spec.command,
      args: spec.args,
      ...(spec.input === undefined ? {} : { input: spec.input }),
      timeoutMs: spec.timeoutMs ?? 10_000,
      ...(spec.signal === undefined ? {} : { signal: spec.signal }),
    });
    const verdict = spec.accept?.(result) ?? true;
    if (verdict !== true) return { name, ok: false, detail: verdict, remedy, ...severity };
    return {
      name,
      ok: true,
      detail: firstLine(result.stdout) ?? firstLine(result.stderr) ?? 'exit code 0',
      ...severity,
    };
  } catch (error) {
    const detail =
      error instanceof ExecError ? error.message : `could not run ${spec.command}: ${messageOf(error)}`;
    return { name, ok: false, detail, remedy, ...severity };
  }
}

function judgeReport(report: unknown): JudgedCheck[] {
  const checks = (report as { checks?: unknown } | null | undefined)?.checks;
  if (!Array.isArray(checks))
    return [failedReport(`the backend's preflight returned no list of checks (expected { checks: [...] })`)];
  return checks.map((check: unknown, index) => {
    const problem = checkProblem(check);
    if (problem !== undefined) return failedReport(`checks[${index}]: ${problem}`);
    const { name, ok, detail, remedy, severity } = check as PreflightCheck;
    return {
      name,
      ok,
      ...(detail === undefined ? {} : { detail }),
      ...(remedy === undefined ? {} : { remedy }),
      severity: severity ?? 'error',
    };
  });
}

function checkProblem(check: unknown): string | undefined {
  if (typeof check !== 'object' || check === null) return 'must be an object with name and ok';
  const { name, ok, detail, remedy, severity } = check as Record<string, unknown>;
  if (typeof name !== 'string' || name === '') return 'name must be a non-empty string';
  if (typeof ok !== 'boolean') return `${name}: ok must be true or false`;
  if (detail !== undefined && typeof detail !== 'string') return `${name}: detail must be a string`;
  if (remedy !== undefined && typeof remedy !== 'string') return `${name}: remedy must be a string`;
  if (severity !== undefined && severity !== 'error' && severity !== 'warning')
    return `${name}: severity must be "error" or "warning"`;
  return undefined;
}

function failedPreflight(detail: string): JudgedCheck {
  return {
    name: 'preflight',
    ok: false,
    detail,
    remedy: 'a defect of the backend or a host it does not expect: report it to its authors',
    severity: 'error',
  };
}

function failedReport(detail: string): JudgedCheck {
  return {
    name: 'preflight report',
    ok: false,
    detail,
    remedy: 'a defect of the backend: report it to its authors',
    severity: 'error',
  };
}

function firstLine(text: string): string | undefined {
  return text
    .split('\n')
    .map((line) => line.trim())
    .find((line) => line !== '');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
