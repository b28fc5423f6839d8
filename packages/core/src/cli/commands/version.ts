import { readFileSync } from 'node:fs';
import type { CommandModule } from 'yargs';

export function coreVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

export const versionCommand: CommandModule = {
  command: 'version',
  describe: 'Print the version of egress-proxier',
  handler: () => {
    process.stdout.write(`egress-proxier ${coreVersion()} (node ${process.version})\n`);
  },
};
