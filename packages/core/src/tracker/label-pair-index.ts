// Items indexed by `key=value` label pairs, so "which namespaces carry team=a" or "which policies need
// team=a" is a lookup instead of a scan over thousands of objects.
import type { Labels } from '../selectors/label-selector-types.js';

const pair = (key: string, value: string): string => `${key}\u0000${value}`;
const NONE: ReadonlySet<never> = new Set();

export class LabelPairIndex<T> {
  private readonly items = new Map<string, Set<T>>();

  add(key: string, value: string, item: T): void {
    const id = pair(key, value);
    const set = this.items.get(id);
    if (set) set.add(item);
    else this.items.set(id, new Set([item]));
  }

  remove(key: string, value: string, item: T): void {
    const id = pair(key, value);
    const set = this.items.get(id);
    if (!set) return;
    set.delete(item);
    if (set.size === 0) this.items.delete(id);
  }

  addLabels(labels: Labels, item: T): void {
    for (const [key, value] of Object.entries(labels)) this.add(key, value, item);
  }

  removeLabels(labels: Labels, item: T): void {
    for (const [key, value] of Object.entries(labels)) this.remove(key, value, item);
  }

  get(key: string, value: string): ReadonlySet<T> {
    return this.items.get(pair(key, value)) ?? NONE;
  }
}
