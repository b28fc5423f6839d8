// What the Component tests (deploy/ebpf, deploy/ipvs) read from a rendering: the agent's one DaemonSet, its
// one container, and the CLI spelling of a backend plugin's options.
import { expect } from 'chai';
import type { Container, DaemonSetManifest } from './daemonset-manifest.js';
import { describeManifest, type Manifest } from './manifest-yaml.js';

export type AgentPod = DaemonSetManifest['spec']['template']['spec'];

/** The rendering's only DaemonSet, which must be the agent's. */
export function daemonSetOf(manifests: Manifest[]): DaemonSetManifest {
  const daemonSets = manifests.filter((m) => m.kind === 'DaemonSet');
  expect(daemonSets.map(describeManifest)).to.deep.equal(['apps/v1 DaemonSet egress-proxier/egress-proxier']);
  return daemonSets[0] as DaemonSetManifest;
}

/** The pod's only container, which must be the agent. */
export function agentContainer(pod: AgentPod): Container {
  expect(pod.containers.map((c) => c.name)).to.deep.equal(['egress-proxier']);
  return pod.containers[0] as Container;
}

/** `pinDir` → `pin-dir`, as the CLI spells a plugin option after its `--<backend>-` prefix. */
export function kebabCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}
