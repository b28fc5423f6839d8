// Reads the table `kubectl get` prints into rows keyed by column header. Columns are cut at the offsets
// where the headers start (kubectl left-aligns every column under its header), so a cell is never split
// or merged with its neighbour, whatever it contains.

export interface PrintedTable {
  headers: string[];
  rows: Record<string, string>[];
}

export function parsePrintedTable(output: string): PrintedTable {
  const lines = output.split('\n').filter((line) => line.trim() !== '');
  const [headerLine, ...rowLines] = lines;
  if (headerLine === undefined) throw new Error(`kubectl printed no table: ${JSON.stringify(output)}`);
  const starts = [...headerLine.matchAll(/\S+/g)].map((m) => m.index);
  const headers = [...headerLine.matchAll(/\S+/g)].map((m) => m[0]);
  const rows = rowLines.map((line) =>
    Object.fromEntries(
      headers.map((header, i) => [header, line.slice(starts[i], starts[i + 1] ?? line.length).trim()]),
    ),
  );
  return { headers, rows };
}
