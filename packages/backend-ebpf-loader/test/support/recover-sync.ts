// Someone removes our pins (the whole pin directory) under a running agent: the next verifying sync fails
// naming the missing map, and the one after loads the programs again and repairs everything. Run inside a lab
// namespace by kernel-recovery.test.ts; prints one JSON line. argv: pin dir.
import { rm } from 'node:fs/promises';
import { ExecaExec, systemClock, type NodeEgressTable } from '@egress-proxier/core';
import pino from 'pino';
import { parseOptions } from '../../src/options.js';
import { EbpfProxier } from '../../src/proxier/ebpf-proxier.js';

const [pinDir = ''] = process.argv.slice(2);
const logger = pino({ level: 'silent' });
const exec = new ExecaExec(logger);
const signal = new AbortController().signal;
const table: NodeEgressTable = {
  node: 'node-1',
  clusterCIDRs: ['10.244.0.0/16'],
  hostedEgressIPs: [],
  sourceSets: [{ id: 'db/unassigned/v4', policy: 'db', family: 4, addresses: ['10.244.1.2'] }],
  rules: [
    {
      policy: 'db',
      family: 4,
      sourceSet: 'db/unassigned/v4',
      destination: '0.0.0.0/0',
      excludedCIDRs: [],
      failurePolicy: 'FailClosed',
      action: { kind: 'drop' },
    },
  ],
};
const proxier = new EbpfProxier(
  { nodeName: 'node-1', exec, logger, clock: systemClock, options: {} },
  parseOptions({ pinDir, uplink: 'eth0', announceCount: 0, mapVerifySeconds: 0 }),
);
await proxier.sync(table, signal);
await rm(pinDir, { recursive: true });
const failed = await proxier.sync(table, signal).then(
  () => 'synced',
  (error: unknown) => (error instanceof Error ? error.message : String(error)),
);
const repaired = await proxier.sync(table, signal);
const again = await proxier.sync(table, signal);
await proxier.cleanup(signal);
process.stdout.write(`${JSON.stringify({ failed, repaired: repaired.changed, again: again.changed })}\n`);
