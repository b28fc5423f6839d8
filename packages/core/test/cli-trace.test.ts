// `egress-proxier trace` as a user runs it: the compiled binary over a YAML file, text and JSON, and the exit
// code and message of each mistake.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TraceResult } from '../src/trace/trace-result.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const cli = path.join(repo, 'packages/core/dist/src/cli/main.js');

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { cwd: repo }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
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
kind: Node
metadata: {name: worker}
status:
  addresses: [{type: InternalIP, address: 192.0.2.6}]
  conditions: [{type: Ready, status: "True"}]
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: pay, labels: {app: api}}
spec: {nodeName: worker}
status: {phase: Running, podIPs: [{ip: 10.244.1.7}]}
---
apiVersion: v1
kind: Pod
metadata: {name: starting, namespace: pay, labels: {app: api}}
spec: {nodeName: worker}
status: {phase: Pending}
---
apiVersion: egress.proxier.io/v1alpha1
kind: Egress
metadata: {name: pay-all, creationTimestamp: "2026-01-01T00:00:00Z"}
spec:
  podSelector: {matchLabels: {app: api}}
  egressIPs: [192.0.2.100]
---
apiVersion: egress.proxier.io/v1alpha1
kind: Egress
metadata: {name: pay-db, creationTimestamp: "2026-01-02T00:00:00Z"}
spec:
  podSelector: {matchLabels: {app: api}}
  egressIPs: [192.0.2.101]
  destinationCIDRs: [203.0.113.0/24]
`;

describe('egress-proxier trace (CLI)', () => {
  let dir: string;
  let file: string;

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'egress-trace-'));
    file = path.join(dir, 'cluster.yaml');
    writeFileSync(file, cluster);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('explains the decision as text', async () => {
    const result = await run(['trace', '-f', file, '--from', 'pay/api', '--to', '203.0.113.5:5432']);
    expect(result.stderr).to.equal('');
    expect(result.code).to.equal(0);
    const lines = result.stdout.split('\n');
    expect(lines.slice(0, 6)).to.deep.equal([
      'Pod:           pay/api (10.244.1.7)',
      'Node:          worker',
      'Destination:   203.0.113.5 port 5432 (IPv4)',
      'Decided by:    Egress pay-db (destination 203.0.113.0/24, priority 0)',
      'Action:        steer to gateway gw (192.0.2.5), unmasqueraded; the gateway SNATs to 192.0.2.101',
      'Leaves as:     192.0.2.101 (egress IP, from gateway gw)',
    ]);
    expect(result.stdout).to.match(/pay-db\s+0\s+2026-01-02T00:00:00Z\s+203\.0\.113\.0\/24\s+decides\n/);
    expect(result.stdout).to.match(
      /pay-all\s+0\s+2026-01-01T00:00:00Z\s+0\.0\.0\.0\/0\s+loses to pay-db \(longer destination prefix\)\n/,
    );
  });

  it('prints the documented JSON shape', async () => {
    const result = await run([
      'trace',
      '-f',
      file,
      '--from',
      'pay/api',
      '--to',
      '198.51.100.1',
      '-o',
      'json',
    ]);
    expect(result.code, result.stderr).to.equal(0);
    const parsed = JSON.parse(result.stdout) as TraceResult;
    expect(parsed.version).to.equal(1);
    expect(parsed.decision).to.deep.equal({
      action: 'steer',
      policy: 'pay-all',
      egressIP: '192.0.2.100',
      gateway: { node: 'gw', nodeIP: '192.0.2.5' },
    });
    expect(parsed.leavesAs).to.deep.equal({ kind: 'egressIP', address: '192.0.2.100', gatewayNode: 'gw' });
    expect(parsed.candidates.map((c) => [c.policy, c.outcome.kind])).to.deep.equal([
      ['pay-all', 'decides'],
      ['pay-db', 'destinationNotCovered'],
    ]);
    expect(Object.keys(parsed)).to.deep.equal([
      'version',
      'pod',
      'destination',
      'node',
      'decision',
      'leavesAs',
      'candidates',
      'refused',
    ]);
  });

  it('takes the cluster ranges as the agents do', async () => {
    const result = await run([
      'trace',
      '-f',
      file,
      '--from',
      'pay/api',
      '--to',
      '10.96.0.1',
      '--service-cidr',
      '10.96.0.0/12',
    ]);
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.contain('Decided by:    no policy: 10.96.0.0/12 is a cluster destination');
    expect(result.stdout).to.contain("Leaves as:     10.244.1.7 (the pod's own address");
  });

  const errors: { name: string; args: string[]; code: number; stderr: RegExp }[] = [
    {
      name: 'an unknown pod',
      args: ['--from', 'pay/nope', '--to', '203.0.113.5'],
      code: 3,
      stderr: /^error: pod pay\/nope not found\n$/,
    },
    {
      name: 'a pod without IP',
      args: ['--from', 'pay/starting', '--to', '203.0.113.5'],
      code: 3,
      stderr: /^error: pod pay\/starting has no IP address yet/,
    },
    {
      name: '--to that is not an IP',
      args: ['--from', 'pay/api', '--to', 'db.example.com'],
      code: 2,
      stderr: /^error: --to "db\.example\.com": "db\.example\.com" is not an IP address\n$/,
    },
    {
      name: 'a bad port',
      args: ['--from', 'pay/api', '--to', '203.0.113.5:99999'],
      code: 2,
      stderr: /port must be a number from 1 to 65535/,
    },
    {
      name: 'a family mismatch',
      args: ['--from', 'pay/api', '--to', '2001:db8::5'],
      code: 3,
      stderr:
        /^error: pod pay\/api has no IPv6 address \(its addresses: 10\.244\.1\.7\), so it cannot send to 2001:db8::5\n$/,
    },
    {
      name: '--from without namespace',
      args: ['--from', 'api', '--to', '203.0.113.5'],
      code: 2,
      stderr: /expected NAMESPACE\/POD/,
    },
    { name: 'a missing --to', args: ['--from', 'pay/api'], code: 1, stderr: /Missing required argument: to/ },
  ];
  for (const c of errors)
    it(`fails with exit ${c.code} for ${c.name}`, async () => {
      const result = await run(['trace', '-f', file, ...c.args]);
      expect(result.stdout).to.equal('');
      expect(result.stderr).to.match(c.stderr);
      expect(result.code).to.equal(c.code);
    });

  it('refuses -f together with --kubeconfig, and names an unreadable file', async () => {
    const both = await run([
      'trace',
      '-f',
      file,
      '--kubeconfig',
      file,
      '--from',
      'a/b',
      '--to',
      '203.0.113.5',
    ]);
    expect(both.code).to.equal(1);
    expect(both.stderr).to.contain('mutually exclusive');
    const missing = await run(['trace', '-f', '/nonexistent/x.yaml', '--from', 'a/b', '--to', '203.0.113.5']);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.contain('/nonexistent/x.yaml: cannot read');
  });

  it('runs the example of its --help on the shipped examples', async () => {
    const result = await run([
      'trace',
      '-f',
      'examples/',
      '--from',
      'shop/checkout-1',
      '--to',
      '203.0.113.5:5432',
    ]);
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.contain(
      'Decided by:    Egress orders-db (destination 203.0.113.0/24, priority 0)',
    );
    expect(result.stdout).to.match(/Leaves as: {5}192\.0\.2\.20 \(egress IP, from gateway node-\w\)/);
  });

  it('documents its flags, examples and exit codes in --help', async () => {
    const help = await run(['trace', '--help']);
    expect(help.code).to.equal(0);
    for (const flag of [
      '--from',
      '--to',
      '--file',
      '--kubeconfig',
      '--output',
      '--cluster-cidr',
      '--service-cidr',
    ])
      expect(help.stdout).to.contain(flag);
    const text = help.stdout.replace(/\s+/g, ' ');
    for (const part of ['egress-proxier trace -f examples/', 'shop/checkout-1', '--to 203.0.113.5:5432'])
      expect(text).to.contain(part);
    expect(text).to.match(
      /Exit codes: 0 traced .*; 1 .*; 2 --from or --to is malformed .*; 3 the pod cannot be traced/s,
    );
    expect((await run(['--help'])).stdout).to.match(/trace\s+Explain which Egress decides a packet/);
  });
});
