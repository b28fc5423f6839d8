// The core's Exec seam, run inside one lab namespace: what a proxier under test gets as its `exec`, so its
// commands reach that namespace's kernel (exit codes judged as the agent's own Exec judges them).
import { assertAllowedExitCode, type Exec } from '@egress-proxier/core/plugin';
import type { Lab } from './lab.js';

export function namespaceExec(lab: Lab, namespace: string): Exec {
  return {
    async run(request) {
      const result = await lab.exec(namespace, request.command, request.args, {
        allowFailure: true,
        ...(request.input === undefined ? {} : { input: request.input }),
        ...(request.timeoutMs === undefined ? {} : { timeoutMs: request.timeoutMs }),
      });
      assertAllowedExitCode(request, result);
      return result;
    },
  };
}
