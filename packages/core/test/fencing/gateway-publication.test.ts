import { expect } from 'chai';
import pino from 'pino';
import { GatewayPublication } from '../../src/fencing/gateway-publication.js';
import {
  GATEWAY_STATE_ANNOTATION,
  formatGatewayState,
  gatewayState,
} from '../../src/fencing/gateway-state.js';
import type { LeaseObject } from '../../src/kube/lease-api.js';
import { ManualClock } from '../../src/testing/manual-clock.js';

const X = '192.0.2.10';
const Y = '192.0.2.11';

function written(resourceVersion: string, claimed: string[]): LeaseObject {
  return {
    metadata: {
      name: 'egress-proxier-node-a',
      namespace: 'egress-proxier',
      resourceVersion,
      annotations: { [GATEWAY_STATE_ANNOTATION]: formatGatewayState(gatewayState(claimed, [])) },
    },
    spec: {},
  } as LeaseObject;
}

describe('GatewayPublication: own claims seen', () => {
  it('counts a write of the current claims coming back; renewals with the same claims do not reset it', () => {
    const publication = new GatewayPublication('a', new ManualClock(0), pino({ level: 'silent' }));
    publication.recordWrite(written('1', []));
    publication.recordWrite(written('2', [X])); // the claim
    publication.recordWrite(written('3', [X])); // a renewal, before the claim's echo
    expect(publication.claimsSeen('1'), 'an echo from before the claim').to.equal(false);
    expect(publication.claimsSeen('3'), 'a later write of the same claims').to.equal(true);
    publication.recordWrite(written('4', [X])); // the next renewal: its echo is not awaited
    expect(publication.claimsSeen('3')).to.equal(true);
  });

  it('waits again once the claims change', () => {
    const publication = new GatewayPublication('a', new ManualClock(0), pino({ level: 'silent' }));
    publication.recordWrite(written('1', [X]));
    expect(publication.claimsSeen('1')).to.equal(true);
    publication.recordWrite(written('2', [X, Y]));
    expect(publication.claimsSeen('1'), 'the echo of the old claims').to.equal(false);
    expect(publication.claimsSeen(undefined), 'nothing delivered').to.equal(false);
    expect(publication.claimsSeen('2')).to.equal(true);
  });
});
