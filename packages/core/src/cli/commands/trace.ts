// `egress-proxier trace`: which Egress decides a packet from a pod to a destination, what the pod's node
// does with it and which address the outside sees, from YAML files (like `render`) or from the live cluster.
import type { Argv, CommandModule } from 'yargs';
import { DEFAULT_AGENT_OPTIONS } from '../../agent/agent-options.js';
import { EgressModel } from '../../model/egress-model.js';
import { tracePacket } from '../../trace/trace-packet.js';
import { parseTraceRequest, TRACE_EXIT_CODES, TraceError } from '../../trace/trace-request.js';
import { formatTraceResult } from '../format-trace.js';
import { splitList } from '../list-args.js';
import { loadManifestFiles, warnInvalidEgresses } from '../load-manifests.js';

export interface TraceArgs {
  from: string;
  to: string;
  file?: string[];
  kubeconfig?: string;
  namespace: string;
  output: 'text' | 'json';
  'cluster-cidr': string[];
  'service-cidr': string[];
}

const LIST_TIMEOUT_MS = 60_000;

export const traceCommand: CommandModule<object, TraceArgs> = {
  command: 'trace',
  describe:
    'Explain which Egress decides a packet from a pod, what its node does and the source address seen outside',
  builder: (yargs: Argv) =>
    yargs
      .option('from', {
        type: 'string',
        demandOption: true,
        describe: 'The sending pod, as NAMESPACE/POD',
      })
      .option('to', {
        type: 'string',
        demandOption: true,
        describe: 'Destination IP[:PORT] ([IPv6]:PORT with a port); the port is shown but decides nothing',
      })
      .option('file', {
        alias: 'f',
        type: 'string',
        array: true,
        describe: 'Trace offline over these YAML files, as `render -f` reads them (- for stdin)',
      })
      .option('kubeconfig', {
        type: 'string',
        describe:
          'Without -f: read the live cluster (default: in-cluster config, then $KUBECONFIG / ~/.kube/config)',
      })
      .conflicts('file', 'kubeconfig')
      .option('namespace', {
        type: 'string',
        default: process.env.POD_NAMESPACE ?? DEFAULT_AGENT_OPTIONS.namespace,
        describe: 'Live: the agents’ namespace, whose heartbeat leases say which gateways are live',
      })
      .option('output', {
        alias: 'o',
        choices: ['text', 'json'] as const,
        default: 'text' as const,
        describe: 'Output format (json: see docs/operating.md for its fields)',
      })
      .option('cluster-cidr', {
        type: 'string',
        array: true,
        default: [],
        describe: 'Pod CIDR(s) of the cluster, as given to the agents: never SNATed',
      })
      .option('service-cidr', {
        type: 'string',
        array: true,
        default: [],
        describe: 'Service CIDR(s) of the cluster, as given to the agents: never SNATed',
      })
      .example(
        '$0 trace -f examples/ --from shop/checkout-1 --to 203.0.113.5:5432',
        'offline, over YAML files',
      )
      .example(
        '$0 trace --kubeconfig ~/.kube/config --from payments/db-client-0 --to 203.0.113.5',
        'the live cluster',
      )
      .example('$0 trace -f cluster.yaml --from web/api-1 --to 2001:db8::5 -o json', 'IPv6, as JSON')
      .epilogue(
        'The verdict is the one the agent programs: the pod’s node table, looked up by longest prefix. Live, ' +
          'gateways count as live when their heartbeat lease was renewed within its duration by this machine’s clock.\n\n' +
          `Exit codes: 0 traced (also when the packet is dropped); 1 unreadable input, unreachable cluster or bad flags; ` +
          `${TRACE_EXIT_CODES.badArgument} --from or --to is malformed (not NS/POD, not an IP, bad port); ` +
          `${TRACE_EXIT_CODES.untraceablePod} the pod cannot be traced (not found, not scheduled, finished, no IP, ` +
          'no address of the destination’s family).',
      ) as unknown as Argv<TraceArgs>,
  handler: async (args) => {
    try {
      process.stdout.write(await traceToText(args));
    } catch (error) {
      if (!(error instanceof TraceError)) throw error;
      process.stderr.write(`error: ${error.message}\n`);
      process.exit(TRACE_EXIT_CODES[error.kind]);
    }
  },
};

export async function traceToText(args: TraceArgs): Promise<string> {
  const request = parseTraceRequest(args.from, args.to);
  const clusterCIDRs = splitList([...args['cluster-cidr'], ...args['service-cidr']]);
  const model = args.file
    ? await modelFromFiles(args.file, clusterCIDRs)
    : await modelFromCluster(args, clusterCIDRs);
  const result = tracePacket(model, request);
  return args.output === 'json' ? JSON.stringify(result, null, 2) + '\n' : formatTraceResult(result);
}

async function modelFromFiles(files: string[], clusterCIDRs: string[]): Promise<EgressModel> {
  const model = new EgressModel({ clusterCIDRs });
  warnInvalidEgresses(await loadManifestFiles(files, model));
  return model;
}

async function modelFromCluster(args: TraceArgs, clusterCIDRs: string[]): Promise<EgressModel> {
  // Imported here, not at the top: the kube client takes most of a second to load (see command-runtime.ts).
  const [{ KubeClient }, { readClusterSnapshot }, { loadKubeConfig }] = await Promise.all([
    import('../../kube/kube-client.js'),
    import('../../kube/cluster-snapshot.js'),
    import('../kubeconfig.js'),
  ]);
  const client = new KubeClient(loadKubeConfig(args.kubeconfig));
  try {
    return await readClusterSnapshot(client, {
      namespace: args.namespace,
      clusterCIDRs,
      listTimeoutMs: LIST_TIMEOUT_MS,
      nowMs: Date.now(),
    });
  } finally {
    client.destroy();
  }
}
