// Splits a byte stream into lines without rescanning or re-concatenating what came before: a single line
// may be tens of MB (a run's whole output), arriving in 64 KiB chunks.
export class LineSplitter {
  private pending: Buffer[] = [];

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (let end = chunk.indexOf(0x0a); end !== -1; end = chunk.indexOf(0x0a, start)) {
      this.pending.push(chunk.subarray(start, end));
      const line = Buffer.concat(this.pending).toString('utf8');
      this.pending = [];
      start = end + 1;
      this.onLine(line);
    }
    if (start < chunk.length) this.pending.push(chunk.subarray(start));
  }
}
