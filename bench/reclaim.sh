#!/usr/bin/env bash
# bench/reclaim.sh: what issue 12 asks to measure, in ONE run on one generated data set
# (bench_tpl: ebb generate --rows, analytics.events with its btree index on triggered_at):
#   (v) (f) (o)  ebb archive --keep-days 2 on a fresh copy, then ebb reclaim: plain VACUUM,
#                --full (VACUUM FULL), --online (pg_repack); time and bytes given back, from
#                ebb's --json (pg_total_relation_size before and after) and the wall
#   (a) (t)      ebb archive --keep-days 2 without, then with --max-wal-rate at half the rate
#                (a) measured: rows/s, WAL bytes (pg_current_wal_lsn() around the run, nothing
#                else writes: autovacuum is off in the bench cluster) over the wall, paused s
#   (b) (r)      the DELETE of the last window before the cutoff (1 h), EXPLAIN (ANALYZE,
#                BUFFERS) in a transaction rolled back, 5 times each (the median shown), with
#                the btree index on triggered_at, then with a BRIN index instead; index sizes;
#                and ebb doctor's BRIN advice (estimated, then --fix --brin measured)
# Every archive run is checked: ledger rows + rows left = rows before.
# Writes $BENCH_DIR/results.md.
#   BENCH_ROWS (default 1000000), BENCH_DAYS (30), BENCH_DIR (default bench/out/reclaim),
#   BENCH_DEST_DIR (archives; default $BENCH_DIR), BENCH_EBB (the binary; default build/ebb)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../tests/fixtures/pg.sh
source "$repo/tests/fixtures/pg.sh"
bash "$repo/scripts/setup.sh" bench >/dev/null
# shellcheck source=lib.sh
source "$repo/bench/lib.sh"

bench_options "$repo/bench/out/reclaim" ""
bench_fresh_out
trap 'pg_throwaway_stop "$out/pg"' EXIT
trap 'exit 130' INT TERM
declare -A BYTES_BEFORE BYTES_AFTER RECLAIM_S WAL PAUSED

load_before=$(bench_loadavg)
bench_start
$PSQL -c "ALTER SYSTEM SET autovacuum = off" -c "SELECT pg_reload_conf()" >/dev/null
bench_generate
$PSQL -d bench_tpl -c "CREATE EXTENSION pg_repack"
size_tpl=$($PSQL -d bench_tpl -c "SELECT pg_size_pretty(pg_total_relation_size('analytics.events'))")

# ebb archive of a fresh copy, checked: ledger rows + rows left = rows before.
archive_copy() { # database, name, extra options...
    local db=$1 name=$2 before archived left
    shift 2
    fresh_db "$db"
    rm -rf "$dest_dir/archive_$name"
    before=$($PSQL -d "$db" -c "SELECT count(*) FROM analytics.events")
    $PSQL -c "CHECKPOINT"
    lsn0=$($PSQL -c "SELECT pg_current_wal_lsn()")
    run_measured "$name" "$ebb" archive --database "$db" --table analytics.events \
        --time-column triggered_at --keep-days 2 --dest "file://$dest_dir/archive_$name" --json "$@"
    WAL[$name]=$($PSQL -c "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '$lsn0')::int8")
    archived=$($PSQL -d "$db" -c "SELECT coalesce(sum(rows), 0) FROM ebb.archive_ledger")
    left=$($PSQL -d "$db" -c "SELECT count(*) FROM analytics.events")
    [ $((archived + left)) = "$before" ] ||
        { echo "bench: ($name) archived $archived and left $left of $before rows" >&2; exit 1; }
    R_ROWS[$name]=$archived
    PAUSED[$name]=$(grep '"event":"table"' "$out/stdout.$name" | sed 's/.*"paused_seconds":\([0-9.]*\).*/\1/')
}

json_field() { sed "s/.*\"$2\":\\([-0-9.]*\\).*/\\1/" <<<"$1"; }

reclaim_run() { # name, reclaim options...
    local name=$1 line
    shift
    archive_copy "bench_$name" "arch_$name"
    run_measured "$name" "$ebb" reclaim --database "bench_$name" --table analytics.events --json \
        --statement-timeout 2h "$@"
    line=$(grep '"event":"reclaim_table"' "$out/stdout.$name")
    grep -q '"status":"ok"' <<<"$line" ||
        { echo "bench: ($name) reclaim failed: $line" >&2; exit 1; }
    BYTES_BEFORE[$name]=$(json_field "$line" bytes_before)
    BYTES_AFTER[$name]=$(json_field "$line" bytes_after)
    RECLAIM_S[$name]=$(json_field "$line" seconds)
}

echo "bench: (v) (f) (o) reclaim after archiving"
reclaim_run v
reclaim_run f --full --window-start 00:00 --window-end 24:00
reclaim_run o --online --lock-timeout 5s

echo "bench: (a) (t) archive without and with --max-wal-rate"
archive_copy bench_a a
rate_a=$(echo "${WAL[a]} / ${R_WALL[a]}" | bc)
limit=$((rate_a / 2))
archive_copy bench_t t --max-wal-rate "${limit}B/s"
rate_t=$(echo "${WAL[t]} / ${R_WALL[t]}" | bc)

echo "bench: (b) (r) the window DELETE with a btree, then a BRIN index"
fresh_db bench_ix
window_sql="triggered_at >= date_trunc('hour', $cutoff_sql) - interval '1 hour' AND triggered_at < date_trunc('hour', $cutoff_sql)"
window_rows=$($PSQL -d bench_ix -c "SELECT count(*) FROM analytics.events WHERE $window_sql")
explain_runs() { # name: 5 rolled-back DELETEs, the plan of the first, the median time
    local name=$1 times=() i
    for i in 1 2 3 4 5; do
        $PSQL -d bench_ix -c "BEGIN" -c "EXPLAIN (ANALYZE, BUFFERS) DELETE FROM analytics.events WHERE $window_sql" \
            -c "ROLLBACK" >"$out/plan.$name.$i"
        times+=("$(sed -n 's/^Execution Time: \([0-9.]*\) ms/\1/p' "$out/plan.$name.$i")")
    done
    PLAN_TIME[$name]=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)
    PLAN_NODE[$name]=$(grep -m1 -- '->' "$out/plan.$name.1" | sed 's/^ *-> *//; s/  (cost.*//')
}
declare -A PLAN_TIME PLAN_NODE INDEX_SIZE
btree=$($PSQL -d bench_ix -c "SELECT indexrelid::regclass FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] WHERE i.indrelid = 'analytics.events'::regclass AND a.attname = 'triggered_at'")
INDEX_SIZE[b]=$($PSQL -d bench_ix -c "SELECT pg_relation_size('$btree')")
doctor_estimated=$("$ebb" doctor --database bench_ix --table analytics.events --time-column triggered_at --json |
    grep '"check":"index_advice"' | sed 's/.*"message":"\([^"]*\\"[^"]*\\"[^"]*\)".*/\1/')
doctor_measured=$("$ebb" doctor --database bench_ix --table analytics.events --time-column triggered_at --json --fix --brin |
    grep '"check":"index_advice"' | sed 's/.*"message":"\([^"]*\\"[^"]*\\"[^"]*\)".*/\1/')
explain_runs b
$PSQL -d bench_ix -c "DROP INDEX $btree" -c "CREATE INDEX events_brin ON analytics.events USING brin (triggered_at)" -c "ANALYZE analytics.events"
INDEX_SIZE[r]=$($PSQL -d bench_ix -c "SELECT pg_relation_size('analytics.events_brin')")
explain_runs r

{
    echo "Rows: $rows generated over $days days (average row $avg_row bytes); analytics.events $size_tpl with its indexes."
    echo "$ebb_version; machine: $(nproc) cores, $(uname -r); PostgreSQL $($PSQL -c 'SHOW server_version');"
    echo "autovacuum off in the bench cluster; each alternative ran once, on a fresh copy of the data."
    bench_load_line
    echo
    echo "Reclaim after ebb archive --keep-days 2 (${R_ROWS[arch_v]} rows archived): sizes from ebb reclaim --json"
    echo "(pg_total_relation_size of the table with its indexes and TOAST, before and after)."
    echo
    echo "| method | wall s | reclaim s (ebb) | before MB | after MB | given back MB | given back % |"
    echo "|---|---|---|---|---|---|---|"
    for k in v f o; do
        case $k in
            v) label="(v) VACUUM (ANALYZE)" ;;
            f) label="(f) --full: VACUUM FULL" ;;
            o) label="(o) --online: pg_repack" ;;
        esac
        printf '| %s | %.1f | %.1f | %s | %s | %s | %s |\n' "$label" "${R_WALL[$k]}" "${RECLAIM_S[$k]}" \
            "$(mib "${BYTES_BEFORE[$k]}")" "$(mib "${BYTES_AFTER[$k]}")" \
            "$(mib $((BYTES_BEFORE[$k] - BYTES_AFTER[$k])))" \
            "$(pct $((BYTES_BEFORE[$k] - BYTES_AFTER[$k])) "${BYTES_BEFORE[$k]}")"
    done
    echo
    echo "Archive throughput and WAL rate (WAL: pg_current_wal_lsn() after minus before the run):"
    echo
    echo "| run | wall s | rows | rows/s | WAL MB | WAL MB/s | paused s |"
    echo "|---|---|---|---|---|---|---|"
    for k in a t; do
        case $k in
            a) label="(a) no limit" ;;
            t) label="(t) --max-wal-rate $(mib "$limit") MB/s (half of (a))" ;;
        esac
        printf '| %s | %.1f | %s | %.0f | %s | %s | %s |\n' "$label" "${R_WALL[$k]}" "${R_ROWS[$k]}" \
            "$(echo "${R_ROWS[$k]} / ${R_WALL[$k]}" | bc -l)" "$(mib "${WAL[$k]}")" \
            "$(mib "$(echo "${WAL[$k]} / ${R_WALL[$k]}" | bc)")" "${PAUSED[$k]}"
    done
    echo
    echo "- (t) stayed under its limit: $(mib "$rate_t") MB/s against $(mib "$limit") MB/s:" \
        "$(met "$rate_t <= $limit")."
    echo
    echo "The DELETE of one 1-hour window before the cutoff ($window_rows rows), EXPLAIN (ANALYZE, BUFFERS)"
    echo "rolled back, median of 5:"
    echo
    echo "| index on triggered_at | index size | plan | execution ms (median) |"
    echo "|---|---|---|---|"
    for k in b r; do
        case $k in
            b) label="(b) btree" ;;
            r) label="(r) BRIN (pages_per_range 128)" ;;
        esac
        printf '| %s | %s kB | %s | %s |\n' "$label" "$((INDEX_SIZE[$k] / 1024))" "${PLAN_NODE[$k]}" "${PLAN_TIME[$k]}"
    done
    echo
    echo "ebb doctor's advice on the same table:"
    echo "- estimated: ${doctor_estimated//\\\"/\"}"
    echo "- with --fix --brin: ${doctor_measured//\\\"/\"}"
} | tee "$out/results.md"
