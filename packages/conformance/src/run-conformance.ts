// runConformance(plugin or module path, options): builds the dual-stack lab, runs the case table against one
// proxier per node, compares the kernel after cleanup with the kernel before the first sync, and always
// removes the lab (also when a case or the setup throws).
import {
  loadProxierPlugin,
  type NodeProxierPlugin,
  type PluginOptionValues,
  type ProxierPlugin,
} from '@egress-proxier/core';
import {
  assertLabPrerequisites,
  createLab,
  uniquePrefix,
  type Lab,
  type LabHost,
} from '@egress-proxier/netlab';
import { pino, type Logger } from 'pino';
import { EXTERNALS, FAMILIES, type Family } from './addresses.js';
import { CaseContext, CaseFailure, NODE_PORT, POD_PORT, type Timing } from './case-context.js';
import { CLEANUP_CASE_ID, CONFORMANCE_CASES, type ConformanceCase } from './cases.js';
import {
  kernelSnapshot,
  snapshotDifferences,
  SNAPSHOT_TOOLS,
  type SnapshotSection,
} from './kernel-snapshot.js';
import { summarize, type CaseResult, type ConformanceReport } from './report.js';
import { ConformanceWorld } from './world.js';

export interface ConformanceOptions {
  /** The backend's own options (what `--<backend>-<option>` flags give the agent). */
  pluginOptions?: PluginOptionValues;
  families?: readonly Family[];
  /** Case ids to run (default: all); `cleanup-restores-kernel`, when included, runs last. */
  cases?: readonly string[];
  /** Lab namespace prefix base (a per-process suffix is added). */
  prefix?: string;
  /** The backend's sync period; drift must be repaired by one sync within it. Default 30 s. */
  syncPeriodMs?: number;
  settleMs?: number;
  dropTimeoutMs?: number;
  /** Extra tools the backend needs in the lab (checked up front, named when missing). */
  requiredTools?: readonly string[];
  logger?: Logger;
  /** Where lab commands run (a guest kernel); default this host. */
  host?: LabHost;
  /** Called after each case, e.g. to print progress. */
  onResult?: (result: CaseResult) => void;
  /** Extra cases (a backend's own), run after the shared ones. */
  extraCases?: readonly ConformanceCase[];
}

export class ConformanceSetupError extends Error {
  override name = 'ConformanceSetupError';
}

export async function runConformance(
  pluginOrPath: ProxierPlugin | string,
  options: ConformanceOptions = {},
): Promise<ConformanceReport> {
  const started = Date.now();
  const plugin = typeof pluginOrPath === 'string' ? await loadProxierPlugin(pluginOrPath) : pluginOrPath;
  if (plugin.scope !== 'node')
    throw new ConformanceSetupError(
      `backend '${plugin.name}' has scope '${plugin.scope}': the suite runs node backends on a kernel`,
    );
  const families = [...(options.families ?? FAMILIES)];
  if (families.includes(6) && !plugin.capabilities.includes('ipv6'))
    throw new ConformanceSetupError(
      `backend '${plugin.name}' does not declare the ipv6 capability; run with families [4]`,
    );
  await assertLabPrerequisites([...SNAPSHOT_TOOLS, 'ip6tables-nft', ...(options.requiredTools ?? [])]);
  const logger = options.logger ?? pino({ level: process.env.LOG_LEVEL ?? 'silent' });
  const timing: Timing = {
    syncPeriodMs: options.syncPeriodMs ?? 30_000,
    settleMs: options.settleMs ?? 6000,
    dropTimeoutMs: options.dropTimeoutMs ?? 1200,
  };
  const wanted = options.cases === undefined ? undefined : new Set(options.cases);
  const unknown = [...(wanted ?? [])].filter(
    (id) =>
      id !== CLEANUP_CASE_ID &&
      ![...CONFORMANCE_CASES, ...(options.extraCases ?? [])].some((c) => c.id === id),
  );
  if (unknown.length > 0) throw new ConformanceSetupError(`unknown case(s): ${unknown.join(', ')}`);
  const cases = [...CONFORMANCE_CASES, ...(options.extraCases ?? [])].filter(
    (c) => wanted === undefined || wanted.has(c.id),
  );

  const lab = await createLab({
    prefix: uniquePrefix(options.prefix ?? 'conf'),
    nodes: 3,
    podsPerNode: 2,
    externals: EXTERNALS,
    ipv6: true,
    ...(options.host === undefined ? {} : { host: options.host }),
  });
  const results: CaseResult[] = [];
  const record = (result: CaseResult) => {
    results.push(result);
    options.onResult?.(result);
  };
  const world = new ConformanceWorld(lab, plugin as NodeProxierPlugin, options.pluginOptions ?? {}, logger);
  try {
    await lab.startServer(lab.pod(2, 2).namespace, POD_PORT, { ipv6: true });
    await lab.startServer(lab.node(3).namespace, NODE_PORT, { ipv6: true });
    await world.nodeState.prepare(lab, world.plugin);
    const before = await snapshotAll(lab);
    world.populate();
    await world.startProxiers();
    const signal = new AbortController().signal;
    for (const testCase of cases) {
      for (const family of (testCase.families ?? families).filter((f) => families.includes(f))) {
        record(await runCase(world, testCase, family, timing, signal));
      }
    }
    if (wanted === undefined || wanted.has(CLEANUP_CASE_ID)) record(await cleanupCase(world, before, signal));
  } finally {
    world.stopProbers();
    try {
      await world.nodeState.release();
    } finally {
      await lab.destroy();
    }
  }
  return summarize(plugin.name, families, results, Date.now() - started);
}

async function runCase(
  world: ConformanceWorld,
  testCase: ConformanceCase,
  family: Family,
  timing: Timing,
  signal: AbortSignal,
): Promise<CaseResult> {
  const started = Date.now();
  const context = new CaseContext(world, family, timing, signal);
  let details: string[];
  let status: CaseResult['status'] = 'pass';
  try {
    await testCase.run(context);
    details = context.details;
  } catch (error) {
    status = 'fail';
    details = error instanceof CaseFailure ? [...error.details] : [`threw: ${errorText(error)}`];
  }
  // Back to no policy for the next case; a failure to get there fails this case too.
  // An agent retries a failed sync (the runner's backoff): so does the reset, once, noting the failure.
  world.reset();
  for (let attempt = 1; attempt <= 2; attempt++) {
    try {
      await world.converge(signal);
      break;
    } catch (error) {
      status = 'fail';
      details.push(`sync to no policy failed (attempt ${attempt}): ${errorText(error)}`);
    }
  }
  return {
    id: testCase.id,
    title: testCase.title,
    family,
    status,
    durationMs: Date.now() - started,
    details,
  };
}

async function cleanupCase(
  world: ConformanceWorld,
  before: Map<string, SnapshotSection[]>,
  signal: AbortSignal,
): Promise<CaseResult> {
  const started = Date.now();
  const details: string[] = [];
  try {
    // Program something of both families first, so cleanup has work to do.
    const context = new CaseContext(world, 4, { syncPeriodMs: 0, settleMs: 0, dropTimeoutMs: 0 }, signal);
    const context6 = new CaseContext(world, 6, { syncPeriodMs: 0, settleMs: 0, dropTimeoutMs: 0 }, signal);
    world.applyEgress('v4', context.spec({ namespace: 'payments', ips: ['a'], gateway: 'node-1' }));
    world.applyEgress('v6', context6.spec({ app: 'web', ips: ['b'], gateway: 'node-2' }));
    await world.converge(signal);
    for (const proxier of world.proxiers.values()) await proxier.cleanup(signal);
    const after = await snapshotAll(world.lab);
    for (const [namespace, sections] of before)
      details.push(
        ...snapshotDifferences(sections, after.get(namespace) ?? []).map((d) => `${namespace}: ${d}`),
      );
    for (const node of world.lab.nodes)
      for (const file of await world.nodeState.leftovers(node.name))
        details.push(`${node.name}: its host state still holds ${file}`);
  } catch (error) {
    details.push(`threw: ${errorText(error)}`);
  }
  return {
    id: CLEANUP_CASE_ID,
    title: 'cleanup leaves every lab namespace exactly as before the first sync',
    family: 'both',
    status: details.length === 0 ? 'pass' : 'fail',
    durationMs: Date.now() - started,
    details: details.length === 0 ? [`${before.size} namespaces compared`] : details,
  };
}

async function snapshotAll(lab: Lab): Promise<Map<string, SnapshotSection[]>> {
  const namespaces = [
    lab.underlay,
    ...lab.nodes.map((n) => n.namespace),
    ...lab.pods.map((p) => p.namespace),
    ...lab.externals.map((x) => x.namespace),
  ];
  const snapshots = new Map<string, SnapshotSection[]>();
  for (const namespace of namespaces) snapshots.set(namespace, await kernelSnapshot(lab, namespace));
  return snapshots;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
