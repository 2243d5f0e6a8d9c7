#!/usr/bin/env bash
# Installs every Debian 12 package dbsplit needs to build, test and run the demo.
# Idempotent and quick when everything is present. Needs root (or sudo).
set -euo pipefail

# postgresql-15 itself ships the contrib modules (pg_stat_statements); Debian 12 has no
# separate postgresql-contrib-15 package, only a virtual name.
PACKAGES=(
  g++ cmake make pkg-config git
  libpqxx-dev libcli11-dev nlohmann-json3-dev libfmt-dev catch2
  libpg-query-dev libprotobuf-c-dev libcpp-httplib-dev libhttp-parser-dev libssl-dev
  libnats-dev nats-server libigraph-dev
  postgresql-15 postgresql-client-15
  graphviz wrk curl procps
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

# npm (for test-only tools) may already come with a nodejs that is not Debian's (the
# machine image's NodeSource build); Debian's npm would conflict with it.
if ! command -v npm >/dev/null 2>&1; then
  missing+=(npm)
fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "install-deps: missing packages: ${missing[*]}" >&2
    echo "install-deps: run this script as root (or install sudo) to install them" >&2
    exit 1
  fi
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# The packaged cluster is not used: dbsplit and its tests start their own instances.
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
