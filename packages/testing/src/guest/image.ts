// The guest's kernel and initramfs, built from Debian packages by scripts/guest/build-image.sh (the project's
// setup runs it; so does the first boot after a plain setup). It rebuilds only when a version changed.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** This file is packages/testing/dist/src/guest/image.js: five levels below the repository. */
export const REPO_ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));
const BUILD_SCRIPT = `${REPO_ROOT}scripts/guest/build-image.sh`;

export interface GuestImage {
  kernel: string;
  initrd: string;
  /** The kernel's `uname -r`. */
  release: string;
  /** The extracted package root the guest loads modules from (`modprobe -d`), seen over virtiofs. */
  modulesRoot: string;
  kernelPackage: string;
  kernelVersion: string;
  busyboxVersion: string;
}

/** Where images, console logs and the extracted kernel live: build/guest, or $EGP_GUEST_DIR. */
export function guestBuildDir(): string {
  return process.env.EGP_GUEST_DIR ?? `${REPO_ROOT}build/guest`;
}

export async function ensureGuestImage(): Promise<GuestImage> {
  let manifestPath: string;
  try {
    // A first build downloads ~27 MB; later calls only ask apt which version is current (~0.6 s).
    const { stdout } = await promisify(execFile)('bash', [BUILD_SCRIPT], { timeout: 10 * 60_000 });
    manifestPath = stdout.trim().split('\n').pop() ?? '';
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`building the guest image failed: ${stderr || (error as Error).message}`, {
      cause: error,
    });
  }
  return JSON.parse(await readFile(manifestPath, 'utf8')) as GuestImage;
}
