import { expect } from 'chai';
import { DEFAULT_NODE_OPTIONS, NODE_PLUGIN_OPTIONS, parseNodeOptions } from '../src/index.js';

describe('options every node backend shares', () => {
  it('declared defaults parse to the built-in defaults', () => {
    const declared = Object.fromEntries(
      Object.entries(NODE_PLUGIN_OPTIONS).map(([name, option]) => [name, option.default]),
    );
    expect(parseNodeOptions(declared, 'nftables')).to.deep.equal(DEFAULT_NODE_OPTIONS);
  });

  const errors: { values: Record<string, string | number>; error: string }[] = [
    {
      values: { mask: '0xc000' },
      error: "--nftables-mask 0xc000 overlaps kube-proxy's 0x4000/0x8000 mark bits",
    },
    {
      values: { mark: '0x1' },
      error: '--nftables-mark 0x1 must be non-zero and inside --nftables-mask 0x3f00',
    },
    { values: { routeTableBase: 0 }, error: '--nftables-route-table-base 0 must be from 1 to 4294901760' },
    { values: { steering: 'gre' }, error: '--nftables-steering must be one of onlink, vxlan' },
    {
      values: { vxlanDevice: 'a-name-far-too-long' },
      error: '--nftables-vxlan-device "a-name-far-too-long" is not a valid device name',
    },
    { values: { announceCount: 101 }, error: '--nftables-announce-count 101 must be from 0 to 100' },
    { values: { garpCount: -1 }, error: '--nftables-garp-count -1 must be a non-negative integer' },
    // iproute2 and iptables read 010 as octal 8: a decimal 10 would be a guess.
    { values: { mark: '010' }, error: '--nftables-mark "010" must be a non-negative integer' },
    { values: { mark: '0x100 ' }, error: '--nftables-mark "0x100 " must be a non-negative integer' },
    { values: { mark: '256abc' }, error: '--nftables-mark "256abc" must be a non-negative integer' },
  ];
  for (const { values, error } of errors) {
    it(`refuses ${JSON.stringify(values)}, naming the backend's flag`, () => {
      expect(() => parseNodeOptions(values, 'nftables')).to.throw(error);
    });
  }

  it('keeps --<backend>-garp-count working as a deprecated alias of announce-count', () => {
    expect(parseNodeOptions({ garpCount: 1 }, 'iptables').announceCount).to.equal(1);
    expect(parseNodeOptions({ garpCount: 1, announceCount: 3 }, 'iptables').announceCount).to.equal(1);
    expect(parseNodeOptions({ announceCount: 5 }, 'iptables').announceCount).to.equal(5);
    expect(NODE_PLUGIN_OPTIONS.garpCount?.default, 'an alias must not have a default').to.equal(undefined);
  });
});
