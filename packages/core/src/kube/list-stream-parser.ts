// Parses a Kubernetes list response as it streams in, handing each element of `items` to a callback as
// soon as its bytes are complete. A 150,000-pod list is over 100 MB of JSON: parsing it whole would hold the
// text and the full object tree at once (and the process keeps that RSS); item by item, only one pod is
// ever materialised. Everything outside `items` (kind, metadata.resourceVersion) is parsed at the end.
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COLON = 0x3a;

export class ListStreamParser {
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Bytes of a top-level key being read (keys of the list object are the only strings decoded). */
  private keyParts: Buffer[] | undefined;
  private keyFrom = 0;
  private lastKey = '';
  private topKey = '';
  /** Nesting inside the items array: 0 outside it, 1 in the array, ≥ 2 inside an item. */
  private itemsDepth = 0;
  private itemParts: Buffer[] = [];
  private itemFrom = 0;
  private readonly skeleton: Buffer[] = [];

  constructor(private readonly onItem: (item: unknown) => void) {}

  write(chunk: Buffer): void {
    let skeletonFrom = this.itemsDepth === 0 ? 0 : -1;
    this.itemFrom = 0;
    this.keyFrom = 0;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i] as number;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (byte === BACKSLASH) this.escaped = true;
        else if (byte === QUOTE) {
          this.inString = false;
          if (this.keyParts) {
            this.keyParts.push(chunk.subarray(this.keyFrom, i));
            this.lastKey = Buffer.concat(this.keyParts).toString('utf8');
            this.keyParts = undefined;
          }
        }
        continue;
      }
      if (byte === QUOTE) {
        this.inString = true;
        if (this.depth === 1 && this.itemsDepth === 0) {
          this.keyParts = [];
          this.keyFrom = i + 1;
        }
      } else if (byte === COLON) {
        if (this.depth === 1 && this.itemsDepth === 0) this.topKey = this.lastKey;
      } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
        this.depth++;
        if (this.itemsDepth > 0) {
          this.itemsDepth++;
          if (this.itemsDepth === 2) this.itemFrom = i;
        } else if (byte === OPEN_ARRAY && this.depth === 2 && this.topKey === 'items') {
          this.itemsDepth = 1;
          this.skeleton.push(chunk.subarray(skeletonFrom, i + 1));
          skeletonFrom = -1;
        }
      } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
        this.depth--;
        if (this.itemsDepth > 0) {
          this.itemsDepth--;
          if (this.itemsDepth === 1) {
            this.itemParts.push(chunk.subarray(this.itemFrom, i + 1));
            const text = Buffer.concat(this.itemParts).toString('utf8');
            this.itemParts = [];
            this.onItem(JSON.parse(text));
          } else if (this.itemsDepth === 0) skeletonFrom = i;
        }
      }
    }
    if (this.keyParts) this.keyParts.push(chunk.subarray(this.keyFrom));
    // An item still open continues in the next chunk (copied: the chunk's memory may be reused).
    if (this.itemsDepth >= 2) this.itemParts.push(Buffer.from(chunk.subarray(this.itemFrom)));
    if (skeletonFrom >= 0) this.skeleton.push(Buffer.from(chunk.subarray(skeletonFrom)));
  }

  /** The list without its items (e.g. `metadata.resourceVersion`). */
  end(): Record<string, unknown> {
    if (this.depth !== 0 || this.inString) throw new Error('list response ended early');
    return JSON.parse(Buffer.concat(this.skeleton).toString('utf8')) as Record<string, unknown>;
  }
}
