// The parts of the agent's DaemonSet the deploy tests read (the schema check covers the rest).
import type { Manifest } from './manifest-yaml.js';

export interface Probe {
  httpGet?: { path: string; port: number | string };
}

export interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: { name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  ports?: { name?: string; containerPort: number }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    privileged?: boolean;
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    capabilities?: { add?: string[]; drop?: string[] };
  };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean; mountPropagation?: string }[];
}

export interface DaemonSetManifest extends Manifest {
  spec: {
    updateStrategy?: { type?: string; rollingUpdate?: { maxUnavailable?: number | string } };
    template: {
      spec: {
        serviceAccountName?: string;
        hostNetwork?: boolean;
        dnsPolicy?: string;
        priorityClassName?: string;
        tolerations?: { key?: string; operator?: string; effect?: string }[];
        containers: Container[];
        volumes?: { name: string; hostPath?: { path: string; type?: string } }[];
      };
    };
  };
}
