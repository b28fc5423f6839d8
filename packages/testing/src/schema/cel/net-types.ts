// CEL's `net.IP` and `net.CIDR` as @bufbuild/cel can carry them: custom CEL object types must be protobuf
// messages there, so each is a tiny message (address bytes, prefix length). Message equality then gives
// the library's `==` (same address; same address and length), as netip.Addr/Prefix comparison does.
import { create, createFileRegistry, type DescMessage } from '@bufbuild/protobuf';
import { reflect, type ReflectMessage } from '@bufbuild/protobuf/reflect';
import {
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FileDescriptorProtoSchema,
} from '@bufbuild/protobuf/wkt';
import { objectType } from '@bufbuild/cel';
import type { Addr, Prefix } from '../net/netip.js';

const optional = FieldDescriptorProto_Label.OPTIONAL;
const address = {
  name: 'address',
  jsonName: 'address',
  number: 1,
  type: FieldDescriptorProto_Type.BYTES,
  label: optional,
};
const prefix = {
  name: 'prefix',
  jsonName: 'prefix',
  number: 2,
  type: FieldDescriptorProto_Type.UINT32,
  label: optional,
};

export const netRegistry = createFileRegistry(
  create(FileDescriptorProtoSchema, {
    name: 'egress-proxier/testing/cel/net.proto',
    package: 'net',
    syntax: 'proto3',
    messageType: [
      { name: 'IP', field: [address] },
      { name: 'CIDR', field: [address, prefix] },
    ],
  }),
  () => undefined,
);

function message(name: string): DescMessage {
  const desc = netRegistry.getMessage(name);
  if (desc === undefined) throw new Error(`${name} is missing from the net registry`);
  return desc;
}

const ipDesc = message('net.IP');
const cidrDesc = message('net.CIDR');
export const IP_TYPE = objectType(ipDesc);
export const CIDR_TYPE = objectType(cidrDesc);

export function ipValue(addr: Addr): ReflectMessage {
  return reflect(ipDesc, create(ipDesc, { address: addr.bytes }));
}

export function cidrValue(value: Prefix): ReflectMessage {
  return reflect(cidrDesc, create(cidrDesc, { address: value.addr.bytes, prefix: value.bits }));
}

export function addrOf(ip: ReflectMessage): Addr {
  return { bytes: (ip.message as unknown as { address: Uint8Array }).address };
}

export function prefixOf(cidr: ReflectMessage): Prefix {
  const { address: bytes, prefix: bits } = cidr.message as unknown as { address: Uint8Array; prefix: number };
  return { addr: { bytes }, bits };
}
