// What the real-kernel labs do to a node namespace's BPF state, through the loader itself (src/loader): load
// the object under a pin root and attach programs at tc ingress, with tc run in the namespace's network stack
// but our mount namespace (`ip netns exec` would hide the test's bpffs); and fill or read pinned maps.
import pino from 'pino';
import { ExecaExec, type Exec } from '@egress-proxier/core';
import { CommandRunner } from '@egress-proxier/node-datapath';
import { run } from '@egress-proxier/netlab';
import type { MapContent } from '../../src/maps/desired-maps.js';
import { parseMapDump, parsePerCpuMapDump, type PerCpuMapContent } from '../../src/maps/map-dump.js';
import { loadObject } from '../../src/loader/load-object.js';
import { pinLayout } from '../../src/loader/pin-layout.js';
import { attach } from '../../src/loader/tc-attach.js';

/** Commands in the namespace's network stack but our mount namespace, where the test's bpffs is visible. */
export function netnsExec(namespace: string): Exec {
  const local = new ExecaExec(pino({ level: 'silent' }));
  return {
    run: (request) =>
      local.run({
        ...request,
        command: 'nsenter',
        args: [`--net=/run/netns/${namespace}`, request.command, ...request.args],
      }),
  };
}

export function netnsRunner(namespace: string): CommandRunner {
  return new CommandRunner(netnsExec(namespace), new AbortController().signal);
}

/** Loads `object` under `root` (maps in root/maps) and attaches each [device, program] at tc ingress. */
export async function loadAndAttach(
  namespace: string,
  root: string,
  object: string,
  attachments: readonly (readonly [device: string, program: string])[],
): Promise<void> {
  const runner = netnsRunner(namespace);
  const loaded = await loadObject(runner, pinLayout(root), object, 'test');
  for (const [device, program] of attachments) {
    const pinned = loaded.programs.get(program);
    if (pinned === undefined) throw new Error(`${object} has no program ${program}`);
    await attach(runner, device, 'ingress', pinned);
  }
}

/** The pinned maps of egress_classify.o. */
export type NodeMap =
  | 'egp_policy4'
  | 'egp_policy6'
  | 'egp_cluster4'
  | 'egp_cluster6'
  | 'egp_nat4_fwd'
  | 'egp_nat4_rev'
  | 'egp_nat6_fwd'
  | 'egp_nat6_rev'
  | 'egp_traffic4'
  | 'egp_traffic6';

export function mapUpdate(mapsDir: string, map: string, key: string[], value: string[]) {
  return run('bpftool', [
    ...['map', 'update', 'pinned', `${mapsDir}/${map}`],
    ...['key', 'hex', ...key],
    ...['value', 'hex', ...value],
  ]);
}

export function mapDelete(mapsDir: string, map: string, key: string[]) {
  return run('bpftool', ['map', 'delete', 'pinned', `${mapsDir}/${map}`, 'key', 'hex', ...key], {
    allowFailure: true,
  });
}

export async function mapDump(mapsDir: string, map: string): Promise<{ key: string[]; value: string[] }[]> {
  const dump = await run('bpftool', ['-j', 'map', 'dump', 'pinned', `${mapsDir}/${map}`]);
  return (JSON.parse(dump.stdout) as { key: string[]; value: string[] }[]).map(({ key, value }) => ({
    key,
    value,
  }));
}

/** A map's content as the loader reads it (hex key → hex value), for the src/nat decoders. */
export async function mapContent(mapsDir: string, map: string): Promise<MapContent> {
  return parseMapDump((await run('bpftool', ['-j', 'map', 'dump', 'pinned', `${mapsDir}/${map}`])).stdout);
}

/** A per-CPU map's content (hex key → each CPU's hex value), for the src/traffic decoders. */
export async function perCpuMapContent(mapsDir: string, map: string): Promise<PerCpuMapContent> {
  return parsePerCpuMapDump(
    (await run('bpftool', ['-j', 'map', 'dump', 'pinned', `${mapsDir}/${map}`])).stdout,
  );
}
