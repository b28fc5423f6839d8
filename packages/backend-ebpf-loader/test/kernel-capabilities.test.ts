// The capabilities deploy/ebpf gives the agent, proven: a process with only CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN
// and CAP_NET_RAW (no CAP_SYS_ADMIN) passes the preflight (by a trial load: bpftool's full feature probe needs
// CAP_SYS_ADMIN), syncs a gateway table in a namespace of its own, adopts it as a restarted agent (reading the
// maps back: maps with BTF types would need CAP_SYS_ADMIN for that) and cleans up. Needs root (to drop to that set), setpriv, bpftool, tc and `npm run build`'s objects.
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { assertLabPrerequisites, run } from '@egress-proxier/netlab';
import { CLASSIFY_OBJECT } from '../src/loader/program-set.js';
import { createProxierNode, type ProxierNode } from './support/proxier-node.js';

const CAPABILITIES = '-all,+bpf,+perfmon,+net_admin,+net_raw';
const SCRIPT = fileURLToPath(new URL('./support/capped-sync.js', import.meta.url));

describe("the eBPF backend with deploy/ebpf's capabilities only (no CAP_SYS_ADMIN)", function () {
  this.timeout(60_000);
  let node: ProxierNode | undefined;

  before(async () => {
    await assertLabPrerequisites(['setpriv', 'bpftool', 'tc', 'mount', 'umount']);
    if (!existsSync(CLASSIFY_OBJECT)) throw new Error(`${CLASSIFY_OBJECT} is missing: run \`npm run build\``);
    node = await createProxierNode('ebcap');
  });
  after(async () => {
    await node?.destroy();
  });

  it('passes the preflight, syncs, adopts its own state and cleans up', async () => {
    if (node === undefined) throw new Error('the node namespace was not built (see the before hook)');
    const result = await run('ip', [
      ...['netns', 'exec', node.namespace],
      ...['setpriv', '--bounding-set', CAPABILITIES, '--inh-caps', CAPABILITIES],
      ...[process.execPath, SCRIPT, node.pinDir, CLASSIFY_OBJECT],
    ]);
    const outcome = JSON.parse(result.stdout.trim()) as {
      checks: { name: string; ok: boolean; detail?: string }[];
      first: boolean;
      second: boolean;
      counts: Record<string, number>;
    };
    expect(outcome.checks.filter((check) => !check.ok)).to.deep.equal([]);
    expect(outcome.checks.map((check) => check.name)).to.include(
      "programs load (the kernel's verifier accepts egress_classify.o)",
    );
    expect(outcome.first, 'the first sync changed the node').to.equal(true);
    expect(outcome.second, 'the restarted proxier found nothing to change').to.equal(false);
    expect(outcome.counts).to.deep.include({ policyEntries: 1, addresses: 1, attachedDevices: 2 });
    const left = await run('ip', ['netns', 'exec', node.namespace, 'bpftool', '-j', 'net', 'show']);
    expect(left.stdout, 'cleanup detached our programs').not.to.include('egp_');
  });
});
