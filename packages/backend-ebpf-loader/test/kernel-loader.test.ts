// The loader on a real kernel: objects pinned under a bpffs of the test's own, maps reused by a second
// program version (their contents survive), tc filters swapped to the new version in place, old versions
// unpinned, and detach leaving a device as it was (a foreign filter keeps its clsact). Needs root, bpftool,
// tc, nsenter and `npm run build`'s objects; fails (never skips) saying what is missing.
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { CommandRunner } from '@egress-proxier/node-datapath';
import { assertLabPrerequisites, run, uniquePrefix } from '@egress-proxier/netlab';
import { readPinnedMap } from '../src/maps/map-dump.js';
import { EGRESS_MAPS } from '../src/maps/map-layout.js';
import { loadObject, removeOtherVersions } from '../src/loader/load-object.js';
import { pinLayout, type PinLayout } from '../src/loader/pin-layout.js';
import { attach, attachment, detach } from '../src/loader/tc-attach.js';
import { netnsRunner } from './support/bpf-node.js';
import { mountBpffs } from './support/classify-lab.js';
import { clusterKey, clusterValue } from './support/map-bytes.js';

const CLASSIFY = fileURLToPath(new URL('../bpf/egress_classify.o', import.meta.url));

describe('eBPF loader on a real kernel (bpffs pins, map reuse, tc attach)', function () {
  this.timeout(60_000);
  const namespace = `${uniquePrefix('ebld')}-node`;
  let bpffs: Awaited<ReturnType<typeof mountBpffs>> | undefined;
  let layout: PinLayout;
  let runner: CommandRunner;

  before(async () => {
    await assertLabPrerequisites(['bpftool', 'tc', 'nsenter', 'mount', 'umount']);
    if (!existsSync(CLASSIFY)) throw new Error(`${CLASSIFY} is missing: run \`npm run build\``);
    await run('ip', ['netns', 'add', namespace]);
    await run('ip', ['-n', namespace, 'link', 'add', 'pod0', 'type', 'veth', 'peer', 'name', 'pod1']);
    bpffs = await mountBpffs('ebld');
    layout = pinLayout(`${bpffs.dir}/egress-proxier`);
    runner = netnsRunner(namespace);
  });
  after(async () => {
    await run('ip', ['netns', 'del', namespace], { allowFailure: true });
    await bpffs?.release();
  });

  it('pins programs per version and maps once; a second version reuses the maps with their contents', async () => {
    const first = await loadObject(runner, layout, CLASSIFY, 'v1');
    expect([...first.programs.keys()]).to.deep.equal(['egp_classify', 'egp_uplink_in']);
    expect(first.newMaps).to.deep.equal([
      'egp_cluster4',
      'egp_cluster6',
      'egp_nat4_fwd',
      'egp_nat4_rev',
      'egp_nat6_fwd',
      'egp_nat6_rev',
      'egp_policy4',
      'egp_policy6',
      'egp_traffic4',
      'egp_traffic6',
    ]);
    await run('bpftool', [
      'map',
      'update',
      'pinned',
      `${layout.maps}/egp_cluster4`,
      'key',
      'hex',
      ...clusterKey('10.244.0.0/16'),
      'value',
      'hex',
      ...clusterValue(),
    ]);

    const second = await loadObject(runner, layout, CLASSIFY, 'v2');
    expect(second.replacedMaps, 'no map replaced').to.deep.equal([]);
    expect(second.newMaps, 'every map reused').to.deep.equal([]);
    expect(
      (await readPinnedMap(runner, `${layout.maps}/egp_cluster4`, EGRESS_MAPS.cluster4)).size,
      'entry kept',
    ).to.equal(1);
    expect((await readdir(layout.maps)).sort()).to.deep.equal(first.newMaps);
    expect((await readdir(layout.root)).sort(), 'no staging left').to.deep.equal(['maps', 'progs']);
  });

  it('replaces a pinned map of an older layout instead of failing the load, and keeps the compatible ones', async () => {
    // An older version's NAT reverse map: an 8-byte value (this version's is 16).
    await rm(`${layout.maps}/egp_nat4_rev`);
    await run('bpftool', [
      ...['map', 'create', `${layout.maps}/egp_nat4_rev`, 'type', 'lru_hash'],
      ...['key', '16', 'value', '8', 'entries', '262144', 'name', 'egp_nat4_rev'],
    ]);
    const third = await loadObject(runner, layout, CLASSIFY, 'v3');
    expect(third.replacedMaps).to.deep.equal([
      { name: 'egp_nat4_rev', reason: 'valueSize 8 (this version: 16)' },
    ]);
    expect(third.newMaps).to.deep.equal(['egp_nat4_rev']);
    const shown = JSON.parse(
      (await run('bpftool', ['-j', 'map', 'show', 'pinned', `${layout.maps}/egp_nat4_rev`])).stdout,
    ) as { bytes_value: number };
    expect(shown.bytes_value).to.equal(16);
    expect(
      (await readPinnedMap(runner, `${layout.maps}/egp_cluster4`, EGRESS_MAPS.cluster4)).size,
      'a compatible map keeps its entries',
    ).to.equal(1);
    await rm(`${layout.programs}/v3`, { recursive: true }); // the next case swaps v1 for v2
  });

  it('attaches, swaps the program in place, unpins the old version, and detaches back to a bare device', async () => {
    const v1 = `${layout.programs}/v1/egp_classify`;
    const v2 = `${layout.programs}/v2/egp_classify`;
    await attach(runner, 'pod0', 'ingress', v1);
    const before = await attachment(runner, 'pod0', 'ingress');
    expect(before?.programId).to.be.a('number');
    await attach(runner, 'pod0', 'ingress', v2);
    const after = await attachment(runner, 'pod0', 'ingress');
    expect(after?.programId, 'the new version is attached')
      .to.be.a('number')
      .and.not.equal(before?.programId);
    expect(await removeOtherVersions(layout, 'v2')).to.deep.equal(['v1']);
    expect(await readdir(layout.programs)).to.deep.equal(['v2']);

    await detach(runner, 'pod0', 'ingress');
    expect(await attachment(runner, 'pod0', 'ingress')).to.equal(undefined);
    const qdiscs = await runner.stdout('tc', '-j', 'qdisc', 'show', 'dev', 'pod0');
    expect(qdiscs, 'our clsact went with our filter').to.not.include('clsact');
  });

  it("keeps a clsact that carries someone else's filter", async () => {
    await attach(runner, 'pod0', 'ingress', `${layout.programs}/v2/egp_classify`);
    await runner.run({
      command: 'tc',
      // Another agent's filter: a different preference, so not ours.
      args: [
        'filter',
        'add',
        'dev',
        'pod0',
        'egress',
        'pref',
        '7',
        'bpf',
        'da',
        'pinned',
        `${layout.programs}/v2/egp_classify`,
      ],
    });
    await detach(runner, 'pod0', 'ingress');
    expect(await attachment(runner, 'pod0', 'ingress')).to.equal(undefined);
    expect(await runner.stdout('tc', '-j', 'qdisc', 'show', 'dev', 'pod0')).to.include('clsact');
    expect(await runner.stdout('tc', '-j', 'filter', 'show', 'dev', 'pod0', 'egress')).to.include('"pref":7');
  });

  it('detaching from a device that is gone is not an error', async () => {
    await detach(runner, 'no-such-dev', 'ingress');
  });
});
