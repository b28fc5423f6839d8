// `egress-proxier render`: the table, the per-policy outcomes and the backend's exact rules for a
// cluster described in YAML files. No cluster, no root, no kernel.
import type { Argv, CommandModule } from 'yargs';
import { stringify } from 'yaml';
import { EgressModel } from '../../model/egress-model.js';
import { computePolicyOutcomes } from '../../model/policy-outcome.js';
import { buildNodeEgressTable } from '../../table/build-node-table.js';
import { buildClusterEgressTable } from '../../table/build-cluster-table.js';
import type { ProxierPlugin } from '../../plugin/proxier.js';
import { describeLocation, loadManifestFiles } from '../load-manifests.js';
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
    process.stdout.write(await renderToText(args));
  },
};

export async function renderToText(args: RenderArgs & Record<string, unknown>): Promise<string> {
  const plugin = args.backend ? await backendPlugin(args.backend) : undefined;
  const model = new EgressModel({
    clusterCIDRs: splitList([...args['cluster-cidr'], ...args['service-cidr']]),
    capabilities: plugin?.capabilities,
  });
  const loaded = await loadManifestFiles(args.file, model);
  for (const invalid of loaded.invalidEgresses) {
    process.stderr.write(`warning: ${describeLocation(invalid.location)}: ${invalid.message}\n`);
  }

  const nodeNames = args.node ? [args.node] : model.nodeNames();
  if (args.node && !model.node(args.node)) {
    process.stderr.write(`warning: node ${args.node} is not among the Node objects in the files\n`);
  }
  const result = renderResult(model, nodeNames, plugin, args);
  if (args.output === 'json') return JSON.stringify(result, null, 2) + '\n';
  if (args.output === 'yaml') return stringify(result);
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
