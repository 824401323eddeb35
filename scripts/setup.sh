#!/usr/bin/env bash
# Install what ebb needs on Debian 12, for one purpose:
#   setup.sh build   the C toolchain and libraries: all that building ebb needs (make build)
#   setup.sh demo    build, plus a PostgreSQL server for the throwaway cluster (make demo)
#   setup.sh check   demo, plus the tests' parts: cmocka, partman, zstd, node and npm with the
#                    npm packages of tests/node (make check, make build-asan); the default
#   setup.sh bench   check, plus what bench/ needs
#   setup.sh --list PURPOSE   print the Debian packages of PURPOSE, install nothing
# Idempotent: when everything is present it only checks (no apt-get, no root needed).
# Runs unattended (CI, no terminal), as root when something must be installed.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

list_only=false
if [ "${1:-}" = --list ]; then
    list_only=true
    shift
fi
purpose=${1:-check}

build=(
    build-essential cmake pkg-config
    libpq-dev libzstd-dev zlib1g-dev libsnappy-dev libssl-dev libinih-dev
    libcurl4-openssl-dev libxml2-dev
)
demo=(postgresql-15)
# The tests' independent readers (zstd -dc, gzip -dc), curl's own SigV4 signer, partman for
# the partitioned-table tests, cmocka for the unit tests.
check=(
    postgresql-contrib postgresql-15-partman libcmocka-dev zstd gzip curl python3
)
# bench/: the hand-written reference archiver and the timing tools.
bench=(python3-psycopg2 python3-zstandard bc time procps)

case $purpose in
    build) required=("${build[@]}") ;;
    demo) required=("${build[@]}" "${demo[@]}") ;;
    check) required=("${build[@]}" "${demo[@]}" "${check[@]}") ;;
    bench) required=("${build[@]}" "${demo[@]}" "${check[@]}" "${bench[@]}") ;;
    *)
        echo "setup: error: unknown purpose \"$purpose\"" >&2
        echo "setup: hint: use build, demo, check or bench" >&2
        exit 2
        ;;
esac
optional=()
if [ "$purpose" != build ] && [ "$purpose" != demo ]; then
    optional=(clang-format) # formatting only; the build and tests work without it
fi
if $list_only; then
    printf '%s\n' "${required[@]}"
    if [ "$purpose" = check ] || [ "$purpose" = bench ]; then
        echo postgresql-15-repack
    fi
    exit 0
fi

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
    echo "setup: all dependencies present ($purpose)"
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

# --- server extensions that must fit the installed server ------------------------
# An extension package built for a newer point release depends on that release: installing
# the newest one would upgrade the PostgreSQL server on the way. Take the newest version
# whose installation upgrades nothing (apt-get's simulation shows an upgrade as
# "Inst name [old version] ...").
fitting=()
if [ "$purpose" = check ] || [ "$purpose" = bench ]; then
    fitting=(postgresql-15-repack) # ebb reclaim --online drives pg_repack
fi
install_fitting() {
    local p=$1 v
    for v in $(apt-cache madison "$p" | awk '{print $3}'); do
        if ! apt-get install -s -q --no-install-recommends "$p=$v" 2>/dev/null |
            grep -qE '^Inst [^ ]+ \['; then
            echo "setup: installing: $p=$v"
            apt-get install -y -q --no-install-recommends "$p=$v"
            return
        fi
    done
    echo "setup: error: no version of $p installs without upgrading the server" >&2
    exit 1
}
for p in "${fitting[@]}"; do
    if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -qx 'install ok installed'; then
        continue
    fi
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup: error: missing package: $p; run this script as root" >&2
        exit 1
    fi
    apt-cache madison "$p" | grep -q . || apt-get update -q
    install_fitting "$p"
done

# --- TimescaleDB, built from vendor/ ----------------------------------------------
# Debian does not package it: vendor/ carries the Apache-licensed source of 2.28.3 (the newest
# release for PostgreSQL 15) and the script that builds and installs it into Debian's
# PostgreSQL 15 (about 40 s; it pins postgresql-server-dev-15 to the installed server). Once
# per machine: skipped when that version is installed.
if [ "$purpose" = check ] || [ "$purpose" = bench ]; then
    if [ ! -f /usr/share/postgresql/15/extension/timescaledb--2.28.3.sql ] ||
        [ ! -f /usr/lib/postgresql/15/lib/timescaledb-2.28.3.so ]; then
        if [ "$(id -u)" -ne 0 ]; then
            echo "setup: error: TimescaleDB 2.28.3 is not installed; run this script as root" >&2
            exit 1
        fi
        echo "setup: building TimescaleDB 2.28.3 from vendor/"
        # (its cmake asks git for a version and says "fatal: not a git repository": harmless)
        bash "$(cd "$(dirname "$0")/.." && pwd)/vendor/build-timescaledb.sh"
    fi
fi

# Building ebb and the demo end here: node and npm serve the tests only.
if [ "$purpose" = build ] || [ "$purpose" = demo ]; then
    exit 0
fi

# --- npm packages --------------------------------------------------------------
# The tests' independent parts (s3rver, Azurite, the AWS SDK's client and SigV4 signer, the
# Azure SDK's blob client, the Parquet readers DuckDB and hyparquet), pinned by
# tests/node/package-lock.json. Node and npm are checked by command, not by Debian package
# name: a node from elsewhere (with its own npm) is as good.
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
