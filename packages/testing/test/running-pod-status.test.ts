// A pod whose status the lab reports with runningPodStatus reads in kubectl as on a real cluster: `1/1 Running`,
// its IP and node in `-o wide`, and Ready for `kubectl wait`. The demo and the disruption tests rely on it.
import { expect } from 'chai';
import { runningPodStatus, startApiServer, type RunningApiServer } from '../src/index.js';
import { Kubectl } from './helpers/kubectl.js';

/** `kubectl get` table output as rows of cells (headers first). */
function table(output: string): string[][] {
  return output
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s{2,}/));
}

describe('runningPodStatus as kubectl shows it', function () {
  this.timeout(30_000);
  let server: RunningApiServer;
  let kubectl: Kubectl;

  before(async () => {
    server = await startApiServer({ https: true });
    kubectl = await Kubectl.for(server);
    await kubectl.ok(['create', 'namespace', 'shop']);
  });

  after(async () => {
    await server?.close();
    await kubectl?.cleanup();
  });

  async function createPod(name: string, containers: { name: string; image: string }[]): Promise<void> {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'shop' },
      spec: { nodeName: 'node-1', containers },
    };
    await kubectl.ok(['apply', '-f', '-'], JSON.stringify(pod));
  }

  async function reportRunning(
    name: string,
    containers: { name: string; image: string }[],
    podIPs: string[],
  ): Promise<void> {
    const status = runningPodStatus({ containers, podIPs, hostIP: '192.0.2.11', startTime: new Date() });
    await kubectl.ok([
      '-n',
      'shop',
      'patch',
      'pod',
      name,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({ status }),
    ]);
  }

  it('prints 1/1 Running with its IP and node, and is Ready', async () => {
    const containers = [{ name: 'app', image: 'example/checkout' }];
    await createPod('checkout-0', containers);
    // Before the kubelet reports: no container ready.
    expect(table(await kubectl.ok(['-n', 'shop', 'get', 'pod', 'checkout-0']))[1]?.slice(0, 2)).to.deep.equal(
      ['checkout-0', '0/1'],
    );

    await reportRunning('checkout-0', containers, ['10.244.1.2', 'fd00:10:244:1::2']);
    const [header, row] = table(await kubectl.ok(['-n', 'shop', 'get', 'pods', '-o', 'wide']));
    expect(header?.slice(0, 7)).to.deep.equal(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE']);
    expect(row?.slice(0, 4)).to.deep.equal(['checkout-0', '1/1', 'Running', '0']);
    expect(row?.slice(5, 7)).to.deep.equal(['10.244.1.2', 'node-1']);
    await kubectl.ok(['-n', 'shop', 'wait', '--for=condition=Ready', 'pod/checkout-0', '--timeout=5s']);
    const reported = await kubectl.ok([
      '-n',
      'shop',
      'get',
      'pod',
      'checkout-0',
      '-o',
      'jsonpath={.status.hostIP} {.status.podIPs[*].ip} {.status.containerStatuses[0].state.running.startedAt}',
    ]);
    expect(reported).to.match(
      /^192\.0\.2\.11 10\.244\.1\.2 fd00:10:244:1::2 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    );
  });

  it('counts every container of a multi-container pod', async () => {
    const containers = [
      { name: 'app', image: 'example/checkout' },
      { name: 'sidecar', image: 'example/proxy' },
    ];
    await createPod('checkout-1', containers);
    await reportRunning('checkout-1', containers, ['10.244.1.3']);
    const [, row] = table(await kubectl.ok(['-n', 'shop', 'get', 'pod', 'checkout-1']));
    expect(row?.slice(0, 3)).to.deep.equal(['checkout-1', '2/2', 'Running']);
  });
});
