// The traffic counter maps as bpftool prints them (a per-CPU hash: `values`, one `{cpu, value}` per possible CPU;
// the format captured from bpftool v7.1 on kernel 6.18, the bytes written by hand for a little-endian host, 2
// CPUs): parsed, decoded and summed over the CPUs, read through one dump per family, and pruned of egress IPs the
// node no longer hosts.
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { fileURLToPath } from 'node:url';
import { RecordingExec } from '@egress-proxier/core/testing';
import { CommandRunner } from '@egress-proxier/node-datapath';
import { expect } from 'chai';
import { MapDumpError, parsePerCpuMapDump } from '../src/maps/map-dump.js';
import { deleteLine } from '../src/maps/batch-file.js';
import { readTrafficCounters } from '../src/traffic/traffic-counters.js';
import { pruneTrafficCounters } from '../src/traffic/traffic-prune.js';
import {
  decodeTrafficCounters,
  encodeTrafficKey,
  encodeTrafficValue,
  TRAFFIC_MAPS,
} from '../src/traffic/traffic-layout.js';

const fixture = (name: string) =>
  readFileSync(fileURLToPath(new URL(`../../test/fixtures/${name}`, import.meta.url)), 'utf8');
const PINS = '/sys/fs/bpf/egp/maps';

describe('traffic counter maps (per-CPU dumps, summed)', function () {
  before(function () {
    if (endianness() !== 'LE') throw new Error('the fixtures hold little-endian counters');
  });

  it('sums each egress IP’s per-CPU copies, past 32 bits', () => {
    const traffic4 = parsePerCpuMapDump(fixture('traffic4-percpu.json'), TRAFFIC_MAPS.traffic4);
    expect(decodeTrafficCounters('traffic4', traffic4)).to.deep.equal(
      new Map([
        ['192.0.2.100', { connections: 5, bytes: 4500 + 2 ** 32 + 10 }],
        ['192.0.2.101', { connections: 1, bytes: 60 }],
      ]),
    );
    const traffic6 = parsePerCpuMapDump(fixture('traffic6-percpu.json'), TRAFFIC_MAPS.traffic6);
    expect(decodeTrafficCounters('traffic6', traffic6)).to.deep.equal(
      new Map([['2001:db8:2::100', { connections: 1, bytes: 1500 }]]),
    );
  });

  it('encodes what it decodes (the form tests and benchmarks fill the maps with)', () => {
    const content = new Map([
      [
        encodeTrafficKey('2001:db8:2::7').toString('hex'),
        [
          encodeTrafficValue({ connections: 7, bytes: 700 }),
          encodeTrafficValue({ connections: 1, bytes: 1 }),
        ].map((value) => value.toString('hex')),
      ],
    ]);
    expect(decodeTrafficCounters('traffic6', content)).to.deep.equal(
      new Map([['2001:db8:2::7', { connections: 8, bytes: 701 }]]),
    );
  });

  it('refuses a dump it cannot read exactly', () => {
    const fails = (json: string, pattern: RegExp) =>
      expect(() => parsePerCpuMapDump(json, TRAFFIC_MAPS.traffic4)).to.throw(MapDumpError, pattern);
    const zero = Array.from({ length: 16 }, () => '0x00');
    const key = ['0xc0', '0x00', '0x02', '0x64'];
    fails(JSON.stringify([{ key, value: zero }]), /no per-CPU "values"/);
    fails(
      JSON.stringify([{ key, values: [{ cpu: 0, value: zero.slice(8) }] }]),
      /4-byte key and a 8-byte value, expected 4 and 16/,
    );
    fails(
      JSON.stringify([
        { key, values: [{ cpu: 0, value: zero }] },
        {
          key: ['0xc0', '0x00', '0x02', '0x65'],
          values: [
            { cpu: 0, value: zero },
            { cpu: 1, value: zero },
          ],
        },
      ]),
      /values of 2 CPUs, expected 1/,
    );
    fails(
      '{"error":"bpf obj get (/sys/fs/bpf/egp/maps/egp_traffic4): No such file or directory"}',
      /No such file/,
    );
  });

  /** The maps of both fixtures; batches' lines are kept in `batches`. */
  const kernel = () => {
    const exec = new RecordingExec();
    const batches: string[][] = [];
    exec.respond(`bpftool -j map dump pinned ${PINS}/egp_traffic4`, {
      stdout: fixture('traffic4-percpu.json'),
    });
    exec.respond(`bpftool -j map dump pinned ${PINS}/egp_traffic6`, {
      stdout: fixture('traffic6-percpu.json'),
    });
    exec.respond('bpftool -j batch file', (request) => {
      batches.push(readFileSync(String(request.args[3]), 'utf8').trimEnd().split('\n'));
      return {};
    });
    return { exec, batches, runner: new CommandRunner(exec, new AbortController().signal) };
  };

  it('reads both families with one dump each', async () => {
    const { exec, runner } = kernel();
    const counters = await readTrafficCounters(runner, PINS);
    expect([...counters.keys()]).to.deep.equal(['192.0.2.100', '192.0.2.101', '2001:db8:2::100']);
    expect(exec.commandLines()).to.have.length(2);
  });

  it('deletes the counters of egress IPs no longer hosted, in one batch, matching addresses canonically', async () => {
    const { runner, batches } = kernel();
    expect(await pruneTrafficCounters(runner, PINS, ['192.0.2.100', '2001:db8:2:0::100'])).to.equal(1);
    expect(batches).to.deep.equal([
      [deleteLine(`${PINS}/egp_traffic4`, encodeTrafficKey('192.0.2.101').toString('hex'))],
    ]);
  });

  it('nothing to prune: no batch', async () => {
    const { runner, batches } = kernel();
    expect(
      await pruneTrafficCounters(runner, PINS, ['192.0.2.100', '192.0.2.101', '2001:db8:2::100']),
    ).to.equal(0);
    expect(batches).to.deep.equal([]);
  });
});
