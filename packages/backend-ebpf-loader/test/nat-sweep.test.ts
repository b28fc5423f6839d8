// One NAT sweep against a recording exec: four dumps, the plan's deletions as one batch, and the batch's
// behaviour when an entry vanished under it (skipped, the rest sent) or another line fails (thrown).
import { readFileSync } from 'node:fs';
import { RecordingExec } from '@egress-proxier/core/testing';
import { CommandRunner } from '@egress-proxier/node-datapath';
import { expect } from 'chai';
import { BatchError, deleteLine } from '../src/maps/batch-file.js';
import {
  encodeNatForwardKey,
  encodeNatForwardValue,
  encodeNatReverseKey,
  encodeNatReverseValue,
} from '../src/nat/nat-layout.js';
import { sweepNat } from '../src/nat/nat-sweep.js';

const signal = new AbortController().signal;
const PINS = '/sys/fs/bpf/egp/maps';
const SECOND = 1_000_000_000n;
const NOW = 10_000n * SECOND;
const OLD = NOW - 1000n * SECOND;

const bytes = (hex: string) => hex.match(/../g)?.map((byte) => `0x${byte}`);
const dump = (entries: [Buffer, Buffer][]) =>
  JSON.stringify(
    entries.map(([key, value]) => ({ key: bytes(key.toString('hex')), value: bytes(value.toString('hex')) })),
  );

/** An idle IPv4 UDP flow (forward and reverse entry) from port `podPort`. */
function idleFlow(podPort: number): { forward: [Buffer, Buffer]; reverse: [Buffer, Buffer] } {
  const flow = { remote: '203.0.113.10', remotePort: 8080, protocolNumber: 17 };
  return {
    forward: [
      encodeNatForwardKey(4, { ...flow, pod: '10.244.1.2', podPort }),
      encodeNatForwardValue(4, { lastSeenNs: OLD, port: podPort, egress: '192.0.2.100' }),
    ],
    reverse: [
      encodeNatReverseKey(4, { ...flow, egress: '192.0.2.100', port: podPort }),
      encodeNatReverseValue(4, { lastSeenNs: OLD, pod: '10.244.1.2', podPort }),
    ],
  };
}

/** A reverse entry of an egress IP that left (its forward entry already evicted). */
const staleReverse: [Buffer, Buffer] = [
  encodeNatReverseKey(6, {
    egress: '2001:db8:2::200',
    remote: '2001:db8:113::10',
    port: 41000,
    remotePort: 53,
    protocolNumber: 17,
  }),
  encodeNatReverseValue(6, { lastSeenNs: NOW, pod: 'fd00:10:244:1::2', podPort: 41000 }),
];

function kernel(flows: ReturnType<typeof idleFlow>[]): { exec: RecordingExec; batches: string[][] } {
  const exec = new RecordingExec();
  const batches: string[][] = [];
  exec.respond('bpftool -j map dump pinned', { stdout: '[]' });
  exec.respond(`bpftool -j map dump pinned ${PINS}/egp_nat4_fwd`, {
    stdout: dump(flows.map(({ forward }) => forward)),
  });
  exec.respond(`bpftool -j map dump pinned ${PINS}/egp_nat4_rev`, {
    stdout: dump(flows.map(({ reverse }) => reverse)),
  });
  exec.respond(`bpftool -j map dump pinned ${PINS}/egp_nat6_rev`, { stdout: dump([staleReverse]) });
  exec.respond('bpftool -j batch file', (request) => {
    batches.push(readFileSync(String(request.args[3]), 'utf8').trimEnd().split('\n'));
    return {};
  });
  return { exec, batches };
}

const options = { hostedEgressIPs: ['192.0.2.100', '2001:db8:2::100'], nowNs: NOW };
const hexOf = (entry: [Buffer, Buffer]) => entry[0].toString('hex');

describe('NAT sweep (dumps, one batch of deletions)', () => {
  it('dumps the four maps and deletes what is idle or stale in one batch, forward entries first', async () => {
    const flow = idleFlow(40000);
    const { exec, batches } = kernel([flow]);
    const report = await sweepNat(new CommandRunner(exec, signal), PINS, options);
    expect(report).to.deep.equal({ seen: 3, expired: 2, stale: 1, vanished: 0, batchExecs: 1 });
    expect(exec.commandLines().filter((line) => line.includes('map dump'))).to.have.length(4);
    expect(batches).to.deep.equal([
      [
        deleteLine(`${PINS}/egp_nat4_fwd`, hexOf(flow.forward)),
        deleteLine(`${PINS}/egp_nat4_rev`, hexOf(flow.reverse)),
        deleteLine(`${PINS}/egp_nat6_rev`, hexOf(staleReverse)),
      ],
    ]);
  });

  it('an entry that vanished before its line ran is skipped, and the lines after it go in one more exec', async () => {
    const flows = [idleFlow(40000), idleFlow(40001)];
    const { exec, batches } = kernel(flows);
    exec.failNext('bpftool -j batch file', {
      exitCode: 254,
      stdout: JSON.stringify([
        { command: ['map', 'delete'], output: null },
        { command: ['map', 'delete'], output: { error: 'delete failed: No such file or directory' } },
      ]),
    });
    const report = await sweepNat(new CommandRunner(exec, signal), PINS, options);
    expect(report).to.include({ expired: 4, stale: 1, vanished: 1, batchExecs: 2 });
    expect(batches, 'the second batch starts after the vanished line').to.deep.equal([
      [
        deleteLine(`${PINS}/egp_nat4_rev`, hexOf(flows[0]?.reverse ?? staleReverse)),
        deleteLine(`${PINS}/egp_nat4_rev`, hexOf(flows[1]?.reverse ?? staleReverse)),
        deleteLine(`${PINS}/egp_nat6_rev`, hexOf(staleReverse)),
      ],
    ]);
  });

  it('any other failing line is thrown', async () => {
    const { exec } = kernel([idleFlow(40000)]);
    exec.failNext('bpftool -j batch file', {
      exitCode: 254,
      stdout: JSON.stringify([
        { command: ['map', 'delete'], output: { error: 'delete failed: Operation not permitted' } },
      ]),
    });
    const error = await sweepNat(new CommandRunner(exec, signal), PINS, options).catch(
      (failure: unknown) => failure,
    );
    expect(error).to.be.instanceOf(BatchError);
    expect(error).to.include({ failedLine: 1, reason: 'delete failed: Operation not permitted' });
  });

  it('nothing due: no batch', async () => {
    const { exec, batches } = kernel([]);
    const report = await sweepNat(new CommandRunner(exec, signal), PINS, {
      ...options,
      hostedEgressIPs: [...options.hostedEgressIPs, '2001:db8:2::200'],
    });
    expect(report).to.deep.equal({ seen: 1, expired: 0, stale: 0, vanished: 0, batchExecs: 0 });
    expect(batches).to.deep.equal([]);
  });
});
