// Where an object came from in the files `render` reads, so that every message names the file, the
// document and, inside a `List`, the item (both counted from 1, as editors count lines).
export interface ManifestLocation {
  file: string;
  /** 1-based position of the document in its file. */
  document: number;
  /** 1-based position inside a `List` document's `items`, when the object came from one. */
  item?: number;
  kind: string;
  name: string;
}

export class ManifestError extends Error {
  override name = 'ManifestError';
}

export function describeLocation(location: ManifestLocation): string {
  const item = location.item === undefined ? '' : `, item ${location.item}`;
  const what = location.kind ? ` (${location.kind} ${location.name || '<unnamed>'})` : '';
  return `${location.file}: document ${location.document}${item}${what}`;
}
