#!/usr/bin/env bash
# Installs the system packages the tests and demo use, and the npm dependencies from the lockfile.
set -euo pipefail
cd "$(dirname "$0")/.."

# What the real-kernel suites, the demo and the kubectl-driven tests run.
# clang, llvm and libbpf-dev build the eBPF backend's programs (npm run build); bpftool loads them; python3
# runs the eBPF tests' raw-socket ICMP probe (packages/backend-ebpf-loader/test/support/icmp-probe.py).
apt_packages=(iproute2 procps iptables ipset arping libndp-tools conntrack curl nftables clang llvm libbpf-dev bpftool python3)
# The guest lab (docs/guest-lab.md), where the IPVS backend's tests run on Debian's cloud kernel: qemu and its
# virtiofsd, a static busybox and kmod for the initramfs, ipvsadm for the tests. Without recommends: qemu's
# pull in a GUI and firmware the lab does not use.
guest_packages=(qemu-system-x86 busybox-static kmod ipvsadm)
missing_from() {
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || echo "$pkg"
  done
}
mapfile -t missing < <(missing_from "${apt_packages[@]}")
mapfile -t missing_guest < <(missing_from "${guest_packages[@]}")
if [ "$((${#missing[@]} + ${#missing_guest[@]}))" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing system packages: ${missing[*]} ${missing_guest[*]} (run as root, or install them)" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]} ${missing_guest[*]}"
  apt-get update -qq
  [ "${#missing[@]}" -eq 0 ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  [ "${#missing_guest[@]}" -eq 0 ] ||
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing_guest[@]}" >/dev/null
fi

# The guest's kernel (downloaded from Debian, ~27 MB) and initramfs, under build/guest; a no-op when current.
scripts/guest/build-image.sh >/dev/null

# kubectl comes with the machine image: Debian's kubernetes-client (1.20) is too old for `apply -k` and
# `patch --subresource`, which the kubectl-driven tests and the demo use.
if ! command -v kubectl >/dev/null 2>&1; then
  echo "setup: kubectl (1.24 or newer) is required and is not on PATH; install it from the Kubernetes release" >&2
  exit 1
fi

npm ci --no-audit --no-fund
