// Two network namespaces joined by one veth pair: `gateway` (eth0, 192.0.2.11/24, 2001:db8::11/64) and
// `neighbour` (eth0, 192.0.2.1/24, 2001:db8::1/64). Enough for what node-datapath does on one node: addresses,
// announcements, policy routing and a VXLAN device. Both are removed by destroy(), also after a failure.
import { assertAllowedExitCode, systemClock, type Exec } from '@egress-proxier/core';
import { run, runIn, uniquePrefix } from '@egress-proxier/netlab';

export interface PairLab {
  gateway: string;
  neighbour: string;
  /** An Exec that runs every command inside `namespace`. */
  exec(namespace: string): Exec;
  sh(namespace: string, command: string, ...args: string[]): Promise<string>;
  destroy(): Promise<void>;
}

export async function createPairLab(suite: string): Promise<PairLab> {
  const prefix = uniquePrefix(suite);
  const gateway = `${prefix}-gw`;
  const neighbour = `${prefix}-nb`;
  const created: string[] = [];
  const destroy = async () => {
    for (const namespace of created.splice(0).reverse()) {
      await run('ip', ['netns', 'del', namespace], { allowFailure: true });
    }
  };
  try {
    for (const namespace of [gateway, neighbour]) {
      await run('ip', ['netns', 'add', namespace]);
      created.push(namespace);
      await runIn(namespace, 'ip', ['link', 'set', 'lo', 'up']);
    }
    await runIn(gateway, 'ip', [...'link add eth0 type veth peer name eth0 netns'.split(' '), neighbour]);
    for (const [namespace, host] of [
      [gateway, '11'],
      [neighbour, '1'],
    ] as const) {
      await runIn(namespace, 'ip', ['addr', 'add', `192.0.2.${host}/24`, 'dev', 'eth0']);
      await runIn(namespace, 'ip', ['addr', 'add', `2001:db8::${host}/64`, 'dev', 'eth0', 'nodad']);
      // No DAD in the lab: a tentative link-local address cannot source the neighbour advertisements.
      await runIn(namespace, 'sysctl', ['-q', '-w', 'net.ipv6.conf.eth0.accept_dad=0']);
      await runIn(namespace, 'ip', ['link', 'set', 'eth0', 'up']);
    }
    await runIn(gateway, 'ip', ['route', 'add', 'default', 'via', '192.0.2.1']);
  } catch (error) {
    await destroy();
    throw error;
  }
  return {
    gateway,
    neighbour,
    exec: (namespace) => ({
      async run(request) {
        const result = await runIn(namespace, request.command, request.args, {
          allowFailure: true,
          ...(request.input === undefined ? {} : { input: request.input }),
          ...(request.timeoutMs === undefined ? {} : { timeoutMs: request.timeoutMs }),
        });
        assertAllowedExitCode(request, result);
        return result;
      },
    }),
    sh: async (namespace, command, ...args) => (await runIn(namespace, command, args)).stdout,
    destroy,
  };
}

export const clock = systemClock;

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
