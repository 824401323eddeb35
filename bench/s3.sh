#!/usr/bin/env bash
# bench/s3.sh: ebb archive to S3 against a local directory and against curl, in ONE run, on
# the same data as bench/archive.sh (ebb generate --rows, a fresh copy per alternative).
#   (f) ebb archive --dest file://... (CSV + zstd, 1h windows): the local-directory baseline
#   (s) ebb archive --dest s3://bench/... to s3rver on 127.0.0.1 (CSV + zstd, 1h windows)
#   (u) the files (f) wrote (objects and manifests) uploaded to the same s3rver by ONE curl
#       process (--aws-sigv4, a -K list of upload-file/url pairs, one reused connection):
#       the server's transfer limit for these bytes
#   (m) ebb archive to s3 --window 1d --compress none --s3-part-size 5MiB: every object a
#       multipart upload of many parts; (m16) the same with the default 16MiB parts, once.
#       Peak RSS must stay under 64 MB + 2 part buffers: the bench exits 1 if a run exceeds it.
# s3rver's directory is on the same filesystem as the file:// archive ($BENCH_DEST_DIR).
# Reports rows/s, MB/s of PostgreSQL's text form of the rows and of the bytes uploaded,
# objects, server (PostgreSQL) / s3rver / client CPU seconds and peak RSS; writes
# $BENCH_DIR/results.md.
#   BENCH_ROWS (default 1000000), BENCH_DAYS (30), BENCH_DIR (default bench/out/s3),
#   BENCH_DEST_DIR (archives and s3rver's storage; default $BENCH_DIR),
#   BENCH_ONLY="f s u m m16" ((u) needs (f)), BENCH_REPEAT (runs of each but m16, default 3),
#   BENCH_EBB (the binary; default build/ebb, copied once so that a rebuild cannot change it)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../tests/fixtures/pg.sh
source "$repo/tests/fixtures/pg.sh"
bash "$repo/scripts/setup.sh" bench >/dev/null # also s3rver: npm ci of tests/node
# shellcheck source=lib.sh
source "$repo/bench/lib.sh"

bench_options "$repo/bench/out/s3" "f s u m m16"
s3rver_js=$repo/tests/node/node_modules/s3rver/bin/s3rver.js
s3dir=$dest_dir/s3rver
bucket=bench
rss_base_mib=64 # the bound: 64 MB + 2 part buffers

if [[ " $only " == *" u "* && " $only " != *" f "* ]]; then
    echo "bench: (u) uploads what (f) wrote: BENCH_ONLY must name f too" >&2
    exit 2
fi
[ -e "$s3rver_js" ] || { echo "bench: $s3rver_js is missing (scripts/setup.sh runs npm ci)" >&2; exit 1; }

bench_fresh_out
rm -rf "$s3dir"
mkdir -p "$s3dir"
declare -A R_OBJECTS R_MANIFESTS R_BYTES R_S3CPU R_MAXOBJ
s3pid=
cleanup() {
    if [ -n "$s3pid" ]; then
        kill "$s3pid" 2>/dev/null || true
        wait "$s3pid" 2>/dev/null || true
    fi
    pg_throwaway_stop "$out/pg"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# s3rver on a port the kernel picks; it prints "S3rver listening on 127.0.0.1:PORT" once it
# accepts connections (--silent drops the per-request log, not that line).
# --openssl-legacy-provider: without it, truncated listings are 500s on Node 20.
setpriv --pdeathsig KILL -- node --openssl-legacy-provider "$s3rver_js" --directory "$s3dir" \
    --address 127.0.0.1 --port 0 --configure-bucket "$bucket" --no-vhost-buckets --silent \
    >"$out/s3rver.log" 2>&1 &
s3pid=$!
port=
for _ in $(seq 1 300); do
    port=$(grep -o 'listening on 127\.0\.0\.1:[0-9]*' "$out/s3rver.log" | cut -d: -f2 || true)
    [ -n "$port" ] && break
    kill -0 "$s3pid" 2>/dev/null || break
    sleep 0.1
done
endpoint=http://127.0.0.1:$port
if [ -z "$port" ] || [ "$(curl -s -o /dev/null -w '%{http_code}' "$endpoint/$bucket")" != 200 ]; then
    echo "bench: s3rver did not start:" >&2
    cat "$out/s3rver.log" >&2
    exit 1
fi
echo "bench: s3rver $(node "$s3rver_js" --version) on $endpoint, storage $s3dir (pid $s3pid)"
# s3rver's fixed key pair; nothing from the caller's AWS profile may leak in
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_DEFAULT_REGION AWS_ENDPOINT_URL_S3 AWS_SHARED_CREDENTIALS_FILE
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
export AWS_ENDPOINT_URL=$endpoint

load_before=$(bench_loadavg)
bench_start
bench_generate
bench_text_size

s3rver_ticks() {
    local f
    f=$(cut -d' ' -f14,15 "/proc/$s3pid/stat")
    echo $((${f% *} + ${f#* }))
}

# run_measured, plus s3rver's CPU time
run_measured_s3() {
    local name=$1 t0 t1
    t0=$(s3rver_ticks)
    run_measured "$@"
    t1=$(s3rver_ticks)
    R_S3CPU[$name]=$(echo "scale=2; ($t1 - $t0) / $TICK" | bc)
}

# rows archived (the ledger) + rows left = rows generated
check_rows() { # database, run name
    local left
    R_ROWS[$2]=$($PSQL -d "$1" -c "SELECT coalesce(sum(rows), 0) FROM ebb.archive_ledger")
    left=$($PSQL -d "$1" -c "SELECT count(*) FROM analytics.events")
    [ $((R_ROWS[$2] + left)) = "$rows" ] ||
        { echo "bench: ($2) ebb archived ${R_ROWS[$2]} rows and left $left of $rows" >&2; exit 1; }
}

# What an ebb run left in s3rver under prefix $2: objects (one per ledger row) and manifests.
check_s3() { # database, prefix, run name
    local ledger dir=$s3dir/$bucket/$2
    ledger=$($PSQL -d "$1" -c "SELECT count(*) FROM ebb.archive_ledger")
    R_OBJECTS[$3]=$(find "$dir" -type f -name '*._S3rver_object' \
        ! -name '*.manifest.json._S3rver_object' | wc -l)
    R_MANIFESTS[$3]=$(find "$dir" -type f -name '*.manifest.json._S3rver_object' | wc -l)
    R_BYTES[$3]=$(bytes_of "$dir" '*._S3rver_object')
    R_MAXOBJ[$3]=$(find "$dir" -type f -name '*._S3rver_object' -printf '%s\n' | sort -n | tail -1)
    [ "${R_OBJECTS[$3]}" = "$ledger" ] ||
        { echo "bench: ($3) s3rver holds ${R_OBJECTS[$3]} objects, the ledger $ledger" >&2; exit 1; }
    [ "${R_MANIFESTS[$3]}" = "$ledger" ] ||
        { echo "bench: ($3) s3rver holds ${R_MANIFESTS[$3]} manifests, the ledger $ledger" >&2; exit 1; }
}

ebb_s3() { # run name, database, prefix, extra options...
    local name=$1 db=$2 prefix=$3
    shift 3
    rm -rf "${s3dir:?}/$bucket/${prefix%%.*}".*
    run_measured_s3 "$name" "$ebb" archive --database "$db" --table analytics.events \
        --time-column triggered_at --dest "s3://$bucket/$prefix" "$@"
    check_rows "$db" "$name"
    check_s3 "$db" "$prefix" "$name"
}

# Each alternative, on its own fresh copy of the data; $1 is the repetition.
alt_f() {
    local dir=$dest_dir/archive_f
    fresh_db bench_f
    rm -rf "$dir"
    run_measured_s3 "f.$1" "$ebb" archive --database bench_f --table analytics.events \
        --time-column triggered_at --dest "file://$dir"
    check_rows bench_f "f.$1"
    R_OBJECTS[f.$1]=$(find "$dir" -type f -name '*.csv.zst' | wc -l)
    R_MANIFESTS[f.$1]=$(find "$dir" -type f -name '*.manifest.json' | wc -l)
    R_BYTES[f.$1]=$(bytes_of "$dir" '*')
}
alt_s() {
    fresh_db bench_s
    ebb_s3 "s.$1" bench_s "s.$1"
}
alt_m() {
    fresh_db bench_m
    ebb_s3 "m.$1" bench_m "m.$1" --window 1d --compress none --s3-part-size 5MiB
}
alt_m16() {
    fresh_db bench_m16
    ebb_s3 "m16.$1" bench_m16 "m16.$1" --window 1d --compress none
}
# One curl, every file (f) wrote in its -K list; PUT responses must all be 200.
alt_u() {
    local src=$dest_dir/archive_f prefix=u.$1 n codes
    rm -rf "${s3dir:?}/$bucket/u".*
    python3 - "$src" "$endpoint/$bucket/$prefix" >"$out/curl.u.$1" <<'PY'
import os, sys, urllib.parse
src, base = sys.argv[1], sys.argv[2]
q = lambda s: '"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"'
print('silent\nshow-error')
print('aws-sigv4 = "aws:amz:us-east-1:s3"\nuser = "S3RVER:S3RVER"')
# curl 7.88 signs no payload hash of its own, and one config gives the same headers to
# every transfer: no per-file SHA-256 is possible, so the payload goes unsigned
print('header = "x-amz-content-sha256: UNSIGNED-PAYLOAD"')
print('write-out = "%{http_code}\\n"')
for root, _, files in sorted(os.walk(src)):
    for f in sorted(files):
        path = os.path.join(root, f)
        key = urllib.parse.quote(os.path.relpath(path, src), safe='/-._~')
        print('url = ' + q(base + '/' + key))
        print('upload-file = ' + q(path))
PY
    n=$(grep -c '^upload-file' "$out/curl.u.$1")
    run_measured_s3 "u.$1" curl -K "$out/curl.u.$1"
    codes=$(grep -c '^200$' "$out/stdout.u.$1" || true)
    [ "$codes" = "$n" ] ||
        { echo "bench: (u) $codes of $n PUTs answered 200 (see $out/stdout.u.$1)" >&2; exit 1; }
    R_ROWS[u.$1]=${R_ROWS[f.$1]}
    R_OBJECTS[u.$1]=$(find "$s3dir/$bucket/$prefix" -type f -name '*._S3rver_object' \
        ! -name '*.manifest.json._S3rver_object' | wc -l)
    R_MANIFESTS[u.$1]=$(find "$s3dir/$bucket/$prefix" -type f -name '*.manifest.json._S3rver_object' | wc -l)
    R_BYTES[u.$1]=$(bytes_of "$s3dir/$bucket/$prefix" '*._S3rver_object')
    [ "${R_BYTES[u.$1]}" = "${R_BYTES[f.$1]}" ] ||
        { echo "bench: (u) s3rver holds ${R_BYTES[u.$1]} bytes, (f) wrote ${R_BYTES[f.$1]}" >&2; exit 1; }
}

# m16 runs once, in the first repetition.
bench_runs --once m16 f s u m m16

# The memory bound, on every run of (m) and (m16), not only the median.
rss_fail=()
declare -A BOUND=([m]=$((rss_base_mib + 2 * 5)) [m16]=$((rss_base_mib + 2 * 16)))
for key in "${!R_RSS[@]}"; do
    k=${key%.*}
    [ -n "${BOUND[$k]:-}" ] || continue
    read -r _ _ kib <"$out/time.$key"
    if [ "$kib" -gt $((BOUND[$k] * 1024)) ]; then
        rss_fail+=("($key) peak RSS $((kib / 1024)) MB > bound ${BOUND[$k]} MB")
    fi
done

for k in f s u m m16; do
    [[ " $only " == *" $k "* ]] || continue
    bench_median "$k" R_OBJECTS R_MANIFESTS R_BYTES R_S3CPU R_MAXOBJ
done

{
    echo "Rows: $rows generated over $days days (average row $avg_row bytes, table $table_size);"
    echo "archived: $expected rows older than 2 days = $mb MB in PostgreSQL's text form."
    echo "$ebb_version; machine: $(nproc) cores, $(uname -r); PostgreSQL $($PSQL -c 'SHOW server_version');"
    echo "s3rver $(node "$s3rver_js" --version) on Node $(node --version) (127.0.0.1, --silent);" \
        "$(curl --version | head -1 | cut -d' ' -f1-2)."
    echo
    echo "Each alternative ran $repeat times, interleaved ((m16) once); the median run is shown, with the range of walls."
    echo "MB/s: of the rows' text form (text), and of the bytes written: objects + manifests (out)."
    echo
    echo "| alternative | wall s (median) | range s | rows/s | text MB/s | out MB | out MB/s | objects | server CPU s | s3rver CPU s | client CPU s | client peak RSS MB |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
    for k in f s u m m16; do
        [ -n "${R_WALL[$k]:-}" ] || continue
        case $k in
            f) label="(f) ebb archive, CSV + zstd, file://" ;;
            s) label="(s) ebb archive, CSV + zstd, s3:// (s3rver)" ;;
            u) label="(u) curl --aws-sigv4: (f)'s files, one process" ;;
            m) label="(m) ebb s3://, --window 1d, no compression, 5MiB parts" ;;
            m16) label="(m16) the same, 16MiB parts (1 run)" ;;
        esac
        printf '| %s | %.2f | %s | %s | %s | %s | %s | %s | %.2f | %.2f | %.2f | %s |\n' "$label" \
            "${R_WALL[$k]}" "${SPREAD[$k]}" "$(echo "${R_ROWS[$k]} / ${R_WALL[$k]}" | bc)" \
            "$(echo "scale=1; $mb / ${R_WALL[$k]}" | bc)" "$(mib "${R_BYTES[$k]}")" \
            "$(echo "scale=1; ${R_BYTES[$k]} / 1048576 / ${R_WALL[$k]}" | bc)" \
            "${R_OBJECTS[$k]} + ${R_MANIFESTS[$k]}" "${R_SERVER[$k]}" "${R_S3CPU[$k]}" \
            "${R_CLIENT[$k]}" "${R_RSS[$k]}"
    done
    echo
    echo "objects: data objects + manifests. (u) sends \`x-amz-content-sha256: UNSIGNED-PAYLOAD\`"
    echo "(one curl config cannot give each file its own hash) and no Content-MD5; ebb sends both"
    echo "for every PUT and part, and HEADs each object before its COMMIT."
    if [ -n "${R_WALL[s]:-}" ] && [ -n "${R_WALL[f]:-}" ]; then
        echo "ebb to s3 vs to file://: $(echo "scale=2; ${R_WALL[f]} / ${R_WALL[s]}" | bc)x the throughput" \
            "($(printf '%.2f' "$(echo "${R_WALL[s]} - ${R_WALL[f]}" | bc)") s more)."
    fi
    if [ -n "${R_WALL[s]:-}" ] && [ -n "${R_WALL[u]:-}" ]; then
        echo "curl uploads the same bytes in $(printf '%.2f' "${R_WALL[u]}") s" \
            "($(echo "scale=2; ${R_WALL[u]} / ${R_WALL[s]} * 100" | bc | cut -d. -f1)% of ebb's wall to s3)."
    fi
    for k in m m16; do
        [ -n "${R_WALL[$k]:-}" ] || continue
        max=$(bench_max_rss "$k")
        echo "($k) peak RSS: at most $max MB over its runs; bound 64 MB + 2 parts = ${BOUND[$k]} MB;" \
            "objects of $(mib $((R_BYTES[$k] / R_OBJECTS[$k]))) MB on average, $(mib "${R_MAXOBJ[$k]}") MB the largest."
    done
    echo
    bench_walls f s u m m16
    bench_load_line
    for f in "${rss_fail[@]}"; do echo "FAIL: $f"; done
} | tee "$out/results.md"

bench_rss_exit "the bound of 64 MB + 2 part buffers"
