// `egress-proxier conformance --backend NAME|PATH`: runs the shared conformance suite (the optional package
// @egress-proxier/conformance) against a node backend on this machine's kernel, inside network namespaces
// it creates and removes. Root only. The core has no build-time dependency on that package (it depends on
// the core): it is imported when the command runs, with a clear error when it is not installed.
import type { Argv, CommandModule } from 'yargs';
import {
  addBackendOptions,
  backendOptionValues,
  backendPlugin,
  preloadedBackend,
} from '../backend-options.js';
import { splitList } from '../list-args.js';

export interface ConformanceArgs {
  backend: string;
  output: 'table' | 'json';
  family: string[];
  case: string[];
  'sync-period': number;
  'list-cases': boolean;
}

/** The slice of @egress-proxier/conformance this command uses (typed here: no import at build time). */
interface ConformanceModule {
  runConformance(
    plugin: unknown,
    options: {
      pluginOptions?: Record<string, unknown>;
      families?: (4 | 6)[];
      cases?: string[];
      syncPeriodMs?: number;
      onResult?: (result: { id: string; family: unknown; status: string; durationMs: number }) => void;
    },
  ): Promise<{ passed: boolean }>;
  formatReportTable(report: unknown): string;
  formatReportJson(report: unknown): string;
  caseIds(): string[];
}

const PACKAGE = '@egress-proxier/conformance';

export const conformanceCommand: CommandModule<object, ConformanceArgs> = {
  command: 'conformance',
  describe:
    'Prove a node backend on this kernel: the shared dual-stack scenario table (root; network namespaces only)',
  builder: (yargs: Argv) =>
    addBackendOptions(
      yargs
        .option('backend', {
          type: 'string',
          describe:
            'Backend to test: a built-in name, a module name or a path to a module exporting a plugin',
        })
        .option('output', {
          alias: 'o',
          choices: ['table', 'json'] as const,
          default: 'table' as const,
          describe: 'Result format on stdout (progress goes to stderr)',
        })
        .option('family', {
          type: 'string',
          array: true,
          default: ['4', '6'],
          describe: 'IP families to run (4, 6 or both)',
        })
        .option('case', {
          type: 'string',
          array: true,
          default: [],
          describe:
            'Run only these case ids (see --list-cases; include cleanup-restores-kernel for the cleanup check)',
        })
        .option('sync-period', {
          type: 'number',
          default: 30,
          describe: 'Seconds: the sync period the agent runs the backend with; drift must be repaired in one',
        })
        .option('list-cases', { type: 'boolean', default: false, describe: 'Print the case ids and exit' })
        .epilogue(
          'Every case sets up Egress, Pod, Namespace and Node objects, lets the core compute each node’s table, ' +
            'syncs one proxier per lab node and asserts what an external server sees (or what the kernel holds). ' +
            `Needs the ${PACKAGE} package, root, and the tools of scripts/setup.sh. Exits 1 when any case fails. ` +
            'See docs/conformance.md.',
        )
        .example('$0 conformance --backend iptables', 'the built-in iptables backend, IPv4 and IPv6')
        .example('$0 conformance --backend ./my-backend.js -o json', 'your own backend module, JSON report'),
      preloadedBackend()?.plugin,
    ) as unknown as Argv<ConformanceArgs>,
  handler: async (args) => {
    const suite = await loadConformance();
    if (args['list-cases']) {
      process.stdout.write(`${suite.caseIds().join('\n')}\n`);
      return;
    }
    if (!args.backend) throw new Error('--backend is required: a built-in name, a module name or a path');
    const families = splitList(args.family).map((family) => {
      if (family !== '4' && family !== '6') throw new Error(`--family ${family}: use 4 or 6`);
      return Number(family) as 4 | 6;
    });
    const plugin = await backendPlugin(args.backend);
    const cases = splitList(args.case);
    const report = await suite.runConformance(plugin, {
      pluginOptions: backendOptionValues(plugin, args as unknown as Record<string, unknown>),
      families,
      ...(cases.length > 0 ? { cases } : {}),
      syncPeriodMs: args['sync-period'] * 1000,
      onResult: (result) =>
        process.stderr.write(
          `${result.status === 'pass' ? 'pass' : 'FAIL'}  ${result.id} (${result.family === 'both' ? 'both' : `IPv${String(result.family)}`}, ${result.durationMs} ms)\n`,
        ),
    });
    process.stdout.write(
      args.output === 'json' ? suite.formatReportJson(report) : suite.formatReportTable(report),
    );
    if (!report.passed) process.exitCode = 1;
  },
};

async function loadConformance(): Promise<ConformanceModule> {
  try {
    // A variable specifier keeps TypeScript from resolving (and the build from depending on) the package.
    const specifier: string = PACKAGE;
    return (await import(specifier)) as ConformanceModule;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes(`'${PACKAGE}'`)) {
      throw new Error(
        `the conformance suite is not installed: npm install ${PACKAGE} (next to @egress-proxier/core)`,
        { cause: error },
      );
    }
    throw error;
  }
}
