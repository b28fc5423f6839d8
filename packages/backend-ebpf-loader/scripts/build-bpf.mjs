// Compiles every bpf/*.c into dist/bpf/*.o with clang -O2 -g -target bpf (BTF-defined maps, libbpf headers),
// the form `bpftool prog loadall` loads. Run by the root `npm run build`; needs clang and libbpf-dev
// (scripts/setup.sh installs them) and fails naming what is missing.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const source = path.join(root, 'bpf');
const out = path.join(root, 'dist', 'bpf');
// asm/types.h lives under the multiarch include directory, which clang does not search for -target bpf.
const multiarch = ['/usr/include/x86_64-linux-gnu', '/usr/include/aarch64-linux-gnu'].filter(existsSync);

if (!existsSync('/usr/include/bpf/bpf_helpers.h')) {
  process.stderr.write(
    'build-bpf: /usr/include/bpf/bpf_helpers.h is missing: install libbpf-dev (scripts/setup.sh)\n',
  );
  process.exit(1);
}
mkdirSync(out, { recursive: true });
const headers = readdirSync(source).filter((name) => name.endsWith('.h'));
const newestHeader = Math.max(0, ...headers.map((name) => statSync(path.join(source, name)).mtimeMs));
for (const name of readdirSync(source).filter((file) => file.endsWith('.c'))) {
  const input = path.join(source, name);
  const output = path.join(out, name.replace(/\.c$/, '.o'));
  // Up to date: newer than its source and every header (the build runs on every `npm test`).
  if (existsSync(output) && statSync(output).mtimeMs > Math.max(statSync(input).mtimeMs, newestHeader))
    continue;
  const args = ['-O2', '-g', '-target', 'bpf', '-Wall', '-Werror', ...multiarch.map((dir) => `-I${dir}`)];
  try {
    execFileSync('clang', [...args, '-c', input, '-o', output], { stdio: 'inherit' });
  } catch (error) {
    const reason =
      error?.code === 'ENOENT' ? 'clang is not installed (scripts/setup.sh installs it)' : 'clang failed';
    process.stderr.write(`build-bpf: ${name}: ${reason}\n`);
    process.exit(1);
  }
}
