// `--backend=./path/to/package`: a directory is a package, as npm sees it. ESM cannot import a directory, so
// its entry is found the way Node resolves the package by name: `exports` ("." or the whole field, its
// `import` or `default` condition), else `main`, else `index.js`.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** The file to import for `absolute`: itself, or a package directory's entry point. */
export function packageEntry(absolute: string): string {
  if (!existsSync(absolute) || !statSync(absolute).isDirectory()) return absolute;
  const manifestPath = path.join(absolute, 'package.json');
  if (!existsSync(manifestPath)) return path.join(absolute, 'index.js');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { exports?: unknown; main?: unknown };
  const entry =
    exportedEntry(manifest.exports) ?? (typeof manifest.main === 'string' ? manifest.main : 'index.js');
  return path.resolve(absolute, entry);
}

function exportedEntry(exports: unknown): string | undefined {
  if (typeof exports === 'string') return exports;
  if (typeof exports !== 'object' || exports === null) return undefined;
  const fields = exports as Record<string, unknown>;
  if ('.' in fields) return exportedEntry(fields['.']);
  for (const condition of ['import', 'node', 'default'])
    if (condition in fields) return exportedEntry(fields[condition]);
  return undefined;
}
