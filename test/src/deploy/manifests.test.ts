// deploy/ as `kubectl apply -k deploy/` would send it: valid against the Kubernetes schemas, and the agent
// gets exactly the privileges it needs.
import { expect } from 'chai';
import path from 'node:path';
import type { Container, DaemonSetManifest } from './daemonset-manifest.js';
import { validateBuiltInManifest } from './kubernetes-models-by-kind.js';
import { describeManifest, kustomizeBuild, type Manifest } from './manifest-yaml.js';
import { REPO_ROOT } from './repo-root.js';

const AGENT_NAMESPACE = 'egress-proxier';
const AGENT_NAME = 'egress-proxier';
const READ_VERBS = new Set(['get', 'list', 'watch']);
// Ports kube-proxy binds on every node (healthz, metrics); the agent runs beside it with hostNetwork.
const KUBE_PROXY_PORTS = new Set([10256, 10249]);

interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}
interface RoleLike extends Manifest {
  rules: PolicyRule[];
}
interface BindingLike extends Manifest {
  roleRef: { apiGroup: string; kind: string; name: string };
  subjects: { kind: string; name: string; namespace?: string }[];
}

describe('deploy/ manifests', () => {
  let manifests: Manifest[];
  const ofKind = <T extends Manifest>(kind: string): T[] => manifests.filter((m) => m.kind === kind) as T[];
  const single = <T extends Manifest>(kind: string, namespace?: string): T => {
    const found = ofKind<T>(kind).filter((m) => m.metadata.namespace === namespace);
    expect(found, `${kind} in ${namespace ?? 'cluster scope'}`).to.have.lengthOf(1);
    return found[0] as T;
  };

  before(function () {
    this.timeout(60_000);
    manifests = kustomizeBuild(path.join(REPO_ROOT, 'deploy'));
  });

  it('renders exactly the namespace, CRD, RBAC objects and DaemonSet', () => {
    expect(manifests.map(describeManifest).sort()).to.deep.equal(
      [
        'apiextensions.k8s.io/v1 CustomResourceDefinition egresses.egress.proxier.io',
        'apps/v1 DaemonSet egress-proxier/egress-proxier',
        'rbac.authorization.k8s.io/v1 ClusterRole egress-proxier',
        'rbac.authorization.k8s.io/v1 ClusterRoleBinding egress-proxier',
        'rbac.authorization.k8s.io/v1 Role default/egress-proxier-events',
        'rbac.authorization.k8s.io/v1 Role egress-proxier/egress-proxier',
        'rbac.authorization.k8s.io/v1 RoleBinding default/egress-proxier-events',
        'rbac.authorization.k8s.io/v1 RoleBinding egress-proxier/egress-proxier',
        'v1 Namespace egress-proxier',
        'v1 ServiceAccount egress-proxier/egress-proxier',
      ].sort(),
    );
  });

  it('every rendered manifest is valid against its kind’s Kubernetes OpenAPI schema', () => {
    for (const manifest of manifests) validateBuiltInManifest(manifest);
  });

  it('the schema check rejects a broken manifest and refuses a kind it has no schema for', () => {
    const broken = structuredClone(single<DaemonSetManifest>('DaemonSet', AGENT_NAMESPACE));
    const container = broken.spec.template.spec.containers[0] as Container;
    (container as unknown as Record<string, unknown>)['ports'] = [{ containerPort: 'healthz' }];
    expect(() => validateBuiltInManifest(broken)).to.throw(/containerPort/);
    const unknownKind: Manifest = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } };
    expect(() => validateBuiltInManifest(unknownKind)).to.throw(/no Kubernetes schema registered/);
  });

  describe('RBAC', () => {
    it('the ClusterRole reads pods, namespaces, nodes and egresses, and writes only egresses/status', () => {
      const clusterRoles = ofKind<RoleLike>('ClusterRole');
      expect(clusterRoles.map((r) => r.metadata.name)).to.deep.equal([AGENT_NAME]);
      const grants = expandRules((clusterRoles[0] as RoleLike).rules);
      const writes = grants.filter((g) => !READ_VERBS.has(g.verb));
      expect(writes.map(formatGrant).sort()).to.deep.equal([
        'egress.proxier.io/egresses/status:patch',
        'egress.proxier.io/egresses/status:update',
      ]);
      const reads = grants.filter((g) => READ_VERBS.has(g.verb)).map(formatGrant);
      expect(reads.sort()).to.deep.equal(
        ['pods', 'namespaces', 'nodes', 'egress.proxier.io/egresses']
          .flatMap((resource) => ['get', 'list', 'watch'].map((verb) => `${resource}:${verb}`))
          .sort(),
      );
    });

    it('leases are granted only by a Role in the agent namespace', () => {
      const leaseGrants = manifests
        .filter((m) => m.kind === 'Role' || m.kind === 'ClusterRole')
        .flatMap((role) =>
          expandRules((role as RoleLike).rules)
            .filter((g) => g.resource === 'leases')
            .map((g) => `${role.kind} ${role.metadata.namespace ?? ''}/${role.metadata.name} ${formatGrant(g)}`),
        );
      expect(leaseGrants.sort()).to.deep.equal(
        ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'].map(
          (verb) => `Role ${AGENT_NAMESPACE}/${AGENT_NAME} coordination.k8s.io/leases:${verb}`,
        ),
      );
    });

    it('namespaced Roles grant nothing but leases and events, and events only create/patch', () => {
      for (const role of ofKind<RoleLike>('Role')) {
        for (const grant of expandRules(role.rules)) {
          const where = `${describeManifest(role)} ${formatGrant(grant)}`;
          if (grant.resource === 'events') {
            expect(['', 'events.k8s.io'], where).to.include(grant.group);
            expect(['create', 'patch'], where).to.include(grant.verb);
          } else {
            expect(`${grant.group}/${grant.resource}`, where).to.equal('coordination.k8s.io/leases');
            expect(role.metadata.namespace, where).to.equal(AGENT_NAMESPACE);
          }
        }
      }
    });

    it('the agent may create and patch core events in default, where the leader records Egress events', () => {
      // core/v1 validation puts events about a cluster-scoped object in "default" (docs/operating.md, Events).
      const boundRoles = ofKind<BindingLike>('RoleBinding')
        .filter((b) => b.metadata.namespace === 'default' && b.roleRef.kind === 'Role')
        .filter((b) => b.subjects.some((s) => s.kind === 'ServiceAccount' && s.name === AGENT_NAME && s.namespace === AGENT_NAMESPACE))
        .map((b) => b.roleRef.name);
      const grants = ofKind<RoleLike>('Role')
        .filter((r) => r.metadata.namespace === 'default' && boundRoles.includes(r.metadata.name))
        .flatMap((r) => expandRules(r.rules))
        .filter((g) => g.group === '' && g.resource === 'events')
        .map(formatGrant);
      expect(grants.sort()).to.deep.equal(['events:create', 'events:patch']);
    });

    it('no rule uses wildcards, resource names or non-resource URLs', () => {
      for (const role of [...ofKind<RoleLike>('Role'), ...ofKind<RoleLike>('ClusterRole')]) {
        for (const rule of role.rules) {
          const where = describeManifest(role);
          expect([...(rule.apiGroups ?? []), ...(rule.resources ?? []), ...rule.verbs], where).not.to.include('*');
          expect(rule.resourceNames, where).to.equal(undefined);
          expect(rule.nonResourceURLs, where).to.equal(undefined);
        }
      }
    });

    it('every binding binds its own role to the agent’s ServiceAccount only', () => {
      single<Manifest>('ServiceAccount', AGENT_NAMESPACE);
      for (const binding of [...ofKind<BindingLike>('RoleBinding'), ...ofKind<BindingLike>('ClusterRoleBinding')]) {
        const roleKind = binding.kind === 'RoleBinding' ? 'Role' : 'ClusterRole';
        const role = manifests.find(
          (m) => m.kind === roleKind && m.metadata.name === binding.roleRef.name && m.metadata.namespace === binding.metadata.namespace,
        );
        expect(role, `${describeManifest(binding)} refers to a ${roleKind} in deploy/`).not.to.equal(undefined);
        expect(binding.subjects, describeManifest(binding)).to.deep.equal([
          { kind: 'ServiceAccount', name: AGENT_NAME, namespace: AGENT_NAMESPACE },
        ]);
      }
    });
  });

  describe('DaemonSet', () => {
    let daemonSet: DaemonSetManifest;
    let pod: DaemonSetManifest['spec']['template']['spec'];
    let container: Container;
    before(() => {
      daemonSet = single<DaemonSetManifest>('DaemonSet', AGENT_NAMESPACE);
      pod = daemonSet.spec.template.spec;
      expect(pod.containers).to.have.lengthOf(1);
      container = pod.containers[0] as Container;
    });

    it('runs on every node in the host network namespace with the agent’s ServiceAccount', () => {
      expect(pod.hostNetwork).to.equal(true);
      expect(pod.dnsPolicy).to.equal('ClusterFirstWithHostNet');
      expect(pod.priorityClassName).to.equal('system-node-critical');
      expect(pod.tolerations).to.deep.equal([{ operator: 'Exists' }]);
      expect(pod.serviceAccountName).to.equal(AGENT_NAME);
      expect(daemonSet.spec.updateStrategy).to.deep.equal({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } });
    });

    it('adds only NET_ADMIN and NET_RAW, drops the rest, and is not privileged', () => {
      const securityContext = container.securityContext ?? {};
      expect(securityContext.privileged ?? false).to.equal(false);
      expect(securityContext.allowPrivilegeEscalation).to.equal(false);
      expect([...(securityContext.capabilities?.add ?? [])].sort()).to.deep.equal(['NET_ADMIN', 'NET_RAW']);
      expect(securityContext.capabilities?.drop).to.deep.equal(['ALL']);
    });

    it('runs the iptables backend for its own node, named from spec.nodeName', () => {
      expect(container.image).to.match(/^[^:]+:\d+\.\d+\.\d+$/);
      expect(container.args?.slice(0, 2)).to.deep.equal(['run', '--backend=iptables']);
      expect(container.args).to.include('--node-name=$(NODE_NAME)');
      const fieldPaths = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.valueFrom?.fieldRef?.fieldPath]));
      expect(fieldPaths).to.deep.equal({ NODE_NAME: 'spec.nodeName', POD_NAMESPACE: 'metadata.namespace' });
    });

    it('probes /healthz and /livez on the healthz port, apart from kube-proxy’s ports', () => {
      const healthzPort = portOfFlag(container, '--healthz-bind-address');
      const metricsPort = portOfFlag(container, '--metrics-bind-address');
      expect(KUBE_PROXY_PORTS.has(healthzPort) || KUBE_PROXY_PORTS.has(metricsPort)).to.equal(false);
      expect(healthzPort).not.to.equal(metricsPort);
      expect(container.readinessProbe?.httpGet?.path).to.equal('/healthz');
      expect(container.livenessProbe?.httpGet?.path).to.equal('/livez');
      for (const probe of [container.readinessProbe, container.livenessProbe]) {
        expect(resolvePort(container, probe?.httpGet?.port)).to.equal(healthzPort);
      }
      expect(resolvePort(container, 'metrics')).to.equal(metricsPort);
    });

    it('mounts the xtables lock (FileOrCreate) and /lib/modules read-only, and nothing else from the host', () => {
      const hostPaths = (pod.volumes ?? []).filter((v) => v.hostPath !== undefined);
      const mounts = new Map((container.volumeMounts ?? []).map((m) => [m.name, m]));
      expect(hostPaths.map((v) => v.hostPath?.path).sort()).to.deep.equal(['/lib/modules', '/run/xtables.lock']);
      for (const volume of hostPaths) {
        const mount = mounts.get(volume.name);
        expect(mount?.mountPath, volume.name).to.equal(volume.hostPath?.path);
        if (volume.hostPath?.path === '/run/xtables.lock') {
          expect(volume.hostPath.type).to.equal('FileOrCreate');
          expect(mount?.readOnly ?? false).to.equal(false);
        } else {
          expect(mount?.readOnly).to.equal(true);
        }
      }
    });

    it('requests CPU and memory and limits memory', () => {
      expect(container.resources?.requests).to.have.keys('cpu', 'memory');
      expect(container.resources?.limits).to.have.property('memory');
    });
  });
});

interface Grant {
  group: string;
  resource: string;
  verb: string;
}

function expandRules(rules: PolicyRule[]): Grant[] {
  return rules.flatMap((rule) =>
    (rule.apiGroups ?? []).flatMap((group) =>
      (rule.resources ?? []).flatMap((resource) => rule.verbs.map((verb) => ({ group, resource, verb }))),
    ),
  );
}

function formatGrant(grant: Grant): string {
  return `${grant.group === '' ? '' : `${grant.group}/`}${grant.resource}:${grant.verb}`;
}

function portOfFlag(container: Container, flag: string): number {
  const arg = container.args?.find((a) => a.startsWith(`${flag}=`));
  const port = Number(arg?.split(':').pop());
  if (!Number.isInteger(port)) throw new Error(`${flag} with a port is missing from the container args`);
  return port;
}

function resolvePort(container: Container, port: number | string | undefined): number | undefined {
  if (typeof port === 'number') return port;
  return container.ports?.find((p) => p.name === port)?.containerPort;
}
