import type { KubeObject, StoredObject } from '../api/kube-object.js';
import type { FaultInjector } from '../faults/fault-injector.js';
import {
  buildKubeconfig,
  clientNodeOptions,
  kubeconfigYaml,
  writeKubeconfigFile,
  type ClientNodeOptions,
  type KubeconfigFile,
} from '../kubeconfig/kubeconfig.js';
import { ApiServer, type ApiServerOptions } from './api-server.js';
import { ClusterObjects } from './cluster-objects.js';

export interface StartApiServerOptions extends ApiServerOptions {
  /** Bearer token written into kubeconfigs; the server accepts any credentials (no authn). */
  token?: string;
}

/** A running in-memory API server and everything a test needs to point clients at it. */
export interface RunningApiServer {
  url: string;
  /** PEM of the self-signed serving certificate (HTTPS only): also the CA to trust. */
  caPem: string | undefined;
  kubeconfig: { object: KubeconfigFile; yaml: string };
  writeKubeconfig(path: string): Promise<void>;
  /** Options for `new KubeConfig().loadFromOptions(...)` of @kubernetes/client-node. */
  kubeConfigForClientNode(): ClientNodeOptions;
  /** Direct object access for setup and assertions (privileged writes: status kept). */
  store: ClusterObjects;
  faults: FaultInjector;
  /** The server object itself, for internals (registry, raw store). */
  server: ApiServer;
  close(): Promise<void>;
}

export async function startApiServer(options: StartApiServerOptions = {}): Promise<RunningApiServer> {
  const server = new ApiServer(options);
  await server.start();
  const info = {
    url: server.url,
    token: options.token ?? 'egress-proxier-testing',
    ...(server.caPem ? { caPem: server.caPem } : {}),
  };
  const object = buildKubeconfig(info);
  return {
    url: server.url,
    caPem: server.caPem,
    kubeconfig: { object, yaml: kubeconfigYaml(object) },
    writeKubeconfig: (path) => writeKubeconfigFile(path, object),
    kubeConfigForClientNode: () => clientNodeOptions(info),
    store: new ClusterObjects(server.service),
    faults: server.faults,
    server,
    close: () => server.close(),
  };
}

export type { KubeObject, StoredObject };
