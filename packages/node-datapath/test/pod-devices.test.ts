// Finding the devices local pods' traffic arrives on, from main-table routes as `ip -j route show` prints
// them for the CNIs' shapes: host routes onto veths (routed CNIs), a pod CIDR onto a bridge, and the routes
// to other nodes' pods through a gateway or an overlay device, which must not count.
import { expect } from 'chai';
import { devicesOfPods, parseDirectRoutes } from '../src/index.js';

const routed4 = JSON.stringify([
  { dst: 'default', gateway: '172.18.0.1', dev: 'eth0', flags: [] },
  { dst: '10.244.1.7', dev: 'cali1a2b3c', scope: 'link', flags: [] },
  { dst: '10.244.1.8', dev: 'cali4d5e6f', scope: 'link', flags: [] },
  { dst: '10.244.2.0/26', gateway: '172.18.0.3', dev: 'eth0', flags: [] },
  { type: 'blackhole', dst: '10.244.1.0/26', flags: [] },
  { dst: '172.18.0.0/16', dev: 'eth0', protocol: 'kernel', scope: 'link', prefsrc: '172.18.0.2', flags: [] },
]);
const bridged4 = JSON.stringify([
  { dst: '10.244.3.0/24', dev: 'cni0', protocol: 'kernel', scope: 'link', prefsrc: '10.244.3.1', flags: [] },
  { dst: '10.244.4.0/24', gateway: '10.244.4.0', dev: 'flannel.1', flags: ['onlink'] },
]);
const routed6 = JSON.stringify([
  { dst: 'fd00:10:244:1::7', dev: 'cali1a2b3c', metric: 1024, pref: 'medium', flags: [] },
  { dst: 'fd00:10:244:2::/64', gateway: 'fd00:172:18::3', dev: 'eth0', metric: 1024, flags: [] },
]);

describe('pod-facing devices', () => {
  it('keeps only direct unicast routes, never default or via a gateway', () => {
    expect(parseDirectRoutes(routed4, 4).map((route) => route.dst)).to.deep.equal([
      '10.244.1.7',
      '10.244.1.8',
      '172.18.0.0/16',
    ]);
  });

  it('maps each local pod to its veth (routed CNI) or its bridge (bridge CNI), dual-stack', () => {
    const routes = [
      ...parseDirectRoutes(routed4, 4),
      ...parseDirectRoutes(bridged4, 4),
      ...parseDirectRoutes(routed6, 6),
    ];
    const devices = devicesOfPods(routes, [
      { ip: '10.244.1.7', family: 4 },
      { ip: 'fd00:10:244:1::7', family: 6 },
      { ip: '10.244.1.8', family: 4 },
      { ip: '10.244.3.9', family: 4 },
      { ip: '10.244.3.5', family: 4 },
    ]);
    expect(Object.fromEntries(devices)).to.deep.equal({
      cali1a2b3c: ['10.244.1.7', 'fd00:10:244:1::7'],
      cali4d5e6f: ['10.244.1.8'],
      cni0: ['10.244.3.5', '10.244.3.9'],
    });
  });

  it("leaves out other nodes' pods (through a gateway or an overlay), so a gateway's uplink is not pulled in", () => {
    const routes = [...parseDirectRoutes(routed4, 4), ...parseDirectRoutes(bridged4, 4)];
    const devices = devicesOfPods(routes, [
      { ip: '10.244.2.5', family: 4 },
      { ip: '10.244.4.5', family: 4 },
    ]);
    expect([...devices.keys()]).to.deep.equal([]);
  });
});
