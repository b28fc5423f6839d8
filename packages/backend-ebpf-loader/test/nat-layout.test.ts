// The NAT decoders and encoders against egress_maps.h, byte for byte (the literals are written from the header's
// structs, not from the code). last_seen is a host-order u64: the literals are little-endian, reversed on a
// big-endian host.
import { expect } from 'chai';
import { endianness } from 'node:os';
import {
  decodeNatEntries,
  encodeNatForwardKey,
  encodeNatForwardValue,
  encodeNatReverseKey,
  encodeNatReverseValue,
  forwardKeyOf,
  NAT_MAPS,
  reverseKeyOf,
} from '../src/nat/nat-layout.js';

/** A u64 in host order, as hex. */
const u64 = (n: bigint) => {
  const le = Array.from({ length: 8 }, (_, i) =>
    ((n >> BigInt(8 * i)) & 0xffn).toString(16).padStart(2, '0'),
  );
  return (endianness() === 'LE' ? le : le.reverse()).join('');
};
const LAST_SEEN = 0x0102030405060708n;

// struct egp_nat4_fwd_key {pod, remote, pod_port, remote_port, proto, pad[3]}; value {last_seen, port, pad[2], egress}
const FWD4_KEY = '0af40102' + 'cb00710a' + '9c40' + '1f90' + '11' + '000000';
const FWD4_VALUE = u64(LAST_SEEN) + '8001' + '0000' + 'c0000264';
// struct egp_nat4_rev_key {egress, remote, port, remote_port, proto, pad[3]}; value {last_seen, pod, pod_port, pad[2]}
const REV4_KEY = 'c0000264' + 'cb00710a' + '8001' + '1f90' + '11' + '000000';
const REV4_VALUE = u64(LAST_SEEN) + '0af40102' + '9c40' + '0000';
// struct egp_nat6_*: 16-byte addresses; fwd value {last_seen, port, pad[6], egress[16]}; rev {last_seen, pod[16], pod_port, pad[6]}
const POD6 = 'fd000010024400010000000000000002';
const REMOTE6 = '20010db8011300000000000000000010';
const EGRESS6 = '20010db8000200000000000000000100';
const FWD6_KEY = POD6 + REMOTE6 + '1092' + '0000' + '3a' + '000000';
const FWD6_VALUE = u64(LAST_SEEN) + '8002' + '000000000000' + EGRESS6;
const REV6_KEY = EGRESS6 + REMOTE6 + '8002' + '0000' + '3a' + '000000';
const REV6_VALUE = u64(LAST_SEEN) + POD6 + '1092' + '000000000000';

describe('ebpf NAT map layout (bpf/egress_maps.h)', () => {
  it('sizes and names match the header', () => {
    expect(NAT_MAPS.fwd4).to.include({
      name: 'egp_nat4_fwd',
      keySize: 16,
      valueSize: 16,
      maxEntries: 262144,
    });
    expect(NAT_MAPS.rev4).to.include({
      name: 'egp_nat4_rev',
      keySize: 16,
      valueSize: 16,
      maxEntries: 262144,
    });
    expect(NAT_MAPS.fwd6).to.include({
      name: 'egp_nat6_fwd',
      keySize: 40,
      valueSize: 32,
      maxEntries: 262144,
    });
    expect(NAT_MAPS.rev6).to.include({
      name: 'egp_nat6_rev',
      keySize: 40,
      valueSize: 32,
      maxEntries: 262144,
    });
    expect(Object.values(NAT_MAPS).every((map) => map.name.length <= 15)).to.equal(true);
  });

  it('decodes IPv4 forward and reverse entries', () => {
    expect(decodeNatEntries('fwd4', new Map([[FWD4_KEY, FWD4_VALUE]]))).to.deep.equal([
      {
        hexKey: FWD4_KEY,
        key: {
          pod: '10.244.1.2',
          remote: '203.0.113.10',
          podPort: 40000,
          remotePort: 8080,
          protocol: 'udp',
          protocolNumber: 17,
        },
        value: { lastSeenNs: LAST_SEEN, port: 32769, egress: '192.0.2.100' },
      },
    ]);
    expect(decodeNatEntries('rev4', new Map([[REV4_KEY, REV4_VALUE]]))).to.deep.equal([
      {
        hexKey: REV4_KEY,
        key: {
          egress: '192.0.2.100',
          remote: '203.0.113.10',
          port: 32769,
          remotePort: 8080,
          protocol: 'udp',
          protocolNumber: 17,
        },
        value: { lastSeenNs: LAST_SEEN, pod: '10.244.1.2', podPort: 40000 },
      },
    ]);
  });

  it('decodes IPv6 entries (ICMPv6 echo: protocol 58, identifier as the port, remote port 0)', () => {
    const [forward] = decodeNatEntries('fwd6', new Map([[FWD6_KEY, FWD6_VALUE]]));
    expect(forward?.key).to.deep.equal({
      pod: 'fd00:10:244:1::2',
      remote: '2001:db8:113::10',
      podPort: 4242,
      remotePort: 0,
      protocol: 'icmp',
      protocolNumber: 58,
    });
    expect(forward?.value).to.deep.equal({ lastSeenNs: LAST_SEEN, port: 32770, egress: '2001:db8:2::100' });
    const [reverse] = decodeNatEntries('rev6', new Map([[REV6_KEY, REV6_VALUE]]));
    expect(reverse?.value).to.deep.equal({ lastSeenNs: LAST_SEEN, pod: 'fd00:10:244:1::2', podPort: 4242 });
  });

  it('encodes the same bytes, and pairs each direction with the other one', () => {
    const [fwd4] = decodeNatEntries('fwd4', new Map([[FWD4_KEY, FWD4_VALUE]]));
    const [rev4] = decodeNatEntries('rev4', new Map([[REV4_KEY, REV4_VALUE]]));
    const [fwd6] = decodeNatEntries('fwd6', new Map([[FWD6_KEY, FWD6_VALUE]]));
    const [rev6] = decodeNatEntries('rev6', new Map([[REV6_KEY, REV6_VALUE]]));
    if (!fwd4 || !rev4 || !fwd6 || !rev6) throw new Error('decoding failed');
    expect(encodeNatForwardKey(4, fwd4.key).toString('hex')).to.equal(FWD4_KEY);
    expect(encodeNatForwardValue(4, fwd4.value).toString('hex')).to.equal(FWD4_VALUE);
    expect(encodeNatReverseKey(4, rev4.key).toString('hex')).to.equal(REV4_KEY);
    expect(encodeNatReverseValue(4, rev4.value).toString('hex')).to.equal(REV4_VALUE);
    expect(encodeNatForwardValue(6, fwd6.value).toString('hex')).to.equal(FWD6_VALUE);
    expect(encodeNatReverseValue(6, rev6.value).toString('hex')).to.equal(REV6_VALUE);
    expect(reverseKeyOf(4, fwd4)).to.equal(REV4_KEY);
    expect(forwardKeyOf(4, rev4)).to.equal(FWD4_KEY);
    expect(reverseKeyOf(6, fwd6)).to.equal(REV6_KEY);
    expect(forwardKeyOf(6, rev6)).to.equal(FWD6_KEY);
  });

  it('refuses entries of another size and names a protocol the programs never write "other"', () => {
    expect(() => decodeNatEntries('fwd4', new Map([[FWD4_KEY, FWD4_VALUE + '00']]))).to.throw(
      /egp_nat4_fwd: a 16-byte key and a 17-byte value, expected 16 and 16/,
    );
    const gre = FWD4_KEY.slice(0, 24) + '2f' + '000000';
    expect(decodeNatEntries('fwd4', new Map([[gre, FWD4_VALUE]]))[0]?.key.protocol).to.equal('other');
  });
});
