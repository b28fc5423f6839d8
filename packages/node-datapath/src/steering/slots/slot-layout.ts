// How gateway slots are numbered. Each gateway node steered to gets one slot: a fwmark value inside the mask, a
// routing table and an ip rule priority, all derived from the slot's index. Which node holds which index is the
// allocator's business (slot-allocator.ts); this file only maps indexes to numbers and back.
import type { NodeDatapathOptions } from '../../options/node-options.js';
import { hex } from '../../options/option-reader.js';

export interface GatewaySlot {
  node: string;
  mark: number;
  table: number;
  priority: number;
}

export type SlotNumbering = Pick<NodeDatapathOptions, 'mark' | 'mask' | 'routeTableBase' | 'rulePriority'>;

export class SlotLayout {
  /** How many distinct marks fit in the mask starting at the first mark. */
  readonly capacity: number;
  private readonly step: number;

  constructor(private readonly numbering: SlotNumbering) {
    this.step = lowestBit(numbering.mask);
    this.capacity = markCapacity(numbering);
  }

  slot(index: number, node: string): GatewaySlot {
    if (!Number.isInteger(index) || index < 0 || index >= this.capacity) {
      throw new RangeError(`slot index ${index} is outside 0..${this.capacity - 1}`);
    }
    return {
      node,
      mark: (this.numbering.mark + index * this.step) >>> 0,
      table: this.numbering.routeTableBase + index,
      priority: this.numbering.rulePriority + index,
    };
  }

  /** The index whose mark this is, if it is one of ours (inside the mask, on the step, in range). */
  indexOfMark(mark: number): number | undefined {
    const offset = mark - this.numbering.mark;
    if ((mark & ~this.numbering.mask) !== 0 || offset < 0 || offset % this.step !== 0) return undefined;
    return this.inRange(offset / this.step);
  }

  indexOfTable(table: number): number | undefined {
    return this.inRange(table - this.numbering.routeTableBase);
  }

  /** The error for a table that steers to more gateways than the mask leaves marks for. */
  tooManyGateways(count: number): Error {
    return new Error(
      `${count} gateway nodes need distinct marks but mark ${hex(this.numbering.mark)} in mask ${hex(this.numbering.mask)} leaves room for ${this.capacity}`,
    );
  }

  private inRange(index: number): number | undefined {
    return Number.isInteger(index) && index >= 0 && index < this.capacity ? index : undefined;
  }
}

/** How many distinct marks fit in the mask starting at `mark`. */
export function markCapacity(options: Pick<SlotNumbering, 'mark' | 'mask'>): number {
  const step = lowestBit(options.mask);
  return Math.floor((options.mask - options.mark) / step) + 1;
}

/** The routing tables a node backend may use: one per possible mark. Cleanup looks only inside this range. */
export function routeTableRange(options: SlotNumbering): { first: number; last: number } {
  return { first: options.routeTableBase, last: options.routeTableBase + markCapacity(options) - 1 };
}

function lowestBit(mask: number): number {
  return (mask & -mask) >>> 0;
}
