#!/usr/bin/env bash
# The project's test command (README step 2): installs what the tests need, builds, lints, tests.
# Needs root for the kernel tools and network-namespace suites.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
npm run lint
npm test
