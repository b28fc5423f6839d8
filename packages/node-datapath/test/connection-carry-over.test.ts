// Which conntrack entries a table change makes wrong, and that deleting them is run after the change, once
// per moved IP or abandoned mark, with conntrack's "nothing matched" (exit 1) taken as success.
import type { EgressAction, NodeEgressTable } from '@egress-proxier/core';
import { RecordingExec } from '@egress-proxier/core/testing';
import { expect } from 'chai';
import pino from 'pino';
import { carryOverCommands, connectionActions } from '../src/conntrack/connection-actions.js';
import { ConnectionCarryOver } from '../src/conntrack/connection-carry-over.js';
import { commandLine } from '../src/exec/command.js';
import { CommandRunner } from '../src/exec/command-runner.js';
import type { SteeringRoute } from '../src/steering/steering-route.js';
import { logger, signal } from './support/fixtures.js';

const MASK = 0xff00;

function route(gatewayNode: string, mark: number, family: 4 | 6 = 4): SteeringRoute {
  return {
    family,
    gatewayNode,
    mark,
    mask: MASK,
    table: 100,
    priority: 100,
    type: 'unicast',
    via: family === 4 ? '198.51.100.2' : '2001:db8::2',
    device: 'eth0',
    tunnelEndpoint: undefined,
  };
}

function table(...actions: { egressIP: string; action: EgressAction; family?: 4 | 6 }[]): NodeEgressTable {
  return {
    node: 'node-1',
    clusterCIDRs: [],
    hostedEgressIPs: [],
    sourceSets: [],
    rules: actions.map(({ egressIP, action, family = 4 }) => ({
      policy: `p-${egressIP}`,
      family,
      sourceSet: `p-${egressIP}/${egressIP}`,
      destination: family === 4 ? '0.0.0.0/0' : '::/0',
      excludedCIDRs: [],
      failurePolicy: 'FailClosed',
      action,
    })),
  };
}

const steer = (egressIP: string, node: string): EgressAction => ({
  kind: 'steer',
  egressIP,
  gateway: { node, nodeIP: '198.51.100.2' },
});
const snat = (egressIP: string): EgressAction => ({ kind: 'snat', egressIP });
const ROUTES = [route('gw-a', 0x100), route('gw-b', 0x200)];

function lines(before: NodeEgressTable, after: NodeEgressTable, routes = ROUTES): string[] {
  return carryOverCommands(connectionActions(before, routes), connectionActions(after, routes)).map(
    commandLine,
  );
}

describe('connection carry-over (conntrack entries a table change makes wrong)', () => {
  it('an IP that moves here: the connections steered with its old gateway mark are taken up again', () => {
    const before = table({ egressIP: '192.0.2.100', action: steer('192.0.2.100', 'gw-a') });
    const after = table({ egressIP: '192.0.2.100', action: snat('192.0.2.100') });
    expect(lines(before, after)).to.deep.equal(['conntrack -D -f ipv4 --mark 0x100/0xff00']);
  });

  it('an IP held (dropped) before it is hosted here: the mark goes when the steering stops, not later', () => {
    const steered = table({ egressIP: '192.0.2.100', action: steer('192.0.2.100', 'gw-a') });
    const held = table({ egressIP: '192.0.2.100', action: { kind: 'drop' } });
    const hosted = table({ egressIP: '192.0.2.100', action: snat('192.0.2.100') });
    expect(lines(steered, held)).to.deep.equal(['conntrack -D -f ipv4 --mark 0x100/0xff00']);
    expect(lines(held, hosted)).to.deep.equal([]);
  });

  it('an IP that moves away: its SNATed connections are taken up again under the new action', () => {
    const before = table(
      { egressIP: '192.0.2.100', action: snat('192.0.2.100') },
      { egressIP: '2001:db8:e::100', action: snat('2001:db8:e::100'), family: 6 },
    );
    const after = table(
      { egressIP: '192.0.2.100', action: steer('192.0.2.100', 'gw-b') },
      { egressIP: '2001:db8:e::100', action: { kind: 'drop' }, family: 6 },
    );
    expect(lines(before, after)).to.deep.equal([
      'conntrack -D -f ipv4 --reply-dst 192.0.2.100',
      'conntrack -D -f ipv6 --reply-dst 2001:db8:e::100',
    ]);
  });

  it('an IP steered to another gateway needs nothing: the per-packet mark follows the new route', () => {
    const before = table({ egressIP: '192.0.2.100', action: steer('192.0.2.100', 'gw-a') });
    const after = table({ egressIP: '192.0.2.100', action: steer('192.0.2.100', 'gw-b') });
    expect(lines(before, after)).to.deep.equal([]);
  });

  it('one deletion per abandoned mark, however many IPs used it; unchanged tables delete nothing', () => {
    const before = table(
      { egressIP: '192.0.2.100', action: steer('192.0.2.100', 'gw-a') },
      { egressIP: '192.0.2.101', action: steer('192.0.2.101', 'gw-a') },
    );
    const after = table();
    expect(lines(before, after)).to.deep.equal(['conntrack -D -f ipv4 --mark 0x100/0xff00']);
    expect(lines(before, before)).to.deep.equal([]);
  });

  describe('ConnectionCarryOver', () => {
    const before = table({ egressIP: '192.0.2.100', action: snat('192.0.2.100') });
    const after = table({ egressIP: '192.0.2.100', action: steer('192.0.2.100', 'gw-b') });

    it('deletes nothing on the first apply (a restarted agent adopts), then what each change needs', async () => {
      const exec = new RecordingExec().respond('conntrack', {
        exitCode: 1,
        stderr: 'conntrack v1.4.7 (conntrack-tools): 0 flow entries have been deleted.\n',
      });
      const runner = new CommandRunner(exec, signal);
      const carryOver = new ConnectionCarryOver(logger);
      expect(await carryOver.afterApply(runner, before, ROUTES)).to.equal(0);
      expect(await carryOver.afterApply(runner, after, ROUTES)).to.equal(1);
      expect(exec.commandLines()).to.deep.equal(['conntrack -D -f ipv4 --reply-dst 192.0.2.100']);
      carryOver.forget();
      expect(await carryOver.afterApply(runner, before, ROUTES)).to.equal(0);
    });

    it('a failing conntrack is logged, and the sync it follows still succeeds', async () => {
      const exec = new RecordingExec().respond('conntrack', {
        exitCode: 1,
        stderr: 'conntrack v1.4.7 (conntrack-tools): Operation not permitted\n',
      });
      const warnings: string[] = [];
      const recording = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
      const carryOver = new ConnectionCarryOver(recording);
      const runner = new CommandRunner(exec, signal);
      await carryOver.afterApply(runner, before, ROUTES);
      expect(await carryOver.afterApply(runner, after, ROUTES)).to.equal(1);
      expect(warnings.join()).to.contain('Operation not permitted').and.to.contain('--reply-dst 192.0.2.100');
    });
  });
});
