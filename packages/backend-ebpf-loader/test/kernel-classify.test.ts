// egp_classify on a real kernel: real TCP from a pod namespace through the program at tc ingress of the pod
// veth's node side, with the maps filled by bpftool. Also: every built object passes the verifier. Needs
// root, bpftool, tc, nsenter and `npm run build`'s objects; fails (never skips) saying what is missing.
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { assertLabPrerequisites, run, uniquePrefix } from '@egress-proxier/netlab';
import {
  createClassifyLab,
  EXT_PORT,
  GW,
  GW6,
  GW_PORT,
  mountBpffs,
  NODE_POD_SIDE,
  POD,
  POD6,
  type ClassifyLab,
  type MapName,
} from './support/classify-lab.js';
import { clusterKey, clusterValue, policyKey, policyValue } from './support/map-bytes.js';

const OBJECTS = fileURLToPath(new URL('../bpf/', import.meta.url));
const CLASSIFY = `${OBJECTS}egress_classify.o`;
const DROPPED = /timed out/; // no answer at all, not a refusal
const REFUSED = /ECONNREFUSED/; // a host answered, with no server on that port

/** Why a connection failed, or "connected (…)" when it did not fail (which no failure pattern matches). */
function failure(connection: Promise<string>): Promise<string> {
  return connection.then(
    (seen) => `connected (server saw ${seen})`,
    (error: Error) => error.message,
  );
}

async function assertPrerequisites(): Promise<void> {
  await assertLabPrerequisites(['bpftool', 'tc', 'nsenter', 'mount', 'umount']);
  if (!existsSync(CLASSIFY))
    throw new Error(`${CLASSIFY} is missing: run \`npm run build\` (needs clang and libbpf-dev)`);
}

describe('egp_classify on a real kernel (tc ingress of the pod veth)', function () {
  this.timeout(120_000);
  let t: ClassifyLab;
  const entries: [MapName, string[]][] = [];
  const put = async (map: MapName, key: string[], value: string[]) => {
    await t.mapUpdate(map, key, value);
    entries.push([map, key]);
  };

  before(async () => {
    await assertPrerequisites();
    t = await createClassifyLab(uniquePrefix('egpc'), CLASSIFY);
  });
  afterEach(async () => {
    for (const [map, key] of entries.splice(0)) await t.mapDelete(map, key);
  });
  after(async () => {
    await t?.destroy();
  });

  it('passes traffic without an entry: the node routes it to ext (and not to gw)', async () => {
    const route = await t.nodeTool('ip', ['route', 'get', '203.0.113.10']);
    expect(route.stdout).to.match(/ dev ux /);
    expect(await t.connect('203.0.113.10', EXT_PORT)).to.equal(POD);
    expect(await failure(t.connect('203.0.113.10', GW_PORT))).to.match(REFUSED);
    expect(await t.connect('2001:db8:1::10', EXT_PORT)).to.equal(POD6);
  });

  it("drops a DROP entry's destinations and only those", async () => {
    await put('egp_policy4', policyKey(POD, '203.0.113.0/24'), policyValue({ action: 'drop' }));
    expect(await failure(t.connect('203.0.113.10', EXT_PORT, 1500))).to.match(DROPPED);
    expect(await t.connect('198.51.100.10', EXT_PORT)).to.equal(POD);
  });

  it('leaves cluster destinations alone under a covering policy entry', async () => {
    await put('egp_policy4', policyKey(POD, '0.0.0.0/0'), policyValue({ action: 'drop' }));
    await put('egp_cluster4', clusterKey('10.244.0.0/16'), clusterValue());
    expect(await t.connect(NODE_POD_SIDE, EXT_PORT)).to.equal(POD);
    expect(await failure(t.connect('198.51.100.10', EXT_PORT, 1500))).to.match(DROPPED);
    // Without the cluster entry the covering policy entry drops the same connection.
    await t.mapDelete('egp_cluster4', clusterKey('10.244.0.0/16'));
    expect(await failure(t.connect(NODE_POD_SIDE, EXT_PORT, 1500))).to.match(DROPPED);
  });

  it('steers a STEER entry to the gateway by redirect, with the pod source unchanged', async () => {
    await put(
      'egp_policy4',
      policyKey(POD, '203.0.113.0/24'),
      policyValue({ action: 'steer', ifindex: t.gatewayIfindex, nexthop: GW }),
    );
    expect(await t.connect('203.0.113.10', GW_PORT)).to.equal(POD);
    // gw, not ext, answers for 203.0.113.10 now, while the node's route still points at ext.
    expect(await failure(t.connect('203.0.113.10', EXT_PORT))).to.match(REFUSED);
    expect((await t.nodeTool('ip', ['route', 'get', '203.0.113.10'])).stdout).to.match(/ dev ux /);
    expect(await t.connect('198.51.100.10', EXT_PORT), 'not covered').to.equal(POD);
  });

  it('passes a LOCAL entry without an uplink ifindex (kernel-snat tests the SNAT)', async () => {
    await put(
      'egp_policy4',
      policyKey(POD, '203.0.113.0/24'),
      policyValue({ action: 'local', egressIP: GW }),
    );
    expect(await t.connect('203.0.113.10', EXT_PORT)).to.equal(POD);
  });

  it('steers and drops IPv6 the same way', async () => {
    await put(
      'egp_policy6',
      policyKey(POD6, '2001:db8:1::/48'),
      policyValue({ action: 'steer', ifindex: t.gatewayIfindex, nexthop: GW6 }),
    );
    await put('egp_policy6', policyKey(POD6, '2001:db8:2::/48'), policyValue({ action: 'drop' }));
    expect(await t.connect('2001:db8:1::10', GW_PORT)).to.equal(POD6);
    expect(await failure(t.connect('2001:db8:1::10', EXT_PORT))).to.match(REFUSED);
    expect(await failure(t.connect('2001:db8:2::10', EXT_PORT, 1500))).to.match(DROPPED);
    expect(await t.connect('203.0.113.10', EXT_PORT), 'IPv4 untouched').to.equal(POD);
  });

  it('leaves IPv6 cluster destinations alone under a covering policy entry', async () => {
    await put('egp_policy6', policyKey(POD6, '::/0'), policyValue({ action: 'drop' }));
    await put('egp_cluster6', clusterKey('fd00:10:244::/48'), clusterValue());
    expect(await t.connect('fd00:10:244:1::1', EXT_PORT)).to.equal(POD6);
    expect(await failure(t.connect('2001:db8:1::10', EXT_PORT, 1500))).to.match(DROPPED);
  });
});

describe('every built BPF object passes the verifier (bpftool prog loadall)', function () {
  this.timeout(60_000);
  let bpffs: { dir: string; release(): Promise<void> } | undefined;
  before(async () => {
    await assertPrerequisites();
    bpffs = await mountBpffs(`${uniquePrefix('egpv')}`);
  });
  after(async () => {
    await bpffs?.release();
  });

  it('loads each dist/bpf/*.o and removes its pins', async () => {
    const objects = (await readdir(OBJECTS)).filter((name) => name.endsWith('.o'));
    expect(objects).to.include('egress_classify.o');
    for (const name of objects) {
      const dir = `${bpffs?.dir}/${name.replace(/\.o$/, '')}`; // bpffs names may not contain dots
      await mkdir(dir); // bpftool pins only into a directory already on a bpffs
      const args = ['prog', 'loadall', `${OBJECTS}${name}`, `${dir}/progs`, 'pinmaps', `${dir}/maps`];
      const loaded = await run('bpftool', args, { allowFailure: true });
      expect(loaded.exitCode, `${name} rejected:\n${loaded.stderr}`).to.equal(0);
      expect((await readdir(`${dir}/progs`)).length, `${name}: programs pinned`).to.be.greaterThan(0);
      await rm(dir, { recursive: true });
      expect(existsSync(dir), `${name}: pins removed`).to.equal(false);
    }
  });
});
