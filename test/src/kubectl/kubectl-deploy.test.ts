// What a cluster admin does, with the real kubectl against the in-memory API server (HTTPS): install
// with `kubectl apply -k deploy/`, create the example Egress objects, and read their status in
// `kubectl get egresses`. The agents run in process (one per example node, recording backend) because
// the in-memory server runs no pods. The steps build on each other, so the suite stops at the first
// failure instead of reporting every later step as a confusing follow-up error.
import { expect } from 'chai';
import { parse } from 'yaml';
import { startApiServer, type RunningApiServer } from '@egress-proxier/testing';
import { eventually } from '../agent/support/agent-cluster.js';
import type { RecordingBackend } from '../agent/support/recording-backend.js';
import { REPO_ROOT } from '../deploy/repo-root.js';
import { InProcessAgents } from './support/in-process-agents.js';
import {
  EXAMPLE_CLUSTER,
  exampleClusterDocuments,
  exampleNodeNames,
  kubeletStatusReports,
} from './support/kubelet-status.js';
import { KubectlCli } from './support/kubectl-cli.js';
import { parsePrintedTable, type PrintedTable } from './support/printed-table.js';

const EXAMPLE_EGRESSES = [
  'examples/egress-namespace.yaml',
  'examples/egress-pod-selector.yaml',
  'examples/egress-per-destination.yaml',
];

/** node-b and node-c carry both egress.proxier.io/gateway=true and node-pool=egress in examples/cluster.yaml. */
const GATEWAY_NODES = ['node-b', 'node-c'];

interface ExpectedEgress {
  name: string;
  /** The EGRESS-IPS cell: the API server prints a list column as JSON. */
  egressIPs: string;
  pods: number;
}

// Counted by hand from examples/cluster.yaml. A pod counts when it is scheduled, not Succeeded/Failed,
// and has an IP.
const EXPECTED_EGRESSES: ExpectedEgress[] = [
  // shop pods with app in [checkout, inventory]: checkout-1 (node-a) and inventory-1 (node-c).
  { name: 'analytics-warehouse', egressIPs: '["192.0.2.30","192.0.2.31","192.0.2.32"]', pods: 2 },
  // The same selectors as analytics-warehouse (other destinations): checkout-1 and inventory-1.
  { name: 'orders-db', egressIPs: '["192.0.2.20"]', pods: 2 },
  // Namespace payments: payments-api-1 and payments-api-2; build-job is Succeeded, so it does not count.
  { name: 'payments', egressIPs: '["192.0.2.10"]', pods: 2 },
  // app=reporting outside sandbox namespaces: reporting-1 (shop); reporting-sandboxed is in sandbox,
  // which carries example.com/sandbox.
  { name: 'reporting', egressIPs: '["192.0.2.11"]', pods: 1 },
];

// Spec is valid for the CRD's schema and CEL rules, but its egress IP lies inside the cluster CIDR: the CRD
// cannot know that, so only the agent can refuse it.
const BAD_EGRESS = `apiVersion: egress.proxier.io/v1alpha1
kind: Egress
metadata:
  name: bad
spec:
  namespaceSelector:
    matchLabels:
      kubernetes.io/metadata.name: payments
  egressIPs:
    - 10.244.7.7
`;

const HEADERS = ['NAME', 'EGRESS-IPS', 'NODE', 'PODS', 'READY', 'AGE'];

function rowsByName(table: PrintedTable): Map<string, Record<string, string>> {
  return new Map(table.rows.map((row) => [row['NAME'] ?? '', row]));
}

describe('kubectl: install with apply -k, example Egresses, status in kubectl get', function () {
  this.timeout(40_000);
  this.bail(true);

  let api: RunningApiServer | undefined;
  let kubectl: KubectlCli | undefined;
  let agents: InProcessAgents | undefined;
  const backends = new Map<string, RecordingBackend>();

  const cli = (): KubectlCli => {
    if (!kubectl) throw new Error('kubectl was not set up');
    return kubectl;
  };

  before(async () => {
    api = await startApiServer({ https: true, historySize: 5_000, bookmarkIntervalMs: 500 });
    kubectl = await KubectlCli.for(api, REPO_ROOT);
  });

  after(async () => {
    await agents?.stopAll();
    await kubectl?.cleanup();
    await api?.close();
  });

  it('kubectl apply -k deploy/ creates the CRD, namespace, RBAC and DaemonSet', async () => {
    const applied = await cli().ok(['apply', '-k', 'deploy/']);
    for (const created of [
      'namespace/egress-proxier',
      'customresourcedefinition.apiextensions.k8s.io/egresses.egress.proxier.io',
      'serviceaccount/egress-proxier',
      'clusterrole.rbac.authorization.k8s.io/egress-proxier',
      'clusterrolebinding.rbac.authorization.k8s.io/egress-proxier',
      'daemonset.apps/egress-proxier',
    ])
      expect(applied).to.contain(`${created} created`);
    for (const line of applied.trim().split('\n')) expect(line).to.match(/ created$/);
    await cli().ok([
      'wait',
      '--for=condition=Established',
      'crd/egresses.egress.proxier.io',
      '--timeout=10s',
    ]);
    expect(await cli().ok(['get', 'crd', 'egresses.egress.proxier.io'])).to.match(
      /^egresses\.egress\.proxier\.io\s/m,
    );
    expect(await cli().ok(['get', 'daemonset', '-n', 'egress-proxier', 'egress-proxier'])).to.match(
      /^egress-proxier\s/m,
    );
  });

  it(`applies ${EXAMPLE_CLUSTER}, reports kubelet status, starts an agent per node and applies the examples`, async () => {
    const created = await cli().ok(['apply', '-f', '-'], exampleClusterDocuments());
    expect(created).to.contain('node/node-c created').and.to.contain('pod/build-job created');
    for (const report of kubeletStatusReports())
      await cli().ok([
        'patch',
        ...report.target,
        '--subresource=status',
        '--type=merge',
        '-p',
        JSON.stringify({ status: report.status }),
      ]);
    expect(await cli().ok(['get', 'pod', 'payments-api-1', '-n', 'payments', '-o', 'wide'])).to.match(
      /payments-api-1\s.*Running.*10\.244\.1\.10\s+node-a/,
    );

    const nodes = exampleNodeNames();
    expect(nodes).to.deep.equal(['node-a', 'node-b', 'node-c']);
    agents = new InProcessAgents(api as RunningApiServer);
    for (const node of nodes) backends.set(node, await agents.start(node));

    const applied = await cli().ok(['apply', ...EXAMPLE_EGRESSES.flatMap((file) => ['-f', file])]);
    for (const { name } of EXPECTED_EGRESSES)
      expect(applied).to.contain(`egress.egress.proxier.io/${name} created`);
  });

  it('kubectl get egresses shows the gateway, selected pods and readiness from status', async () => {
    const table = await eventually(
      async () => {
        const printed = parsePrintedTable(await cli().ok(['get', 'egresses']));
        expect(printed.rows).to.have.length(EXPECTED_EGRESSES.length);
        for (const row of printed.rows) expect(row['READY'], JSON.stringify(printed.rows)).to.equal('True');
        return printed;
      },
      20_000,
      200,
    );
    expect(table.headers).to.deep.equal(HEADERS);
    const rows = rowsByName(table);
    expect([...rows.keys()].sort()).to.deep.equal(EXPECTED_EGRESSES.map((e) => e.name));
    for (const expected of EXPECTED_EGRESSES) {
      const row = rows.get(expected.name) as Record<string, string>;
      expect(row['EGRESS-IPS'], expected.name).to.equal(expected.egressIPs);
      expect(GATEWAY_NODES, `${expected.name} NODE`).to.include(row['NODE']);
      expect(row['PODS'], `${expected.name} PODS`).to.equal(String(expected.pods));
      expect(row['AGE'], `${expected.name} AGE`).to.match(/^\d+s$/);
    }
    // The NODE kubectl shows is where the datapath holds the IP: payments' gateway hosts 192.0.2.10.
    const paymentsGateway = rows.get('payments')?.['NODE'] as string;
    await eventually(() =>
      expect(backends.get(paymentsGateway)?.hosted(), paymentsGateway).to.include('192.0.2.10'),
    );

    // No column has a priority, so -o wide adds nothing; the short name lists the same objects.
    expect(parsePrintedTable(await cli().ok(['get', 'egresses', '-o', 'wide'])).headers).to.deep.equal(
      HEADERS,
    );
    const short = parsePrintedTable(await cli().ok(['get', 'eg']));
    expect(short.headers).to.deep.equal(HEADERS);
    expect(short.rows.map((row) => row['NAME']).sort()).to.deep.equal(EXPECTED_EGRESSES.map((e) => e.name));

    const payments = parse(await cli().ok(['get', 'egress', 'payments', '-o', 'yaml'])) as {
      status?: { conditions?: { type: string; status: string; reason: string }[] };
    };
    const conditions = (payments.status?.conditions ?? []).map(({ type, status, reason }) => ({
      type,
      status,
      reason,
    }));
    expect(conditions).to.have.deep.members([
      { type: 'Accepted', status: 'True', reason: 'Accepted' },
      { type: 'Ready', status: 'True', reason: 'Programmed' },
      { type: 'Conflicted', status: 'False', reason: 'NoConflict' },
    ]);
  });

  it('an Egress with an IP inside the cluster CIDR shows READY False with the reason, the others stay Ready', async () => {
    expect(await cli().ok(['apply', '-f', '-'], BAD_EGRESS)).to.contain(
      'egress.egress.proxier.io/bad created',
    );
    const rows = await eventually(
      async () => {
        const printed = rowsByName(parsePrintedTable(await cli().ok(['get', 'egresses'])));
        expect(printed.get('bad')?.['READY'], JSON.stringify([...printed.values()])).to.equal('False');
        return printed;
      },
      10_000,
      200,
    );
    const reason = await cli().ok([
      'get',
      'egress',
      'bad',
      '-o',
      'jsonpath={.status.conditions[?(@.type=="Accepted")].reason}',
    ]);
    expect(reason).to.equal('EgressIPInClusterRange');
    for (const expected of EXPECTED_EGRESSES) {
      expect(rows.get(expected.name)?.['READY'], expected.name).to.equal('True');
      expect(rows.get(expected.name)?.['PODS'], expected.name).to.equal(String(expected.pods));
    }
    // Refused means not programmed anywhere: no node's table holds the bad policy or its address.
    for (const [node, backend] of backends) {
      expect(backend.hosted(), node).not.to.include('10.244.7.7');
      expect(
        backend.last?.rules.map((rule) => rule.policy),
        node,
      ).not.to.include('bad');
    }
  });
});
