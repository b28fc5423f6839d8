// `egress-proxier render`: the table, the per-policy outcomes and the backend's exact rules for a
// cluster described in YAML files. No cluster, no root, no kernel.
import type { Argv, CommandModule } from 'yargs';
import { stringify } from 'yaml';
import { EgressModel } from '../../model/egress-model.js';
import { computePolicyOutcomes } from '../../model/policy-outcome.js';
import { buildNodeEgressTable } from '../../table/build-node-table.js';
import { buildClusterEgressTable } from '../../table/build-cluster-table.js';
import type { ProxierPlugin } from '../../plugin/proxier.js';
import { loadManifestFiles, warnInvalidEgresses } from '../load-manifests.js';
import { formatRenderResult, type RenderResult } from '../format-render.js';
import { splitList } from '../list-args.js';
import {
  addBackendOptions,
  backendOptionValues,
  backendPlugin,
  preloadedBackend,
} from '../backend-options.js';

export interface RenderArgs {
  file: string[];
  node?: string;
  backend?: string;
  output: 'table' | 'yaml' | 'json';
  'cluster-cidr': string[];
  'service-cidr': string[];
  strict: boolean;
}

/** What `render` prints, and whether `--strict` fails the command (an Egress the cluster would refuse). */
export interface RenderOutput {
  text: string;
  refusedEgresses: number;
}

export const renderCommand: CommandModule<object, RenderArgs> = {
  command: 'render',
  describe:
    'Print the egress table, policy outcomes and backend rules for a cluster described in YAML or JSON files',
  builder: (yargs: Argv) =>
    addBackendOptions(
      yargs
        .option('file', {
          alias: 'f',
          type: 'string',
          array: true,
          demandOption: true,
          describe:
            'Kubernetes YAML or JSON with Egress, Pod, Namespace and Node objects (multi-document or List; a directory; - for stdin)',
        })
        .option('node', {
          type: 'string',
          describe: 'Render only this node (default: every Node in the files)',
        })
        .option('backend', {
          type: 'string',
          describe:
            'Also print the exact datapath this backend would program (built-in name, module or path)',
        })
        .option('output', {
          alias: 'o',
          choices: ['table', 'yaml', 'json'] as const,
          default: 'table' as const,
          describe: 'Output format',
        })
        .option('cluster-cidr', {
          type: 'string',
          array: true,
          default: [],
          describe: 'Pod CIDR(s) of the cluster: never SNATed, never valid egress IPs',
        })
        .option('service-cidr', {
          type: 'string',
          array: true,
          default: [],
          describe: 'Service CIDR(s) of the cluster: never SNATed, never valid egress IPs',
        })
        .option('strict', {
          type: 'boolean',
          default: false,
          describe:
            'Exit 1 when an Egress is refused (invalid, or refused in cluster context: reserved IP, IP in a cluster range, node IP, conflicting IP, unsupported by the backend)',
        })
        .example(
          '$0 render -f examples/cluster.yaml --node node-b --backend iptables',
          'rules node-b would get',
        )
        .example(
          'kubectl get pods,nodes,namespaces,egresses -A -o json | $0 render -f - --node node-b',
          'render a live cluster offline',
        ),
      preloadedBackend()?.plugin,
    ) as unknown as Argv<RenderArgs>,
  handler: async (args) => {
    const output = await renderToText(args);
    process.stdout.write(output.text);
    if (args.strict && output.refusedEgresses > 0) {
      process.stderr.write(
        `error: --strict: ${output.refusedEgresses} Egress(es) refused, see the warnings\n`,
      );
      process.exitCode = 1;
    }
  },
};

export async function renderToText(args: RenderArgs & Record<string, unknown>): Promise<RenderOutput> {
  const plugin = args.backend ? await backendPlugin(args.backend) : undefined;
  const model = new EgressModel({
    clusterCIDRs: splitList([...args['cluster-cidr'], ...args['service-cidr']]),
    capabilities: plugin?.capabilities,
  });
  warnInvalidEgresses(await loadManifestFiles(args.file, model));

  // An unknown --node rendered as an empty table, indistinguishable from a node that programs nothing.
  if (args.node !== undefined && !model.node(args.node))
    throw new Error(unknownNodeMessage(args.node, model));
  const nodeNames = args.node !== undefined ? [args.node] : model.nodeNames();
  const result = renderResult(model, nodeNames, plugin, args);
  // Schema problems were warned about above; these refusals need the whole cluster (and the backend) to be
  // found, and were otherwise only in the NOTES column.
  for (const outcome of result.outcomes) {
    if (outcome.accepted.status || outcome.accepted.reason === 'InvalidSpec') continue;
    process.stderr.write(
      `warning: Egress ${outcome.name}: refused (${outcome.accepted.reason}): ${outcome.accepted.message}\n`,
    );
  }
  const refusedEgresses = result.outcomes.filter((outcome) => !outcome.accepted.status).length;
  return { text: formatOutput(result, args.output), refusedEgresses };
}

function unknownNodeMessage(node: string, model: EgressModel): string {
  const known = model.nodeNames();
  return known.length === 0
    ? `--node ${node}: the files have no Node objects`
    : `--node ${node}: no such Node in the files (they have ${known.join(', ')})`;
}

function formatOutput(result: RenderResult, output: RenderArgs['output']): string {
  if (output === 'json') return JSON.stringify(result, null, 2) + '\n';
  if (output === 'yaml') return stringify(result);
  return formatRenderResult(result);
}

function renderResult(
  model: EgressModel,
  nodeNames: string[],
  plugin: ProxierPlugin | undefined,
  args: Record<string, unknown>,
): RenderResult {
  const options = plugin ? backendOptionValues(plugin, args) : {};
  const result: RenderResult = {
    backend: plugin?.name,
    outcomes: computePolicyOutcomes(model),
    nodes: nodeNames.map((node) => {
      const table = buildNodeEgressTable(model, node);
      return plugin?.scope === 'node'
        ? { node, table, datapath: plugin.render(table, options) }
        : { node, table };
    }),
  };
  if (plugin?.scope === 'cluster')
    result.cluster = { datapath: plugin.render(buildClusterEgressTable(model), options) };
  return result;
}
