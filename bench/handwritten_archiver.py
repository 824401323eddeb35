#!/usr/bin/env python3
"""The common hand-written archiver, as a reference for bench/archive.sh (alternative (c)).

Per hour from the oldest row to now() - N days, in one transaction: SELECT the hour's rows,
write them client-side as CSV (header row, zstd level 3, fsync, rename), DELETE the hour,
COMMIT. This is what a careful operator writes with psycopg2 in an afternoon: correct (the
file is durable before the DELETE commits), but two passes over the rows and a round trip per
hour. jsonb and json stay text (no Python parsing) so the CSV holds the same values ebb writes.
"""
import argparse
import csv
import datetime
import io
import os

import psycopg2
import psycopg2.extensions
import psycopg2.extras
import zstandard


def keep_text(conn):
    # Values stay in PostgreSQL's text form: CSV of what the server sent, no Python reprs.
    for oid_name in ('json', 'jsonb', 'timestamp', 'timestamptz', 'date', 'numeric'):
        cur = conn.cursor()
        cur.execute("SELECT %s::regtype::oid", (oid_name,))
        oid = cur.fetchone()[0]
        t = psycopg2.extensions.new_type((oid,), oid_name + '_text', lambda v, c: v)
        psycopg2.extensions.register_type(t, conn)


def write_hour(path, header, rows):
    tmp = path + '.tmp'
    with open(tmp, 'wb') as raw:
        with zstandard.ZstdCompressor(level=3).stream_writer(raw, closefd=False) as z:
            text = io.TextIOWrapper(z, encoding='utf-8', newline='')
            w = csv.writer(text, lineterminator='\n')
            w.writerow(header)
            w.writerows(rows)
            text.flush()
            text.detach()
        raw.flush()
        os.fsync(raw.fileno())
    os.rename(tmp, path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--dsn', default='')
    ap.add_argument('--table', default='analytics.events')
    ap.add_argument('--time-column', default='triggered_at')
    ap.add_argument('--keep-days', type=int, default=2)
    ap.add_argument('--dest', required=True)
    a = ap.parse_args()
    conn = psycopg2.connect(a.dsn)
    keep_text(conn)
    cur = conn.cursor()
    cur.execute("SELECT LOCALTIMESTAMP - make_interval(days => %s)", (a.keep_days,))
    cutoff = datetime.datetime.fromisoformat(cur.fetchone()[0])
    cur.execute(f"SELECT date_trunc('hour', min({a.time_column})) FROM {a.table}")
    first = cur.fetchone()[0]
    conn.commit()
    rows_total = 0
    hour = datetime.datetime.fromisoformat(first) if first else cutoff
    while hour < cutoff:
        end = min(hour + datetime.timedelta(hours=1), cutoff)
        cur.execute(f"SELECT * FROM {a.table} WHERE {a.time_column} >= %s AND {a.time_column} < %s",
                    (hour, end))
        rows = cur.fetchall()
        if rows:
            header = [d[0] for d in cur.description]
            d = os.path.join(a.dest, hour.strftime('dt=%Y-%m-%d/hour=%H'))
            os.makedirs(d, exist_ok=True)
            write_hour(os.path.join(d, hour.strftime('%Y%m%dT%H%M%S') + '.csv.zst'), header, rows)
            cur.execute(f"DELETE FROM {a.table} WHERE {a.time_column} >= %s AND {a.time_column} < %s",
                        (hour, end))
            rows_total += len(rows)
        conn.commit()
        hour = end
    print(f"archived {rows_total} rows")


if __name__ == '__main__':
    main()
