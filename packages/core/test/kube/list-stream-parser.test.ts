import { expect } from 'chai';
import { ListStreamParser } from '../../src/kube/list-stream-parser.js';

const list = {
  kind: 'PodList',
  apiVersion: 'v1',
  metadata: { resourceVersion: '42' },
  items: [
    { metadata: { name: 'a', labels: { 'x{': '}]"' } }, status: { podIPs: [{ ip: '10.0.0.1' }] } },
    { metadata: { name: 'b\\"[' }, spec: { items: [1, [2, { c: '"items":[' }]] } },
    { metadata: { name: 'c' } },
  ],
};

describe('ListStreamParser', () => {
  const text = Buffer.from(JSON.stringify(list, null, 1));
  for (const size of [1, 2, 3, 7, 64, text.length]) {
    it(`yields every item and the list skeleton with ${size}-byte chunks`, () => {
      const items: unknown[] = [];
      const parser = new ListStreamParser((item) => items.push(item));
      for (let i = 0; i < text.length; i += size) parser.write(text.subarray(i, i + size));
      expect(items).to.deep.equal(list.items);
      expect(parser.end()).to.deep.equal({ ...list, items: [] });
    });
  }

  it('rejects a truncated response', () => {
    const parser = new ListStreamParser(() => undefined);
    parser.write(text.subarray(0, text.length - 5));
    expect(() => parser.end()).to.throw(/ended early/);
  });
});
