#!/usr/bin/env bash
# build.setup_split: `make build` (scripts/setup.sh build) and `make demo` need the C toolchain,
# the libraries and (demo) a PostgreSQL server only: neither looks for node or npm nor
# installs a test-only package; `setup.sh check` has every test dependency.
# The script runs with a PATH that has no node, no npm, and an apt-get that records any call.
# Usage: test_setup_split.sh SOURCE_DIR
set -euo pipefail
src=$1
tmp=$(mktemp -d /tmp/ebb-setup-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

list() { bash "$src/scripts/setup.sh" --list "$1" | tr '\n' ' '; }
for test_only in libcmocka-dev postgresql-15-partman postgresql-15-repack postgresql-contrib zstd curl python3 \
    nodejs npm; do
    case " $(list build) $(list demo) " in *" $test_only "*) fail "build or demo lists $test_only" ;; esac
done
for needed in libcmocka-dev postgresql-15-partman postgresql-15-repack zstd python3 postgresql-15 \
    libpq-dev; do
    case " $(list check) " in *" $needed "*) ;; *) fail "check does not list $needed" ;; esac
done
case " $(list demo) " in *" postgresql-15 "*) ;; *) fail "demo does not list postgresql-15" ;; esac

mkdir "$tmp/bin"
for tool in dpkg-query grep id dirname; do ln -s "$(command -v "$tool")" "$tmp/bin/$tool"; done
printf '#!/bin/sh\necho "$0 $*" >>%s/calls\nexit 1\n' "$tmp" >"$tmp/bin/apt-get"
chmod +x "$tmp/bin/apt-get"
for purpose in build demo; do
    out=$(PATH="$tmp/bin" "$BASH" "$src/scripts/setup.sh" "$purpose" 2>&1) ||
        fail "setup.sh $purpose failed without node and npm: $out"
    [ ! -e "$tmp/calls" ] || fail "setup.sh $purpose ran: $(cat "$tmp/calls")"
done
echo "ok: build and demo set-up need no node, npm or test package"
