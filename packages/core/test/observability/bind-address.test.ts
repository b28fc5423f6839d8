// --healthz-bind-address and --metrics-bind-address: HOST:PORT with a decimal port, refused with the value
// named when the port has a leading zero (read as octal by some tools) or is out of range.
import { expect } from 'chai';
import { parseBindAddress } from '../../src/observability/http-endpoints.js';

describe('bind addresses', () => {
  it('reads HOST:PORT, [IPv6]:PORT and :PORT', () => {
    expect(parseBindAddress('127.0.0.1:10269')).to.deep.equal({ host: '127.0.0.1', port: 10269 });
    expect(parseBindAddress('[::1]:0')).to.deep.equal({ host: '::1', port: 0 });
    expect(parseBindAddress(':8080')).to.deep.equal({ host: '', port: 8080 });
  });

  it('refuses a leading zero, a port above 65535 and a missing port, naming the value', () => {
    expect(() => parseBindAddress('0.0.0.0:010266')).to.throw(
      'bind address "0.0.0.0:010266": port "010266" has a leading zero',
    );
    expect(() => parseBindAddress('0.0.0.0:70000')).to.throw('port 70000 is above 65535');
    expect(() => parseBindAddress('0.0.0.0')).to.throw('expected HOST:PORT');
  });
});
