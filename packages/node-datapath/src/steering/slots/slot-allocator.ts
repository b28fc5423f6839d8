// Which gateway node holds which slot (mark, route table, rule priority), kept from one apply to the next.
//
// Slots must be stable: a packet's mark is set in mangle, its route is looked up in the slot's table, and the two
// change in different kernel operations. If slots followed the sorted gateway list, a gateway leaving would move
// slot 0's route to another gateway before the mangle rules stop using slot 0, and pods would briefly be steered
// to a gateway that does not SNAT them. So:
// - a gateway keeps its slot for as long as some steer rule uses it;
// - a new gateway gets the lowest free slot (new gateways in name order, so a fresh allocator numbers a table
//   exactly as `render` shows it);
// - a slot released by an apply is not handed out by that same apply (its old rule, route and marks are still in
//   the kernel until the apply's last step removes them), only by a later one;
// - after the kernel is read (a restarted agent, drift, a failed apply), `adopt` replaces the history with what
//   the kernel holds, so the numbering continues where the kernel's rules and routes are.
import type { GatewaySlot, SlotLayout } from './slot-layout.js';

export interface SlotAllocation {
  /** One slot per gateway that got one, by slot index. */
  slots: GatewaySlot[];
  /**
   * Gateways left without a slot by this apply: every free slot is still being released. Their steer rules
   * must not be programmed now; the next apply gives them a slot (see backend-iptables' proxier).
   */
  deferred: string[];
}

/** Slots the kernel holds: index → the gateway node it steers to, or undefined when no gateway claims it. */
export type SlotsInKernel = ReadonlyMap<number, string | undefined>;

export class GatewaySlotAllocator {
  /** Gateway node → slot index, as of the last allocation or adoption. */
  private held = new Map<string, number>();
  /** Slots the kernel holds for no current gateway (found by `adopt`); unavailable to the next allocation. */
  private unclaimed = new Set<number>();

  constructor(private readonly layout: SlotLayout) {}

  /** Forgets the history: the kernel holds these slots, and nothing else of ours. */
  adopt(kernel: SlotsInKernel): void {
    this.held = new Map();
    this.unclaimed = new Set();
    for (const [index, node] of [...kernel].sort(([a], [b]) => a - b)) {
      if (node !== undefined && !this.held.has(node)) this.held.set(node, index);
      else this.unclaimed.add(index);
    }
  }

  /** The slots of the next apply, which steers to exactly `gateways`. Throws when they cannot all fit. */
  allocate(gateways: readonly string[]): SlotAllocation {
    const wanted = [...new Set(gateways)].sort();
    if (wanted.length > this.layout.capacity) throw this.layout.tooManyGateways(wanted.length);
    const next = new Map<string, number>();
    for (const node of wanted) {
      const index = this.held.get(node);
      if (index !== undefined) next.set(node, index);
    }
    // Released now (gone gateways, unclaimed kernel slots): still in the kernel until this apply ends.
    const unavailable = new Set([...this.held.values(), ...this.unclaimed]);
    const deferred: string[] = [];
    let candidate = 0;
    for (const node of wanted) {
      if (next.has(node)) continue;
      while (candidate < this.layout.capacity && unavailable.has(candidate)) candidate++;
      if (candidate === this.layout.capacity) {
        deferred.push(node);
        continue;
      }
      next.set(node, candidate);
      unavailable.add(candidate);
    }
    this.held = next;
    this.unclaimed = new Set();
    const slots = [...next]
      .sort(([, a], [, b]) => a - b)
      .map(([node, index]) => this.layout.slot(index, node));
    return { slots, deferred };
  }
}
