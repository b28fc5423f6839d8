// Compiles every bpf/*.c into dist/bpf/*.o (and bpf/btf/*.c into dist/bpf/btf/*.o) with clang -O2 -g -target bpf (BTF-defined maps, libbpf headers),
// the form `bpftool prog loadall` loads. Run by the root `npm run build`; needs clang and libbpf-dev
// (scripts/setup.sh installs them) and fails naming what is missing.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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
const headers = readdirSync(source)
  .filter((name) => name.endsWith('.h'))
  .sort();
// bpf/*.c are the programs the agent loads; bpf/btf/*.c are never loaded: they carry the map layouts as BTF
// for the tests (the maps themselves are declared by size).
for (const [sources, objects] of [
  [source, out],
  [path.join(source, 'btf'), path.join(out, 'btf')],
]) {
  mkdirSync(objects, { recursive: true });
  for (const name of readdirSync(sources).filter((file) => file.endsWith('.c')))
    compile(path.join(sources, name), path.join(objects, name.replace(/\.c$/, '.o')));
}

function compile(input, output) {
  const args = ['-O2', '-g', '-target', 'bpf', '-Wall', '-Werror', ...multiarch.map((dir) => `-I${dir}`)];
  // Up to date when built from exactly these sources, headers and flags (the build runs on every `npm test`).
  // A content digest, not mtimes: a checkout or stash can leave sources older than a stale object.
  const digest = createHash('sha256').update(readFileSync(input));
  for (const file of headers) digest.update(file).update(readFileSync(path.join(source, file)));
  const stamp = digest.update(args.join(' ')).digest('hex');
  const stampFile = `${output}.sha256`;
  if (existsSync(output) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return;
  try {
    execFileSync('clang', [...args, '-c', input, '-o', output], { stdio: 'inherit' });
    writeFileSync(stampFile, stamp);
  } catch (error) {
    const reason =
      error?.code === 'ENOENT' ? 'clang is not installed (scripts/setup.sh installs it)' : 'clang failed';
    process.stderr.write(`build-bpf: ${path.basename(input)}: ${reason}\n`);
    process.exit(1);
  }
}
