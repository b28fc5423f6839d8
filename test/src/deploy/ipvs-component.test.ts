// deploy/ipvs as a user applies it (`resources: [deploy]`, `components: [deploy/ipvs]` in a kustomization of
// their own): the agent switched to the ipvs backend, which is the iptables datapath with IPVS steering, so
// it keeps the base's capabilities and host mounts; the IPVS modules and sysctls are the node's job.
import { PLUGIN_OPTIONS } from '@egress-proxier/backend-ipvs';
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
const IPVS = path.join(DEPLOY, 'ipvs');
// The base's: ipvsadm's netlink needs CAP_NET_ADMIN only, the rest is the iptables backend's datapath.
const IPVS_CAPABILITIES = ['NET_ADMIN', 'NET_RAW'];

describe('deploy/ipvs Component', () => {
  let base: Manifest[];
  let manifests: Manifest[];
  let basePod: AgentPod;
  let baseContainer: Container;
  let pod: AgentPod;
  let container: Container;

  before(function () {
    this.timeout(60_000);
    base = kustomizeBuild(DEPLOY);
    manifests = kustomizeBuildWithComponents(DEPLOY, [IPVS]);
    basePod = daemonSetOf(base).spec.template.spec;
    baseContainer = agentContainer(basePod);
    pod = daemonSetOf(manifests).spec.template.spec;
    container = agentContainer(pod);
  });

  it('changes only the DaemonSet, which stays valid against the Kubernetes schema', () => {
    expect(manifests.map(describeManifest).sort()).to.deep.equal(base.map(describeManifest).sort());
    for (const manifest of manifests) validateBuiltInManifest(manifest);
  });

  it('runs the ipvs backend, with the base’s node name, healthz and metrics flags', () => {
    expect(container.args?.slice(0, 2)).to.deep.equal(['run', '--backend=ipvs']);
    const notIpvs = (args: string[] = []) => args.filter((arg) => !/^--(backend|ipvs-[a-z-]+)=/.test(arg));
    expect(notIpvs(container.args)).to.deep.equal(notIpvs(baseContainer.args));
  });

  it('passes only --ipvs-* flags the plugin declares, and spells out direct routing', () => {
    const declared = Object.keys(PLUGIN_OPTIONS).map((name) => `--ipvs-${kebabCase(name)}`);
    const flags = (container.args ?? []).filter((arg) => arg.startsWith('--ipvs-'));
    for (const flag of flags) expect(declared, flag).to.include(flag.split('=')[0]);
    const forwarding = flags.filter((flag) => flag.startsWith('--ipvs-forwarding=')).map((f) => f.split('=')[1]);
    expect(forwarding, 'the forwarding mode is spelled out once').to.deep.equal(['dr']);
    expect(PLUGIN_OPTIONS['forwarding']?.choices).to.include('dr');
  });

  it('is not privileged and adds exactly NET_ADMIN and NET_RAW to drop ALL, as the base does', () => {
    const securityContext = container.securityContext ?? {};
    expect(securityContext.privileged).to.equal(false);
    expect(securityContext.allowPrivilegeEscalation).to.equal(false);
    expect(securityContext.readOnlyRootFilesystem).to.equal(true);
    expect([...(securityContext.capabilities?.add ?? [])].sort()).to.deep.equal(IPVS_CAPABILITIES);
    expect(securityContext.capabilities?.drop).to.deep.equal(['ALL']);
    expect(securityContext).to.deep.equal(baseContainer.securityContext);
  });

  it('keeps the base’s host mounts (the iptables side’s xtables lock and /lib/modules)', () => {
    const hostPaths = (pod.volumes ?? []).flatMap((volume) => volume.hostPath?.path ?? []);
    expect(hostPaths.sort()).to.deep.equal(['/lib/modules', '/run/xtables.lock']);
    expect(pod.volumes).to.deep.equal(basePod.volumes);
    expect(container.volumeMounts).to.deep.equal(baseContainer.volumeMounts);
  });

  it('changes nothing in the pod but the agent’s flags', () => {
    const withoutArgs = (p: AgentPod) => ({
      ...p,
      containers: p.containers.map((c) => ({ ...c, args: undefined })),
    });
    expect(withoutArgs(pod)).to.deep.equal(withoutArgs(basePod));
  });
});
