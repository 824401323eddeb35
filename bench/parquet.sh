#!/usr/bin/env bash
# bench/parquet.sh: ebb archive --format parquet against ebb's CSV and against DuckDB, in ONE
# run, on the same data as bench/archive.sh (ebb generate --rows, a fresh copy per alternative).
#   (p)   ebb archive --format parquet (zstd inside the file), 1h windows, file://
#   (c)   ebb archive --format csv (zstd), 1h windows, file://: the same rows as CSV
#   (p1d) ebb archive --format parquet --window 1d: daily files (sizes to compare with (kd))
#   (r8)  the same with --row-group-bytes 8MiB (one run): peak RSS follows the row-group budget
#   (x)   psql: COPY (SELECT * FROM analytics.events WHERE triggered_at < <cutoff>) TO STDOUT
#         (FORMAT csv, HEADER) into a file, <cutoff> being where (p) of the same repetition
#         stopped: the rows (p) archived, exported for DuckDB
#   (k)   DuckDB (bench/duckdb_parquet.mjs, npm @duckdb/node-api): read_csv of (x)'s file with
#         the table's column types, COPY ... TO one file (FORMAT parquet, COMPRESSION zstd)
#   (kh)  the same, one file per hour (PARTITION_BY dt, hour: ebb's layout of (p))
#   (kd)  the same, one file per day (PARTITION_BY dt: the layout of (p1d))
# Reports rows/s, MB/s (of PostgreSQL's text form of the rows), server and client CPU seconds,
# peak RSS and output bytes (.parquet / .csv.zst objects, manifests excluded), and checks the
# targets: (p) at >= 0.6x the rows/s of (c); (p) at <= 1.1x the bytes of (kh); every ebb
# Parquet run at <= its --row-group-bytes + 32 MB of peak RSS (the bench exits 1 otherwise).
# Every ebb run must have archived exactly the rows that left the table, and DuckDB's count(*)
# over ebb's Parquet objects (read_parquet, hive_partitioning) must equal the ledger's rows.
# Writes $BENCH_DIR/results.md.
#   BENCH_ROWS (default 1000000), BENCH_DAYS (30), BENCH_DIR (default bench/out/parquet),
#   BENCH_DEST_DIR (archives and DuckDB's files; default $BENCH_DIR),
#   BENCH_ONLY="p c p1d k r8" (k runs x, k, kh and kd), BENCH_REPEAT (runs of each but r8,
#   default 3), BENCH_EBB (the binary; default build/ebb, copied once so that a rebuild
#   cannot change it)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../tests/fixtures/pg.sh
source "$repo/tests/fixtures/pg.sh"
bash "$repo/scripts/setup.sh" bench >/dev/null # also DuckDB: npm ci of tests/node
# shellcheck source=lib.sh
source "$repo/bench/lib.sh"

bench_options "$repo/bench/out/parquet" "p c p1d k r8"
duck=$repo/bench/duckdb_parquet.mjs
rss_slack_mib=32 # the bound: --row-group-bytes + 32 MB
declare -A BUDGET=([p]=64 [p1d]=64 [r8]=8) # --row-group-bytes of each ebb Parquet run, MiB

[ -e "$repo/tests/node/node_modules/@duckdb/node-api" ] ||
    { echo "bench: @duckdb/node-api is missing (scripts/setup.sh runs npm ci)" >&2; exit 1; }

bench_fresh_out
duckdb_version=$(node -p "require('$repo/tests/node/node_modules/@duckdb/node-api/package.json').version")
declare -A R_OBJECTS R_BYTES R_USER R_GROUPS R_DATA
trap 'pg_throwaway_stop "$out/pg"' EXIT
trap 'exit 130' INT TERM

load_before=$(bench_loadavg)
bench_start
bench_generate
# DuckDB reads the rows with the types of src/cmd/generate_sql.c's table: it must be that one
shape=$($PSQL -d bench_tpl -c "SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum)
    FROM pg_attribute WHERE attrelid = 'analytics.events'::regclass AND attnum > 0 AND NOT attisdropped")
[ "$shape" = "id integer, triggered_at timestamp without time zone, name character varying(255), os character varying(255), platform character varying(255), device character varying(255), user_details jsonb, data jsonb" ] ||
    { echo "bench: analytics.events is not the table bench/duckdb_parquet.mjs reads: $shape" >&2; exit 1; }
bench_text_size

# The client's user CPU of run $1 (R_CLIENT is user + system).
user_cpu() { cut -d' ' -f1 "$out/time.$1"; }

# rows archived (the ledger) + rows left = rows generated
check_rows() { # database, run name
    local left
    R_ROWS[$2]=$($PSQL -d "$1" -c "SELECT coalesce(sum(rows), 0) FROM ebb.archive_ledger")
    left=$($PSQL -d "$1" -c "SELECT count(*) FROM analytics.events")
    [ $((R_ROWS[$2] + left)) = "$rows" ] ||
        { echo "bench: ($2) ebb archived ${R_ROWS[$2]} rows and left $left of $rows" >&2; exit 1; }
}

# Parquet read back by DuckDB (not timed): its count(*) must be $2; sets R_GROUPS (row groups)
# and R_DATA (bytes of the column chunks, footers excluded) of run $3.
parquet_meta() { # file or directory, rows expected, run name
    local n
    read -r n "R_GROUPS[$3]" "R_DATA[$3]" < <(node "$duck" count "$1")
    [ "$n" = "$2" ] || { echo "bench: ($3) DuckDB counts $n rows in $1, expected $2" >&2; exit 1; }
}

# One ebb run into $dest_dir/archive_<alternative>: rows checked, objects counted and sized; a
# Parquet run's objects are read back by DuckDB, whose count(*) must be the ledger's rows.
ebb_run() { # alternative, repetition, format, extra options...
    local k=$1 rep=$2 name=$1.$2 fmt=$3 dir=$dest_dir/archive_$1 db=bench_$1 ext n
    shift 3
    fresh_db "$db"
    rm -rf "$dir"
    run_measured "$name" "$ebb" archive --database "$db" --table analytics.events \
        --time-column triggered_at --dest "file://$dir" --format "$fmt" --compress zstd "$@"
    check_rows "$db" "$name"
    R_USER[$name]=$(user_cpu "$name")
    ext=$([ "$fmt" = parquet ] && echo parquet || echo csv.zst)
    R_OBJECTS[$name]=$(find "$dir" -type f -name "*.$ext" | wc -l)
    R_BYTES[$name]=$(bytes_of "$dir" "*.$ext")
    n=$($PSQL -d "$db" -c "SELECT count(*) FROM ebb.archive_ledger")
    [ "${R_OBJECTS[$name]}" = "$n" ] ||
        { echo "bench: ($name) $dir holds ${R_OBJECTS[$name]} objects, the ledger $n" >&2; exit 1; }
    if [ "$fmt" = parquet ]; then parquet_meta "$dir" "${R_ROWS[$name]}" "$name"; fi
    if [ "$k" = p ]; then
        # where this run stopped: every row older than the oldest one left was archived
        P_CUT[$rep]=$($PSQL -d "$db" -c "SELECT min(triggered_at) FROM analytics.events")
    fi
}
declare -A P_CUT

# Each alternative, on its own fresh copy of the data; $1 is the repetition.
alt_p() { ebb_run p "$1" parquet; }
alt_c() { ebb_run c "$1" csv; }
alt_p1d() { ebb_run p1d "$1" parquet --window 1d; }
alt_r8() { ebb_run r8 "$1" parquet --window 1d --row-group-bytes 8MiB; }

# (x) the export, then (k), (kh) and (kd) convert it
alt_k() {
    local rep=$1 csv=$dest_dir/export.csv cut n k layout target
    fresh_db bench_k
    # the rows (p) archived in this repetition; without (p), those older than the cutoff now
    cut=${P_CUT[$rep]:-$($PSQL -d bench_k -c "SELECT $cutoff_sql")}
    n=$($PSQL -d bench_k -c "SELECT count(*) FROM analytics.events WHERE triggered_at < '$cut'")
    if [ -n "${R_ROWS[p.$rep]:-}" ] && [ "$n" != "${R_ROWS[p.$rep]}" ]; then
        echo "bench: (x.$rep) $n rows before $cut, (p) archived ${R_ROWS[p.$rep]}" >&2
        exit 1
    fi
    rm -f "$csv"
    run_measured "x.$rep" $PSQL -d bench_k \
        -c "COPY (SELECT * FROM analytics.events WHERE triggered_at < '$cut') TO STDOUT (FORMAT csv, HEADER)" \
        -o "$csv"
    R_ROWS[x.$rep]=$n
    R_USER[x.$rep]=$(user_cpu "x.$rep")
    R_OBJECTS[x.$rep]=1
    R_BYTES[x.$rep]=$(stat -c %s "$csv")
    for k in k kh kd; do
        case $k in
            k) layout=single target=$dest_dir/duckdb_k.parquet ;;
            kh) layout=hour target=$dest_dir/duckdb_kh ;;
            kd) layout=day target=$dest_dir/duckdb_kd ;;
        esac
        rm -rf "$target"
        run_measured "$k.$rep" node "$duck" convert "$csv" "$target" "$layout"
        R_ROWS[$k.$rep]=$(cat "$out/stdout.$k.$rep")
        [ "${R_ROWS[$k.$rep]}" = "$n" ] ||
            { echo "bench: ($k.$rep) DuckDB wrote ${R_ROWS[$k.$rep]} rows of $n" >&2; exit 1; }
        R_USER[$k.$rep]=$(user_cpu "$k.$rep")
        R_OBJECTS[$k.$rep]=$(find "$target" -type f -name '*.parquet' | wc -l)
        R_BYTES[$k.$rep]=$(bytes_of "$target" '*.parquet')
        parquet_meta "$target" "$n" "$k.$rep"
    done
    rm -f "$csv"
}

# r8 runs once, in the first repetition.
bench_runs --once r8 p c p1d k r8

# The memory bound, on every run of (p), (p1d) and (r8), not only the median.
rss_fail=()
for key in "${!R_RSS[@]}"; do
    k=${key%.*}
    [ -n "${BUDGET[$k]:-}" ] || continue
    read -r _ _ kib <"$out/time.$key"
    if [ "$kib" -gt $(((BUDGET[$k] + rss_slack_mib) * 1024)) ]; then
        rss_fail+=("($key) peak RSS $((kib / 1024)) MB > bound $((BUDGET[$k] + rss_slack_mib)) MB")
    fi
done

all=(p c p1d r8 x k kh kd)
for k in "${all[@]}"; do
    [ -n "${R_WALL[$k.1]:-}" ] || continue
    bench_median "$k" R_OBJECTS R_BYTES R_USER R_GROUPS R_DATA
done

rps() { echo "${R_ROWS[$1]} / ${R_WALL[$1]}" | bc; }
{
    echo "Rows: $rows generated over $days days (average row $avg_row bytes, table $table_size);"
    echo "archived: $expected rows older than 2 days = $mb MB in PostgreSQL's text form."
    echo "$ebb_version; machine: $(nproc) cores, $(uname -r); PostgreSQL $($PSQL -c 'SHOW server_version');"
    echo "DuckDB $duckdb_version (npm @duckdb/node-api) on Node $(node --version), its defaults:" \
        "$(nproc) threads, zstd level 3, row groups of 122880 rows."
    echo
    echo "Each alternative ran $repeat times, interleaved ((r8) once); the median run is shown, with the range of walls."
    echo "out: .parquet / .csv.zst objects (manifests excluded); for (x), the CSV file."
    echo
    echo "| alternative | wall s (median) | range s | rows/s | MB/s | out MB | objects | server CPU s | client CPU s | client user s | client peak RSS MB |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|"
    for k in "${all[@]}"; do
        [ -n "${R_WALL[$k]:-}" ] || continue
        case $k in
            p) label="(p) ebb archive --format parquet (zstd), 1h windows" ;;
            c) label="(c) ebb archive --format csv (zstd), 1h windows" ;;
            p1d) label="(p1d) ebb archive --format parquet --window 1d" ;;
            r8) label="(r8) the same, --row-group-bytes 8MiB (1 run)" ;;
            x) label="(x) psql COPY (SELECT ...) TO STDOUT (FORMAT csv, HEADER), to a file" ;;
            k) label="(k) DuckDB: (x)'s CSV to one Parquet file (zstd)" ;;
            kh) label="(kh) DuckDB: the same, one file per hour" ;;
            kd) label="(kd) DuckDB: the same, one file per day" ;;
        esac
        printf '| %s | %.2f | %s | %s | %s | %s | %s | %.2f | %.2f | %.2f | %s |\n' "$label" \
            "${R_WALL[$k]}" "${SPREAD[$k]}" "$(rps "$k")" "$(echo "scale=1; $mb / ${R_WALL[$k]}" | bc)" \
            "$(mib "${R_BYTES[$k]}")" "${R_OBJECTS[$k]}" "${R_SERVER[$k]}" "${R_CLIENT[$k]}" \
            "${R_USER[$k]}" "${R_RSS[$k]}"
    done
    echo
    echo "Bytes (median runs): $(for k in "${all[@]}"; do
        if [ -n "${R_BYTES[$k]:-}" ]; then printf '(%s) %s; ' "$k" "${R_BYTES[$k]}"; fi
    done)"
    echo
    echo "The Parquet files (median runs; read back by DuckDB): column chunks are the compressed"
    echo "pages (dictionaries included); the rest of a file is its footer (schema, row group and"
    echo "column metadata, statistics; DuckDB's also bloom filters) and the magic bytes."
    echo
    echo "| alternative | files | row groups | file MB | column chunks MB | rest, bytes per file |"
    echo "|---|---|---|---|---|---|"
    for k in p p1d r8 k kh kd; do
        [ -n "${R_DATA[$k]:-}" ] || continue
        echo "| ($k) | ${R_OBJECTS[$k]} | ${R_GROUPS[$k]} | $(mib "${R_BYTES[$k]}") | $(mib "${R_DATA[$k]}") |" \
            "$(((R_BYTES[$k] - R_DATA[$k]) / R_OBJECTS[$k])) |"
    done
    echo
    if [ -n "${R_WALL[x]:-}" ] && [ -n "${R_WALL[k]:-}" ]; then
        echo "Export + DuckDB: (x)+(k) $(printf '%.2f' "$(echo "${R_WALL[x]} + ${R_WALL[k]}" | bc)") s," \
            "(x)+(kh) $(printf '%.2f' "$(echo "${R_WALL[x]} + ${R_WALL[kh]}" | bc)") s" \
            "(DuckDB deletes nothing and commits nothing; ebb's runs do both)."
    fi
    echo
    echo "Targets:"
    if [ -n "${R_WALL[p]:-}" ] && [ -n "${R_WALL[c]:-}" ]; then
        r=$(echo "scale=4; $(rps p) / $(rps c)" | bc)
        echo "- speed: (p) at $(printf '%.2f' "$r")x the rows/s of (c) (target >= 0.6x): $(met "$r >= 0.6")."
        echo "  Client user CPU: (p) $(printf '%.2f' "${R_USER[p]}") s, (c) $(printf '%.2f' "${R_USER[c]}") s;" \
            "server CPU: (p) ${R_SERVER[p]} s, (c) ${R_SERVER[c]} s."
    fi
    if [ -n "${R_BYTES[p]:-}" ] && [ -n "${R_BYTES[kh]:-}" ]; then
        r=$(echo "scale=4; ${R_BYTES[p]} / ${R_BYTES[kh]}" | bc)
        echo "- size: (p) at $(ratio "${R_BYTES[p]}" "${R_BYTES[kh]}")x the bytes of (kh), DuckDB with the same" \
            "files (one per hour) (target <= 1.1x): $(met "$r <= 1.1")."
        echo "  Against DuckDB's single file (k): $(ratio "${R_BYTES[p]}" "${R_BYTES[k]}")x."
    fi
    if [ -n "${R_BYTES[p1d]:-}" ] && [ -n "${R_BYTES[kd]:-}" ]; then
        echo "  Daily files: (p1d) at $(ratio "${R_BYTES[p1d]}" "${R_BYTES[kd]}")x the bytes of (kd)," \
            "$(ratio "${R_BYTES[p1d]}" "${R_BYTES[k]}")x of (k)."
    fi
    if [ -n "${R_BYTES[p]:-}" ] && [ -n "${R_BYTES[c]:-}" ]; then
        echo "  Parquet against CSV: (p) at $(ratio "${R_BYTES[p]}" "${R_BYTES[c]}")x the bytes of (c)."
    fi
    for k in p p1d r8; do
        [ -n "${R_WALL[$k]:-}" ] || continue
        max=$(bench_max_rss "$k")
        echo "- memory: ($k) peak RSS at most $max MB over its runs; bound ${BUDGET[$k]} MiB row groups +" \
            "$rss_slack_mib MB = $((BUDGET[$k] + rss_slack_mib)) MB: $(met "$max <= $((BUDGET[$k] + rss_slack_mib))")."
    done
    echo
    bench_walls "${all[@]}"
    bench_load_line
    for f in "${rss_fail[@]}"; do echo "FAIL: $f"; done
} | tee "$out/results.md"

bench_rss_exit "the bound of --row-group-bytes + $rss_slack_mib MB"
