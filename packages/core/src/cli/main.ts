#!/usr/bin/env node
// The `egress-proxier` command line.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { loadProxierPlugin } from '../plugin/load-plugin.js';
import { peekBackend, setPreloadedBackend } from './backend-options.js';
import { cleanupCommand } from './commands/cleanup.js';
import { conformanceCommand } from './commands/conformance.js';
import { preflightCommand } from './commands/preflight.js';
import { renderCommand } from './commands/render.js';
import { runCommand } from './commands/run.js';
import { traceCommand } from './commands/trace.js';
import { coreVersion, versionCommand } from './commands/version.js';

/** yargs takes a lone `-` for a positional; `-f -` means standard input, as in kubectl. */
function stdinAsFile(argv: string[]): string[] {
  return argv.map((arg, i) =>
    arg === '-' && (argv[i - 1] === '-f' || argv[i - 1] === '--file') ? '/dev/stdin' : arg,
  );
}

export async function main(rawArgv: string[]): Promise<void> {
  const argv = stdinAsFile(rawArgv);
  const backend = peekBackend(argv);
  if (backend) {
    // Loaded before parsing so that `--help` can list the backend's own flags; errors surface in the handler.
    try {
      setPreloadedBackend({ name: backend, plugin: await loadProxierPlugin(backend) });
    } catch (error) {
      // Without the plugin its flags would be reported as unknown, hiding the real problem.
      process.stderr.write(`error: ${(error as Error).message}\n`);
      process.exit(1);
    }
  }
  // One line per command. A command file imports at its top only what its flags and --help need; what it
  // needs to run it imports from its handler (see command-runtime.ts), so that every command starts fast.
  await yargs(argv)
    .scriptName('egress-proxier')
    .usage('$0 <command> [options]\n\nGives chosen Kubernetes pods a static egress source IP.')
    .command(runCommand)
    .command(renderCommand)
    .command(traceCommand)
    .command(cleanupCommand)
    .command(preflightCommand)
    .command(conformanceCommand)
    .command(versionCommand)
    .demandCommand(1, 'Name a command; see --help.')
    .strict()
    .version(coreVersion())
    .help()
    .alias('h', 'help')
    .wrap(Math.min(120, process.stdout.columns || 100))
    .fail((message, error) => {
      if (error) {
        process.stderr.write(`error: ${error.message}\n`);
      } else {
        process.stderr.write(`error: ${message}\n\nRun with --help for usage.\n`);
      }
      process.exit(1);
    })
    .parseAsync();
}

main(hideBin(process.argv)).catch((error: unknown) => {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
