import { fileURLToPath } from 'node:url';

/** The repository root: this file runs from test/dist/deploy/, three levels below it. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
