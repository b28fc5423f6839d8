import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { startApiServer, type RunningApiServer } from '../src/index.js';
import { egressCrdYaml, egressYaml } from './helpers/egress-crd.js';
import { eventually, Kubectl } from './helpers/kubectl.js';

// shared/ sits beside the repository (compiled tests run from packages/testing/dist/test).
const ippoolCrd = fileURLToPath(
  new URL(
    '../../../../../shared/testdata/calico-crds/v3.30.7/crd.projectcalico.org_ippools.yaml',
    import.meta.url,
  ),
);

/** Splits `kubectl get` table output into rows of whitespace-separated cells (headers first). */
function table(output: string): string[][] {
  return output
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s{2,}/));
}

describe('in-memory API server driven by the real kubectl', function () {
  this.timeout(30_000);
  let server: RunningApiServer;
  let kubectl: Kubectl;

  before(async () => {
    server = await startApiServer({ https: true });
    kubectl = await Kubectl.for(server);
  });

  after(async () => {
    await server?.close();
    await kubectl?.cleanup();
  });

  afterEach(async () => {
    await server.faults.reset();
  });

  it('applies the Calico IPPool CRD, waits for Established, and serves IPPools', async () => {
    await kubectl.ok(['apply', '-f', ippoolCrd]);
    await kubectl.ok([
      'wait',
      '--for=condition=Established',
      'crd/ippools.crd.projectcalico.org',
      '--timeout=5s',
    ]);
    const pool = `apiVersion: crd.projectcalico.org/v1
kind: IPPool
metadata: {name: egress-pool}
spec: {cidr: 192.0.2.0/28, blockSize: 32, natOutgoing: false}
`;
    expect(await kubectl.ok(['apply', '-f', '-'], pool)).to.contain(
      'ippool.crd.projectcalico.org/egress-pool created',
    );
    const json = JSON.parse(await kubectl.ok(['get', 'ippool', 'egress-pool', '-o', 'json'])) as {
      spec: { cidr: string };
      metadata: { annotations: Record<string, string>; generation: number };
    };
    expect(json.spec.cidr).to.equal('192.0.2.0/28');
    expect(json.metadata.annotations).to.have.property('kubectl.kubernetes.io/last-applied-configuration');
    // Re-apply with a change: client-side apply computes a merge patch for custom resources.
    expect(
      await kubectl.ok(['apply', '-f', '-'], pool.replace('natOutgoing: false', 'natOutgoing: true')),
    ).to.contain('configured');
    expect(
      await kubectl.ok([
        'get',
        'ippool',
        'egress-pool',
        '-o',
        'jsonpath={.spec.natOutgoing} {.metadata.generation}',
      ]),
    ).to.equal('true 2');
    const yaml = await kubectl.ok(['get', 'ippool', 'egress-pool', '-o', 'yaml']);
    expect(yaml)
      .to.match(/^apiVersion: crd.projectcalico.org\/v1$/m)
      .and.to.match(/^ {2}blockSize: 32$/m);
  });

  it('shows a CRD’s printer columns in `kubectl get`, by full and short name', async () => {
    await kubectl.ok(['apply', '-f', '-'], egressCrdYaml);
    await kubectl.ok([
      'wait',
      '--for=condition=Established',
      'crd/egresses.egress.proxier.io',
      '--timeout=5s',
    ]);
    await kubectl.ok(['apply', '-f', '-'], egressYaml('payments-db', '192.0.2.10', 5));
    const stored = server.store.get('egress.proxier.io/v1alpha1', 'Egress', 'payments-db');
    server.store.put({
      ...stored!,
      status: {
        conditions: [
          { type: 'Accepted', status: 'True' },
          { type: 'Ready', status: 'True' },
        ],
      },
    });
    const rows = table(await kubectl.ok(['get', 'eg']));
    expect(rows[0]).to.deep.equal(['NAME', 'EGRESS IP', 'PRIORITY', 'READY', 'AGE']);
    expect(rows[1]?.slice(0, 4)).to.deep.equal(['payments-db', '192.0.2.10', '5', 'True']);
    expect(rows[1]?.[4]).to.match(/^\d+s$/);
  });

  it('labels, annotates and patches (merge and json) like a real cluster', async () => {
    expect(await kubectl.ok(['label', 'egress', 'payments-db', 'team=payments'])).to.contain(
      'egress.egress.proxier.io/payments-db labeled',
    );
    expect(await kubectl.ok(['annotate', 'egress', 'payments-db', 'owner=alice'])).to.contain('annotated');
    await kubectl.ok(['patch', 'egress', 'payments-db', '--type', 'merge', '-p', '{"spec":{"priority":7}}']);
    await kubectl.ok([
      'patch',
      'egress',
      'payments-db',
      '--type',
      'json',
      '-p',
      '[{"op":"replace","path":"/spec/egressIPs/0","value":"192.0.2.11"}]',
    ]);
    const rows = table(await kubectl.ok(['get', 'egresses', '-l', 'team=payments']));
    expect(rows[1]?.slice(0, 3)).to.deep.equal(['payments-db', '192.0.2.11', '7']);
    const object = server.store.get('egress.proxier.io/v1alpha1', 'Egress', 'payments-db');
    expect(object?.metadata.annotations?.['owner']).to.equal('alice');
    expect(object?.metadata.generation).to.equal(3);
    const none = await kubectl.run(['get', 'egresses', '-l', 'team notin (payments)']);
    expect(none.stderr).to.contain('No resources found');
  });

  it('streams `get -w` changes', async () => {
    const watch = kubectl.spawn(['get', 'egresses', '-w']);
    try {
      await eventually(() => watch.output().includes('payments-db'), 'the initial list');
      await kubectl.ok([
        'patch',
        'egress',
        'payments-db',
        '--type',
        'merge',
        '-p',
        '{"spec":{"egressIPs":["192.0.2.99"]}}',
      ]);
      await eventually(
        () => watch.output().includes('192.0.2.99'),
        'the change to appear in the watch output',
      );
      await kubectl.ok(['apply', '-f', '-'], egressYaml('orders-db', '192.0.2.20', 1));
      await eventually(() => watch.output().includes('orders-db'), 'the new object in the watch output');
      expect(watch.output().match(/^NAME/gm)).to.have.length(1);
    } finally {
      watch.child.kill();
    }
  });

  it('rejects `kubectl replace` with a stale resourceVersion with 409 Conflict', async () => {
    const stale = await kubectl.ok(['get', 'egress', 'orders-db', '-o', 'yaml']);
    await kubectl.ok(['label', 'egress', 'orders-db', 'touched=yes']);
    const result = await kubectl.run(['replace', '-f', '-'], stale);
    expect(result.code).to.not.equal(0);
    expect(result.stderr)
      .to.contain('Error from server (Conflict)')
      .and.to.contain('the object has been modified');
  });

  it('supports create namespace, apply -k, strategic merge of built-ins, and delete', async () => {
    expect(await kubectl.ok(['create', 'namespace', 'payments'])).to.contain('namespace/payments created');
    const dir = kubectl.dir;
    const { writeFile } = await import('node:fs/promises');
    await writeFile(`${dir}/kustomization.yaml`, 'namespace: payments\nresources: [ds.yaml]\n');
    const ds = (env: string) => `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers:
      - {name: agent, image: agent:1, env: [{name: MODE, value: "${env}"}]}
      - {name: sidecar, image: side:1}
`;
    await writeFile(`${dir}/ds.yaml`, ds('a'));
    expect(await kubectl.ok(['apply', '-k', dir])).to.contain('daemonset.apps/agent created');
    await writeFile(`${dir}/ds.yaml`, ds('b'));
    expect(await kubectl.ok(['apply', '-k', dir])).to.contain('daemonset.apps/agent configured');
    const containers = JSON.parse(
      await kubectl.ok([
        'get',
        'ds',
        'agent',
        '-n',
        'payments',
        '-o',
        'jsonpath={.spec.template.spec.containers}',
      ]),
    ) as Array<{ name: string; env?: Array<{ value: string }> }>;
    expect(containers.map((c) => c.name)).to.deep.equal(['agent', 'sidecar']);
    expect(containers[0]?.env?.[0]?.value).to.equal('b');
    expect(await kubectl.ok(['delete', 'egress', 'orders-db'])).to.contain('"orders-db" deleted');
    const gone = await kubectl.run(['get', 'egress', 'orders-db']);
    expect(gone.stderr).to.contain(
      'Error from server (NotFound): egresses.egress.proxier.io "orders-db" not found',
    );
  });

  describe('fault injection as kubectl sees it', () => {
    const cases = [
      { status: 500, expected: 'Error from server (InternalError)' },
      { status: 503, expected: 'Error from server (ServiceUnavailable)' },
      { status: 404, expected: 'Error from server (NotFound)' },
      { status: 403, expected: 'Error from server (Forbidden)' },
    ];
    for (const c of cases) {
      it(`fails the next GET with ${c.status}`, async () => {
        server.faults.failNext({
          count: 1,
          status: c.status,
          verb: 'get',
          path: '/egresses/payments-db',
          message: 'injected by test',
        });
        const result = await kubectl.run(['get', 'egress', 'payments-db']);
        expect(result.code).to.not.equal(0);
        expect(result.stderr).to.contain(c.expected).and.to.contain('injected by test');
        await kubectl.ok(['get', 'egress', 'payments-db']);
      });
    }

    it('refuses connections while paused in refuse mode, and serves again after resume', async () => {
      await server.faults.pause('refuse');
      const result = await kubectl.run(['get', 'egress', 'payments-db']);
      expect(result.stderr).to.contain('was refused');
      await server.faults.resume();
      expect(await kubectl.ok(['get', 'egress', 'payments-db', '-o', 'name'])).to.equal(
        'egress.egress.proxier.io/payments-db\n',
      );
    });

    it('hangs requests in hang mode until kubectl gives up', async () => {
      await server.faults.pause('hang');
      const result = await kubectl.run(['get', 'egress', 'payments-db', '--request-timeout', '1s']);
      expect(result.code).to.not.equal(0);
      expect(result.stderr).to.match(/Timeout|deadline|timeout/i);
      await server.faults.resume();
    });

    it('ends a `get -w` when watches are dropped', async () => {
      const watch = kubectl.spawn(['get', 'egresses', '-w']);
      await eventually(() => watch.output().includes('payments-db'), 'the initial list');
      const exited = new Promise<number | null>((resolve) => watch.child.on('exit', (code) => resolve(code)));
      expect(server.faults.dropWatches()).to.be.greaterThan(0);
      await exited;
    });
  });

  describe('cleanup', () => {
    it('deleting the CRD removes its objects', async () => {
      await kubectl.ok(['delete', 'crd', 'egresses.egress.proxier.io']);
      expect(server.server.registry.byResource('egress.proxier.io', 'v1alpha1', 'egresses')).to.equal(
        undefined,
      );
      expect(server.store.resourceVersion()).to.be.greaterThan(0);
      // kubectl's discovery cache still knows the type, so it asks and the server answers 404 as a real one does.
      const result = await kubectl.run(['get', 'egresses']);
      expect(result.code).to.not.equal(0);
      expect(result.stderr).to.match(/NotFound|doesn't have a resource type "egresses"/);
      expect(await kubectl.ok(['get', 'ippools', '-o', 'name'])).to.equal(
        'ippool.crd.projectcalico.org/egress-pool\n',
      );
    });
  });
});
