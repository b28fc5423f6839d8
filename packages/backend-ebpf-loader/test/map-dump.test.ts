// Parsing `bpftool -j map dump` as captured from the real tool (bpftool v7.1, kernel 6.18): maps without BTF
// (`bpftool map create`) print raw `key`/`value` byte arrays; maps with BTF (`bpftool prog loadall` of an object
// declaring them with egress_maps.h's structs) add `formatted`. The fixtures' bytes were written by hand from
// the header, so matching the encoder's keys also checks the encoder against the kernel's view.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { MapDumpError, parseMapDump } from '../src/maps/map-dump.js';
import {
  EGRESS_MAPS,
  encodeClusterKey,
  encodePolicyKey,
  encodePolicyValue,
  hex,
} from '../src/maps/map-layout.js';

// Tests run from dist/test; the fixtures stay in the source tree.
const fixture = (name: string) =>
  readFileSync(fileURLToPath(new URL(`../../test/fixtures/${name}`, import.meta.url)), 'utf8');

describe('bpftool map dump parsing', () => {
  it('a map without BTF', () => {
    const policy4 = parseMapDump(fixture('policy4-plain.json'), EGRESS_MAPS.policy4);
    expect([...policy4]).to.deep.equal([
      [
        hex(encodePolicyKey(4, '10.0.0.5', '192.0.2.0/24')),
        hex(encodePolicyValue({ action: 'local', egressIP: '192.0.2.100' })),
      ],
    ]);
    const policy6 = parseMapDump(fixture('policy6-plain.json'), EGRESS_MAPS.policy6);
    expect(new Map(policy6)).to.deep.equal(
      new Map([
        [
          hex(encodePolicyKey(6, 'fd00::5', '2001:db8::/32')),
          hex(encodePolicyValue({ action: 'steer', ifindex: 7, nexthop: 'fd00::1' })),
        ],
        [hex(encodePolicyKey(6, 'fd00::5', '::/0')), hex(encodePolicyValue({ action: 'drop' }))],
      ]),
    );
    const cluster4 = parseMapDump(fixture('cluster4-plain.json'), EGRESS_MAPS.cluster4);
    expect([...cluster4.keys()]).to.deep.equal([
      hex(encodeClusterKey(4, '10.244.0.0/16')),
      hex(encodeClusterKey(4, '10.247.0.0/16')),
    ]);
    expect([...cluster4.values()]).to.deep.equal(['01', '01']);
  });

  it('a map with BTF (`formatted` alongside), compact and pretty-printed', () => {
    expect([...parseMapDump(fixture('policy4-btf.json'), EGRESS_MAPS.policy4)]).to.deep.equal([
      ...parseMapDump(fixture('policy4-plain.json'), EGRESS_MAPS.policy4),
    ]);
    expect([...parseMapDump(fixture('cluster6-btf-pretty.json'), EGRESS_MAPS.cluster6)]).to.deep.equal([
      [hex(encodeClusterKey(6, 'fd00::/48')), '01'],
    ]);
  });

  it('an empty map', () => {
    expect(parseMapDump('[]\n', EGRESS_MAPS.cluster6).size).to.equal(0);
  });

  it('refuses what it cannot read exactly', () => {
    const fails = (json: string, pattern: RegExp) =>
      expect(() => parseMapDump(json, EGRESS_MAPS.cluster4)).to.throw(MapDumpError, pattern);
    fails(
      '{"error":"bpf obj get (/sys/fs/bpf/egp/egp_cluster4): No such file or directory"}',
      /No such file/,
    );
    fails('[{"formatted":{"key":{"prefixlen":16},"value":1}}]', /no raw byte array/);
    fails('[{"key":["0x10","0x00"],"value":["0x01"]}]', /2-byte key .* expected 8/);
    fails('[{"key":["16"],"value":["0x01"]}]', /not a "0x\.\." byte/);
    fails('Error: something', /no JSON/);
  });
});
