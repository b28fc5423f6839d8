// The CLI as a user runs it: the compiled binary on good and bad files.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const cli = path.join(repo, 'packages/core/dist/src/cli/main.js');

function run(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [cli, ...args], { cwd: repo }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

const tempDirs: string[] = [];

function tempFile(name: string, content: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'egress-render-'));
  tempDirs.push(dir);
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}

const cluster = `
apiVersion: v1
kind: Node
metadata: {name: gw, labels: {egress.proxier.io/gateway: "true"}}
status:
  addresses: [{type: InternalIP, address: 192.0.2.5}]
  conditions: [{type: Ready, status: "True"}]
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: pay, labels: {app: api}}
spec: {nodeName: gw}
status: {phase: Running, podIPs: [{ip: 10.244.0.7}]}
---
apiVersion: egress.proxier.io/v1alpha1
kind: Egress
metadata: {name: pay}
spec:
  podSelector: {matchLabels: {app: api}}
  egressIPs: [192.0.2.100]
`;

describe('egress-proxier render (CLI)', () => {
  after(() => {
    for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('prints the table of a node', async () => {
    const result = await run(['render', '-f', tempFile('c.yaml', cluster), '--node', 'gw']);
    expect(result.stderr).to.equal('');
    expect(result.code).to.equal(0);
    expect(result.stdout).to.contain('NODE gw');
    expect(result.stdout).to.contain('hosts egress IPs: 192.0.2.100 (pay)');
    expect(result.stdout).to.match(
      /1\s+pay\s+pay\/192\.0\.2\.100 \(1\)\s+0\.0\.0\.0\/0\s+-\s+SNAT to 192\.0\.2\.100/,
    );
  });

  it('reads stdin and prints JSON', async () => {
    const result = await run(['render', '-f', '-', '-o', 'json'], cluster);
    expect(result.code).to.equal(0);
    const parsed = JSON.parse(result.stdout) as {
      nodes: { node: string; table: { sourceSets: { addresses: string[] }[] } }[];
    };
    expect(parsed.nodes.map((n) => n.node)).to.deep.equal(['gw']);
    expect(parsed.nodes[0]?.table.sourceSets[0]?.addresses).to.deep.equal(['10.244.0.7']);
  });

  it('reads a `kubectl get … -o json` List from stdin', async () => {
    const items = parseAllDocuments(cluster).map((document) => document.toJS() as unknown);
    const dump = JSON.stringify({ apiVersion: 'v1', kind: 'List', items }, null, 4);
    const result = await run(['render', '-f', '-', '--node', 'gw'], dump);
    expect(result.stderr).to.equal('');
    expect(result.stdout).to.contain('SNAT to 192.0.2.100');
  });

  it('renders the shipped examples', async () => {
    const result = await run([
      'render',
      '-f',
      'examples/',
      '--node',
      'node-a',
      '--cluster-cidr',
      '10.244.0.0/16',
      '-o',
      'yaml',
    ]);
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.contain('analytics-warehouse');
  });

  it('refuses a cluster CIDR with a second "/" instead of cutting it short', async () => {
    const result = await run(['render', '-f', '-', '--cluster-cidr', '10.244.0.0/16/8'], cluster);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.contain('cluster CIDR 10.244.0.0/16/8: more than one "/"');
  });

  it('names the document and field of a malformed pod', async () => {
    const bad = cluster.replace('10.244.0.7', '10.244.0.999');
    const file = tempFile('bad.yaml', bad);
    const result = await run(['render', '-f', file]);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.equal(
      `error: ${file}: document 2 (Pod api): status.podIPs[0].ip: "10.244.0.999" is not a valid IP address\n`,
    );
  });

  it('warns about an invalid Egress, reports it as not accepted and renders the rest', async () => {
    const bad = `${cluster}---\napiVersion: egress.proxier.io/v1alpha1\nkind: Egress\nmetadata: {name: broken}\nspec: {egressIPs: [nope]}\n`;
    const file = tempFile('bad.yaml', bad);
    const result = await run(['render', '-f', file, '--node', 'gw']);
    expect(result.code).to.equal(0);
    expect(result.stderr).to.contain(
      `warning: ${file}: document 4 (Egress broken): spec: at least one of namespaceSelector and podSelector is required; spec.egressIPs[0]: "nope" is not a valid IP address`,
    );
    expect(result.stdout).to.match(/broken\s+False\s+0\s+-\s+InvalidSpec/);
    expect(result.stdout).to.contain('SNAT to 192.0.2.100');
  });

  it('exits 1 with --strict when an Egress is invalid, after printing the table', async () => {
    const bad = `${cluster}---\napiVersion: egress.proxier.io/v1alpha1\nkind: Egress\nmetadata: {name: broken}\nspec: {egressIPs: [nope]}\n`;
    const result = await run(['render', '-f', tempFile('bad.yaml', bad), '--strict']);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.contain('error: --strict: 1 Egress(es) refused');
    expect(result.stdout).to.contain('SNAT to 192.0.2.100');
  });

  describe('refusals that need the cluster', () => {
    const refused: { name: string; spec: string; cidrs: string[]; warning: string }[] = [
      {
        name: 'a reserved egress IP',
        spec: '{podSelector: {matchLabels: {app: api}}, egressIPs: [0.0.0.0]}',
        cidrs: [],
        warning:
          'warning: Egress other: refused (EgressIPReserved): egress IP 0.0.0.0 is an unspecified address',
      },
      {
        name: 'an egress IP inside --cluster-cidr',
        spec: '{podSelector: {matchLabels: {app: api}}, egressIPs: [10.244.9.9]}',
        cidrs: ['--cluster-cidr', '10.244.0.0/16'],
        warning:
          'warning: Egress other: refused (EgressIPInClusterRange): egress IP 10.244.9.9 is inside cluster range 10.244.0.0/16',
      },
      {
        name: "a node's IP",
        spec: '{podSelector: {matchLabels: {app: api}}, egressIPs: [192.0.2.5]}',
        cidrs: [],
        warning:
          'warning: Egress other: refused (EgressIPIsNodeIP): egress IP 192.0.2.5 is the address of node gw',
      },
      {
        name: "another Egress's IP",
        spec: '{podSelector: {matchLabels: {app: web}}, egressIPs: [192.0.2.100], gatewayNodeSelector: {matchLabels: {pool: b}}}',
        cidrs: [],
        warning:
          'warning: Egress other: refused (EgressIPConflict): egress IP 192.0.2.100 is already used by Egress pay with a different gatewayNodeSelector',
      },
    ];
    for (const testCase of refused) {
      it(`warns on stderr about ${testCase.name}, and exits 1 with --strict`, async () => {
        const file = tempFile(
          'refused.yaml',
          `${cluster}---\napiVersion: egress.proxier.io/v1alpha1\nkind: Egress\nmetadata: {name: other, creationTimestamp: "2030-01-01T00:00:00Z"}\nspec: ${testCase.spec}\n`,
        );
        const lenient = await run(['render', '-f', file, ...testCase.cidrs]);
        expect(lenient.code).to.equal(0);
        expect(lenient.stderr).to.contain(testCase.warning);
        expect(lenient.stdout).to.match(/other\s+False\s+0\s+-\s+EgressIP/);
        const strict = await run(['render', '-f', file, ...testCase.cidrs, '--strict']);
        expect(strict.code).to.equal(1);
        expect(strict.stderr).to.contain(testCase.warning);
        expect(strict.stderr).to.contain('error: --strict: 1 Egress(es) refused');
      });
    }

    it('exits 0 with --strict when every Egress is accepted', async () => {
      const result = await run(['render', '-f', tempFile('c.yaml', cluster), '--strict']);
      expect(result.stderr).to.equal('');
      expect(result.code).to.equal(0);
    });
  });

  it('refuses a --node that no Node in the files names, listing those that exist', async () => {
    const result = await run(['render', '-f', tempFile('c.yaml', cluster), '--node', 'x']);
    expect(result.code).to.equal(1);
    expect(result.stdout).to.equal('');
    expect(result.stderr).to.contain('error: --node x: no such Node in the files (they have gw)');
    const noNodes = tempFile('pods.yaml', cluster.split('---').slice(1).join('---'));
    const empty = await run(['render', '-f', noNodes, '--node', 'x']);
    expect(empty.code).to.equal(1);
    expect(empty.stderr).to.contain('error: --node x: the files have no Node objects');
  });

  it('reports YAML syntax errors with the document number', async () => {
    const namespace = 'apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n';
    const result = await run(['render', '-f', tempFile('syntax.yaml', `${namespace}---\nb: [unclosed\n`)]);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.match(/syntax\.yaml: document 2: line 6, column 1: /);
  });

  it('refuses objects it does not understand', async () => {
    const result = await run([
      'render',
      '-f',
      tempFile('svc.yaml', 'apiVersion: v1\nkind: Service\nmetadata: {name: x}\n'),
    ]);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.contain('unsupported object v1/Service');
  });

  it('fails clearly for a missing file and an unknown backend', async () => {
    const missing = await run(['render', '-f', '/nonexistent/x.yaml']);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.contain('/nonexistent/x.yaml: cannot read');
    const backend = await run(['render', '-f', tempFile('c.yaml', cluster), '--backend', 'no-such-backend']);
    expect(backend.code).to.equal(1);
    expect(backend.stderr).to.contain("module 'no-such-backend' not found");
  });

  it('explains itself with --help and prints a version', async () => {
    const help = await run(['render', '--help']);
    expect(help.code).to.equal(0);
    for (const flag of [
      '--file',
      '--node',
      '--backend',
      '--output',
      '--cluster-cidr',
      '--service-cidr',
      '--strict',
    ])
      expect(help.stdout).to.contain(flag);
    const version = await run(['version']);
    expect(version.stdout).to.match(/^egress-proxier \d+\.\d+\.\d+/);
  });

  it('rejects unknown commands and flags', async () => {
    expect((await run(['frobnicate'])).code).to.equal(1);
    expect((await run(['render', '-f', 'x', '--no-such-flag'])).stderr).to.contain('Unknown argument');
  });
});
