// New egress addresses get the lifetime the agent's lease allows when they are added (the context's
// `addressLifetime`), not the backend's own default; and none is added when the lease has nothing to give.
import { systemClock, type Exec, type ExecRequest } from '@egress-proxier/core';
import { expect } from 'chai';
import plugin from '../src/index.js';
import { CLUSTER } from './support/cluster-tables.js';
import { logger } from './support/lab-cluster.js';
import { SimulatedKernel } from './support/simulated-kernel.js';

function gateway(addressLifetime: (() => number) | undefined) {
  const kernel = new SimulatedKernel('eth0', '192.0.2.12');
  // What was run: single commands, and the lines of `ip -batch` inputs.
  const inputs: string[] = [];
  const exec: Exec = {
    run: (request: ExecRequest) => {
      inputs.push([request.command, ...request.args].join(' '), ...(request.input?.split('\n') ?? []));
      return kernel.run(request);
    },
  };
  const create = plugin.create({
    nodeName: 'node-b',
    exec,
    logger,
    clock: systemClock,
    options: { uplink: 'eth0', iptablesMode: 'nft', garpCount: 0 },
    ...(addressLifetime === undefined ? {} : { addressLifetime }),
  });
  return { create, inputs };
}

const added = (inputs: string[]) =>
  inputs
    .map((line) => line.replace(/^ip -4 /, ''))
    .filter((line) => line.startsWith('addr replace 192.0.2.100'));

describe('address lifetimes of new egress addresses', () => {
  it('come from the lease when the agent hands one over', async () => {
    const { create, inputs } = gateway(() => 2);
    const proxier = await create;
    await proxier.sync(CLUSTER['node-b'], new AbortController().signal);
    expect(added(inputs)).to.deep.equal([
      'addr replace 192.0.2.100/32 dev eth0 valid_lft 2 preferred_lft 2 label eth0:egp',
    ]);
  });

  it('come from the option where nothing is fenced (no lease in the context)', async () => {
    const { create, inputs } = gateway(undefined);
    await (await create).sync(CLUSTER['node-b'], new AbortController().signal);
    expect(added(inputs)[0]).to.contain('valid_lft 60 ');
  });

  it('are never 0: a sync that would add an address with no lifetime left fails, and adds nothing', async () => {
    const { create, inputs } = gateway(() => 0);
    const proxier = await create;
    let failure: unknown;
    await proxier.sync(CLUSTER['node-b'], new AbortController().signal).catch((error: unknown) => {
      failure = error;
    });
    expect(String(failure)).to.match(/no address lifetime left/);
    expect(added(inputs)).to.deep.equal([]);
  });
});
