#!/usr/bin/env bash
# Install what ebb's build and tests need on Debian 12. Idempotent: when
# everything is present it only checks (no apt-get, no root needed).
# Runs unattended (CI, no terminal), as root when something must be installed.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

required=(
    build-essential cmake pkg-config
    libpq-dev postgresql-15 postgresql-contrib postgresql-15-partman
    libzstd-dev zstd zlib1g-dev gzip libsnappy-dev libssl-dev libinih-dev libcmocka-dev
    libcurl4-openssl-dev libxml2-dev curl
    python3
)
# `setup.sh bench`: also what bench/ needs (the hand-written reference archiver, timing).
if [ "${1:-}" = bench ]; then
    required+=(python3-psycopg2 python3-zstandard bc time procps)
fi
optional=(clang-format) # formatting only; the build and tests work without it

# One dpkg-query for all; it exits 1 when it knows a name not at all.
status=$(dpkg-query -W -f='${Package}\t${Status}\n' "${required[@]}" "${optional[@]}" \
    2>/dev/null || true)
installed() { grep -qxF "$1	install ok installed" <<<"$status"; }

missing_required=()
missing_optional=()
for p in "${required[@]}"; do installed "$p" || missing_required+=("$p"); done
for p in "${optional[@]}"; do installed "$p" || missing_optional+=("$p"); done
missing=("${missing_required[@]}" "${missing_optional[@]}")

if [ ${#missing[@]} -eq 0 ]; then
    echo "setup: all dependencies present"
elif [ "$(id -u)" -ne 0 ]; then
    if [ ${#missing_required[@]} -gt 0 ]; then
        echo "setup: error: missing packages: ${missing[*]}" >&2
        echo "setup: run this script as root to install them" >&2
        exit 1
    fi
    echo "setup: warning: optional packages missing (root installs them):" \
        "${missing_optional[*]}" >&2
else
    echo "setup: installing: ${missing[*]}"
    apt-get update -q
    if [ ${#missing_required[@]} -gt 0 ]; then
        apt-get install -y -q --no-install-recommends "${missing_required[@]}"
    fi
    for p in "${missing_optional[@]}"; do
        apt-get install -y -q --no-install-recommends "$p" ||
            echo "setup: warning: optional package $p could not be installed" >&2
    done
fi

# --- npm packages --------------------------------------------------------------
# The tests' independent parts (s3rver, the AWS SDK's client and SigV4 signer, the Parquet
# readers DuckDB and hyparquet), pinned by tests/node/package-lock.json. Node and npm are
# checked by command, not by Debian package name: a node from elsewhere (with its own npm)
# is as good.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup: error: node and npm are missing; run this script as root" >&2
        exit 1
    fi
    echo "setup: installing: nodejs npm"
    apt-get update -q
    apt-get install -y -q --no-install-recommends nodejs npm
fi

# `npm ci` rewrites node_modules from the lockfile, and leaves its own copy of it
# there (node_modules/.package-lock.json): a copy older than the lockfile means
# the lockfile changed since the last install.
node_dir="$(cd "$(dirname "$0")/.." && pwd)/tests/node"
if [ ! -e "$node_dir/node_modules/.package-lock.json" ] ||
    [ "$node_dir/package-lock.json" -nt "$node_dir/node_modules/.package-lock.json" ]; then
    echo "setup: installing npm packages of tests/node (npm ci)"
    npm ci --prefix "$node_dir" --no-audit --no-fund --loglevel=error
fi
