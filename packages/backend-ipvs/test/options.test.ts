import { expect } from 'chai';
import { DEFAULT_IPVS, parseOptions, PLUGIN_OPTIONS } from '../src/index.js';

describe('ipvs options', () => {
  it('offers the kit numbering and its own forwarding flags, not the routed steering ones', () => {
    const names = Object.keys(PLUGIN_OPTIONS);
    expect(names).to.include.members([
      'uplink',
      'mark',
      'mask',
      'forwarding',
      'scheduler',
      'tunnelMtu',
      'iptablesMode',
    ]);
    expect(names).not.to.include.members(['steering']);
    expect(names.filter((name) => name.startsWith('vxlan'))).to.deep.equal([]);
  });

  it('always steers with IPVS, direct routing and sh by default', () => {
    const options = parseOptions({});
    expect(options.steering).to.equal('ipvs');
    expect(options.ipvs).to.deep.equal(DEFAULT_IPVS);
    expect(parseOptions({ forwarding: 'tunnel', scheduler: 'mh', tunnelMtu: 1400 }).ipvs).to.deep.equal({
      forwarding: 'tunnel',
      scheduler: 'mh',
      tunnelMtu: 1400,
    });
  });

  const refused: [Record<string, string | number>, RegExp][] = [
    [{ forwarding: 'masq' }, /--ipvs-forwarding/],
    [{ scheduler: 'rr' }, /--ipvs-scheduler/],
    [{ tunnelMtu: 500 }, /--ipvs-tunnel-mtu/],
    [{ mask: '0x4000' }, /--ipvs-mask 0x4000 overlaps kube-proxy/],
    [{ uplink: 'eth0; reboot' }, /--ipvs-uplink/],
  ];
  for (const [values, message] of refused) {
    it(`refuses ${JSON.stringify(values)}, naming the flag`, () => {
      expect(() => parseOptions(values)).to.throw(message);
    });
  }
});
