// The flags the CLI shows are the plugin's declared options; their defaults must parse to exactly the
// defaults the proxier uses, or `run` with no flags would start from different settings than documented.
import { expect } from 'chai';
import { DEFAULT_OPTIONS, parseOptions, PLUGIN_OPTIONS } from '../src/options.js';

describe('iptables options', () => {
  it('declared defaults parse to the built-in defaults', () => {
    const declared = Object.fromEntries(
      Object.entries(PLUGIN_OPTIONS).map(([name, option]) => [name, option.default]),
    );
    expect(parseOptions(declared)).to.deep.equal(DEFAULT_OPTIONS);
  });

  it('no values at all also give the built-in defaults', () => {
    expect(parseOptions({})).to.deep.equal(DEFAULT_OPTIONS);
  });

  it('refuses a mark outside the mask, naming the flags', () => {
    expect(() => parseOptions({ mark: '0x100000', mask: '0x3f00' })).to.throw(
      '--iptables-mark 0x100000 must be non-zero and inside --iptables-mask 0x3f00',
    );
  });
});
