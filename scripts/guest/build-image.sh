#!/usr/bin/env bash
# Builds the guest lab's kernel and initramfs (docs/guest-lab.md) from Debian packages, into build/guest/
# (or $EGP_GUEST_DIR): the cloud kernel that Debian's linux-image-cloud-amd64 currently points to, extracted
# with its modules (the guest loads them from there over virtiofs), and an initramfs made of the static
# busybox, the virtio modules and the init and egp-modprobe scripts beside this file.
#
# Idempotent: manifest.json records the kernel package and version, the busybox version and a digest of the
# scripts; nothing is rebuilt while they match. Prints the manifest's path.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="${EGP_GUEST_DIR:-$repo/build/guest}"
meta_package=linux-image-cloud-amd64
# Drivers the initramfs needs before it can reach the host: PCI transport, the host's root, the agent's port.
initrd_modules=(virtio_pci virtiofs virtio_console)

fail() {
  echo "build-image: $*" >&2
  exit 1
}
need() {
  command -v "$1" >/dev/null 2>&1 || fail "$1 is missing (apt-get install $2; scripts/setup.sh installs it)"
}
need apt-get apt
need apt-cache apt
need dpkg-deb dpkg
need depmod kmod
need modprobe kmod
need flock util-linux
need gzip gzip
need sha256sum coreutils
dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed' ||
  fail 'busybox-static is not installed (apt-get install busybox-static): the initramfs needs a static busybox'

mkdir -p "$out"
# Test processes call this concurrently; one builds, the others wait and find it done.
exec 9>"$out/.lock"
flock 9

# "<package> <version>" of the kernel the meta package depends on (one apt-cache call: each takes ~0.5 s).
resolve_kernel() {
  apt-cache show --no-all-versions "$meta_package" 2>/dev/null |
    sed -n 's/^Depends:.*\(linux-image-[^ ,]*\) (= \([^)]*\)).*/\1 \2/p;T;q' || true
}
resolved="$(resolve_kernel)"
if [ -z "$resolved" ] && [ "$(id -u)" -eq 0 ]; then
  apt-get update -qq
  resolved="$(resolve_kernel)"
fi
if [ -z "$resolved" ]; then
  if [ -f "$out/manifest.json" ]; then
    echo "build-image: apt does not know $meta_package (apt-get update?); keeping the image already built" >&2
    echo "$out/manifest.json"
    exit 0
  fi
  fail "apt does not know $meta_package: run apt-get update (Debian's main archive must be in the sources)"
fi
read -r kernel_package kernel_version <<<"$resolved"
release="${kernel_package#linux-image-}"
busybox_version="$(dpkg-query -W -f='${Version}' busybox-static)"
inputs_digest="$(cat "$here/init" "$here/modprobe" "$here/build-image.sh" | sha256sum | cut -d' ' -f1)"

kernel_dir="$out/kernel-${kernel_version//[^A-Za-z0-9.+-]/_}"
modules_root="$kernel_dir/root"
kernel="$modules_root/boot/vmlinuz-$release"
initrd="$out/initrd.gz"
manifest="$(
  cat <<JSON
{
  "kernelPackage": "$kernel_package",
  "kernelVersion": "$kernel_version",
  "release": "$release",
  "busyboxVersion": "$busybox_version",
  "inputsDigest": "$inputs_digest",
  "kernel": "$kernel",
  "initrd": "$initrd",
  "modulesRoot": "$modules_root"
}
JSON
)"
if [ -f "$out/manifest.json" ] && [ "$(cat "$out/manifest.json")" = "$manifest" ] && [ -f "$kernel" ] &&
  [ -f "$initrd" ]; then
  echo "$out/manifest.json"
  exit 0
fi

work="$(mktemp -d "$out/.work.XXXXXX")"
trap 'rm -rf "$work"' EXIT

if [ ! -f "$kernel_dir/.complete" ]; then
  echo "build-image: downloading $kernel_package $kernel_version" >&2
  # As root, apt's _apt sandbox user cannot write into our directory; downloading as root is fine here.
  sandbox=()
  [ "$(id -u)" -eq 0 ] && sandbox=(-o APT::Sandbox::User=root)
  (cd "$work" && apt-get download -qq "${sandbox[@]}" "$kernel_package=$kernel_version") ||
    fail "apt-get download $kernel_package=$kernel_version failed (apt-get update?)"
  dpkg-deb -x "$work/${kernel_package}_"*.deb "$work/root"
  [ -d "$work/root/lib/modules/$release" ] || fail "$kernel_package has no lib/modules/$release"
  # The package ships no modules.dep: modprobe (in the guest and below) needs it.
  depmod -b "$work/root" "$release"
  rm -rf "$out"/kernel-*
  mkdir -p "$kernel_dir"
  mv "$work/root" "$modules_root"
  touch "$kernel_dir/.complete"
fi
[ -f "$kernel" ] || fail "$kernel_package has no boot/vmlinuz-$release"

echo "build-image: packing the initramfs (busybox-static $busybox_version)" >&2
stage="$work/initrd"
mkdir -p "$stage"/{bin,sbin,etc,lib/modules,proc,sys,dev,host,tmp}
cp /bin/busybox "$stage/bin/busybox"
install -m 0755 "$here/init" "$stage/init"
install -m 0755 "$here/modprobe" "$stage/sbin/egp-modprobe"
: >"$stage/lib/modules/order"
# One modprobe per module: given several names, modprobe takes the others as module parameters.
for module in "${initrd_modules[@]}"; do
  modprobe -d "$modules_root" -S "$release" --show-depends "$module" | awk '$1 == "insmod" { print $2 }'
done | while read -r path; do
  name="$(basename "$path")"
  grep -qx "$name" "$stage/lib/modules/order" && continue
  cp "$path" "$stage/lib/modules/$name"
  echo "$name" >>"$stage/lib/modules/order"
done
(cd "$stage" && find . | /bin/busybox cpio -o -H newc 2>/dev/null) | gzip -1 >"$work/initrd.gz"
mv "$work/initrd.gz" "$initrd"
echo "$manifest" >"$out/manifest.json"
echo "$out/manifest.json"
