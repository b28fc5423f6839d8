#!/usr/bin/env bash
# Installs the system packages the tests and demo use, and the npm dependencies from the lockfile.
set -euo pipefail
cd "$(dirname "$0")/.."

# What the real-kernel suites, the demo and the kubectl-driven tests run.
# clang, llvm and libbpf-dev build the eBPF backend's programs (npm run build); bpftool loads them; python3
# runs the eBPF tests' raw-socket ICMP probe (packages/backend-ebpf-loader/test/support/icmp-probe.py).
apt_packages=(iproute2 procps iptables ipset arping libndp-tools conntrack curl nftables clang llvm libbpf-dev bpftool python3)
missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing system packages: ${missing[*]} (run as root, or install them)" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# kubectl comes with the machine image: Debian's kubernetes-client (1.20) is too old for `apply -k` and
# `patch --subresource`, which the kubectl-driven tests and the demo use.
if ! command -v kubectl >/dev/null 2>&1; then
  echo "setup: kubectl (1.24 or newer) is required and is not on PATH; install it from the Kubernetes release" >&2
  exit 1
fi

npm ci --no-audit --no-fund
