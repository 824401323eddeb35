#!/usr/bin/env bash
# bench/restore.sh: ebb restore against psql's COPY, in ONE run, on the same archived rows.
#   (a)  the baseline: for every CSV object of the archive, in window order,
#        `zstd -dc OBJECT | psql -c "COPY t FROM STDIN (FORMAT csv, HEADER)"` (one psql, one
#        transaction per object) into an empty copy of the table
#   (b)  ebb restore --into of the CSV + zstd archive into an empty copy of the table
#   (c)  ebb restore --into of a Parquet (zstd) archive of the same rows
#   (a1) the limit of COPY: every CSV object decompressed into ONE psql (one COPY, one
#        transaction, headers stripped); what (a) pays per object on top
# The data: `ebb generate --rows N --days 30` (as bench/archive.sh), archived whole
# (--keep-days 0) twice, not timed: as CSV + zstd, and, after the same rows were put back, as
# Parquet (zstd), both hourly windows to local directories; a copy of the rows taken before
# archiving (analytics.events_orig) is the oracle. Each run loads into a fresh empty table
# (CREATE TABLE ... (LIKE analytics.events INCLUDING ALL): the primary key, the serial default),
# after a CHECKPOINT. Checked after every run: the table holds exactly the archived rows' count;
# in the first repetition also a full comparison with the oracle (EXCEPT ALL both ways).
# Reports wall, rows/s, MB/s (of PostgreSQL's text form of the rows), server and client CPU,
# client peak RSS and WAL written; the targets: (b) >= 0.8x the throughput of (a), and every ebb
# run under 64 MB of peak RSS (the bench exits 1 on a wrong row or over the memory bound).
# Writes $BENCH_DIR/results.md.
#   BENCH_ROWS (default 1000000), BENCH_DAYS (30), BENCH_DIR (default bench/out/restore),
#   BENCH_DEST_DIR (the archives; default $BENCH_DIR), BENCH_ONLY="a b c a1", BENCH_REPEAT
#   (runs of each, default 3; the median run is reported), BENCH_EBB (the binary; default
#   build/ebb, copied once so that a rebuild cannot change it)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../tests/fixtures/pg.sh
source "$repo/tests/fixtures/pg.sh"
bash "$repo/scripts/setup.sh" bench >/dev/null
# shellcheck source=lib.sh
source "$repo/bench/lib.sh"

bench_options "$repo/bench/out/restore" "a b c a1"
rss_bound_mb=64
db=bench_tpl
target=analytics.restored

bench_fresh_out
ebb_version="$ebb_version (commit $(git -C "$repo" rev-parse --short HEAD))"
csv_dir=$dest_dir/archive_csv
pq_dir=$dest_dir/archive_parquet
rm -rf "$csv_dir" "$pq_dir"
declare -A R_WAL
trap 'pg_throwaway_stop "$out/pg"' EXIT
trap 'exit 130' INT TERM

load_before=$(bench_loadavg)
bench_start
bench_generate

# ---- the archives (not timed) ----

# Archives every row of analytics.events (--keep-days 0) as $1 into $2; the table must be left
# empty and the ledger must hold every row.
archive_all() { # format, directory
    local t0 t1 n left
    t0=$(date +%s.%N)
    "$ebb" archive --database "$db" --table analytics.events --time-column triggered_at \
        --keep-days 0 --format "$1" --compress zstd --dest "file://$2" >"$out/archive.$1.log"
    t1=$(date +%s.%N)
    n=$($PSQL -d "$db" -c "SELECT sum(rows) FROM ebb.archive_ledger WHERE dest = 'file://$2'")
    left=$($PSQL -d "$db" -c "SELECT count(*) FROM analytics.events")
    [ "$n" = "$rows" ] && [ "$left" = 0 ] ||
        { echo "bench: the $1 archive holds $n rows of $rows, $left left in the table" >&2; exit 1; }
    echo "bench: archived $n rows as $1 in $(printf '%.1f' "$(echo "$t1 - $t0" | bc)") s"
}

$PSQL -d "$db" -c "CREATE TABLE analytics.events_orig AS SELECT * FROM analytics.events"
text_bytes=$($PSQL -d "$db" -c "COPY analytics.events TO STDOUT" | wc -c)
mb=$(echo "scale=1; $text_bytes / 1048576" | bc)
echo "bench: $rows rows, $mb MB in PostgreSQL's text form"
archive_all csv "$csv_dir"
$PSQL -d "$db" -c "TRUNCATE analytics.events" \
    -c "INSERT INTO analytics.events SELECT * FROM analytics.events_orig"
archive_all parquet "$pq_dir"
$PSQL -d "$db" -c "TRUNCATE analytics.events" -c "VACUUM ANALYZE analytics.events_orig"
csv_objects=$(find "$csv_dir" -type f -name '*.csv.zst' | wc -l)
pq_objects=$(find "$pq_dir" -type f -name '*.parquet' | wc -l)
csv_bytes=$(bytes_of "$csv_dir" '*.csv.zst')
pq_bytes=$(bytes_of "$pq_dir" '*.parquet')
# (a)'s objects in window order (the key starts with the window's start), as ebb restores them
find "$csv_dir" -type f -name '*.csv.zst' | sort >"$out/objects.csv"

# The baselines: one psql per object (a), or one for all (a1).
cat >"$out/copy_each.sh" <<EOF
set -euo pipefail
while read -r f; do
    zstd -dcq "\$f" | $PSQL -d $db -c "COPY $target FROM STDIN (FORMAT csv, HEADER)"
done <"$out/objects.csv"
EOF
# (a1): one zstd for every object, their header lines dropped (a row cannot equal the header:
# its id is an integer); process start-ups cost 10-30 ms each on this machine.
header=$(zstd -dcq "$(head -1 "$out/objects.csv")" | sed -n 1p) # sed reads it all: no SIGPIPE
cat >"$out/copy_one.sh" <<EOF
set -euo pipefail
xargs -d '\n' -a "$out/objects.csv" zstd -dcq | grep -vxF '$header' |
    $PSQL -d $db -c "COPY $target FROM STDIN (FORMAT csv)"
EOF

# ---- the runs ----

# An empty target and no restore recorded; a CHECKPOINT so that every run starts alike.
fresh_target() {
    $PSQL -d "$db" -c "DROP TABLE IF EXISTS $target" \
        -c "CREATE TABLE $target (LIKE analytics.events INCLUDING ALL)" \
        -c "DELETE FROM ebb.restore_ledger" -c "CHECKPOINT"
    wal0=$($PSQL -d "$db" -c "SELECT pg_current_wal_lsn()")
}

# The target holds exactly the archived rows: their count always, every row (EXCEPT ALL both
# ways against the copy taken before archiving) in the first repetition.
check_target() { # run name, repetition
    local n diff
    R_WAL[$1]=$($PSQL -d "$db" -c "SELECT round((pg_current_wal_lsn() - '$wal0') / 1048576.0, 1)")
    n=$($PSQL -d "$db" -c "SELECT count(*) FROM $target")
    [ "$n" = "$rows" ] || { echo "bench: ($1) $target holds $n rows, expected $rows" >&2; exit 1; }
    R_ROWS[$1]=$n
    [ "$2" = 1 ] || return 0
    diff=$($PSQL -d "$db" -c "SELECT (SELECT count(*) FROM (SELECT * FROM $target EXCEPT ALL
        SELECT * FROM analytics.events_orig) x) + (SELECT count(*) FROM (SELECT * FROM
        analytics.events_orig EXCEPT ALL SELECT * FROM $target) y)")
    [ "$diff" = 0 ] || { echo "bench: ($1) $diff rows differ from the original" >&2; exit 1; }
    echo "bench: ($1) every row equals the original (EXCEPT ALL both ways)"
}

ebb_restore() { # run name, archive directory
    run_measured "$1" "$ebb" restore --database "$db" --table analytics.events \
        --dest "file://$2" --into "$target"
}

alt_a() { fresh_target; run_measured "a.$1" bash "$out/copy_each.sh"; check_target "a.$1" "$1"; }
alt_a1() { fresh_target; run_measured "a1.$1" bash "$out/copy_one.sh"; check_target "a1.$1" "$1"; }
alt_b() { fresh_target; ebb_restore "b.$1" "$csv_dir"; check_target "b.$1" "$1"; }
alt_c() { fresh_target; ebb_restore "c.$1" "$pq_dir"; check_target "c.$1" "$1"; }

# Each alternative reports its median run and the range of its walls.
all=(a b c a1)
bench_runs "${all[@]}"
$PSQL -d "$db" -c "DROP TABLE IF EXISTS $target"

# The memory bound, on every ebb run, not only the median.
rss_fail=()
for key in "${!R_RSS[@]}"; do
    case ${key%.*} in b | c) ;; *) continue ;; esac
    if [ "${R_RSS[$key]}" -ge "$rss_bound_mb" ]; then
        rss_fail+=("($key) peak RSS ${R_RSS[$key]} MB >= $rss_bound_mb MB")
    fi
done
for k in "${all[@]}"; do
    [ -n "${R_WALL[$k.1]:-}" ] || continue
    bench_median "$k" R_WAL
done

{
    echo "Rows: $rows generated over $days days (average row $avg_row bytes, table $table_size),"
    echo "all archived (--keep-days 0, hourly windows): $mb MB in PostgreSQL's text form;"
    echo "CSV + zstd: $csv_objects objects, $(printf '%.1f' "$(echo "scale=3; $csv_bytes / 1048576" | bc)") MB;" \
        "Parquet (zstd): $pq_objects objects, $(printf '%.1f' "$(echo "scale=3; $pq_bytes / 1048576" | bc)") MB."
    echo "$ebb_version; machine: $(nproc) cores, $(uname -r); PostgreSQL $($PSQL -c 'SHOW server_version'); $(zstd --version | head -1)."
    echo
    echo "Each alternative ran $repeat times, interleaved; the median run is shown, with the range of walls."
    echo "Every run loaded into a fresh empty table (LIKE analytics.events INCLUDING ALL), after a CHECKPOINT."
    echo
    echo "| alternative | wall s (median) | range s | rows/s | MB/s | server CPU s | client CPU s | client peak RSS MB | WAL MB |"
    echo "|---|---|---|---|---|---|---|---|---|"
    for k in "${all[@]}"; do
        [ -n "${R_WALL[$k]:-}" ] || continue
        case $k in
            a) label="(a) per object: zstd -dc \| psql COPY FROM STDIN (FORMAT csv, HEADER)" ;;
            b) label="(b) ebb restore --into, CSV + zstd archive" ;;
            c) label="(c) ebb restore --into, Parquet (zstd) archive" ;;
            a1) label="(a1) all objects: one zstd -dc \| one psql COPY (FORMAT csv), one transaction" ;;
        esac
        printf '| %s | %.2f | %s | %s | %s | %s | %.2f | %s | %s |\n' "$label" "${R_WALL[$k]}" \
            "${SPREAD[$k]}" "$(echo "${R_ROWS[$k]} / ${R_WALL[$k]}" | bc)" \
            "$(printf '%.1f' "$(echo "scale=3; $mb / ${R_WALL[$k]}" | bc)")" "${R_SERVER[$k]}" "${R_CLIENT[$k]}" \
            "${R_RSS[$k]}" "${R_WAL[$k]}"
    done
    echo
    echo "(a) and (a1): client CPU and peak RSS are those of bash, zstd and psql together (peak: the"
    echo "largest one); server CPU: the whole cluster's processes."
    echo
    echo "Targets:"
    if [ -n "${R_WALL[a]:-}" ] && [ -n "${R_WALL[b]:-}" ]; then
        r=$(echo "scale=4; ${R_WALL[a]} / ${R_WALL[b]}" | bc)
        echo "- speed: (b) at $(printf '%.2f' "$r")x the throughput of (a) (target >= 0.8x): $(met "$r >= 0.8")."
    fi
    if [ -n "${R_WALL[a]:-}" ] && [ -n "${R_WALL[c]:-}" ]; then
        echo "  (c) at $(ratio "${R_WALL[a]}" "${R_WALL[c]}")x the throughput of (a)."
    fi
    for k in b c; do
        if [ -n "${R_WALL[a1]:-}" ] && [ -n "${R_WALL[$k]:-}" ]; then
            echo "  ($k) at $(ratio "${R_WALL[a1]}" "${R_WALL[$k]}")x the throughput of (a1)."
        fi
    done
    for k in b c; do
        [ -n "${R_WALL[$k]:-}" ] || continue
        max=$(bench_max_rss "$k")
        echo "- memory: ($k) peak RSS at most $max MB over its runs (target < $rss_bound_mb MB):" \
            "$(met "$max < $rss_bound_mb")."
    done
    if [ -n "${R_WALL[a]:-}" ] && [ -n "${R_WALL[a1]:-}" ]; then
        echo "- (a) at $(ratio "${R_WALL[a1]}" "${R_WALL[a]}")x the throughput of (a1): what one psql and one" \
            "transaction per object cost."
    fi
    echo
    bench_walls "${all[@]}"
    bench_load_line
    for f in "${rss_fail[@]}"; do echo "FAIL: $f"; done
} | tee "$out/results.md"

bench_rss_exit "$rss_bound_mb MB"
