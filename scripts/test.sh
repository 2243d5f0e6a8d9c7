#!/usr/bin/env bash
# Runs every test: installs dependencies, builds, then ctest. Each test binary starts
# the PostgreSQL and nats-server instances it needs in temporary directories.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
bash scripts/install-test-tools.sh
cd build
ctest --output-on-failure -j "$(nproc)" "$@"
