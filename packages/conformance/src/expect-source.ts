// What a connection from a pod to a destination must show the server, and the polling that checks it. A sync
// has returned when these run, so the datapath is final; polling with a deadline only absorbs neighbour
// discovery and a loaded machine, never a state that is still changing.
import type { ProbeAttempt } from '@egress-proxier/netlab';

/** `dropped`: the connection must fail. Anything else: the address the server must see. */
export type ExpectedSource = string | 'dropped';

export interface SourceCheck {
  /** e.g. `pod-2-1 → 203.0.113.10`. */
  label: string;
  probe: (timeoutMs: number) => Promise<ProbeAttempt>;
  expected: ExpectedSource;
}

export interface CheckOutcome {
  label: string;
  expected: ExpectedSource;
  /** The last attempt's source, or `dropped` with its error. */
  seen: string;
  ok: boolean;
}

export function outcomeOf(attempt: ProbeAttempt): string {
  return attempt.source ?? 'dropped';
}

export function matches(expected: ExpectedSource, attempt: ProbeAttempt): boolean {
  return outcomeOf(attempt) === expected;
}

/**
 * Probes until the expected outcome is seen or `deadlineMs` passes. A connection expected to fail is given
 * `dropTimeoutMs`; one expected to succeed the time left, so a slow first handshake is not a failure.
 */
export async function checkSource(
  check: SourceCheck,
  deadlineMs: number,
  dropTimeoutMs: number,
): Promise<CheckOutcome> {
  const until = Date.now() + deadlineMs;
  let last: ProbeAttempt;
  do {
    const timeout =
      check.expected === 'dropped' ? dropTimeoutMs : Math.max(500, Math.min(2000, until - Date.now()));
    last = await check.probe(timeout);
    if (matches(check.expected, last)) break;
    if (last.source === undefined && check.expected !== 'dropped') await pause(100);
  } while (Date.now() < until);
  const ok = matches(check.expected, last);
  const seen = last.source ?? `dropped (${last.error ?? 'no answer'})`;
  return { label: check.label, expected: check.expected, seen, ok };
}

export async function checkSources(
  checks: readonly SourceCheck[],
  deadlineMs: number,
  dropTimeoutMs: number,
): Promise<CheckOutcome[]> {
  return Promise.all(checks.map((check) => checkSource(check, deadlineMs, dropTimeoutMs)));
}

export function describeFailures(outcomes: readonly CheckOutcome[]): string[] {
  return outcomes
    .filter((outcome) => !outcome.ok)
    .map((outcome) => `${outcome.label}: expected ${outcome.expected}, server saw ${outcome.seen}`);
}

/** A period during which connections may end in any of `allowed` (a source address or `dropped`). */
export interface Window {
  from: number;
  to: number;
  allowed: readonly string[];
}

/**
 * Judges a connection loop against windows: an attempt may end as anything allowed by a window it
 * overlaps. Returns the attempts that left with a source no window allowed (the only unforgivable outcome)
 * and those that failed where no overlapping window allows a drop.
 */
export function judgeAttempts(
  attempts: readonly ProbeAttempt[],
  windows: readonly Window[],
): { wrongSource: string[]; unexpectedFailures: string[] } {
  const origin = windows[0]?.from ?? 0;
  const wrongSource: string[] = [];
  const unexpectedFailures: string[] = [];
  for (const attempt of attempts) {
    const allowed = windows
      .filter((w) => w.from <= attempt.endedAt && w.to >= attempt.startedAt)
      .flatMap((w) => w.allowed);
    const outcome = outcomeOf(attempt);
    if (allowed.includes(outcome)) continue;
    const line = `+${attempt.startedAt - origin} ms: ${outcome}${attempt.error ? ` (${attempt.error})` : ''} (allowed ${[...new Set(allowed)].join(', ') || 'nothing'})`;
    if (attempt.source === undefined) unexpectedFailures.push(line);
    else wrongSource.push(line);
  }
  return { wrongSource, unexpectedFailures };
}

export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
