// The guest as the tests' two seams see a kernel: netlab's LabHost (so createLab and runConformance build
// their namespaces in the guest, unchanged) and the core's Exec (what a proxier under test runs its tools
// through), with the same judgement of exit codes, timeouts and aborts as their host-side originals.
import {
  assertAllowedExitCode,
  DEFAULT_EXEC_TIMEOUT_MS,
  ExecError,
  type Exec,
  type ExecResult,
} from '@egress-proxier/core/plugin';
import type { LabHost } from '@egress-proxier/netlab';
import type { GuestMachine } from './machine.js';
import { execFailureReason } from './outcome.js';

/**
 * Measured in the guest while three proxiers synced: connections started 100 ms apart completed together after
 * stalls of up to 949 ms, so a 1.5 s connection loop timed out there with two loops running; three times
 * that leaves room for the stalls and one SYN retransmission, as 1.5 s does natively.
 */
const GUEST_TIME_SCALE = 3;

export function guestLabHost(machine: GuestMachine): LabHost {
  return {
    timeScale: GUEST_TIME_SCALE,
    run: (command, args, options) => machine.run(command, args, options),
    // `ip netns exec` execs the command: the PID is the process's own, as the LabHost contract asks.
    spawn: (namespace, command, args, options) =>
      machine.spawn('ip', ['netns', 'exec', namespace, command, ...args], { stdin: options?.stdin === true }),
  };
}

/** Runs requests in the guest's root namespace, or inside `namespace` (a lab's node) when given. */
export function guestExec(machine: GuestMachine, namespace?: string): Exec {
  return {
    async run(request): Promise<ExecResult> {
      if (aborted(request.signal)) throw new ExecError(request, undefined, 'aborted');
      const timeoutMs = request.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS;
      const argv = [
        ...(namespace === undefined ? [] : ['ip', 'netns', 'exec', namespace]),
        request.command,
        ...request.args,
      ];
      const outcome = await machine.execute(argv, {
        timeoutMs,
        ...(request.input === undefined ? {} : { input: request.input }),
        ...(request.signal === undefined ? {} : { signal: request.signal }),
      });
      const result: ExecResult = {
        exitCode: outcome.exitCode ?? -1,
        stdout: outcome.stdout,
        stderr: outcome.stderr,
      };
      const reason = execFailureReason(outcome, request, timeoutMs, aborted(request.signal));
      if (reason !== null)
        throw new ExecError(request, outcome.exitCode === null ? undefined : result, reason);
      assertAllowedExitCode(request, result);
      return result;
    },
  };
}

/** A function, not an inline check: TypeScript would keep the narrowing of the first check past the await. */
function aborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}
