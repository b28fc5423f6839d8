// `npm run soak`: the disruption scenarios of test/src/disruption/scenarios (the same modules the mocha suite
// runs, compiled by `npm run build`) N times idle and N times under a CPU hog on every core, against real
// `egress-proxier run --backend=iptables` agents in network namespaces. Prints one line per run, a table per
// scenario × load, and one `SOAK_JSON {...}` line; exits 1 when any target of issue 9 is missed.
//
//   npm run soak -- [--runs N] [--scenario NAME[,NAME…]] [--load idle|hog|both]
//                   [--restart-delay MS] [--api-hang MS] [--keep-logs DIR]
//
// --keep-logs copies the agents' and the API server's logs (every run's, timestamped) to DIR before the
// cluster is removed: what a missed target is diagnosed from. Run lines carry their start time to match.
//
// Environment (flags win): SOAK_RUNS, SOAK_SCENARIOS, SOAK_LOADS, EGRESS_RESTART_DELAY_MS, EGRESS_API_HANG_MS.
// Needs root and the lab's tools (scripts/setup.sh); run `npm run build` first.
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const compiled = path.join(repo, 'test/dist/disruption/scenarios/index.js');

const USAGE = `usage: npm run soak -- [--runs N] [--scenario NAME[,NAME…]] [--load idle|hog|both]
                    [--restart-delay MS] [--api-hang MS] [--keep-logs DIR]`;

function fail(message, code = 2) {
  process.stderr.write(`soak: ${message}\n`);
  process.exit(code);
}

/** @param {string | undefined} text @param {string} what @param {number} fallback */
function number(text, what, fallback, { min = 0 } = {}) {
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min)
    fail(`${what} must be an integer ≥ ${min}, not "${text}"\n${USAGE}`);
  return value;
}

let parsed;
try {
  parsed = parseArgs({
    options: {
      runs: { type: 'string' },
      scenario: { type: 'string' },
      load: { type: 'string' },
      'restart-delay': { type: 'string' },
      'api-hang': { type: 'string' },
      'keep-logs': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  }).values;
} catch (error) {
  fail(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
}
if (parsed.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (!existsSync(compiled)) fail(`${path.relative(repo, compiled)} is missing: run \`npm run build\` first`);

const { DEFAULT_SCENARIO_OPTIONS, DisruptionCluster, LOADS, SCENARIOS, runScenario } = await import(
  pathToFileURL(compiled).href
);
const { summarizeRuns, targetMisses } = await import(
  pathToFileURL(path.join(repo, 'test/dist/disruption/targets.js')).href
);
const { uniquePrefix } = await import('@egress-proxier/netlab');

const runs = number(parsed.runs ?? process.env.SOAK_RUNS, '--runs', 10, { min: 1 });
const loadText = parsed.load ?? process.env.SOAK_LOADS ?? 'both';
const loads = loadText === 'both' ? LOADS : loadText.split(',');
for (const load of loads)
  if (!LOADS.includes(load)) fail(`--load must be idle, hog or both, not "${loadText}"`);
const names = (parsed.scenario ?? process.env.SOAK_SCENARIOS ?? '').split(',').filter(Boolean);
const known = SCENARIOS.map((scenario) => scenario.name);
for (const name of names)
  if (!known.includes(name)) fail(`no scenario "${name}"; scenarios: ${known.join(', ')}`);
const scenarios =
  names.length === 0 ? SCENARIOS : SCENARIOS.filter((scenario) => names.includes(scenario.name));
const options = {
  restartDelayMs: number(
    parsed['restart-delay'] ?? process.env.EGRESS_RESTART_DELAY_MS,
    '--restart-delay',
    DEFAULT_SCENARIO_OPTIONS.restartDelayMs,
  ),
  apiHangMs: number(
    parsed['api-hang'] ?? process.env.EGRESS_API_HANG_MS,
    '--api-hang',
    DEFAULT_SCENARIO_OPTIONS.apiHangMs,
  ),
};

const started = Date.now();
const log = (line) => process.stdout.write(`${line}\n`);
log(
  `soak: ${scenarios.map((s) => s.name).join(', ')} × ${loads.join(', ')}, ${runs} runs each ` +
    `(restart delay ${options.restartDelayMs} ms, API hang ${options.apiHangMs} ms)`,
);

/** @type {InstanceType<typeof DisruptionCluster> | undefined} */
let cluster;
// Ctrl-C / SIGTERM: the cluster removes itself and the process exits 130 (signal-cleanup.ts); the CPU hog's
// processes are killed by its exit hook.
/** @type {Map<string, import('../../test/dist/disruption/targets.js').RunRecord[]>} */
const records = new Map();
/** @type {string | undefined} */
let aborted;
try {
  cluster = await DisruptionCluster.start({ prefix: uniquePrefix('soak') });
  log(`soak: cluster up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  for (const scenario of scenarios)
    for (const load of loads)
      for (let run = 1; run <= runs; run++) {
        const startedAt = new Date().toISOString().slice(11, 23);
        const record = await runScenario(cluster, scenario, load, options);
        const key = `${scenario.name}|${load}`;
        records.set(key, [...(records.get(key) ?? []), record]);
        log(`[${run}/${runs} ${startedAt}] ${record.summary}`);
      }
} catch (error) {
  // A broken cluster (it could not be restored) ends the soak; what was measured so far is still reported.
  aborted = error instanceof Error ? error.message : String(error);
  process.stderr.write(`soak: aborted: ${aborted}\n`);
  if (cluster) process.stderr.write(`${cluster.live.logTails(10)}\n`);
}
const keepLogs = parsed['keep-logs'];
if (cluster && keepLogs !== undefined) {
  mkdirSync(keepLogs, { recursive: true });
  const logs = readdirSync(cluster.live.work).filter((name) => name.endsWith('.log'));
  for (const name of logs) copyFileSync(path.join(cluster.live.work, name), path.join(keepLogs, name));
  log(`soak: ${logs.length} logs kept in ${keepLogs}`);
}
await cluster?.cleanup();
// Aborted before the first run (a missing prerequisite, a cluster that did not start): nothing to tabulate.
if (records.size === 0) process.exit(1);

const ms = (value) => (value === undefined ? '-' : value === null ? 'never' : `${(value / 1000).toFixed(2)}`);
const rows = [];
for (const scenario of scenarios)
  for (const load of loads) {
    const row = summarizeRuns(scenario.name, load, records.get(`${scenario.name}|${load}`) ?? []);
    rows.push({ ...row, misses: targetMisses(row, scenario.targets, { statistical: true }) });
  }

const header = [
  'scenario',
  'load',
  'runs',
  'err',
  'conns',
  'wrong src',
  'failed',
  'IP absent',
  'two holders',
  'apply→egress p50/p90 s',
  'failover p50/max s',
  'verdict',
];
const table = rows.map((row) => [
  row.scenario,
  row.load,
  String(row.runs),
  String(row.runsWithErrors),
  String(row.connections),
  String(row.wrongSource),
  String(row.failed),
  String(row.ipAbsentSamples),
  String(row.twoHolderSamples),
  row.applyToEgressP50Ms === undefined
    ? '-'
    : `${ms(row.applyToEgressP50Ms)} / ${ms(row.applyToEgressP90Ms)}`,
  row.failoverP50Ms === undefined ? '-' : `${ms(row.failoverP50Ms)} / ${ms(row.failoverMaxMs)}`,
  row.misses.length === 0 ? 'ok' : 'MISSED',
]);
const widths = header.map((title, column) =>
  Math.max(title.length, ...table.map((cells) => cells[column]?.length ?? 0)),
);
const line = (cells) =>
  cells
    .map((cell, column) => cell.padEnd(widths[column] ?? 0))
    .join('  ')
    .trimEnd();
log('');
log(line(header));
log(line(widths.map((width) => '-'.repeat(width))));
for (const cells of table) log(line(cells));
log('');
for (const row of rows) for (const miss of row.misses) log(`MISSED ${row.scenario} (${row.load}): ${miss}`);
const missed = aborted !== undefined || rows.some((row) => row.misses.length > 0);
if (aborted !== undefined) log(`soak: aborted before every run was done: ${aborted.split('\n')[0]}`);
log(
  `soak: ${missed ? 'targets missed' : 'every target met'} in ${((Date.now() - started) / 60_000).toFixed(1)} min`,
);
log(
  `SOAK_JSON ${JSON.stringify({
    runs,
    options,
    durationMs: Date.now() - started,
    ok: !missed,
    ...(aborted !== undefined ? { aborted } : {}),
    rows,
    records: [...records.values()].flat().map(({ summary: _summary, ...record }) => record),
  })}`,
);
process.exit(missed ? 1 : 0);
