// The map layouts as the C compiler laid them out, read from the BTF of bpf/btf/egress_layouts.c (the maps are
// declared by size, so their dumps carry no BTF view): an entry's raw bytes split into the struct's members,
// numbers in host order and byte arrays as arrays — what `bpftool map dump` prints as `formatted` for a map
// with BTF. Tests compare the TypeScript decoders against this, so a layout change in C that src/ misses fails.
import { endianness } from 'node:os';
import { fileURLToPath } from 'node:url';
import { run } from '@egress-proxier/netlab';

export const LAYOUTS_OBJECT = fileURLToPath(new URL('../../bpf/btf/egress_layouts.o', import.meta.url));

export type Formatted = Record<string, number | number[]>;

interface BtfType {
  id: number;
  kind: string;
  name?: string;
  size?: number;
  type_id?: number;
  nr_elems?: number;
  members?: { name: string; type_id: number; bits_offset: number }[];
}

export class BtfLayouts {
  private constructor(private readonly types: Map<number, BtfType>) {}

  static async read(object = LAYOUTS_OBJECT): Promise<BtfLayouts> {
    const dump = JSON.parse((await run('bpftool', ['-j', 'btf', 'dump', 'file', object])).stdout) as {
      types: BtfType[];
    };
    return new BtfLayouts(new Map(dump.types.map((type) => [type.id, type])));
  }

  /** `bytes` (one key or value) as the members of `struct name`. */
  format(name: string, bytes: Buffer): Formatted {
    const struct = [...this.types.values()].find((type) => type.kind === 'STRUCT' && type.name === name);
    if (struct?.members === undefined) throw new Error(`no struct ${name} in the layouts' BTF`);
    if (struct.size !== bytes.length)
      throw new Error(`struct ${name} is ${struct.size} bytes, the entry ${bytes.length}`);
    const formatted: Formatted = {};
    for (const member of struct.members) {
      const offset = member.bits_offset / 8;
      const { kind, size, elems } = this.shape(member.type_id);
      const field = bytes.subarray(offset, offset + size * elems);
      formatted[member.name] = kind === 'array' ? [...field] : hostNumber(field);
    }
    return formatted;
  }

  /** A member type's element size and count, through typedefs and qualifiers. */
  private shape(id: number): { kind: 'int' | 'array'; size: number; elems: number } {
    const type = this.types.get(id);
    if (type === undefined) throw new Error(`BTF type ${id} missing`);
    if (type.kind === 'INT') return { kind: 'int', size: type.size ?? 0, elems: 1 };
    if (type.kind === 'ARRAY') {
      const element = this.shape(type.type_id ?? 0);
      return { kind: 'array', size: element.size, elems: type.nr_elems ?? 0 };
    }
    if (type.type_id !== undefined) return this.shape(type.type_id); // TYPEDEF, VOLATILE, CONST
    throw new Error(`BTF type ${id} (${type.kind}) is not a member type the layouts use`);
  }
}

function hostNumber(bytes: Buffer): number {
  const little = endianness() === 'LE';
  if (bytes.length === 8) return Number(little ? bytes.readBigUInt64LE() : bytes.readBigUInt64BE());
  return little ? bytes.readUIntLE(0, bytes.length) : bytes.readUIntBE(0, bytes.length);
}
