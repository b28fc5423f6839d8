// The steering driver the options choose.
import type { NodeDatapathOptions } from '../../options/node-options.js';
import { IpvsSteering } from './ipvs-driver.js';
import { OnLinkSteering } from './onlink-driver.js';
import type { SteeringDriver } from './steering-driver.js';
import { VxlanSteering } from './vxlan-driver.js';

export function steeringDriver(options: NodeDatapathOptions, uplink: string): SteeringDriver {
  switch (options.steering) {
    case 'onlink':
      return new OnLinkSteering(uplink, options.mask, options.vxlanDevice);
    case 'vxlan':
      return new VxlanSteering(uplink, options.mask, {
        device: options.vxlanDevice,
        id: options.vxlanId,
        port: options.vxlanPort,
        mtu: options.vxlanMtu,
      });
    case 'ipvs':
      return new IpvsSteering(uplink, options.mask, options.ipvs);
  }
}
