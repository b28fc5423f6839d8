// deploy/webhook renders with the real kubectl kustomize on top of the base, and its webhook configuration
// matches what PodPoolWebhook serves.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { MUTATE_PODS_PATH } from '../src/webhook/pod-pool-webhook.js';

type Doc = { kind: string; metadata: { name: string }; [key: string]: unknown };

function renderCalicoVariant(): Doc[] {
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
  const work = mkdtempSync(join(tmpdir(), 'backend-calico-kustomize-'));
  try {
    symlinkSync(join(repoRoot, 'deploy'), join(work, 'deploy'));
    mkdirSync(join(work, 'overlay'));
    writeFileSync(
      join(work, 'overlay', 'kustomization.yaml'),
      'resources:\n  - ../deploy\ncomponents:\n  - ../deploy/webhook\n',
    );
    let output: string;
    try {
      output = execFileSync('kubectl', ['kustomize', join(work, 'overlay')], { encoding: 'utf8' });
    } catch (error) {
      throw new Error(`kubectl kustomize failed (is kubectl installed?): ${(error as Error).message}`, {
        cause: error,
      });
    }
    return parseAllDocuments(output).map((doc) => doc.toJSON() as Doc);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

describe('deploy/webhook (calico variant)', () => {
  const docs = renderCalicoVariant();
  const find = (kind: string, name: string): Doc => {
    const doc = docs.find((d) => d.kind === kind && d.metadata.name === name);
    if (doc === undefined) throw new Error(`${kind}/${name} not rendered`);
    return doc;
  };

  it('configures the pod webhook as documented: CREATE only, Ignore, no side effects, 5 s, exclusions', () => {
    const config = find('MutatingWebhookConfiguration', 'egress-proxier-calico-pools') as unknown as {
      webhooks: Record<string, unknown>[];
    };
    const webhook = config.webhooks[0]!;
    expect(webhook).to.include({ failurePolicy: 'Ignore', sideEffects: 'None', timeoutSeconds: 5 });
    expect(webhook['clientConfig']).to.deep.include({
      service: {
        name: 'egress-proxier-webhook',
        namespace: 'egress-proxier',
        path: MUTATE_PODS_PATH,
        port: 443,
      },
    });
    expect(webhook['rules']).to.deep.equal([
      {
        apiGroups: [''],
        apiVersions: ['v1'],
        resources: ['pods'],
        operations: ['CREATE'],
        scope: 'Namespaced',
      },
    ]);
    expect(JSON.stringify(webhook['namespaceSelector']))
      .to.include('kube-system')
      .and.include('"egress-proxier"');
  });

  it('switches the agent to the calico backend and mounts the webhook certificate', () => {
    const daemonSet = find('DaemonSet', 'egress-proxier') as unknown as {
      spec: {
        template: { spec: { containers: Record<string, unknown>[]; volumes: Record<string, unknown>[] } };
      };
    };
    const container = daemonSet.spec.template.spec.containers[0]!;
    expect(container['args']).to.include('--backend=calico').and.not.include('--backend=iptables');
    expect(container['ports']).to.deep.include({ name: 'webhook', containerPort: 9443, protocol: 'TCP' });
    expect(daemonSet.spec.template.spec.volumes).to.deep.include({
      name: 'webhook-tls',
      secret: { secretName: 'egress-proxier-webhook-tls' },
    });
    const service = find('Service', 'egress-proxier-webhook') as unknown as { spec: { ports: unknown[] } };
    expect(service.spec.ports).to.deep.include({
      name: 'webhook',
      port: 443,
      targetPort: 'webhook',
      protocol: 'TCP',
    });
  });

  it('grants IP pool writes and namespace patches, and nothing on secrets', () => {
    const role = find('ClusterRole', 'egress-proxier-calico') as unknown as {
      rules: Record<string, string[]>[];
    };
    expect(role.rules.find((r) => r['resources']?.includes('ippools'))?.['verbs']).to.include('create');
    // FailClosed: the tier and its policies, including Calico API server's per-tier check.
    for (const resource of ['tiers', 'globalnetworkpolicies', 'tier.globalnetworkpolicies']) {
      expect(role.rules.find((r) => r['resources']?.includes(resource))?.['verbs'], resource).to.include(
        'create',
      );
    }
    expect(role.rules.find((r) => r['resources']?.includes('namespaces'))?.['verbs']).to.deep.equal([
      'patch',
    ]);
    expect(JSON.stringify(role.rules)).not.to.include('secrets');
  });
});
