// Shared fixtures of the node-datapath unit tests: a silent logger and `ip -j` / `bridge -j` answers.
import { pino } from 'pino';

export const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' });

export const signal: AbortSignal = new AbortController().signal;

/** `ip -j link show dev <name>` of a VXLAN device. */
export function vxlanLinkJson(name: string): string {
  return JSON.stringify([{ ifname: name, mtu: 1450, linkinfo: { info_kind: 'vxlan' } }]);
}

/** `bridge -j fdb show dev <name>` holding flood entries to `remotes`. */
export function floodJson(remotes: readonly string[]): string {
  return JSON.stringify(
    remotes.map((dst) => ({ mac: '00:00:00:00:00:00', dst, flags: ['self', 'permanent'] })),
  );
}

/** `ip -j -4 addr show dev <name>` with `addresses` as `local/prefix[/label]`. */
export function addressJson(device: string, addresses: readonly string[]): string {
  return JSON.stringify([
    {
      ifname: device,
      addr_info: addresses.map((text) => {
        const [local = '', prefix = '32', label] = text.split('/');
        return {
          family: local.includes(':') ? 'inet6' : 'inet',
          local,
          prefixlen: Number(prefix),
          ...(label === undefined ? {} : { label }),
        };
      }),
    },
  ]);
}
