// deploy/ebpf as a user applies it (`resources: [deploy]`, `components: [deploy/ebpf]` in a kustomization
// of their own): the agent switched to the ebpf backend with the capabilities BPF loading and tc attachment
// need, the host's bpffs for its pins, and nothing of the iptables variant's host access.
import { PLUGIN_OPTIONS } from '@egress-proxier/backend-ebpf-loader';
import { expect } from 'chai';
import path from 'node:path';
import { agentContainer, daemonSetOf, kebabCase, type AgentPod } from './agent-daemonset.js';
import type { Container } from './daemonset-manifest.js';
import { validateBuiltInManifest } from './kubernetes-models-by-kind.js';
import {
  describeManifest,
  kustomizeBuild,
  kustomizeBuildWithComponents,
  type Manifest,
} from './manifest-yaml.js';
import { REPO_ROOT } from './repo-root.js';

const DEPLOY = path.join(REPO_ROOT, 'deploy');
const EBPF = path.join(DEPLOY, 'ebpf');
const KERNEL_5_10 = path.join(EBPF, 'kernel-5.10');
const BPFFS = '/sys/fs/bpf';
// deploy/ebpf/daemonset-ebpf.yaml says why each one; packages/backend-ebpf-loader's kernel-capabilities test
// runs the preflight, a sync, an adoption and cleanup with exactly these.
const EBPF_CAPABILITIES = ['BPF', 'NET_ADMIN', 'NET_RAW', 'PERFMON'];

describe('deploy/ebpf Component', () => {
  let base: Manifest[];
  let manifests: Manifest[];
  let baseContainer: Container;
  let pod: AgentPod;
  let container: Container;

  before(function () {
    this.timeout(60_000);
    base = kustomizeBuild(DEPLOY);
    manifests = kustomizeBuildWithComponents(DEPLOY, [EBPF]);
    baseContainer = agentContainer(daemonSetOf(base).spec.template.spec);
    pod = daemonSetOf(manifests).spec.template.spec;
    container = agentContainer(pod);
  });

  it('changes only the DaemonSet, which stays valid against the Kubernetes schema', () => {
    expect(manifests.map(describeManifest).sort()).to.deep.equal(base.map(describeManifest).sort());
    for (const manifest of manifests) validateBuiltInManifest(manifest);
  });

  it('runs the ebpf backend, with the base’s node name, healthz and metrics flags', () => {
    expect(container.args?.slice(0, 2)).to.deep.equal(['run', '--backend=ebpf']);
    const notEbpf = (args: string[] = []) => args.filter((arg) => !/^--(backend|ebpf-[a-z-]+)=/.test(arg));
    expect(notEbpf(container.args)).to.deep.equal(notEbpf(baseContainer.args));
  });

  it('passes only --ebpf-* flags the plugin declares, and pins on the mounted bpffs', () => {
    const declared = Object.keys(PLUGIN_OPTIONS).map((name) => `--ebpf-${kebabCase(name)}`);
    const flags = (container.args ?? []).filter((arg) => arg.startsWith('--ebpf-'));
    expect(flags, 'the pin directory is spelled out next to its mount').to.have.length.above(0);
    for (const flag of flags) expect(declared, flag).to.include(flag.split('=')[0]);
    const pinDir = flags.find((flag) => flag.startsWith('--ebpf-pin-dir='))?.split('=')[1];
    expect(pinDir?.startsWith(`${BPFFS}/`), `--ebpf-pin-dir=${pinDir}`).to.equal(true);
  });

  it('is not privileged and adds exactly BPF, PERFMON, NET_ADMIN and NET_RAW to drop ALL', () => {
    const securityContext = container.securityContext ?? {};
    expect(securityContext.privileged).to.equal(false);
    expect(securityContext.allowPrivilegeEscalation).to.equal(false);
    expect(securityContext.readOnlyRootFilesystem).to.equal(true);
    expect([...(securityContext.capabilities?.add ?? [])].sort()).to.deep.equal(EBPF_CAPABILITIES);
    expect(securityContext.capabilities?.drop).to.deep.equal(['ALL']);
  });

  it('mounts the host’s bpffs (Directory) read-write, without Bidirectional propagation', () => {
    const bpffs = (pod.volumes ?? []).filter((volume) => volume.hostPath?.path === BPFFS);
    expect(bpffs).to.have.lengthOf(1);
    expect(bpffs[0]?.hostPath?.type).to.equal('Directory');
    const mount = (container.volumeMounts ?? []).find((m) => m.name === bpffs[0]?.name);
    expect(mount?.mountPath).to.equal(BPFFS);
    expect(mount?.readOnly ?? false).to.equal(false);
    expect(mount?.mountPropagation).not.to.equal('Bidirectional');
  });

  it('drops the iptables variant’s host mounts: the bpffs is all it takes from the host', () => {
    const hostPaths = (pod.volumes ?? []).flatMap((volume) => volume.hostPath?.path ?? []);
    expect(hostPaths).to.deep.equal([BPFFS]);
    const volumes = new Set((pod.volumes ?? []).map((volume) => volume.name));
    for (const mount of container.volumeMounts ?? []) expect(volumes, mount.mountPath).to.include(mount.name);
    expect((container.volumeMounts ?? []).map((m) => m.mountPath).sort()).to.deep.equal([BPFFS, '/tmp']);
  });

  describe('with deploy/ebpf/kernel-5.10 after it', () => {
    it('adds SYS_RESOURCE (bpftool raises RLIMIT_MEMLOCK before 5.11) and nothing else', function () {
      this.timeout(60_000);
      const rendered = kustomizeBuildWithComponents(DEPLOY, [EBPF, KERNEL_5_10]);
      const older = agentContainer(daemonSetOf(rendered).spec.template.spec);
      expect([...(older.securityContext?.capabilities?.add ?? [])].sort()).to.deep.equal(
        [...EBPF_CAPABILITIES, 'SYS_RESOURCE'].sort(),
      );
      const rest = (c: Container) => ({
        ...c,
        securityContext: { ...c.securityContext, capabilities: undefined },
      });
      expect(rest(older)).to.deep.equal(rest(container));
    });

    it('refuses to render before deploy/ebpf, where it would widen the iptables agent', function () {
      this.timeout(60_000);
      expect(() => kustomizeBuildWithComponents(DEPLOY, [KERNEL_5_10, EBPF])).to.throw(/test failed/);
    });
  });
});
