// Parses `ipvsadm -S -n` (the restore format: one `-A` line per service, one `-a` per real server) into the
// fwmark services it holds. Address/port services (kube-proxy's) are someone else's and are skipped.
import type { IPFamily } from '@egress-proxier/core';
import type { IpvsService } from './ipvs-service.js';

const FORWARDING: Record<string, IpvsService['forwarding'] | 'masq'> = {
  '-g': 'dr',
  '-i': 'tunnel',
  '-m': 'masq',
};

interface Service {
  family: IPFamily;
  fwmark: number;
  scheduler: string;
  servers: { address: string; forwarding: string }[];
}

export function parseIpvsSave(text: string): IpvsService[] {
  const services = new Map<string, Service>();
  for (const line of text.split('\n')) {
    const words = line.trim().split(/\s+/);
    const fwmark = Number(valueOf(words, '-f'));
    if (!Number.isInteger(fwmark) || fwmark <= 0) continue;
    const family: IPFamily = words.includes('-6') ? 6 : 4;
    const key = `${family}/${fwmark}`;
    if (words[0] === '-A') {
      services.set(key, { family, fwmark, scheduler: valueOf(words, '-s') ?? '', servers: [] });
    } else if (words[0] === '-a') {
      const server = valueOf(words, '-r');
      const forwarding = words.find((word) => word in FORWARDING) ?? '-g';
      if (server !== undefined) services.get(key)?.servers.push({ address: hostOf(server), forwarding });
    }
  }
  return [...services.values()].map((service) => {
    const only = service.servers.length === 1 ? service.servers[0] : undefined;
    const forwarding = only === undefined ? undefined : FORWARDING[only.forwarding];
    return {
      family: service.family,
      fwmark: service.fwmark,
      scheduler: service.scheduler,
      // Masquerading (never ours) or several servers read as "no server": a difference the next sync repairs.
      realServer: forwarding === 'masq' ? undefined : only?.address,
      forwarding: forwarding === 'tunnel' ? 'tunnel' : 'dr',
    };
  });
}

function valueOf(words: readonly string[], option: string): string | undefined {
  const index = words.indexOf(option);
  return index < 0 ? undefined : words[index + 1];
}

/** `192.0.2.12:0` → `192.0.2.12`; `[2001:db8::12]:0` → `2001:db8::12`. */
function hostOf(server: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(server);
  if (bracketed !== null) return bracketed[1] ?? server;
  return server.replace(/:\d+$/, '');
}
