#!/usr/bin/env bash
# build.test_hooks: the test hooks (EBB_TEST_CRASH_AT, EBB_TEST_STOP_AT, EBB_TEST_S3_MAX_PARTS)
# are in a build made with EBB_TEST_HOOKS=ON and in no other: without it a hook compiles to
# nothing, so no variable of that name is ever read, and the name is nowhere in the binary.
# Usage: test_hooks.sh EBB_BINARY 1|0   (1: the build has EBB_TEST_HOOKS on)
set -euo pipefail
bin=$1
want=$2
status=0
for name in EBB_TEST_CRASH_AT EBB_TEST_STOP_AT EBB_TEST_S3_MAX_PARTS; do
    if grep -qaF "$name" "$bin"; then have=1; else have=0; fi
    if [ "$have" != "$want" ]; then
        echo "FAIL: $bin $([ "$have" = 1 ] && echo holds || echo lacks) $name" \
            "(EBB_TEST_HOOKS $([ "$want" = 1 ] && echo ON || echo OFF))" >&2
        status=1
    fi
done
[ $status -eq 0 ] && echo "ok: hooks $([ "$want" = 1 ] && echo present || echo absent) in $bin"
exit $status
