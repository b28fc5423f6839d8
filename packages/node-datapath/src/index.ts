// @egress-proxier/node-datapath: what every Linux kernel backend on a node shares. A backend adds only its own
// datapath (chains and sets, an nftables table, BPF maps, IPVS services) between `prepareNode` and `retireNode`.

// Running kernel tools
export { commandLine, type Command } from './exec/command.js';
export { CommandRunner, type RunOptions } from './exec/command-runner.js';
export { ipBatch } from './exec/ip-batch.js';

// iproute2: output parsers and argument vectors
export {
  parseAddresses,
  parseDefaultRouteDevice,
  parseFloodRemotes,
  parseLinks,
  parseRoutes,
  parseDirectRoutes,
  type DirectRoute,
  parseRules,
  type KernelAddress,
  type KernelRoute,
  type KernelRule,
} from './iproute2/ip-json.js';
export { addressDelete, addressReplace } from './iproute2/address-commands.js';
export {
  routeFlush,
  routeReplace,
  ruleAdd,
  ruleDelete,
  throwRouteDelete,
  throwRouteReplace,
} from './iproute2/routing-commands.js';
export {
  fdbAppend,
  fdbDelete,
  VXLAN_DEVICE_ADDRESS,
  vxlanAddressAdd,
  vxlanCreate,
  vxlanDelete,
  vxlanUp,
} from './iproute2/vxlan-commands.js';

// Options every node backend shares
export {
  DEFAULT_NODE_OPTIONS,
  NODE_PLUGIN_OPTIONS,
  parseNodeOptions,
  STEERING_MODES,
  type IpvsSettings,
  type NodeDatapathOptions,
  type SteeringMode,
  type SteeringSelection,
} from './options/node-options.js';
export { CALICO_DEFAULT_MARK_BITS, KUBE_PROXY_MARK_BITS } from './options/mark-bits.js';
export { hex, OptionReader, OptionsError } from './options/option-reader.js';

// Node facts
export {
  detectUplink,
  nodeFactWarnings,
  readNodeFacts,
  strictReversePathFilter,
  uplinkAddress,
  type NodeFacts,
} from './node/node-facts.js';

// Egress addresses and their announcement
export { addressLabel, desiredAddresses, type EgressAddress } from './addresses/egress-address.js';
export { isOurAddress } from './addresses/ownership.js';
export { adoptAddresses, readOwnedAddresses } from './addresses/owned-addresses.js';
export { EgressAddressKeeper } from './addresses/address-keeper.js';
export { addAddresses, removeAddresses, renewAddresses } from './addresses/address-apply.js';
export { NeighbourAnnouncer, type Announcer } from './announce/announcer.js';
export { GratuitousArp } from './announce/gratuitous-arp.js';
export { UnsolicitedNeighbourAdvertisement } from './announce/unsolicited-na.js';

// Steering: drivers, policy routing, stable gateway slots
export type {
  DriverContext,
  GatewayHop,
  MssClamp,
  Run,
  SteeringDriver,
} from './steering/drivers/steering-driver.js';
export { IpvsSteering, tunnelDisowned, tunnelDown, tunnelUp } from './steering/drivers/ipvs-driver.js';
export { OnLinkSteering } from './steering/drivers/onlink-driver.js';
export { VxlanSteering, type VxlanSettings } from './steering/drivers/vxlan-driver.js';
export { steeringDriver } from './steering/drivers/create-driver.js';
export { addSteering, removeSteering } from './steering/policy-routing.js';
export { sameRule, type PolicyRuleKey, type SteeringRoute } from './steering/steering-route.js';
export type { VxlanSpec } from './steering/vxlan-spec.js';
export { dropSteeringTo, steeredGateways } from './steering/steered-gateways.js';
export {
  markCapacity,
  routeTableRange,
  SlotLayout,
  type GatewaySlot,
  type SlotNumbering,
} from './steering/slots/slot-layout.js';
export {
  GatewaySlotAllocator,
  type SlotAllocation,
  type SlotsInKernel,
} from './steering/slots/slot-allocator.js';
export { slotsInKernel, type SteeringInKernel } from './steering/slots/slots-in-kernel.js';
export { applyWithStableSlots } from './steering/slots/apply-with-slots.js';

// IPVS fwmark services (IPVS steering)
export { serviceKey, type IpvsService } from './ipvs/ipvs-service.js';
export { parseIpvsSave } from './ipvs/ipvsadm-save.js';
export { ipvsDeleteLines, ipvsRestoreText, planIpvs, type IpvsPlan } from './ipvs/ipvs-commands.js';
export {
  DECAPSULATION_DEVICES,
  EXPIRE_NODEST_CONN,
  isOurService,
  readIpvsView,
  type IpvsView,
} from './ipvs/ipvs-view.js';

// The node's kernel state: reading it back, drift, ownership, cleanup
export {
  nodeViewOfApplied,
  readNodeKernelView,
  readVxlan,
  type NodeKernelView,
  type VxlanView,
} from './kernel/node-kernel-view.js';
export { nodeDrift } from './kernel/kernel-drift.js';
export { inTableRange, isOurRoute, isOurRule } from './kernel/ownership.js';
export { cleanupNode } from './kernel/node-cleanup.js';

// The node-level datapath of a table, and applying it around a backend's own change
export { buildNodeDatapath, type NodeDatapath } from './datapath/node-datapath.js';
export { prepareNode, retireNode, type NodeApplyContext } from './datapath/node-applier.js';
export { devicesOfPods, podFacingDevices, type PodAddress } from './node/pod-devices.js';
export { nodePreflightChecks } from './preflight/node-preflight.js';
export {
  NETFILTER_SNAT_PORT_CAPACITY,
  conntrackCheck,
  countSnatPorts,
  readSnatPortUse,
} from './traffic/snat-port-census.js';
export { readNetfilterTraffic } from './traffic/netfilter-traffic.js';

// Established connections through a table change (an egress IP that moved)
export { ConnectionCarryOver } from './conntrack/connection-carry-over.js';
export {
  carryOverCommands,
  connectionActions,
  type ConnectionActions,
} from './conntrack/connection-actions.js';
export {
  commandLines,
  NODE_SECTION_TITLES,
  nodeSections,
  UPLINK_ADDRESS_PLACEHOLDER,
  UPLINK_PLACEHOLDER,
  type NodeSections,
} from './render/node-sections.js';
