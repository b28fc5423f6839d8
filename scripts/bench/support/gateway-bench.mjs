// What the gateway benchmarks share (iptables.mjs, datapaths.mjs): a 2,000-policy gateway table, one pod
// event on it, new-connection and single-stream rates measured from a lab pod, and a proxier Exec into a lab
// namespace. The client pod is matched by the LAST policy (the worst case for a linear chain). Synthetic
// sources other than the client are 10.x addresses that never send; egress IPs other than the client's are
// from the benchmarking range 198.18.0.0/15 and only exist inside the lab.
export const POLICIES = 2000;
export const EXTERNAL = '203.0.113.10';
export const CLIENT_EGRESS_IP = '192.0.2.100';
export const RATE_SECONDS = 3;
export const CONCURRENCY = 32;

/** A gateway hosting POLICIES egress IPs; policy i snats `perPolicy` sources to its own IP. The client is last. */
export function generateTable(lab, gateway, clientIP, perPolicy) {
  const sourceSets = [];
  const rules = [];
  const hosted = [];
  let next = 0;
  for (let i = 0; i < POLICIES; i++) {
    const last = i === POLICIES - 1;
    const egressIP = last ? CLIENT_EGRESS_IP : `198.18.${i >> 8}.${i & 0xff}`;
    const addresses = [];
    for (let k = 0; k < perPolicy; k++) {
      if (last && k === 0) addresses.push(clientIP);
      else {
        const n = next++;
        addresses.push(`10.${(n >> 16) & 0xff}.${(n >> 8) & 0xff}.${n & 0xff}`);
      }
    }
    const id = `policy-${String(i).padStart(4, '0')}/${egressIP}`;
    sourceSets.push({ id, policy: `policy-${i}`, family: 4, addresses: addresses.sort() });
    rules.push({
      policy: `policy-${i}`,
      family: 4,
      sourceSet: id,
      destination: '0.0.0.0/0',
      excludedCIDRs: [],
      failurePolicy: 'FailOpen',
      action: { kind: 'snat', egressIP },
    });
    hosted.push({ ip: egressIP, family: 4, policies: [`policy-${i}`] });
  }
  return {
    node: gateway.name,
    clusterCIDRs: ['10.244.0.0/16', ...lab.nodes.map((node) => `${node.ip}/32`)].sort(),
    hostedEgressIPs: hosted.sort((a, b) => a.ip.localeCompare(b.ip)),
    sourceSets: sourceSets.sort((a, b) => a.id.localeCompare(b.id)),
    rules,
  };
}

/** The same table after one pod event: one new pod in the first policy's source set. */
export function withOneMorePod(table) {
  const [first, ...rest] = table.sourceSets;
  return {
    ...table,
    sourceSets: [{ ...first, addresses: [...first.addresses, '10.255.255.254'].sort() }, ...rest],
  };
}

/**
 * New connections per second from the client pod: CONCURRENCY loops of connect → half-close → read the
 * server's answer (the source it saw, which must be `expectedSource`) → close, for RATE_SECONDS.
 */
export async function connectionRate(lab, pod, expectedSource) {
  const code = `
    import { connect } from 'node:net';
    const [host, port, seconds, concurrency, expected] = process.argv.slice(1);
    const deadline = Date.now() + Number(seconds) * 1000;
    let done = 0, wrong = 0, failed = 0;
    const once = () => new Promise((resolve) => {
      const socket = connect({ host, port: Number(port) });
      let answer = '';
      socket.setTimeout(2000, () => { failed++; socket.destroy(); resolve(); });
      socket.on('connect', () => socket.end());
      socket.on('data', (data) => (answer += data));
      socket.on('end', () => { if (answer.split(' ')[0] === expected) done++; else wrong++; socket.destroy(); resolve(); });
      socket.on('error', () => { failed++; resolve(); });
    });
    const loop = async () => { while (Date.now() < deadline) await once(); };
    await Promise.all(Array.from({ length: Number(concurrency) }, loop));
    console.log(JSON.stringify({ done, wrong, failed }));
  `;
  const result = await lab.exec(
    pod.namespace,
    process.execPath,
    [
      '--input-type=module',
      '-e',
      code,
      EXTERNAL,
      '8080',
      String(RATE_SECONDS),
      String(CONCURRENCY),
      expectedSource,
    ],
    { timeoutMs: (RATE_SECONDS + 10) * 1000 },
  );
  const { done, wrong, failed } = JSON.parse(result.stdout.trim());
  if (wrong > 0 || done === 0) {
    throw new Error(`connections left with the wrong source or none completed: ${result.stdout.trim()}`);
  }
  if (failed > done / 100) console.warn(`  (${failed} failed connections next to ${done} completed)`);
  return Math.round(done / RATE_SECONDS);
}

/** MB/s of one connection sending `bytes` from the pod (every packet after the first is established). */
export async function uploadRate(lab, pod, expectedSource, bytes) {
  const started = performance.now();
  const result = await lab.send(pod, EXTERNAL, bytes, undefined, 60_000);
  if (result.source !== expectedSource || result.bytes !== bytes) {
    throw new Error(`upload left as ${result.source} with ${result.bytes} bytes`);
  }
  return Math.round(bytes / 1e6 / ((performance.now() - started) / 1000));
}

/** A proxier's Exec into a lab namespace (generous timeouts: 150,000-entry restores and batches). */
export function namespaceExec(lab, namespace) {
  return {
    async run(request) {
      const result = await lab.exec(namespace, request.command, request.args, {
        allowFailure: true,
        timeoutMs: request.timeoutMs ?? 120_000,
        ...(request.input === undefined ? {} : { input: request.input }),
      });
      const allowed = [0, ...(request.allowedExitCodes ?? [])];
      if (!allowed.includes(result.exitCode)) {
        throw new Error(`${request.command} ${request.args.join(' ')} failed: ${result.stderr.trim()}`);
      }
      return result;
    },
  };
}

export function round(value) {
  return +value.toFixed(1);
}

export function ratio(a, b) {
  return +(a / b).toFixed(2);
}

export function fmt(ms) {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
}
