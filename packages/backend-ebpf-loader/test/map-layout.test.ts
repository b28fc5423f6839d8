// The encoders against egress_maps.h, byte for byte (the literals are written from the header's structs, not
// from the encoder). prefixlen is host order: the literals are little-endian, reversed on a big-endian host.
import { expect } from 'chai';
import { endianness } from 'node:os';
import {
  EGRESS_MAPS,
  encodeClusterKey,
  encodePolicyKey,
  encodePolicyValue,
  hex,
  policyKeyHexEncoder,
} from '../src/maps/map-layout.js';
import { BtfLayouts } from './support/btf-layout.js';

/** A u32 in host order, as hex. */
const u32 = (n: number) => {
  const le = [0, 8, 16, 24].map((shift) => ((n >>> shift) & 0xff).toString(16).padStart(2, '0'));
  return (endianness() === 'LE' ? le : le.reverse()).join('');
};
const zeros = (bytes: number) => '00'.repeat(bytes);

describe('ebpf map layout (bpf/egress_maps.h)', () => {
  it('sizes and names match the header', () => {
    expect(EGRESS_MAPS.policy4).to.include({
      name: 'egp_policy4',
      keySize: 12,
      valueSize: 40,
      maxEntries: 524288,
    });
    expect(EGRESS_MAPS.policy6).to.include({
      name: 'egp_policy6',
      keySize: 36,
      valueSize: 40,
      maxEntries: 524288,
    });
    expect(EGRESS_MAPS.cluster4).to.include({
      name: 'egp_cluster4',
      keySize: 8,
      valueSize: 1,
      maxEntries: 16384,
    });
    expect(EGRESS_MAPS.cluster6).to.include({
      name: 'egp_cluster6',
      keySize: 20,
      valueSize: 1,
      maxEntries: 16384,
    });
  });

  it('policy key v4: prefixlen 32 + destination length, source, destination, network order', () => {
    expect(hex(encodePolicyKey(4, '10.0.0.5', '192.0.2.0/24'))).to.equal(u32(56) + '0a000005' + 'c0000200');
    expect(hex(encodePolicyKey(4, '10.244.1.5', '0.0.0.0/0'))).to.equal(u32(32) + '0af40105' + '00000000');
    expect(hex(encodePolicyKey(4, '10.244.1.5', '203.0.113.7/32'))).to.equal(
      u32(64) + '0af40105' + 'cb007107',
    );
  });

  it('policy key v6: prefixlen 128 + destination length, source, destination', () => {
    expect(hex(encodePolicyKey(6, 'fd00::5', '2001:db8::/32'))).to.equal(
      u32(160) + 'fd000000000000000000000000000005' + '20010db8000000000000000000000000',
    );
    expect(hex(encodePolicyKey(6, 'fd00::5', '::/0'))).to.equal(
      u32(128) + 'fd000000000000000000000000000005' + zeros(16),
    );
  });

  it('policy values: action, ifindex, nexthop[16], egress_ip[16]; IPv4 in the first 4 bytes', () => {
    expect(hex(encodePolicyValue({ action: 'pass' }))).to.equal(u32(0) + zeros(36));
    expect(hex(encodePolicyValue({ action: 'drop' }))).to.equal(u32(1) + zeros(36));
    expect(hex(encodePolicyValue({ action: 'steer', ifindex: 3, nexthop: '192.168.1.2' }))).to.equal(
      u32(2) + u32(3) + 'c0a80102' + zeros(12) + zeros(16),
    );
    expect(hex(encodePolicyValue({ action: 'steer', ifindex: 7, nexthop: 'fd00::1' }))).to.equal(
      u32(2) + u32(7) + 'fd000000000000000000000000000001' + zeros(16),
    );
    expect(hex(encodePolicyValue({ action: 'local', egressIP: '192.0.2.100' }))).to.equal(
      u32(3) + u32(0) + zeros(16) + 'c0000264' + zeros(12),
    );
    expect(hex(encodePolicyValue({ action: 'local', egressIP: '2001:db8::100' }))).to.equal(
      u32(3) + u32(0) + zeros(16) + '20010db8000000000000000000000100',
    );
    // LOCAL with the uplink the SNAT sends out of.
    expect(hex(encodePolicyValue({ action: 'local', egressIP: '192.0.2.100', ifindex: 5 }))).to.equal(
      u32(3) + u32(5) + zeros(16) + 'c0000264' + zeros(12),
    );
    expect(() => encodePolicyValue({ action: 'local', egressIP: '192.0.2.100', ifindex: 0 })).to.throw(
      /local: ifindex 0 is not a device index/,
    );
  });

  it('cluster keys: prefixlen, destination', () => {
    expect(hex(encodeClusterKey(4, '10.244.0.0/16'))).to.equal(u32(16) + '0af40000');
    expect(hex(encodeClusterKey(6, 'fd00:10::/64'))).to.equal(u32(64) + 'fd000010000000000000000000000000');
  });

  it('refuses what the kernel would store differently or read wrongly', () => {
    expect(() => encodeClusterKey(4, '10.244.0.1/16')).to.throw(/host bits/);
    expect(() => encodePolicyKey(4, 'fd00::5', '0.0.0.0/0')).to.throw(/not an IPv4 address/);
    expect(() => encodePolicyKey(6, 'fd00::5', '10.0.0.0/8')).to.throw(/not an IPv6 address/);
    expect(() => encodeClusterKey(4, '10.0.0.0/33')).to.throw(/not an IPv4 CIDR/);
    expect(() => encodePolicyValue({ action: 'steer', ifindex: 0, nexthop: '192.0.2.1' })).to.throw(
      /ifindex/,
    );
  });
});

describe('ebpf policy keys in bulk (policyKeyHexEncoder)', () => {
  it('equals hex(encodePolicyKey) for IPv4 and IPv6, and refuses what encodePolicyKey refuses', () => {
    const encode = policyKeyHexEncoder();
    const cases: [4 | 6, string, string][] = [
      [4, '10.244.1.5', '203.0.113.0/24'],
      [4, '10.244.1.6', '203.0.113.0/24'],
      [4, '0.0.0.0', '0.0.0.0/0'],
      [6, 'fd00:10:244:1::5', '2001:db8:113::/64'],
    ];
    for (const [family, source, destination] of cases)
      expect(encode(family, source, destination)).to.equal(hex(encodePolicyKey(family, source, destination)));
    expect(() => encode(4, '10.244.1.256', '0.0.0.0/0')).to.throw(/not an IP address/);
    expect(() => encode(4, 'fd00::1', '0.0.0.0/0')).to.throw(/not an IPv4 address/);
  });
});

describe('ebpf map layout against the C structs (BTF of bpf/btf/egress_layouts.c)', () => {
  let layouts: BtfLayouts;
  before(async () => {
    layouts = await BtfLayouts.read();
  });

  it('policy keys and values sit where the compiler put the struct members', () => {
    expect(
      layouts.format('egp_policy_key4', encodePolicyKey(4, '10.244.1.5', '203.0.113.0/24')),
    ).to.deep.equal({
      prefixlen: 56,
      src: Buffer.from([10, 244, 1, 5]).readUInt32LE(0),
      dst: Buffer.from([203, 0, 113, 0]).readUInt32LE(0),
    });
    const value = layouts.format(
      'egp_policy_value',
      encodePolicyValue({ action: 'steer', ifindex: 7, nexthop: '192.0.2.12' }),
    );
    expect(value).to.deep.include({ action: 2, ifindex: 7 });
    expect(value['nexthop']).to.deep.equal([192, 0, 2, 12, ...Array<number>(12).fill(0)]);
    const key6 = layouts.format('egp_cluster_key6', encodeClusterKey(6, 'fd00:10:244::/48'));
    expect(key6['prefixlen']).to.equal(48);
    expect(key6['dst']).to.deep.equal([0xfd, 0, 0, 0x10, 2, 0x44, ...Array<number>(10).fill(0)]);
  });

  it('every map spec has the size of its C key and value', () => {
    for (const spec of Object.values(EGRESS_MAPS)) {
      const base = spec.name.replace(/[46]$/, '');
      const family = spec.name.endsWith('6') ? '6' : '4';
      expect(
        () => layouts.format(`${base}_key${family}`, Buffer.alloc(spec.keySize)),
        spec.name,
      ).not.to.throw();
    }
    expect(() =>
      layouts.format('egp_policy_value', Buffer.alloc(EGRESS_MAPS.policy4.valueSize)),
    ).not.to.throw();
  });
});
