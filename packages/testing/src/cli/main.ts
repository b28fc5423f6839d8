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
  if (args.kubeconfigOut) await running.writeKubeconfig(args.kubeconfigOut);
  process.stdout.write(`${JSON.stringify({ url: running.url, kubeconfig: args.kubeconfigOut ?? null })}\n`);
  const stop = () => {
    void running.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `egress-proxier-apiserver: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
