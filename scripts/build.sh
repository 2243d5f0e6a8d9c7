#!/usr/bin/env bash
# Installs dependencies (if missing), configures and builds dbsplit into build/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
WERROR=OFF
if [ "${CI:-}" = "true" ]; then WERROR=ON; fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDBSPLIT_WERROR="$WERROR" >/dev/null
cmake --build build -j "$(nproc)"
