#!/usr/bin/env bash
# bench/archive.sh: ebb archive against the alternatives, in ONE run, on the same data.
#   (a) psql: COPY (DELETE ... RETURNING *) TO STDOUT inside a rolled-back transaction: the
#       limit of this protocol (one statement, no files, no commit)
#   (b) ebb archive, CSV + zstd, to a local directory (the full protocol)
#   (c) bench/handwritten_archiver.py: per hour SELECT, CSV client-side, DELETE, COMMIT
#   (d) ebb archive --window 1d: the same with 24x fewer windows (what per-window work costs)
#   (e) (b) with another ebb binary, BENCH_BASE_EBB (e.g. a build of an earlier commit): what a
#       change costs, measured beside (b) on the same data; skipped when BENCH_BASE_EBB is unset
# Each alternative starts from an identical copy of the generated database (CREATE DATABASE
# ... TEMPLATE ... STRATEGY FILE_COPY). Reports rows/s, MB/s (of PostgreSQL's text form of the
# rows), server and client CPU seconds and peak RSS; writes bench/out/results.md.
#   BENCH_ROWS (default 1000000), BENCH_DAYS (30), BENCH_DIR (default bench/out),
#   BENCH_DEST_DIR (where archives go; default $BENCH_DIR), BENCH_ONLY="a b c d",
#   BENCH_REPEAT (runs of each, default 3; the median run is reported), BENCH_WINDOW (the
#   window of (b) and (e), default 1h: 15min gives 4x the windows, to weigh per-window work)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../tests/fixtures/pg.sh
source "$repo/tests/fixtures/pg.sh"
bash "$repo/scripts/setup.sh" bench >/dev/null
# shellcheck source=lib.sh
source "$repo/bench/lib.sh"

bench_options "$repo/bench/out" "a b c d"
window=${BENCH_WINDOW:-1h}
ebb=$repo/build/ebb # run in place; (e) compares it with BENCH_BASE_EBB
base_ebb=${BENCH_BASE_EBB:-}
[ -n "$base_ebb" ] || only=${only//e/}

rm -rf "$out"
mkdir -p "$out"
trap 'pg_throwaway_stop "$out/pg"' EXIT
bench_start
bench_generate
bench_text_size

# Each alternative, on its own fresh copy of the data; $1 is the repetition.
alt_a() {
    fresh_db bench_a
    run_measured "a.$1" $PSQL -d bench_a -c "BEGIN" \
        -c "COPY (DELETE FROM analytics.events WHERE triggered_at < $cutoff_sql RETURNING *) TO STDOUT" \
        -c "ROLLBACK" -o /dev/null
    R_ROWS[a.$1]=$expected
}
alt_b() { ebb_run b "$1" "$ebb"; }
alt_e() { ebb_run e "$1" "$base_ebb"; }
# ebb_run KEY REP BINARY: (b) or (e)
ebb_run() {
    local k=$1 db=bench_$1
    fresh_db "$db"
    rm -rf "$dest_dir/archive_$k"
    run_measured "$k.$2" "$3" archive --database "$db" --table analytics.events \
        --time-column triggered_at --window "$window" --dest "file://$dest_dir/archive_$k"
    R_ROWS[$k.$2]=$($PSQL -d "$db" -c "SELECT sum(rows) FROM ebb.archive_ledger")
    # the cutoff moves with now(): compare with what left the table, not with $expected
    local left
    left=$($PSQL -d "$db" -c "SELECT count(*) FROM analytics.events")
    [ $((R_ROWS[$k.$2] + left)) = "$rows" ] ||
        { echo "bench: ebb ($k) archived ${R_ROWS[$k.$2]} rows and left $left of $rows" >&2; exit 1; }
}
alt_d() {
    fresh_db bench_d
    rm -rf "$dest_dir/archive_d"
    run_measured "d.$1" "$ebb" archive --database bench_d --table analytics.events \
        --time-column triggered_at --window 1d --dest "file://$dest_dir/archive_d"
    R_ROWS[d.$1]=$($PSQL -d bench_d -c "SELECT sum(rows) FROM ebb.archive_ledger")
}
alt_c() {
    fresh_db bench_c
    rm -rf "$dest_dir/archive_c"
    run_measured "c.$1" /usr/bin/python3 "$repo/bench/handwritten_archiver.py" \
        --dsn "dbname=bench_c" --dest "$dest_dir/archive_c"
    R_ROWS[c.$1]=$(grep -o '[0-9]*' "$out/stdout.c.$1" | head -1)
}

# Each alternative reports its median run and the range of its walls.
bench_runs a b e d c
for k in a b c d e; do
    [[ " $only " == *" $k "* ]] || continue
    bench_median "$k"
done

{
    echo "Rows: $rows generated over $days days (average row $avg_row bytes, table $table_size);"
    echo "archived: $expected rows older than 2 days = $mb MB in PostgreSQL's text form."
    echo "Machine: $(nproc) cores, $(uname -r); PostgreSQL $($PSQL -c 'SHOW server_version')."
    echo
    echo "Each alternative ran $repeat times, interleaved; the median run is shown, with the range of walls."
    echo
    echo "| alternative | wall s (median) | range s | rows/s | MB/s | server CPU s | client CPU s | client peak RSS MB |"
    echo "|---|---|---|---|---|---|---|---|"
    for k in a b c d e; do
        [ -n "${R_WALL[$k]:-}" ] || continue
        case $k in
            a) label="(a) psql COPY (DELETE ... RETURNING *) to /dev/null, rolled back" ;;
            b) label="(b) ebb archive, CSV + zstd, file://, --window $window" ;;
            e) label="(e) the same with $base_ebb" ;;
            c) label="(c) hand-written: per hour SELECT + CSV + DELETE + COMMIT" ;;
            d) label="(d) ebb archive --window 1d (28 windows instead of 673)" ;;
        esac
        rps=$(echo "${R_ROWS[$k]} / ${R_WALL[$k]}" | bc)
        mbs=$(echo "scale=1; $mb / ${R_WALL[$k]}" | bc)
        printf '| %s | %.2f | %s | %s | %s | %s | %.2f | %s |\n' "$label" "${R_WALL[$k]}" \
            "${SPREAD[$k]}" "$rps" "$mbs" "${R_SERVER[$k]}" "${R_CLIENT[$k]}" "${R_RSS[$k]}"
    done
    if [ -n "${R_WALL[b]:-}" ] && [ -n "${R_WALL[a]:-}" ]; then
        echo
        echo "ebb vs (a): $(echo "scale=2; ${R_WALL[a]} / ${R_WALL[b]}" | bc)x the throughput."
    fi
    if [ -n "${R_WALL[d]:-}" ] && [ -n "${R_WALL[a]:-}" ]; then
        echo "ebb --window 1d vs (a): $(echo "scale=2; ${R_WALL[a]} / ${R_WALL[d]}" | bc)x the throughput."
    fi
    if [ -n "${R_WALL[b]:-}" ] && [ -n "${R_WALL[c]:-}" ]; then
        echo "ebb vs (c): $(echo "scale=2; ${R_WALL[c]} / ${R_WALL[b]}" | bc)x the throughput," \
            "$(echo "scale=2; ${R_SERVER[b]} / ${R_SERVER[c]}" | bc)x the server CPU."
    fi
    if [ -n "${R_WALL[b]:-}" ] && [ -n "${R_WALL[e]:-}" ]; then
        echo "ebb vs (e): $(echo "scale=3; ${R_WALL[e]} / ${R_WALL[b]}" | bc)x the throughput," \
            "$(echo "scale=3; ${R_SERVER[b]} / ${R_SERVER[e]}" | bc)x the server CPU," \
            "$(echo "scale=3; ${R_CLIENT[b]} / ${R_CLIENT[e]}" | bc)x the client CPU."
    fi
    if [ -n "${R_WALL[b]:-}" ]; then
        echo "Archive size: ebb $(du -sb "$dest_dir/archive_b" | cut -f1) bytes in" \
            "$(find "$dest_dir/archive_b" -name '*.zst' | wc -l) objects."
    fi
} | tee "$out/results.md"
