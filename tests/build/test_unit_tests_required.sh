#!/usr/bin/env bash
# build.unit_tests_required: with EBB_UNIT_TESTS=ON (the Makefile's test build) a missing cmocka
# stops the configure with a clear message, instead of the unit tests vanishing from ctest;
# with it off (a packager's build) the build goes on without them. cmocka is hidden by giving
# pkg-config a search path with every .pc file but cmocka's.
# Usage: test_unit_tests_required.sh SOURCE_DIR
set -euo pipefail
src=$1
tmp=$(mktemp -d /tmp/ebb-build-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/pc"
IFS=: read -r -a dirs <<<"$(pkg-config --variable pc_path pkg-config)"
for d in "${dirs[@]}"; do
    for pc in "$d"/*.pc; do
        [ -e "$pc" ] && [ "$(basename "$pc")" != cmocka.pc ] && ln -sf "$pc" "$tmp/pc/"
    done
done
fail() { echo "FAIL: $*" >&2; exit 1; }
configure() { # DIR [cmake options]: with cmocka hidden
    local dir=$1
    shift
    PKG_CONFIG_LIBDIR="$tmp/pc" PKG_CONFIG_PATH='' cmake -S "$src" -B "$tmp/$dir" "$@" \
        >"$tmp/$dir.log" 2>&1
}
pkg-config --exists cmocka || fail "cmocka is not installed: this test needs it visible first"

if configure on -DEBB_UNIT_TESTS=ON; then
    fail "configured with EBB_UNIT_TESTS=ON although cmocka is hidden"
fi
grep -q "EBB_UNIT_TESTS is ON but cmocka was not found" "$tmp/on.log" ||
    fail "no clear message: $(tail -5 "$tmp/on.log")"

configure off -DEBB_UNIT_TESTS=OFF || fail "EBB_UNIT_TESTS=OFF without cmocka: $(tail -5 "$tmp/off.log")"
(cd "$tmp/off" && ctest -N) >"$tmp/off.tests" 2>/dev/null
grep -q ' build\.test_hooks$' "$tmp/off.tests" || fail "no test list: $(cat "$tmp/off.tests")"
if grep -q ' unit\.' "$tmp/off.tests"; then
    fail "unit tests registered without cmocka"
fi

# The control: with cmocka visible, EBB_UNIT_TESTS=ON registers the unit tests.
cmake -S "$src" -B "$tmp/visible" -DEBB_UNIT_TESTS=ON >"$tmp/visible.log" 2>&1 ||
    fail "configure with cmocka visible: $(tail -5 "$tmp/visible.log")"
(cd "$tmp/visible" && ctest -N) >"$tmp/visible.tests" 2>/dev/null
grep -q ' unit\.test_config$' "$tmp/visible.tests" ||
    fail "unit tests missing although cmocka is visible"
echo "ok: EBB_UNIT_TESTS=ON requires cmocka; OFF builds without it"
