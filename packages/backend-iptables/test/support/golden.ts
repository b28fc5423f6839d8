// Golden files: test/golden/<name>.txt beside the sources; UPDATE_GOLDEN=1 rewrites them from the output.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RenderedDatapath } from '@egress-proxier/core';
import { expect } from 'chai';

const GOLDEN_DIR = new URL('../../../test/golden/', import.meta.url);

export function formatRendered(rendered: RenderedDatapath): string {
  return rendered.sections.map((section) => `### ${section.title}\n${section.content}`).join('\n');
}

export function expectGolden(name: string, actual: string): void {
  const path = fileURLToPath(new URL(`${name}.txt`, GOLDEN_DIR));
  if (process.env.UPDATE_GOLDEN === '1') {
    writeFileSync(path, actual);
    return;
  }
  let expected: string;
  try {
    expected = readFileSync(path, 'utf8');
  } catch {
    throw new Error(`golden file ${path} is missing; run the tests with UPDATE_GOLDEN=1 to create it`);
  }
  expect(actual, `rendered output differs from ${path} (UPDATE_GOLDEN=1 rewrites it)`).to.equal(expected);
}
