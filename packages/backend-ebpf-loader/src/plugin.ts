// The eBPF backend as a plugin: `--backend ebpf` loads this module's default export. See docs/backend-ebpf.md.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createProxierPlugin } from '@egress-proxier/core';
import { nodePreflightChecks } from '@egress-proxier/node-datapath';
import { CLASSIFY_OBJECT } from './loader/program-set.js';
import { parseOptions, PLUGIN_OPTIONS } from './options.js';
import { ebpfPreflightChecks } from './preflight/ebpf-preflight.js';
import { pinDirCheck } from './preflight/pin-dir-check.js';
import { EbpfProxier } from './proxier/ebpf-proxier.js';
import { renderDatapath } from './render/render-datapath.js';

export const plugin = createProxierPlugin({
  name: 'ebpf',
  scope: 'node',
  description:
    'BPF programs at tc ingress: one LPM lookup per packet, steering by bpf_redirect_neigh, SNAT in BPF (no netfilter rule)',
  capabilities: ['sharedAddress', 'destinationCIDRs', 'multipleEgressIPs', 'ipv6', 'failover', 'failClosed'],
  options: PLUGIN_OPTIONS,
  render: (table, options) => renderDatapath(table, parseOptions(options)),
  preflight: async (context, signal) => {
    const options = parseOptions(context.options);
    const [node, ebpf, pins] = await Promise.all([
      Promise.all(nodePreflightChecks(context.exec, { steering: 'onlink' }, signal)),
      ebpfPreflightChecks(context.exec, signal, {
        object: CLASSIFY_OBJECT,
        scratchDir: `${options.pinDir}-preflight-${process.pid}`,
      }),
      pinDirCheck(context.exec, options.pinDir, signal),
    ]);
    return { checks: [...ebpf, pins, ...node] };
  },
  create: (context) => new EbpfProxier(context, parseOptions(context.options)),
  // Lab nodes share the host's filesystem, and pinned maps are not per network namespace: each node gets a
  // bpffs of its own (which `ip netns exec`, unlike /sys/fs/bpf, does not hide).
  labNode: async (dir, exec) => {
    const mount = join(dir, 'bpffs');
    await mkdir(mount);
    await exec.run({ command: 'mount', args: ['-t', 'bpf', 'bpf', mount] });
    return {
      options: { pinDir: join(mount, 'egress-proxier') },
      release: async () => {
        await exec.run({ command: 'umount', args: [mount] });
      },
    };
  },
});
