// Run as its own process with reduced capabilities (kernel-capabilities.test.ts starts it under `setpriv`
// inside a lab namespace): the preflight, one sync of a gateway table, a sync by a second proxier (a restart:
// it adopts the pins and reads the maps back) and cleanup, exactly as the agent does them, printing one JSON
// line of what happened. argv: pin dir, object.
import { ExecaExec, systemClock, type NodeEgressTable } from '@egress-proxier/core';
import pino from 'pino';
import { ebpfPreflightChecks } from '../../src/preflight/ebpf-preflight.js';
import { parseOptions } from '../../src/options.js';
import { EbpfProxier } from '../../src/proxier/ebpf-proxier.js';

const [pinDir = '', object = ''] = process.argv.slice(2);
const logger = pino({ level: 'silent' });
const exec = new ExecaExec(logger);
const signal = new AbortController().signal;

const table: NodeEgressTable = {
  node: 'node-1',
  clusterCIDRs: ['10.244.0.0/16'],
  hostedEgressIPs: [{ ip: '192.0.2.100', family: 4, policies: ['db'] }],
  sourceSets: [{ id: 'db/192.0.2.100', policy: 'db', family: 4, addresses: ['10.244.1.2'] }],
  rules: [
    {
      policy: 'db',
      family: 4,
      sourceSet: 'db/192.0.2.100',
      destination: '0.0.0.0/0',
      excludedCIDRs: [],
      failurePolicy: 'FailClosed',
      action: { kind: 'snat', egressIP: '192.0.2.100' },
    },
  ],
};

const checks = await ebpfPreflightChecks(exec, signal, { object, scratchDir: `${pinDir}-preflight` });
const proxier = () =>
  new EbpfProxier(
    { nodeName: 'node-1', exec, logger, clock: systemClock, options: {}, addressLifetime: () => 30 },
    parseOptions({ pinDir, uplink: 'eth0', announceCount: 0 }),
    object,
  );
const first = await proxier().sync(table, signal);
const restarted = proxier();
const second = await restarted.sync(table, signal);
await restarted.cleanup(signal);
process.stdout.write(
  `${JSON.stringify({
    checks: checks.map(({ name, ok, detail }) => ({ name, ok, detail })),
    first: first.changed,
    second: second.changed,
    counts: first.counts,
  })}\n`,
);
