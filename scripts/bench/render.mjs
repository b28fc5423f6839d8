// Render benchmark (issue 14, run after `npm run build`): `egress-proxier render` on a cluster dump as
// `kubectl get pods,nodes,namespaces,egresses -A -o json` prints it (227,000 small pods by default; set
// RENDER_PODS to change), as JSON on stdin and as YAML from a file. Each run is a fresh Node process whose
// CPU time (user + system: wall time on a shared machine mostly measures the neighbours; it is printed too)
// and peak memory (maxRSS) are compared per MB of input with a plain `JSON.parse` of the JSON text in the
// same run (target: within 3× of it). Then the CLI's start-up for `version` and `--help`,
// against the same CLI with every command module and what they need to run imported up front (what main.ts
// did before the commands imported their heavy modules from their handlers). Prints a table and one BENCH_JSON line.
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { clusterDump, dumpAsJson, dumpAsYaml } from './support/render-dump.mjs';

const PODS = Number(process.env.RENDER_PODS ?? 227_000);
const STARTUP_RUNS = 7;
const TARGET_RATIO = 3;
const here = path.dirname(fileURLToPath(import.meta.url));
const child = path.join(here, 'support/render-child.mjs');
const commandsDir = path.join(here, '../../packages/core/dist/src/cli/commands');

/** Runs render-child.mjs with ARGS (stdin from a file when given); resolves its MEASURE line or failure. */
function measure(args, stdinFile) {
  return new Promise((resolve) => {
    const stdin = stdinFile ? openSync(stdinFile, 'r') : 'ignore';
    const proc = spawn(process.execPath, [child, ...args], { stdio: [stdin, 'ignore', 'pipe'] });
    if (typeof stdin === 'number') closeSync(stdin);
    let stderr = '';
    proc.stderr.on('data', (chunk) => (stderr += chunk));
    proc.on('close', (code, signal) => {
      const line = stderr.split('\n').find((l) => l.startsWith('MEASURE '));
      const figures = line
        ? JSON.parse(line.slice('MEASURE '.length))
        : { ms: NaN, cpuMs: NaN, maxRssMB: NaN };
      const failure =
        code === 0
          ? undefined
          : (stderr.split('\n').find((l) => /error|heap/i.test(l)) ?? `exit ${code ?? signal}`);
      resolve({ ...figures, failure });
    });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x, digits = 1) => (Number.isFinite(x) ? +x.toFixed(digits) : null);

const dir = mkdtempSync(path.join(tmpdir(), 'render-bench-'));
try {
  const dump = clusterDump(PODS);
  const jsonFile = path.join(dir, 'dump.json');
  const yamlFile = path.join(dir, 'dump.yaml');
  const jsonText = dumpAsJson(dump);
  writeFileSync(jsonFile, jsonText);
  const yamlText = dumpAsYaml(dump);
  writeFileSync(yamlFile, yamlText);
  const jsonMB = Buffer.byteLength(jsonText) / 1e6;
  const yamlMB = Buffer.byteLength(yamlText) / 1e6;

  const render = ['cli', 'render', '--node', 'node-0', '-o', 'json', '-f'];
  const baseline = await measure(['json-parse', jsonFile]);
  const cases = [
    { name: 'JSON.parse (baseline)', inputMB: jsonMB, ...baseline },
    { name: 'render JSON from stdin', inputMB: jsonMB, ...(await measure([...render, '-'], jsonFile)) },
    { name: 'render YAML from a file', inputMB: yamlMB, ...(await measure([...render, yamlFile])) },
  ];
  const msPerMB = (c) => c.cpuMs / c.inputMB;
  const rssPerMB = (c) => c.maxRssMB / c.inputMB;
  const rows = cases.map((c) => ({
    ...c,
    msPerMB: msPerMB(c),
    rssPerMB: rssPerMB(c),
    timeRatio: msPerMB(c) / msPerMB(cases[0]),
    memoryRatio: rssPerMB(c) / rssPerMB(cases[0]),
  }));

  // What main.ts loaded before commands took their heavy modules from their handlers.
  const eager = [
    ...readdirSync(commandsDir)
      .filter((name) => name.endsWith('.js'))
      .map((name) => path.join(commandsDir, name)),
    path.join(commandsDir, '../command-runtime.js'),
  ];
  const startup = async (args) => {
    const runs = [];
    for (let i = 0; i < STARTUP_RUNS; i++) runs.push((await measure(args)).cpuMs);
    return median(runs);
  };
  const startups = {
    versionMs: await startup(['cli', 'version']),
    helpMs: await startup(['cli', '--help']),
    versionEagerMs: await startup(['eager-cli', ...eager, '--', 'version']),
    helpEagerMs: await startup(['eager-cli', ...eager, '--', '--help']),
  };

  console.log(`render: ${PODS} pods in one List, ${jsonMB.toFixed(1)} MB JSON, ${yamlMB.toFixed(1)} MB YAML`);
  console.log(
    '| case | input MB | wall s | CPU s | CPU ms/MB | peak MB | peak MB/MB | × JSON.parse CPU | × memory |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const verdict =
      r === rows[0] || r.failure
        ? ''
        : r.timeRatio <= TARGET_RATIO && r.memoryRatio <= TARGET_RATIO
          ? ' (target met)'
          : ' (target MISSED)';
    const cells = r.failure
      ? [r.name, r.inputMB.toFixed(1), `FAILED: ${r.failure}`, '', '', '', '', '', '']
      : [
          r.name,
          r.inputMB.toFixed(1),
          (r.ms / 1000).toFixed(2),
          (r.cpuMs / 1000).toFixed(2),
          r.msPerMB.toFixed(1),
          r.maxRssMB.toFixed(0),
          r.rssPerMB.toFixed(1),
          r.timeRatio.toFixed(2),
          `${r.memoryRatio.toFixed(2)}${verdict}`,
        ];
    console.log(`| ${cells.join(' | ')} |`);
  }
  console.log(
    `| start-up \`version\` (eager imports → lazy) | | ${startups.versionEagerMs.toFixed(0)} → ${startups.versionMs.toFixed(0)} ms CPU | | | | | | |`,
  );
  console.log(
    `| start-up \`--help\` (eager imports → lazy) | | ${startups.helpEagerMs.toFixed(0)} → ${startups.helpMs.toFixed(0)} ms CPU | | | | | | |`,
  );

  const key = (name) => name.replace(/ \(.*\)$/, '').replace(/[^a-zA-Z]+(.)/g, (_, c) => c.toUpperCase());
  const figures = { bench: 'render', pods: PODS, jsonMB: round(jsonMB), yamlMB: round(yamlMB) };
  for (const r of rows) {
    figures[key(r.name)] = {
      wallSeconds: round(r.ms / 1000, 2),
      cpuSeconds: round(r.cpuMs / 1000, 2),
      peakMB: round(r.maxRssMB, 0),
      msPerMB: round(r.msPerMB),
      peakMBPerMB: round(r.rssPerMB),
      timeRatio: round(r.timeRatio, 2),
      memoryRatio: round(r.memoryRatio, 2),
      ...(r.failure ? { failure: r.failure } : {}),
    };
  }
  for (const [name, ms] of Object.entries(startups)) figures[name.replace(/Ms$/, 'CpuMs')] = round(ms, 0);
  console.log(`BENCH_JSON ${JSON.stringify(figures)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
