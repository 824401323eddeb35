#!/usr/bin/env bash
# make demo: the main job end to end on an embedded default. A throwaway PostgreSQL with three
# tenant databases holding 30 days of events, `ebb archive --all-databases` with the default
# policy (keep 2 days, 1-hour windows, CSV + zstd) into a local directory, then what happened.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../tests/fixtures/pg.sh
source "$repo/tests/fixtures/pg.sh"
ebb=$repo/build/ebb
PSQL="$PG_BINDIR/psql -X -q -At"

demo=$repo/.demo
rm -rf "$demo"
pg_usable_dir "$demo/pg" || { rm -rf "$demo"; demo=$(mktemp -d /tmp/ebb-demo.XXXXXX); pg_usable_dir "$demo/pg"; }
archive=$demo/archive
trap 'pg_throwaway_stop "$demo/pg"' EXIT

echo "== starting a throwaway PostgreSQL in $demo/pg"
pg_throwaway_start "$demo/pg"
for t in tenant_a tenant_b tenant_c; do $PSQL -c "CREATE DATABASE $t"; done

echo "== generating 30 days of events per tenant"
"$ebb" generate --database tenant_a --database tenant_b        # one row per hour (720)
"$ebb" generate --database tenant_c --rows 100000 --days 30    # realistic ~1.4 kB rows

echo "== ebb archive --all-databases (keep 2 days, 1h windows, csv + zstd) -> file://$archive"
set +e
"$ebb" archive --all-databases --table analytics.events --time-column triggered_at \
    --dest "file://$archive"
rc=$?
set -e
echo "   exit status: $rc"

echo "== what happened"
printf '%-10s %14s %8s %12s %10s %s\n' tenant "rows archived" files "bytes" "rows left" "oldest row left"
for t in tenant_a tenant_b tenant_c; do
    read -r rows objects bytes < <($PSQL -F' ' -d "$t" -c \
        "SELECT coalesce(sum(rows),0), count(*), coalesce(sum(bytes),0) FROM ebb.archive_ledger")
    files=$(find "$archive/$t" -type f -name '*.csv.zst' 2>/dev/null | wc -l)
    left=$($PSQL -d "$t" -c "SELECT count(*) FROM analytics.events")
    oldest=$($PSQL -d "$t" -c "SELECT min(triggered_at) FROM analytics.events")
    printf '%-10s %14s %8s %12s %10s %s\n' "$t" "$rows" "$files" "$bytes" "$left" "$oldest"
    [ "$files" -eq "$objects" ] || echo "   !! $t: $objects objects in the ledger, $files files"
done
echo "   the database's cutoff was now() - 2 days = $($PSQL -c "SELECT (LOCALTIMESTAMP - interval '2 days')::timestamp(0)")"
echo "   an archived object, read back with zstd -dc:"
mapfile -t objects < <(find "$archive/tenant_a" -name '*.csv.zst' | sort)
first=${objects[0]}
echo "   $first"
zstd -dc "$first" | sed 's/^/     /'
echo "== the archive stays in $archive; the server is stopped"
exit "$rc"
