// The documents of one manifest file, one at a time. A cluster dump (`kubectl get … -o json`) is parsed
// with JSON.parse, the fastest parser Node has; YAML is split into documents first and each is parsed on
// its own with js-yaml, which builds plain values directly (the `yaml` package's syntax tree costs about
// 30× JSON.parse in time and 8× in memory, too much for a dump of a large cluster). The caller converts
// and drops each document before asking for the next.
import { CORE_SCHEMA, load, YAMLException } from 'js-yaml';
import { expandedValueCount, mayContainAlias } from './alias-expansion.js';
import { ManifestError } from './manifest-location.js';
import { splitYamlDocuments } from './yaml-document-split.js';

export interface ManifestDocument {
  /** 1-based position of the document in its file. */
  document: number;
  /** The parsed document: null for an empty one. */
  value: unknown;
}

/**
 * How many values a document's aliases may expand it to: ordinary anchors (labels shared by a hundred
 * pods) stay far below, an alias bomb (billions of values from a few hundred bytes) far above. A document
 * without aliases has fewer values than bytes.
 */
export function expansionLimit(documentBytes: number): number {
  return 100_000 + 10 * documentBytes;
}

export function* manifestDocuments(text: string, file: string): Generator<ManifestDocument> {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const json = looksLikeJson(source) ? parseJson(source) : undefined;
  if (json !== undefined) {
    yield { document: 1, value: json.value };
    return;
  }
  for (const { document, firstLine, text: documentText } of splitYamlDocuments(source)) {
    yield { document, value: parseYamlDocument(documentText, file, document, firstLine) };
  }
}

function looksLikeJson(text: string): boolean {
  const first = /\S/.exec(text)?.[0];
  return first === '{' || first === '[';
}

/** JSON.parse's value, or undefined when the text is not JSON (a YAML flow mapping starts with `{` too). */
function parseJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

function parseYamlDocument(text: string, file: string, document: number, firstLine: number): unknown {
  const where = `${file}: document ${document}`;
  let value: unknown;
  try {
    // The core schema, as Kubernetes reads YAML: no timestamps turned into dates, no merge keys.
    value = load(text, { schema: CORE_SCHEMA });
  } catch (error) {
    if (!(error instanceof YAMLException)) throw error;
    const line = error.mark.line + firstLine + 1;
    throw new ManifestError(`${where}: line ${line}, column ${error.mark.column + 1}: ${error.reason}`);
  }
  if (mayContainAlias(text)) {
    const limit = expansionLimit(text.length);
    if (expandedValueCount(value, limit) > limit)
      throw new ManifestError(
        `${where}: its aliases expand to more than ${limit} values (from ${text.length} bytes): refused as an alias bomb`,
      );
  }
  return value;
}
