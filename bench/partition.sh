#!/usr/bin/env bash
# bench/partition.sh: ebb archive on a plain table against the same rows in a daily-partitioned
# table, in ONE run (issue 5). bench_tpl holds analytics.events (ebb generate --rows) and
# analytics.events_p: the same columns and rows, PARTITION BY RANGE (triggered_at), one
# partition per day from the oldest row's day to 2 days after the newest's, a DEFAULT
# partition, an index on triggered_at.
#   (r) ebb archive --keep-days 2 of analytics.events: the row path, COPY (DELETE ...
#       RETURNING *) window by window (1h)
#   (w) the same of analytics.events_p: the partition path, every partition wholly older than
#       the cutoff archived whole (COPY SELECT, one object), detached and dropped; the rows of
#       the partition that straddles the cutoff (and the DEFAULT's) by the row path
# Each run starts from a fresh copy of bench_tpl (fresh_db), then a CHECKPOINT, so that both
# paths write their full-page images from the same state. Autovacuum is off in the bench
# cluster (ALTER SYSTEM) and nothing else connects to it: the WAL between pg_current_wal_lsn()
# before and after a run is that run's. Reports wall, server/client CPU, peak RSS, WAL bytes
# (and full-page images, pg_stat_wal), the table's size (pg_total_relation_size, summed over
# pg_partition_tree for (w)) before the run, what ebb freed: right after it exits (no VACUUM),
# in the database's directory on disk, and after a plain VACUUM (not timed). Every run is
# checked: ledger rows + rows left = rows before, no row older than ebb's cutoff left; for (w)
# no partition wholly older than the cutoff left (attached or detached). Targets, printed: (w)
# writes at most 5% of (r)'s WAL, and frees the archived partitions' size at once.
# Writes $BENCH_DIR/results.md.
#   BENCH_ROWS (default 1000000), BENCH_DAYS (30), BENCH_DIR (default bench/out/partition),
#   BENCH_DEST_DIR (archives; default $BENCH_DIR), BENCH_ONLY="r w", BENCH_REPEAT (runs of
#   each, default 3), BENCH_EBB (the binary; default build/ebb, copied once so that a rebuild
#   cannot change it)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../tests/fixtures/pg.sh
source "$repo/tests/fixtures/pg.sh"
bash "$repo/scripts/setup.sh" bench >/dev/null
# shellcheck source=lib.sh
source "$repo/bench/lib.sh"

bench_options "$repo/bench/out/partition" "r w"
wal_target_pct=5

bench_fresh_out
declare -A R_WAL R_FPI R_CKPT R_BEFORE R_FREED R_DIRFREED R_VACFREED R_OBJECTS R_WHOLE \
    R_WHOLEROWS R_PARTBYTES R_STRADDLE R_DEFAULT R_CUTOFF
trap 'pg_throwaway_stop "$out/pg"' EXIT
trap 'exit 130' INT TERM

load_before=$(bench_loadavg)
bench_start
# Nothing but the measured run may write WAL or shrink a table: no autovacuum in this cluster.
$PSQL -c "ALTER SYSTEM SET autovacuum = off" -c "SELECT pg_reload_conf()" >/dev/null
bench_generate

# analytics.events_p in bench_tpl: the same rows, daily partitions (names from the day, bounds
# from the data: the oldest row's day to 2 days after the newest row's), a DEFAULT.
echo "bench: building analytics.events_p, daily partitions of the same rows"
$PSQL -d bench_tpl <<'SQL'
CREATE TABLE analytics.events_p (LIKE analytics.events) PARTITION BY RANGE (triggered_at);
DO $$
DECLARE d date; last date;
BEGIN
  SELECT min(triggered_at)::date, max(triggered_at)::date + 2 INTO d, last FROM analytics.events;
  WHILE d <= last LOOP
    EXECUTE format('CREATE TABLE analytics.%I PARTITION OF analytics.events_p FOR VALUES FROM (%L) TO (%L)',
                   'events_p_' || to_char(d, 'YYYYMMDD'), d::timestamp, (d + 1)::timestamp);
    d := d + 1;
  END LOOP;
END $$;
CREATE TABLE analytics.events_p_default PARTITION OF analytics.events_p DEFAULT;
INSERT INTO analytics.events_p SELECT * FROM analytics.events;
CREATE INDEX ON analytics.events_p (triggered_at);
VACUUM ANALYZE analytics.events;
VACUUM ANALYZE analytics.events_p;
SQL
n_parts=$($PSQL -d bench_tpl -c "SELECT count(*) FROM pg_partition_tree('analytics.events_p') WHERE isleaf")
size_r=$($PSQL -d bench_tpl -c "SELECT pg_size_pretty(pg_total_relation_size('analytics.events'))")
size_w=$($PSQL -d bench_tpl -c "SELECT pg_size_pretty(sum(pg_total_relation_size(relid))) FROM pg_partition_tree('analytics.events_p')")
echo "bench: analytics.events $size_r; analytics.events_p $size_w in $n_parts partitions (DEFAULT included)"

# pg_total_relation_size of the table; of every relation of its tree when partitioned
table_bytes() { # database, table
    $PSQL -d "$1" -c "SELECT CASE WHEN c.relkind = 'p'
        THEN (SELECT sum(pg_total_relation_size(relid)) FROM pg_partition_tree(c.oid))::int8
        ELSE pg_total_relation_size(c.oid) END FROM pg_class c WHERE c.oid = '$2'::regclass"
}
# Bytes of the database's directory on disk (a dropped table's file is truncated at COMMIT).
dir_bytes() { du -sb "$out/pg/data/base/$($PSQL -c "SELECT oid FROM pg_database WHERE datname = '$1'")" | cut -f1; }
wal_lsn() { $PSQL -c "SELECT pg_current_wal_lsn()"; }
wal_fpi() { $PSQL -c "SELECT wal_fpi FROM pg_stat_wal"; }
checkpoints() { $PSQL -c "SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter"; }

# Rows archived (the ledger) + rows left = rows before; none older than ebb's cutoff left.
check_rows() { # database, table, rows before, run name
    local db=$1 table=$2 left old
    R_ROWS[$4]=$($PSQL -d "$db" -c "SELECT coalesce(sum(rows), 0) FROM ebb.archive_ledger")
    left=$($PSQL -d "$db" -c "SELECT count(*) FROM $table")
    [ $((R_ROWS[$4] + left)) = "$3" ] ||
        { echo "bench: ($4) ebb archived ${R_ROWS[$4]} rows and left $left of $3" >&2; exit 1; }
    R_CUTOFF[$4]=$(sed -n 's/.*; cutoff //p' "$out/stdout.$4")
    [ -n "${R_CUTOFF[$4]}" ] ||
        { echo "bench: ($4) no cutoff in ebb's output: $(cat "$out/stdout.$4")" >&2; exit 1; }
    old=$($PSQL -d "$db" -c "SELECT count(*) FROM $table WHERE triggered_at < '${R_CUTOFF[$4]}'")
    [ "$old" = 0 ] || { echo "bench: ($4) $old rows older than ${R_CUTOFF[$4]} left" >&2; exit 1; }
}

# (w): no partition wholly older than the cutoff left, in the tree or detached; the rows of
# the straddling partition and of the DEFAULT older than the cutoff were archived (none left:
# check_rows); the archived partitions' size before the run (R_PARTBYTES).
check_partitions() { # database, run name
    local db=$1 name=$2 n
    n=$($PSQL -d "$db" -c "SELECT count(*) FROM pg_partition_tree('analytics.events_p') t
        JOIN pg_class c ON c.oid = t.relid WHERE t.isleaf AND pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'
        AND substring(pg_get_expr(c.relpartbound, c.oid) FROM 'TO \(''(.*)''\)')::timestamp <= '${R_CUTOFF[$name]}'")
    [ "$n" = 0 ] || { echo "bench: ($name) $n expired partitions left in analytics.events_p" >&2; exit 1; }
    n=$($PSQL -d "$db" -c "SELECT count(*) FROM pg_class c WHERE c.relname LIKE 'events\_p\_%' AND c.relkind = 'r'
        AND c.oid NOT IN (SELECT relid FROM pg_partition_tree('analytics.events_p'))")
    [ "$n" = 0 ] || { echo "bench: ($name) $n detached partitions left" >&2; exit 1; }
    R_WHOLE[$name]=$($PSQL -d "$db" -c "SELECT count(*) FROM ebb.archive_ledger WHERE partition_oid IS NOT NULL")
    n=$($PSQL -d "$db" -c "SELECT count(*) FROM ebb.archive_ledger WHERE partition_oid IS NOT NULL
        AND partition_state IS DISTINCT FROM 'dropped'")
    [ "$n" = 0 ] || { echo "bench: ($name) $n archived partitions not 'dropped' in the ledger" >&2; exit 1; }
    R_WHOLEROWS[$name]=$($PSQL -d "$db" -c "SELECT coalesce(sum(rows), 0) FROM ebb.archive_ledger WHERE partition_oid IS NOT NULL")
    # the sizes of the leaves, taken before the run, of the partitions the ledger archived
    R_PARTBYTES[$name]=$(awk 'NR == FNR { b[$1] = $2; next } { s += b[$1] } END { print s + 0 }' \
        "$out/leaves.$name" <($PSQL -d "$db" -c "SELECT partition_oid FROM ebb.archive_ledger
            WHERE partition_oid IS NOT NULL"))
}

# One ebb run of $3 on a fresh copy: sizes before, CHECKPOINT, WAL position, the run, WAL
# position, sizes right after (no VACUUM in between), checks, then a plain VACUUM (not timed).
part_run() { # alternative, repetition, table
    local k=$1 name=$1.$2 table=$3 db=bench_$1 dir=$dest_dir/archive_$1 before dir0 lsn0 lsn1 fpi0 ck0
    fresh_db "$db"
    rm -rf "$dir"
    before=$($PSQL -d "$db" -c "SELECT count(*) FROM $table")
    R_BEFORE[$name]=$(table_bytes "$db" "$table")
    if [ "$k" = w ]; then
        $PSQL -d "$db" -F ' ' -c "SELECT relid::oid, pg_total_relation_size(relid) FROM pg_partition_tree('$table') WHERE isleaf" >"$out/leaves.$name"
        # the rows the row path has to take: the straddling partition's and the DEFAULT's
        R_DEFAULT[$name]=$($PSQL -d "$db" -c "SELECT count(*) FROM analytics.events_p_default")
    fi
    dir0=$(dir_bytes "$db")
    $PSQL -c "CHECKPOINT"
    ck0=$(checkpoints)
    fpi0=$(wal_fpi)
    lsn0=$(wal_lsn)
    run_measured "$name" "$ebb" archive --database "$db" --table "$table" \
        --time-column triggered_at --keep-days 2 --dest "file://$dir"
    lsn1=$(wal_lsn)
    R_FREED[$name]=$((R_BEFORE[$name] - $(table_bytes "$db" "$table")))
    R_DIRFREED[$name]=$((dir0 - $(dir_bytes "$db")))
    R_WAL[$name]=$($PSQL -c "SELECT pg_wal_lsn_diff('$lsn1', '$lsn0')::int8")
    R_FPI[$name]=$(($(wal_fpi) - fpi0))
    R_CKPT[$name]=$(($(checkpoints) - ck0))
    check_rows "$db" "$table" "$before" "$name"
    R_OBJECTS[$name]=$($PSQL -d "$db" -c "SELECT count(*) FROM ebb.archive_ledger")
    [ "$(find "$dir" -type f -name '*.csv.zst' | wc -l)" = "${R_OBJECTS[$name]}" ] ||
        { echo "bench: ($name) $dir does not hold the ledger's ${R_OBJECTS[$name]} objects" >&2; exit 1; }
    if [ "$k" = w ]; then
        check_partitions "$db" "$name"
        R_STRADDLE[$name]=$((R_ROWS[$name] - R_WHOLEROWS[$name])) # also the DEFAULT's
    fi
    $PSQL -d "$db" -c "VACUUM $table"
    R_VACFREED[$name]=$((R_BEFORE[$name] - $(table_bytes "$db" "$table")))
}

alt_r() { part_run r "$1" analytics.events; }
alt_w() { part_run w "$1" analytics.events_p; }

bench_runs r w
for k in r w; do
    [[ " $only " == *" $k "* ]] || continue
    bench_median "$k" R_WAL R_FPI R_CKPT R_BEFORE R_FREED R_DIRFREED R_VACFREED R_OBJECTS R_WHOLE \
        R_WHOLEROWS R_PARTBYTES R_STRADDLE R_DEFAULT R_CUTOFF
done

{
    echo "Rows: $rows generated over $days days (average row $avg_row bytes); analytics.events $size_r,"
    echo "analytics.events_p $size_w in $n_parts partitions (daily, DEFAULT included), tables with their indexes."
    echo "$ebb_version; machine: $(nproc) cores, $(uname -r); PostgreSQL $($PSQL -c 'SHOW server_version');"
    echo "autovacuum off in the bench cluster; a CHECKPOINT before every measured run."
    echo
    echo "Each alternative ran $repeat times, interleaved; the median run (by wall) is shown, with the range of walls."
    echo "WAL: pg_wal_lsn_diff of pg_current_wal_lsn() after and before the run (FPI: full-page images,"
    echo "pg_stat_wal); before: pg_total_relation_size of the table (summed over pg_partition_tree for (w));"
    echo "freed: before minus after, right after ebb exits (table; database directory on disk), and"
    echo "after a plain VACUUM (not timed)."
    echo
    echo "| alternative | wall s (median) | range s | rows archived | objects | server CPU s | client CPU s | client peak RSS MB | WAL MB | FPI | before MB | freed MB at exit | dir freed MB at exit | freed MB after VACUUM |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    for k in r w; do
        [ -n "${R_WALL[$k]:-}" ] || continue
        case $k in
            r) label="(r) ebb archive, plain table (row path)" ;;
            w) label="(w) ebb archive, daily partitions (partition path)" ;;
        esac
        printf '| %s | %.2f | %s | %s | %s | %.2f | %.2f | %s | %s | %s | %s | %s | %s | %s |\n' "$label" \
            "${R_WALL[$k]}" "${SPREAD[$k]}" "${R_ROWS[$k]}" "${R_OBJECTS[$k]}" "${R_SERVER[$k]}" \
            "${R_CLIENT[$k]}" "${R_RSS[$k]}" "$(mib "${R_WAL[$k]}")" "${R_FPI[$k]}" \
            "$(mib "${R_BEFORE[$k]}")" "$(mib "${R_FREED[$k]}")" "$(mib "${R_DIRFREED[$k]}")" \
            "$(mib "${R_VACFREED[$k]}")"
    done
    echo
    if [ -n "${R_WALL[w]:-}" ]; then
        echo "(w), median run: ${R_WHOLE[w]} partitions archived whole (${R_WHOLEROWS[w]} rows," \
            "$(mib "${R_PARTBYTES[w]}") MB before the run), dropped; ${R_STRADDLE[w]} rows of the partition" \
            "straddling the cutoff (${R_CUTOFF[w]}) by the row path; the DEFAULT held ${R_DEFAULT[w]} rows."
    fi
    echo "Checkpoints during the median runs: $(for k in r w; do
        if [ -n "${R_CKPT[$k]:-}" ]; then printf '(%s) %s; ' "$k" "${R_CKPT[$k]}"; fi
    done)"
    echo
    echo "Targets:"
    if [ -n "${R_WALL[r]:-}" ] && [ -n "${R_WALL[w]:-}" ]; then
        worst=$(for rep in $(seq 1 "$repeat"); do
            echo "scale=4; 100 * ${R_WAL[w.$rep]} / ${R_WAL[r.$rep]}" | bc
        done | sort -n | tail -1)
        echo "- WAL: (w) wrote $(pct "${R_WAL[w]}" "${R_WAL[r]}")% of (r)'s WAL on the medians" \
            "($(mib "${R_WAL[w]}") MB against $(mib "${R_WAL[r]}") MB), at most $(printf '%.1f' "$worst")% in a" \
            "repetition (target <= $wal_target_pct%): $(met "$worst <= $wal_target_pct")."
    fi
    if [ -n "${R_WALL[w]:-}" ]; then
        short=$(for rep in $(seq 1 "$repeat"); do
            echo "${R_PARTBYTES[w.$rep]} - ${R_FREED[w.$rep]}" | bc
        done | sort -n | tail -1)
        echo "- disk: (w) freed $(mib "${R_FREED[w]}") MB as ebb exited; the ${R_WHOLE[w]} archived partitions" \
            "held $(mib "${R_PARTBYTES[w]}") MB (target: all of it, in every run): $(met "$short <= 0")."
    fi
    if [ -n "${R_WALL[r]:-}" ]; then
        echo "  (r) freed $(mib "${R_FREED[r]}") MB as ebb exited ($(pct "${R_FREED[r]}" "${R_BEFORE[r]}")% of" \
            "the table, for $(pct "${R_ROWS[r]}" "$rows")% of its rows archived), $(mib "${R_VACFREED[r]}") MB" \
            "after a plain VACUUM: the dead rows' space is reusable then, not returned to the disk."
    fi
    echo
    bench_walls r w
    echo "WAL of every run, in order (MB):"
    for k in r w; do
        [ -n "${R_WALL[$k]:-}" ] || continue
        echo "- ($k) $(for rep in $(seq 1 "$repeat"); do
            if [ -n "${R_WAL[$k.$rep]:-}" ]; then printf '%s ' "$(mib "${R_WAL[$k.$rep]}")"; fi
        done)"
    done
    bench_load_line
} | tee "$out/results.md"
