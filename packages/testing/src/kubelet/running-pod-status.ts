// A Pod's status as the kubelet reports it once every container has started and passed readiness: what a
// lab that plays the kubelet (the demo, the disruption tests) patches in, so that `kubectl get pods` shows
// `1/1 Running` and `kubectl wait --for=condition=Ready` returns, as on a real cluster.
import type { JsonObject } from '../api/kube-object.js';

export interface RunningPodStatusOptions {
  /** The pod's spec.containers (name and image), in order: one ready, running containerStatus each. */
  containers: readonly { name: string; image: string }[];
  /** The pod's IPs, primary first (one per family). */
  podIPs: readonly string[];
  /** The node's InternalIP. */
  hostIP: string;
  /** When the kubelet started the pod; also every condition's transition and the containers' start. */
  startTime: Date;
}

/** The four conditions a running, ready pod has, in the order the kubelet writes them. */
const READY_CONDITIONS = ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'] as const;

export function runningPodStatus(options: RunningPodStatusOptions): JsonObject {
  const [primaryIP] = options.podIPs;
  if (primaryIP === undefined) throw new Error('a running pod has at least one IP');
  if (options.containers.length === 0) throw new Error('a pod has at least one container');
  const started = options.startTime.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    phase: 'Running',
    conditions: READY_CONDITIONS.map((type) => ({
      type,
      status: 'True',
      lastProbeTime: null,
      lastTransitionTime: started,
    })),
    hostIP: options.hostIP,
    hostIPs: [{ ip: options.hostIP }],
    podIP: primaryIP,
    podIPs: options.podIPs.map((ip) => ({ ip })),
    startTime: started,
    containerStatuses: options.containers.map(({ name, image }) => ({
      name,
      state: { running: { startedAt: started } },
      lastState: {},
      ready: true,
      started: true,
      restartCount: 0,
      image,
      imageID: '',
    })),
    qosClass: 'BestEffort',
  };
}
