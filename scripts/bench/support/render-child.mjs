// Child process of render.mjs: one measured run in a fresh Node process, so that its peak memory (maxRSS)
// is its own. `json-parse FILE` reads and parses the file with JSON.parse (the baseline); `cli ARGS...`
// runs the egress-proxier CLI with ARGS as a user would; `eager-cli MODULE... -- ARGS...` imports the
// modules first, then runs the CLI (the start-up of a CLI that loads every command up front). On exit it prints one line to stderr:
// MEASURE {"ms": wall time since the process started, "cpuMs": user + system CPU time, "maxRssMB": peak
// resident memory}. CPU time is what the ratios use: on a shared machine wall time mostly measures the
// neighbours.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const [mode, ...args] = process.argv.slice(2);

process.on('exit', () => {
  const usage = process.resourceUsage();
  const measure = {
    ms: performance.now(),
    cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000,
    maxRssMB: usage.maxRSS / 1024,
  };
  process.stderr.write(`MEASURE ${JSON.stringify(measure)}\n`);
});

if (mode === 'json-parse') {
  const parsed = JSON.parse(readFileSync(args[0], 'utf8'));
  if (!Array.isArray(parsed.items)) throw new Error('not a List');
} else if (mode === 'cli' || mode === 'eager-cli') {
  if (mode === 'eager-cli') {
    const end = args.indexOf('--');
    for (const module of args.splice(0, end + 1).slice(0, -1)) await import(module);
  }
  const cli = new URL('../../../packages/core/dist/src/cli/main.js', import.meta.url);
  process.argv = [process.argv[0], cli.pathname, ...args];
  await import(cli.href);
} else {
  throw new Error(`unknown mode ${mode}`);
}
