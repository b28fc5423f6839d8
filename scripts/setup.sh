#!/usr/bin/env bash
# Installs the system packages the tests and demo use, and the npm dependencies from the lockfile.
set -euo pipefail
cd "$(dirname "$0")/.."

# What the real-kernel suites, the demo and the kubectl-driven tests run.
apt_packages=(iproute2 procps iptables ipset arping conntrack curl kubectl)
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

npm ci --no-audit --no-fund
