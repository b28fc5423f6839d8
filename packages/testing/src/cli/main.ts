#!/usr/bin/env node
import { startApiServer } from '../server/start-api-server.js';
import { parseCliArgs, usage } from './args.js';

/** `egress-proxier-apiserver --listen HOST:PORT [--https] [--kubeconfig-out PATH]`: serves until SIGTERM. */
async function main(): Promise<void> {
  const args = parseCliArgs(process.argv.slice(2));
  if (args === 'help') {
    process.stdout.write(usage);
    return;
  }
  const running = await startApiServer({
    host: args.host,
    port: args.port,
    https: args.https,
    ...(args.historySize ? { historySize: args.historySize } : {}),
  });
  const stop = () => {
    void running.close().then(() => process.exit(0));
  };
  // Before the ready line: a parent that signals as soon as it reads the line must find the handler (on a
  // loaded machine the child can be descheduled between the write and the next statement; it then died by
  // the signal instead of exiting 0).
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (args.kubeconfigOut) await running.writeKubeconfig(args.kubeconfigOut);
  process.stdout.write(`${JSON.stringify({ url: running.url, kubeconfig: args.kubeconfigOut ?? null })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `egress-proxier-apiserver: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
