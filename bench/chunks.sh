#!/usr/bin/env bash
# bench/chunks.sh: ebb archive of a TimescaleDB hypertable's expired chunks against the usual
# hand-written script and against ebb's row path, in ONE run on the same rows (issue 13).
# bench_tpl holds analytics.events (ebb generate --rows); bench_tpl_h, a copy of it, holds
# analytics.events_h instead: the same columns (LIKE analytics.events) and rows, a hypertable
# on triggered_at with 1-day chunks (create_hypertable's default index on triggered_at).
#   (r)  ebb archive --keep-days 2 of analytics.events: the row path, COPY (DELETE ...
#        RETURNING *) window by window (1h), CSV + zstd
#   (c)  the same of analytics.events_h: the chunk path, every chunk whose slice ends at or
#        before the cutoff archived whole (COPY SELECT, one object, verified) and dropped with
#        drop_chunks; the straddling chunk's old rows by the row path; CSV + zstd
#   (cw) (c) with --whole-partitions-only: the expired chunks only, as (h) does
#   (cp) (c) as Parquet (zstd inside the file)
#   (h)  the usual hand-written fix: list the chunks of timescaledb_information.chunks whose
#        range ends at or before LOCALTIMESTAMP - 2 days, one psql per chunk
#        `\copy (SELECT * FROM chunk) TO PROGRAM 'zstd -q -o FILE' (FORMAT csv, HEADER)`, then
#        `SELECT drop_chunks('analytics.events_h', older_than => cutoff)`. No fsync, no check of
#        the files, no ledger, nothing against rows written meanwhile: the baseline of speed,
#        not of safety. The straddling chunk's old rows stay.
# Each run starts from a fresh copy of its template (fresh_db_from), then a CHECKPOINT.
# Autovacuum is off in the bench cluster (ALTER SYSTEM), TimescaleDB runs no background worker
# (timescaledb.max_background_workers = 0; no job exists anyway) and nothing else connects to
# it: the WAL between pg_current_wal_lsn() before and after a run is that run's. Reports wall,
# server/client CPU ((h): bash, psql and zstd together), peak RSS, WAL bytes (and full-page
# images), the table's size before the run (pg_total_relation_size; hypertable_size), what was
# freed right after the run (table; database directory on disk; no VACUUM), and the expired
# chunks' size before the run. Every run is checked: rows archived (the ledger for ebb; lines
# of the objects, less their headers, for (h)) + rows left = rows before; no chunk whose slice
# ends at or before the run's cutoff left; for (r) and (c)/(cp) no row older than the cutoff
# left; ebb's objects on disk = the ledger's; every chunk in ebb's ledger 'dropped'.
# Writes $BENCH_DIR/results.md.
#   BENCH_ROWS (default 1000000), BENCH_DAYS (30), BENCH_DIR (default bench/out/chunks),
#   BENCH_DEST_DIR (archives; default $BENCH_DIR), BENCH_ONLY="r c cw cp h", BENCH_REPEAT (runs
#   of each, default 3), BENCH_EBB (the binary; default build/ebb, copied once so that a
#   rebuild cannot change it)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../tests/fixtures/pg.sh
source "$repo/tests/fixtures/pg.sh"
bash "$repo/scripts/setup.sh" bench >/dev/null
# shellcheck source=lib.sh
source "$repo/bench/lib.sh"

bench_options "$repo/bench/out/chunks" "r c cw cp h"
all=(r c cw cp h)
hyper=analytics.events_h

bench_fresh_out
declare -A R_WAL R_FPI R_CKPT R_BEFORE R_FREED R_DIRFREED R_OBJECTS R_CHUNKS R_CHUNKROWS \
    R_CHUNKBYTES R_STRADDLE R_OLDLEFT R_CUTOFF
trap 'pg_throwaway_stop "$out/pg"' EXIT
trap 'exit 130' INT TERM

load_before=$(bench_loadavg)
bench_start_preload timescaledb "timescaledb.telemetry_level = off" \
    "timescaledb.max_background_workers = 0"
# Nothing but the measured run may write WAL or shrink a table: no autovacuum in this cluster.
$PSQL -c "ALTER SYSTEM SET autovacuum = off" -c "SELECT pg_reload_conf()" >/dev/null
bench_generate

# bench_tpl_h: a copy of bench_tpl whose rows are in the hypertable analytics.events_h only.
echo "bench: building $hyper, a hypertable of the same rows in 1-day chunks"
$PSQL -c "CREATE DATABASE bench_tpl_h TEMPLATE bench_tpl STRATEGY FILE_COPY"
$PSQL -d bench_tpl_h >/dev/null <<SQL
SET client_min_messages = error; -- create_hypertable's advice on column types
CREATE EXTENSION timescaledb;
CREATE TABLE $hyper (LIKE analytics.events);
SELECT create_hypertable('$hyper', 'triggered_at', chunk_time_interval => interval '1 day');
INSERT INTO $hyper SELECT * FROM analytics.events;
DROP TABLE analytics.events;
VACUUM ANALYZE $hyper;
SQL
ts_version=$($PSQL -d bench_tpl_h -c "SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'")
n_chunks=$($PSQL -d bench_tpl_h -c "SELECT count(*) FROM show_chunks('$hyper')")
size_r=$($PSQL -d bench_tpl -c "SELECT pg_size_pretty(pg_total_relation_size('analytics.events'))")
size_h=$($PSQL -d bench_tpl_h -c "SELECT pg_size_pretty(hypertable_size('$hyper'))")
[ "$($PSQL -d bench_tpl_h -c "SELECT count(*) FROM $hyper")" = "$rows" ] ||
    { echo "bench: $hyper does not hold the $rows rows" >&2; exit 1; }
echo "bench: analytics.events $size_r; $hyper $size_h in $n_chunks chunks (TimescaleDB $ts_version)"

# (h): the hand-written script, as issue 13 describes it. Its arguments: database, directory.
cat >"$out/handwritten_chunks.sh" <<EOF
set -euo pipefail
db=\$1 dir=\$2
mkdir -p "\$dir"
cutoff=\$($PSQL -d "\$db" -c "SELECT LOCALTIMESTAMP - interval '2 days'")
chunks=\$($PSQL -d "\$db" -c "SELECT format('%I.%I', chunk_schema, chunk_name)
    FROM timescaledb_information.chunks
    WHERE hypertable_schema = 'analytics' AND hypertable_name = 'events_h'
      AND range_end <= '\$cutoff'::timestamp ORDER BY range_start")
for chunk in \$chunks; do
    $PSQL -d "\$db" -c "\\\\copy (SELECT * FROM \$chunk) TO PROGRAM 'zstd -q -o \$dir/\$chunk.csv.zst' (FORMAT csv, HEADER)"
done
dropped=\$($PSQL -d "\$db" -c "SELECT count(*) FROM drop_chunks('$hyper', older_than => '\$cutoff'::timestamp)")
echo "copied \$(wc -w <<<"\$chunks") chunks, dropped \$dropped; cutoff \$cutoff"
EOF

# pg_total_relation_size of a table; hypertable_size of a hypertable (every chunk, indexes)
table_bytes() { # database, table
    if [ "$2" = "$hyper" ]; then
        $PSQL -d "$1" -c "SELECT coalesce(hypertable_size('$2'), 0)"
    else
        $PSQL -d "$1" -c "SELECT pg_total_relation_size('$2')"
    fi
}
# Bytes of the database's directory on disk (a dropped table's file is truncated at COMMIT).
dir_bytes() { du -sb "$out/pg/data/base/$($PSQL -c "SELECT oid FROM pg_database WHERE datname = '$1'")" | cut -f1; }
wal_lsn() { $PSQL -c "SELECT pg_current_wal_lsn()"; }
wal_fpi() { $PSQL -c "SELECT wal_fpi FROM pg_stat_wal"; }
checkpoints() { $PSQL -c "SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter"; }
# The hypertable's chunks: name, end of the slice (as a timestamp, the column's type), bytes.
chunk_list() { # database
    $PSQL -d "$1" -F ' ' -c "SELECT format('%I.%I', c.chunk_schema, c.chunk_name),
            replace(c.range_end::timestamp::text, ' ', 'T'), s.total_bytes
        FROM timescaledb_information.chunks c
        JOIN chunks_detailed_size('$hyper') s USING (chunk_schema, chunk_name)
        WHERE c.hypertable_schema = 'analytics' AND c.hypertable_name = 'events_h'"
}
fail() { echo "bench: ($1) $2" >&2; exit 1; }

# No chunk whose slice ends at or before the run's cutoff left; the expired chunks' number and
# size before the run (from the list taken then).
check_chunks() { # database, run name
    local db=$1 name=$2 n
    n=$($PSQL -d "$db" -c "SELECT count(*) FROM timescaledb_information.chunks
        WHERE hypertable_schema = 'analytics' AND hypertable_name = 'events_h'
          AND range_end <= '${R_CUTOFF[$name]}'::timestamp")
    [ "$n" = 0 ] || fail "$name" "$n expired chunks left in $hyper"
    R_CHUNKS[$name]=$(awk -v c="${R_CUTOFF[$name]// /T}" '$2 <= c { n++ } END { print n + 0 }' "$out/chunks.$name")
    R_CHUNKBYTES[$name]=$(awk -v c="${R_CUTOFF[$name]// /T}" '$2 <= c { s += $3 } END { print s + 0 }' "$out/chunks.$name")
}

# The checks of an ebb run: ledger + rows left = rows before; objects on disk = the ledger's;
# every archived chunk dropped; no expired chunk left; rows older than the cutoff left
# (R_OLDLEFT; must be 0 but with --whole-partitions-only).
check_ebb() { # database, table, rows before, run name, object suffix, whole only
    local db=$1 table=$2 name=$4 left n
    R_ROWS[$name]=$($PSQL -d "$db" -c "SELECT coalesce(sum(rows), 0) FROM ebb.archive_ledger")
    left=$($PSQL -d "$db" -c "SELECT count(*) FROM $table")
    [ $((R_ROWS[$name] + left)) = "$3" ] || fail "$name" "ebb archived ${R_ROWS[$name]} rows and left $left of $3"
    R_CUTOFF[$name]=$(sed -n 's/.*; cutoff //p' "$out/stdout.$name")
    [ -n "${R_CUTOFF[$name]}" ] || fail "$name" "no cutoff in ebb's output: $(cat "$out/stdout.$name")"
    R_OLDLEFT[$name]=$($PSQL -d "$db" -c "SELECT count(*) FROM $table WHERE triggered_at < '${R_CUTOFF[$name]}'")
    [ "$6" = yes ] || [ "${R_OLDLEFT[$name]}" = 0 ] ||
        fail "$name" "${R_OLDLEFT[$name]} rows older than ${R_CUTOFF[$name]} left"
    R_OBJECTS[$name]=$($PSQL -d "$db" -c "SELECT count(*) FROM ebb.archive_ledger")
    n=$(find "$dest_dir/archive_${name%.*}" -type f -name "*.$5" | wc -l)
    [ "$n" = "${R_OBJECTS[$name]}" ] || fail "$name" "$n objects on disk, ${R_OBJECTS[$name]} in the ledger"
    [ "$table" = "$hyper" ] || return 0
    check_chunks "$db" "$name"
    n=$($PSQL -d "$db" -c "SELECT count(*) FROM ebb.archive_ledger WHERE partition_name IS NOT NULL
        AND partition_state IS DISTINCT FROM 'dropped'")
    [ "$n" = 0 ] || fail "$name" "$n archived chunks not 'dropped' in the ledger"
    n=$($PSQL -d "$db" -c "SELECT count(*) FROM ebb.archive_ledger WHERE partition_name IS NOT NULL")
    [ "$n" = "${R_CHUNKS[$name]}" ] || fail "$name" "the ledger holds $n chunks, ${R_CHUNKS[$name]} expired"
    R_CHUNKROWS[$name]=$($PSQL -d "$db" -c "SELECT coalesce(sum(rows), 0) FROM ebb.archive_ledger WHERE partition_name IS NOT NULL")
    R_STRADDLE[$name]=$((R_ROWS[$name] - R_CHUNKROWS[$name]))
}

# The checks of (h): lines of its objects (less one header each) + rows left = rows before; one
# object per expired chunk; no expired chunk left.
check_hand() { # database, rows before, run name, directory
    local db=$1 name=$3 dir=$4 left f lines=0
    R_CUTOFF[$name]=$(sed -n 's/.*; cutoff //p' "$out/stdout.$name")
    [ -n "${R_CUTOFF[$name]}" ] || fail "$name" "no cutoff in the script's output: $(cat "$out/stdout.$name")"
    R_OBJECTS[$name]=$(find "$dir" -type f -name '*.csv.zst' | wc -l)
    for f in "$dir"/*.csv.zst; do
        [ -e "$f" ] || continue
        lines=$((lines + $(zstd -dcq "$f" | wc -l) - 1))
    done
    R_ROWS[$name]=$lines
    left=$($PSQL -d "$db" -c "SELECT count(*) FROM $hyper")
    [ $((lines + left)) = "$2" ] || fail "$name" "the script's objects hold $lines rows and $left are left of $2"
    check_chunks "$db" "$name"
    [ "${R_OBJECTS[$name]}" = "${R_CHUNKS[$name]}" ] ||
        fail "$name" "${R_OBJECTS[$name]} objects for ${R_CHUNKS[$name]} expired chunks"
    R_CHUNKROWS[$name]=$lines
    R_OLDLEFT[$name]=$($PSQL -d "$db" -c "SELECT count(*) FROM $hyper WHERE triggered_at < '${R_CUTOFF[$name]}'")
}

# One run on a fresh copy: sizes before, CHECKPOINT, WAL position, the run, WAL position, sizes
# right after (no VACUUM), then the checks.
one_run() { # alternative, repetition
    local k=$1 name=$1.$2 db=bench_$1 dir=$dest_dir/archive_$1 table=$hyper tpl=bench_tpl_h \
        before dir0 lsn0 lsn1 fpi0 ck0
    if [ "$k" = r ]; then table=analytics.events tpl=bench_tpl; fi
    fresh_db_from "$db" "$tpl"
    rm -rf "$dir"
    before=$($PSQL -d "$db" -c "SELECT count(*) FROM $table")
    R_BEFORE[$name]=$(table_bytes "$db" "$table")
    [ "$table" = "$hyper" ] && chunk_list "$db" >"$out/chunks.$name"
    dir0=$(dir_bytes "$db")
    $PSQL -c "CHECKPOINT"
    ck0=$(checkpoints)
    fpi0=$(wal_fpi)
    lsn0=$(wal_lsn)
    case $k in
        h) run_measured "$name" bash "$out/handwritten_chunks.sh" "$db" "$dir" ;;
        *)
            local extra=()
            case $k in
                cw) extra=(--whole-partitions-only) ;;
                cp) extra=(--format parquet) ;;
            esac
            run_measured "$name" "$ebb" archive --database "$db" --table "$table" \
                --time-column triggered_at --keep-days 2 --dest "file://$dir" "${extra[@]}"
            ;;
    esac
    lsn1=$(wal_lsn)
    R_FREED[$name]=$((R_BEFORE[$name] - $(table_bytes "$db" "$table")))
    R_DIRFREED[$name]=$((dir0 - $(dir_bytes "$db")))
    R_WAL[$name]=$($PSQL -c "SELECT pg_wal_lsn_diff('$lsn1', '$lsn0')::int8")
    R_FPI[$name]=$(($(wal_fpi) - fpi0))
    R_CKPT[$name]=$(($(checkpoints) - ck0))
    case $k in
        h) check_hand "$db" "$before" "$name" "$dir" ;;
        cw) check_ebb "$db" "$table" "$before" "$name" csv.zst yes ;;
        cp) check_ebb "$db" "$table" "$before" "$name" parquet no ;;
        *) check_ebb "$db" "$table" "$before" "$name" csv.zst no ;;
    esac
}

alt_r() { one_run r "$1"; }
alt_c() { one_run c "$1"; }
alt_cw() { one_run cw "$1"; }
alt_cp() { one_run cp "$1"; }
alt_h() { one_run h "$1"; }

bench_runs "${all[@]}"
for k in "${all[@]}"; do
    [ -n "${R_WALL[$k.1]:-}" ] || continue
    bench_median "$k" R_WAL R_FPI R_CKPT R_BEFORE R_FREED R_DIRFREED R_OBJECTS R_CHUNKS \
        R_CHUNKROWS R_CHUNKBYTES R_STRADDLE R_OLDLEFT R_CUTOFF
done
have() { for x in "$@"; do [ -n "${R_WALL[$x]:-}" ] || return 1; done; }
# (a)/(b) of wall, server CPU, client CPU on the medians, and the range over every pairing of runs
ratios() { # a, b
    local a=$1 b=$2 lo hi
    read -r lo hi < <(for i in $(seq 1 "$repeat"); do for j in $(seq 1 "$repeat"); do
        if [ -n "${R_WALL[$a.$i]:-}" ] && [ -n "${R_WALL[$b.$j]:-}" ]; then
            echo "scale=4; ${R_WALL[$a.$i]} / ${R_WALL[$b.$j]}" | bc
        fi
    done; done | sort -n | sed -n '1p;$p' | xargs)
    printf 'wall %sx (any pairing of runs: %.2f-%.2fx), server CPU %sx, client CPU %sx' \
        "$(ratio "${R_WALL[$a]}" "${R_WALL[$b]}")" "$lo" "${hi:-$lo}" \
        "$(ratio "${R_SERVER[$a]}" "${R_SERVER[$b]}")" "$(ratio "${R_CLIENT[$a]}" "${R_CLIENT[$b]}")"
}

{
    echo "Rows: $rows generated over $days days (average row $avg_row bytes); analytics.events $size_r,"
    echo "$hyper $size_h in $n_chunks chunks of 1 day (TimescaleDB $ts_version), tables with their indexes."
    echo "$ebb_version; machine: $(nproc) cores, $(uname -r); PostgreSQL $($PSQL -c 'SHOW server_version');"
    echo "TimeZone $($PSQL -c 'SHOW timezone'); autovacuum off, no TimescaleDB background worker; a CHECKPOINT before every run."
    echo
    echo "Each alternative ran $repeat times, interleaved; the median run (by wall) is shown, with the range of walls."
    echo "WAL: pg_wal_lsn_diff of pg_current_wal_lsn() after and before the run (FPI: full-page images,"
    echo "pg_stat_wal); before: pg_total_relation_size of the table, hypertable_size of the hypertable;"
    echo "freed: before minus after, right after the run (table; database directory on disk), no VACUUM;"
    echo "expired chunks: those whose slice ends at or before the run's cutoff, their size before the run."
    echo
    echo "| alternative | wall s (median) | range s | rows archived | rows/s | objects | server CPU s | client CPU s | client peak RSS MB | WAL MB | FPI | before MB | freed MB at exit | dir freed MB at exit | expired chunks (MB) | old rows left |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    for k in "${all[@]}"; do
        have "$k" || continue
        case $k in
            r) label="(r) ebb archive, plain table (row path), CSV + zstd" ;;
            c) label="(c) ebb archive, hypertable (chunk path), CSV + zstd" ;;
            cw) label="(cw) the same, --whole-partitions-only" ;;
            cp) label="(cp) ebb archive, hypertable, Parquet (zstd)" ;;
            h) label="(h) hand-written: \\copy each expired chunk to zstd, drop_chunks (no verification)" ;;
        esac
        printf '| %s | %.2f | %s | %s | %.0f | %s | %.2f | %.2f | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$label" \
            "${R_WALL[$k]}" "${SPREAD[$k]}" "${R_ROWS[$k]}" "$(echo "${R_ROWS[$k]} / ${R_WALL[$k]}" | bc)" \
            "${R_OBJECTS[$k]}" "${R_SERVER[$k]}" "${R_CLIENT[$k]}" "${R_RSS[$k]}" "$(mib "${R_WAL[$k]}")" \
            "${R_FPI[$k]}" "$(mib "${R_BEFORE[$k]}")" "$(mib "${R_FREED[$k]}")" "$(mib "${R_DIRFREED[$k]}")" \
            "$([ "$k" = r ] && echo - || echo "${R_CHUNKS[$k]} ($(mib "${R_CHUNKBYTES[$k]}"))")" "${R_OLDLEFT[$k]}"
    done
    echo
    for k in c cw cp h; do
        have "$k" || continue
        if [ "$k" = h ]; then
            echo "($k), median run: ${R_CHUNKS[$k]} expired chunks copied (${R_CHUNKROWS[$k]} rows) and dropped;" \
                "${R_OLDLEFT[$k]} rows older than its cutoff (${R_CUTOFF[$k]}) left in the straddling chunk."
        else
            echo "($k), median run: ${R_CHUNKS[$k]} chunks archived whole (${R_CHUNKROWS[$k]} rows) and dropped;" \
                "${R_STRADDLE[$k]} rows of the chunk straddling the cutoff (${R_CUTOFF[$k]}) by the row path;" \
                "${R_OLDLEFT[$k]} rows older than the cutoff left."
        fi
    done
    echo "Checkpoints during the median runs: $(for k in "${all[@]}"; do
        if [ -n "${R_CKPT[$k]:-}" ]; then printf '(%s) %s; ' "$k" "${R_CKPT[$k]}"; fi
    done)"
    echo
    echo "Ratios (medians):"
    if have c h; then
        echo "- (c)/(h): $(ratios c h); WAL $(ratio "${R_WAL[c]}" "${R_WAL[h]}")x;" \
            "(c) archived $(ratio "${R_ROWS[c]}" "${R_ROWS[h]}")x the rows (the straddling chunk's old ones too)."
    fi
    if have cw h; then
        echo "- (cw)/(h), the same chunks: $(ratios cw h); WAL $(ratio "${R_WAL[cw]}" "${R_WAL[h]}")x."
    fi
    if have c r; then
        echo "- (c)/(r): $(ratios c r); WAL $(pct "${R_WAL[c]}" "${R_WAL[r]}")% of (r)'s;" \
            "freed at exit $(mib "${R_FREED[c]}") MB against $(mib "${R_FREED[r]}") MB."
    fi
    if have cp c; then
        echo "- (cp)/(c): $(ratios cp c)."
    fi
    echo
    echo "Freed at once, every run: $(for k in c cw cp h; do
        have "$k" || continue
        short=$(for rep in $(seq 1 "$repeat"); do
            if [ -n "${R_WALL[$k.$rep]:-}" ]; then echo "${R_CHUNKBYTES[$k.$rep]} - ${R_FREED[$k.$rep]}" | bc; fi
        done | sort -n | tail -1)
        printf '(%s) %s; ' "$k" "$([ "$(echo "$short <= 0" | bc)" = 1 ] && echo "the expired chunks' size or more" || echo "LESS than the expired chunks' size (by up to $short bytes)")"
    done)"
    echo
    bench_walls "${all[@]}"
    echo "WAL of every run, in order (MB):"
    for k in "${all[@]}"; do
        have "$k" || continue
        echo "- ($k) $(for rep in $(seq 1 "$repeat"); do
            if [ -n "${R_WAL[$k.$rep]:-}" ]; then printf '%s ' "$(mib "${R_WAL[$k.$rep]}")"; fi
        done)"
    done
    bench_load_line
} | tee "$out/results.md"
