# shellcheck shell=bash
# Sourced by every benchmark here (archive.sh, chunks.sh, parquet.sh, partition.sh, reclaim.sh,
# restore.sh, s3.sh):
# what they do the same way.
#   bench_options DIR ONLY  the BENCH_* settings: rows, days, out (default DIR), dest_dir, only
#                     (default ONLY), repeat and ebb
#   bench_fresh_out   an empty $out (and $dest_dir); ebb copied into it (sets ebb, ebb_version)
#   bench_start       a throwaway PostgreSQL in $out/pg (the caller's EXIT trap stops it)
#   bench_start_preload LIBS [LINE...]  the same, restarted with shared_preload_libraries = LIBS
#                     and the postgresql.conf LINEs given (TimescaleDB needs the preload)
#   bench_generate    bench_tpl: $rows generated rows over $days days (sets gen_s, table_size, avg_row)
#   fresh_db NAME     drop every other bench_* copy, then NAME as a copy of bench_tpl
#   fresh_db_from NAME TPL  the same from the template database TPL (every bench_tpl* is kept)
#   bench_text_size   rows older than the cutoff and their size in PostgreSQL's text form
#                     (sets expected, text_bytes, mb)
#   run_measured NAME CMD...  wall, client CPU and peak RSS (/usr/bin/time), server CPU
#   bench_runs [--once K] K...  alt_K REP for each repetition, interleaved, for K in $only
#   bench_median K    the median run of K (by wall) into R_*[K], the range of walls into SPREAD[K]
#   bench_max_rss K   the largest peak RSS (MB) over the runs of K
#   bench_walls K...  the results' lines with the wall of every run
#   bench_load_line   the results' line with the load average before ($load_before) and after
#   bench_rss_exit WHAT  exit 1 (after the results) when rss_fail lists a run over WHAT
#   bytes_of DIR GLOB, mib BYTES, pct A B, ratio A B, met BC-EXPRESSION: small formatting helpers
# The caller sets repo (or calls bench_options), sources tests/fixtures/pg.sh first, then this.

PSQL="$PG_BINDIR/psql -X -q -At -v ON_ERROR_STOP=1"
TICK=$(getconf CLK_TCK)
cutoff_sql="LOCALTIMESTAMP - interval '2 days'"
declare -A R_WALL R_CLIENT R_SERVER R_RSS R_ROWS SPREAD

bench_options() { # default $out, default $only
    rows=${BENCH_ROWS:-1000000}
    days=${BENCH_DAYS:-30}
    out=${BENCH_DIR:-$1}
    dest_dir=${BENCH_DEST_DIR:-$out}
    only=${BENCH_ONLY:-$2}
    repeat=${BENCH_REPEAT:-3}
    ebb=${BENCH_EBB:-$repo/build/ebb}
}

# The binary is copied once, so that a rebuild during the run cannot change it.
bench_fresh_out() {
    rm -rf "$out"
    mkdir -p "$out" "$dest_dir"
    cp "$ebb" "$out/ebb"
    ebb_version=$("$out/ebb" --version)
    ebb=$out/ebb
}

bench_loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

bench_start() {
    pg_usable_dir "$out/pg" || { echo "bench: $out is not reachable by the postgres user" >&2; exit 1; }
    pg_throwaway_start "$out/pg"
    postmaster=$(head -1 "$out/pg/data/postmaster.pid")
}

# tests/fixtures/pg.sh writes a fixed postgresql.conf; a library that must be preloaded is
# added after initdb and takes a restart (the postmaster's pid changes).
bench_start_preload() { # shared_preload_libraries, then postgresql.conf lines
    local libs=$1
    shift
    bench_start
    { echo "shared_preload_libraries = '$libs'"; printf '%s\n' "$@"; } >>"$out/pg/data/postgresql.conf"
    (cd "$out/pg" && pg_as_owner "$PG_BINDIR/pg_ctl" -D "$out/pg/data" -l "$out/pg/server.log" \
        -w restart >/dev/null) || { cat "$out/pg/server.log" >&2; return 1; }
    postmaster=$(head -1 "$out/pg/data/postmaster.pid")
    [ "$($PSQL -c 'SHOW shared_preload_libraries')" = "$libs" ] ||
        { echo "bench: shared_preload_libraries is not '$libs' after the restart" >&2; return 1; }
}

# CPU ticks of the whole server: the postmaster and its live children, plus the exited children
# it reaped. Only this cluster's processes: other PostgreSQL servers on the machine (tests run
# as the same postgres user) must not count.
server_ticks() {
    local total=0 pid f
    for pid in "$postmaster" $(pgrep -P "$postmaster" || true); do
        f=$(cut -d' ' -f14,15 "/proc/$pid/stat" 2>/dev/null) || continue
        total=$((total + ${f% *} + ${f#* }))
    done
    f=$(cut -d' ' -f16,17 "/proc/$postmaster/stat")
    echo $((total + ${f% *} + ${f#* }))
}

# Waits until only the background processes are left (the client's backend has exited).
wait_backends_gone() {
    local n
    for _ in $(seq 1 500); do
        n=$($PSQL -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()")
        [ "$n" = 0 ] && return 0
        $PSQL -d postgres -c "SELECT pg_sleep(0.01)" >/dev/null
    done
}

bench_generate() {
    local t0 t1
    echo "bench: generating $rows rows over $days days"
    $PSQL -c "CREATE DATABASE bench_tpl"
    t0=$(date +%s.%N)
    "$ebb" generate --database bench_tpl --rows "$rows" --days "$days" --end "$(date -u '+%Y-%m-%d %H:%M:%S')"
    t1=$(date +%s.%N)
    $PSQL -d bench_tpl -c "VACUUM ANALYZE analytics.events"
    gen_s=$(echo "$t1 - $t0" | bc)
    table_size=$($PSQL -d bench_tpl -c "SELECT pg_size_pretty(pg_table_size('analytics.events'))")
    avg_row=$($PSQL -d bench_tpl -c "SELECT avg(pg_column_size(e.*))::int FROM analytics.events e")
    echo "bench: generated in ${gen_s}s; table $table_size, average row $avg_row bytes"
}

fresh_db() {
    local old
    # one copy at a time on disk: drop the previous alternative's database first
    for old in $($PSQL -c "SELECT datname FROM pg_database WHERE datname LIKE 'bench\_%' AND datname <> 'bench_tpl'"); do
        $PSQL -c "DROP DATABASE IF EXISTS $old"
    done
    $PSQL -c "CREATE DATABASE $1 TEMPLATE bench_tpl STRATEGY FILE_COPY"
    $PSQL -c "CHECKPOINT"
}

fresh_db_from() { # name, template
    local old
    for old in $($PSQL -c "SELECT datname FROM pg_database WHERE datname LIKE 'bench\_%' AND datname NOT LIKE 'bench\_tpl%'"); do
        $PSQL -c "DROP DATABASE IF EXISTS $old"
    done
    $PSQL -c "CREATE DATABASE $1 TEMPLATE $2 STRATEGY FILE_COPY"
    $PSQL -c "CHECKPOINT"
}

bench_text_size() {
    fresh_db bench_text
    # the size of the archived rows in PostgreSQL's text form (what the COPY streams), for MB/s
    text_bytes=$($PSQL -d bench_text -c "BEGIN" -c "COPY (SELECT * FROM analytics.events WHERE triggered_at < $cutoff_sql) TO STDOUT" -c "ROLLBACK" | wc -c)
    expected=$($PSQL -d bench_text -c "SELECT count(*) FROM analytics.events WHERE triggered_at < $cutoff_sql")
    mb=$(echo "scale=1; $text_bytes / 1048576" | bc)
    echo "bench: $expected rows older than 2 days, $mb MB in PostgreSQL's text form"
}

run_measured() { # name, then the command
    local name=$1 s0 t0 t1 s1 u s m
    shift
    wait_backends_gone
    s0=$(server_ticks)
    t0=$(date +%s.%N)
    /usr/bin/time -f "%U %S %M" -o "$out/time.$name" "$@" >"$out/stdout.$name"
    t1=$(date +%s.%N)
    wait_backends_gone
    s1=$(server_ticks)
    read -r u s m <"$out/time.$name"
    R_WALL[$name]=$(echo "$t1 - $t0" | bc)
    R_CLIENT[$name]=$(echo "$u + $s" | bc)
    R_SERVER[$name]=$(echo "scale=2; ($s1 - $s0) / $TICK" | bc)
    R_RSS[$name]=$((m / 1024))
}

# The median run of alternative $1 over the runs R_WALL[$1.1 .. $1.N] that exist; every
# array given after $1 (R_WALL R_CLIENT ... by default) gets its value for that run under $1.
bench_median() {
    local k=$1 reps median m
    shift
    reps=$(for key in "${!R_WALL[@]}"; do
        if [[ $key == "$k".* ]]; then echo "${key#"$k".}"; fi
    done | sort -n)
    median=$(for rep in $reps; do echo "${R_WALL[$k.$rep]} $rep"; done | sort -n |
        sed -n "$((($(wc -w <<<"$reps") + 1) / 2))p" | cut -d' ' -f2)
    for m in R_WALL R_CLIENT R_SERVER R_RSS R_ROWS "$@"; do
        declare -n arr=$m
        arr[$k]=${arr[$k.$median]:-}
        unset -n arr
    done
    SPREAD[$k]=$(for rep in $reps; do echo "${R_WALL[$k.$rep]}"; done | sort -n |
        sed -n '1p;$p' | xargs printf '%.1f-%.1f')
}

# Repetitions are interleaved (a b c, a b c, ...) so that drift on a shared machine hits every
# alternative alike; only the alternatives named in $only run, --once K only in the first.
bench_runs() { # [--once K] alternatives...
    local once="" rep k
    if [ "$1" = --once ]; then
        once=$2
        shift 2
    fi
    for rep in $(seq 1 "$repeat"); do
        for k in "$@"; do
            [[ " $only " == *" $k "* ]] || continue
            [ "$k" = "$once" ] && [ "$rep" -gt 1 ] && continue
            echo "bench: ($k) run $rep of $([ "$k" = "$once" ] && echo 1 || echo "$repeat")"
            "alt_$k" "$rep"
        done
    done
}

# The largest peak RSS of alternative $1 over all its runs, not only the median.
bench_max_rss() {
    local key
    for key in "${!R_RSS[@]}"; do
        if [ "${key%.*}" = "$1" ]; then echo "${R_RSS[$key]}"; fi
    done | sort -n | tail -1
}

bench_walls() { # alternatives, in the results' order
    local k rep
    echo "Walls of every run, in order (s):"
    for k in "$@"; do
        [ -n "${R_WALL[$k]:-}" ] || continue
        echo "- ($k) $(for rep in $(seq 1 "$repeat"); do
            if [ -n "${R_WALL[$k.$rep]:-}" ]; then printf '%.2f ' "${R_WALL[$k.$rep]}"; fi
        done)"
    done
}

bench_load_line() {
    echo "Load average (1, 5, 15 min) before: $load_before; after: $(bench_loadavg)."
}

# rss_fail: the runs over the memory bound, one line each; printed in the results too.
bench_rss_exit() { # what the bound is, for the message
    [ ${#rss_fail[@]} -gt 0 ] || return 0
    echo "bench: FAIL: peak RSS over $1:" >&2
    printf 'bench: FAIL: %s\n' "${rss_fail[@]}" >&2
    exit 1
}

# Sum of the sizes of the files under $1 whose name matches $2.
bytes_of() { find "$1" -type f -name "$2" -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }'; }
mib() { printf '%.1f' "$(echo "scale=3; $1 / 1048576" | bc)"; }
pct() { printf '%.1f' "$(echo "scale=4; 100 * $1 / $2" | bc)"; }
ratio() { printf '%.2f' "$(echo "scale=4; $1 / $2" | bc)"; }
met() { if [ "$(echo "$1" | bc)" = 1 ]; then echo met; else echo "NOT met"; fi; }
