# shellcheck shell=bash
# Sourced by bench/archive.sh and bench/s3.sh: what every benchmark here does the same way.
#   bench_start       a throwaway PostgreSQL in $out/pg (the caller's EXIT trap stops it)
#   bench_generate    bench_tpl: $rows generated rows over $days days (sets gen_s, table_size, avg_row)
#   fresh_db NAME     drop every other bench_* copy, then NAME as a copy of bench_tpl
#   bench_text_size   rows older than the cutoff and their size in PostgreSQL's text form
#                     (sets expected, text_bytes, mb)
#   run_measured NAME CMD...  wall, client CPU and peak RSS (/usr/bin/time), server CPU
#   bench_median K    the median run of K (by wall) into R_*[K], the range of walls into SPREAD[K]
# The caller sets repo, out, rows, days, repeat and ebb, and sources tests/fixtures/pg.sh first.

PSQL="$PG_BINDIR/psql -X -q -At -v ON_ERROR_STOP=1"
TICK=$(getconf CLK_TCK)
cutoff_sql="LOCALTIMESTAMP - interval '2 days'"
declare -A R_WALL R_CLIENT R_SERVER R_RSS R_ROWS SPREAD

bench_start() {
    pg_usable_dir "$out/pg" || { echo "bench: $out is not reachable by the postgres user" >&2; exit 1; }
    pg_throwaway_start "$out/pg"
    postmaster=$(head -1 "$out/pg/data/postmaster.pid")
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
