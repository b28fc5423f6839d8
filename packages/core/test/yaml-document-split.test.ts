// Splitting a YAML stream into documents by its markers, as YAML counts them, without parsing.
import { expect } from 'chai';
import { splitYamlDocuments } from '../src/cli/yaml-document-split.js';

const split = (text: string): { document: number; firstLine: number; text: string }[] => [
  ...splitYamlDocuments(text),
];

describe('splitting YAML documents', () => {
  it('numbers documents from 1, with the line each starts on', () => {
    expect(split('a: 1\n---\nb: 2\n--- c\n')).to.deep.equal([
      { document: 1, firstLine: 0, text: 'a: 1\n' },
      { document: 2, firstLine: 1, text: '---\nb: 2\n' },
      { document: 3, firstLine: 3, text: '--- c\n' },
    ]);
  });

  it('keeps comments and directives with the document they precede, and counts an explicit empty one', () => {
    expect(
      split('# c\n%YAML 1.2\n---\na: 1\n...\n# after\n---\n---\nb: 2\n').map((d) => d.text),
    ).to.deep.equal(['# c\n%YAML 1.2\n---\na: 1\n', '\n# after\n---\n', '---\nb: 2\n']);
  });

  it('yields nothing for a stream of comments, and one document for text without markers', () => {
    expect(split('# only\n\n')).to.deep.equal([]);
    expect(split('a: |\n  ---not a marker\n  text\n').map((d) => d.document)).to.deep.equal([1]);
  });

  it('does not take `----` or `---x` for markers', () => {
    expect(split('a: 1\n----\n---x: 2\n')).to.have.length(1);
  });
});
