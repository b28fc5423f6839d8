export interface CliArgs {
  host: string;
  port: number;
  https: boolean;
  kubeconfigOut?: string;
  historySize?: number;
}

export const usage = `usage: egress-proxier-apiserver --listen HOST:PORT [--https] [--kubeconfig-out PATH] [--history-size N]
Serves an in-memory Kubernetes API until SIGTERM; prints {"url","kubeconfig"} as one JSON line when ready.
`;

function splitHostPort(listen: string): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(listen);
  if (!m) throw new Error(`--listen wants HOST:PORT, got "${listen}"`);
  return { host: m[1] || '127.0.0.1', port: Number(m[2]) };
}

export function parseCliArgs(argv: string[]): CliArgs | 'help' {
  const args: CliArgs = { host: '127.0.0.1', port: 6443, https: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--help' || arg === '-h') return 'help';
    else if (arg === '--listen') Object.assign(args, splitHostPort(value()));
    else if (arg === '--https') args.https = true;
    else if (arg === '--kubeconfig-out') args.kubeconfigOut = value();
    else if (arg === '--history-size') args.historySize = Number(value());
    else throw new Error(`unknown argument ${arg}\n${usage}`);
  }
  return args;
}
