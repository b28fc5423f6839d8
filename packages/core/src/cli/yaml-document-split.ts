// Splits a YAML stream into its documents' texts without parsing them, so that each document is parsed,
// converted and dropped before the next one is read. This is exact, not a heuristic: YAML 1.2 (§9.1.4,
// c-forbidden) forbids a line starting with `---` or `...` followed by white space or the end of the line
// inside any content, quoted and block scalars included, so such a line always marks a document boundary.

export interface YamlDocumentText {
  /** 1-based position of the document in the stream, as YAML tools count them. */
  document: number;
  /** 0-based line of the stream on which the document's text starts (for error positions). */
  firstLine: number;
  text: string;
}

const MARKER = /^(?:---|\.\.\.)(?=[ \t\r\n]|$)/gm;
/** A line that is not blank, not a comment and not a directive: the document has begun. */
const CONTENT_LINE = /^(?!%)[ \t]*[^\s#]/m;

export function* splitYamlDocuments(stream: string): Generator<YamlDocumentText> {
  let document = 0;
  let start = 0; // where the text of the document being collected starts
  let started = false; // whether it has begun (a `---` or content), or is still a prefix of comments
  const lines = lineCounter(stream);
  const emit = (end: number): YamlDocumentText | undefined => {
    const text = stream.slice(start, end);
    if (!started && !CONTENT_LINE.test(text)) return undefined;
    document++;
    return { document, firstLine: lines(start), text };
  };
  for (const marker of stream.matchAll(MARKER)) {
    const at = marker.index;
    if (marker[0] === '---') {
      // A `---` opens a document; the comments and directives before it belong to that document.
      if (started || CONTENT_LINE.test(stream.slice(start, at))) {
        const previous = emit(at);
        if (previous) yield previous;
        start = at;
      }
      started = true;
    } else {
      // `...` closes the document; what follows, up to the next `---`, is comments and directives.
      const previous = emit(at);
      if (previous) yield previous;
      start = at + marker[0].length;
      started = false;
    }
  }
  const last = emit(stream.length);
  if (last) yield last;
}

/** The 0-based line of an offset; offsets must not decrease from call to call (each counts on from the last). */
function lineCounter(stream: string): (offset: number) => number {
  let counted = 0;
  let line = 0;
  return (offset) => {
    for (let i = stream.indexOf('\n', counted); i !== -1 && i < offset; i = stream.indexOf('\n', i + 1)) {
      line++;
      counted = i + 1;
    }
    return line;
  };
}
