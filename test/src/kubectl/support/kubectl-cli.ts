// The real kubectl binary bound to one API server: its own kubeconfig and discovery cache in a temp dir
// (kubectl caches discovery per host:port, and ports are reused between test runs).
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningApiServer } from '@egress-proxier/testing';

export const KUBECTL_PATH = process.env['KUBECTL'] ?? '/usr/bin/kubectl';

/** Fails (never skips): the suite exists to prove what a user does with kubectl works. */
export function requireKubectl(): void {
  try {
    accessSync(KUBECTL_PATH, constants.X_OK);
  } catch {
    throw new Error(
      `kubectl not found at ${KUBECTL_PATH}: install the kubectl v1.32 client or set KUBECTL=/path/to/kubectl`,
    );
  }
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class KubectlCli {
  private constructor(
    private readonly dir: string,
    private readonly cwd: string,
  ) {}

  /** `cwd` is where relative paths such as `deploy/` resolve, as in a user's shell at the repo root. */
  static async for(server: RunningApiServer, cwd: string): Promise<KubectlCli> {
    requireKubectl();
    const dir = await mkdtemp(join(tmpdir(), 'kubectl-deploy-'));
    await server.writeKubeconfig(join(dir, 'kubeconfig'));
    return new KubectlCli(dir, cwd);
  }

  run(args: string[], stdin?: string): Promise<KubectlResult> {
    const argv = [
      '--kubeconfig',
      join(this.dir, 'kubeconfig'),
      '--cache-dir',
      join(this.dir, 'cache'),
      '--request-timeout',
      '5s',
      ...args,
    ];
    return new Promise((resolve) => {
      const child = execFile(
        KUBECTL_PATH,
        argv,
        { cwd: this.cwd, timeout: 15_000 },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
      child.stdin?.end(stdin ?? '');
    });
  }

  /** Runs and insists on success, with kubectl's stderr in the failure message. */
  async ok(args: string[], stdin?: string): Promise<string> {
    const result = await this.run(args, stdin);
    if (result.code !== 0)
      throw new Error(`kubectl ${args.join(' ')} failed (exit ${result.code}): ${result.stderr}`);
    return result.stdout;
  }

  async cleanup(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
