import { expect } from 'chai';
import { ClaimBook } from '../../src/fencing/claim-book.js';
import { gatewayState } from '../../src/fencing/gateway-state.js';
import { rendezvousPick } from '../../src/hashing/rendezvous.js';

const IP = '192.0.2.10';
const readyFor = (...ips: string[]) => gatewayState(ips, ips);

describe('ClaimBook as the incumbency', () => {
  it('answers the candidate that lists the IP as ready, and nobody for claimed-only or other candidates', () => {
    const book = new ClaimBook();
    book.observe('gw-a', gatewayState([IP], []), '1', true);
    book.observe('gw-b', readyFor(IP), '2', true);
    expect(book.incumbentAmong(IP, ['gw-a', 'gw-b'])).to.equal('gw-b');
    expect(book.incumbentAmong(IP, ['gw-a']), 'claimed, not ready').to.equal(undefined);
    expect(book.incumbentAmong('192.0.2.11', ['gw-a', 'gw-b'])).to.equal(undefined);
  });

  it('answers the newest holder when a lagging view shows two', () => {
    const book = new ClaimBook();
    book.observe('gw-old', readyFor(IP), '1', false); // listed: unordered, may be older than anything
    book.observe('gw-new', readyFor(IP), '2', true);
    expect(book.incumbentAmong(IP, ['gw-old', 'gw-new'])).to.equal('gw-new');
    const ordered = new ClaimBook();
    ordered.observe('gw-1', readyFor(IP), '1', true);
    ordered.observe('gw-2', readyFor(IP), '2', true);
    expect(ordered.incumbentAmong(IP, ['gw-2', 'gw-1'])).to.equal('gw-2');
    const listed = new ClaimBook();
    listed.observe('gw-1', readyFor(IP), '1', false);
    listed.observe('gw-2', readyFor(IP), '2', false);
    expect(listed.incumbentAmong(IP, ['gw-1', 'gw-2']), 'no order known').to.equal(
      rendezvousPick(IP, ['gw-1', 'gw-2']),
    );
  });

  it('says when the ready IPs changed, not when only claims or the version did', () => {
    const book = new ClaimBook();
    expect(book.observe('gw-a', gatewayState([IP], []), '1', true), 'a claim').to.equal(false);
    expect(book.observe('gw-a', readyFor(IP), '2', true), 'ready').to.equal(true);
    expect(book.observe('gw-a', readyFor(IP), '3', true), 'a renewal').to.equal(false);
    expect(book.observe('gw-a', { claimed: [], ready: [], unreadable: true }, '4', true)).to.equal(true);
    expect(book.incumbentAmong(IP, ['gw-a']), 'unreadable').to.equal(undefined);
    expect(book.forget('gw-a')).to.equal(true);
    expect(book.forget('gw-a')).to.equal(false);
  });
});
