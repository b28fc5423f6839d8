import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningApiServer } from '../../src/index.js';

export const kubectlPath = process.env['KUBECTL'] ?? '/usr/bin/kubectl';

/** Fails (never skips) when the real kubectl binary is missing: these tests exist to prove kubectl compatibility. */
export function requireKubectl(): void {
  try {
    accessSync(kubectlPath, constants.X_OK);
  } catch {
    throw new Error(
      `kubectl not found at ${kubectlPath}: install kubectl v1.32 or set KUBECTL=/path/to/kubectl`,
    );
  }
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A kubectl bound to one server, with its own kubeconfig and discovery cache in a temp dir. */
export class Kubectl {
  private constructor(
    readonly dir: string,
    private readonly kubeconfig: string,
  ) {}

  static async for(server: RunningApiServer): Promise<Kubectl> {
    requireKubectl();
    const dir = await mkdtemp(join(tmpdir(), 'apiserver-kubectl-'));
    const kubeconfig = join(dir, 'kubeconfig');
    await server.writeKubeconfig(kubeconfig);
    return new Kubectl(dir, kubeconfig);
  }

  private argv(args: string[]): string[] {
    return [
      '--kubeconfig',
      this.kubeconfig,
      '--cache-dir',
      join(this.dir, 'cache'),
      '--request-timeout',
      '5s',
      ...args,
    ];
  }

  run(args: string[], stdin?: string): Promise<KubectlResult> {
    return new Promise((resolve) => {
      const child = execFile(kubectlPath, this.argv(args), { timeout: 15_000 }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
      if (stdin !== undefined) child.stdin?.end(stdin);
    });
  }

  /** Runs and insists on success, with kubectl's stderr in the failure message. */
  async ok(args: string[], stdin?: string): Promise<string> {
    const result = await this.run(args, stdin);
    if (result.code !== 0)
      throw new Error(`kubectl ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
    return result.stdout;
  }

  /** Starts a long-running kubectl (e.g. `get -w`); the caller kills it. */
  spawn(args: string[]): { child: ChildProcess; output: () => string } {
    const child = spawn(kubectlPath, this.argv(args), { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    return { child, output: () => output };
  }

  async cleanup(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Polls until `check` is true or the deadline passes; for output of a child process. */
export async function eventually(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
