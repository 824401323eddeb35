"""Helpers shared by the archive-protocol tests (test_archive_*.py): the events
table, running ebb (also in the background, for crash and concurrency tests),
the ledger, the objects on disk read back with the stock tools, and waiting on
conditions (never on time)."""

import hashlib
import itertools
import json
import os
import re
import shutil
import subprocess
import tempfile
import time

import harness

TABLE = 'analytics.events'
TIME_COLUMN = 'triggered_at'
LOCK_CLASS = 7373062  # ebb's advisory-lock class id for tables

EVENTS_DDL = """
CREATE SCHEMA IF NOT EXISTS analytics;
CREATE TABLE {table} (id serial PRIMARY KEY, triggered_at timestamp NOT NULL,
  name varchar(255), os varchar(255), platform varchar(255), device varchar(255),
  user_details jsonb, data jsonb);
CREATE INDEX ON {table} (triggered_at);
"""

# Columns after id, for INSERT ... SELECT with the timestamp expression as $TS.
_ROW_SQL = """
INSERT INTO {table} (triggered_at, name, os, platform, device, user_details, data)
SELECT {ts}, 'event ' || i, (ARRAY['linux', 'ios', 'android', NULL])[1 + i % 4],
  'web', CASE WHEN i % 5 = 0 THEN '' ELSE 'device, "quoted"' END,
  jsonb_build_object('user', i, 'tags', jsonb_build_array('a', i % 3)),
  CASE WHEN i % 7 = 0 THEN NULL ELSE jsonb_build_object('n', i, 's', E'line\\nnext') END
FROM generate_series({lo}, {hi}) AS i;
"""

_db_ids = itertools.count(1)


def new_db(pg, prefix='t'):
    """A fresh database for one test."""
    return pg.createdb('%s%d' % (prefix, next(_db_ids)))


def create_events(pg, db, table=TABLE):
    pg.psql(EVENTS_DDL.format(table=table), db)


def insert_rows(pg, db, ts_sql, count, table=TABLE, first=0):
    """Inserts `count` rows; `ts_sql` is an SQL expression of `i` (first..first+count-1)."""
    pg.psql(_ROW_SQL.format(table=table, ts=ts_sql, lo=first, hi=first + count - 1), db)


def four_old_hours(pg, db, table=TABLE):
    """4 hours five days ago with 5 rows each (ids 1-20), and 3 recent rows that stay."""
    insert_rows(pg, db, "date_trunc('hour', now())::timestamp - interval '5 days'"
                " + make_interval(mins => i * 12)", 20, table=table)
    insert_rows(pg, db, "now()::timestamp - make_interval(hours => i - 100)", 3, table=table,
                first=100)


PREDICTABLE_TS = "date_trunc('second', now())::timestamp - make_interval(mins => i * 60 + 30)"


def predictable_events(pg, db, table=TABLE):
    """The predictable data set: one row per hour for the last 30 days (720 rows),
    each 30 minutes past an hour boundary relative to now(); keep-days 2 keeps 48."""
    create_events(pg, db, table)
    insert_rows(pg, db, PREDICTABLE_TS, 720, table)


def count_rows(pg, db, where='true', table=TABLE):
    return int(pg.query('SELECT count(*) FROM %s WHERE %s' % (table, where), db)[0][0])


def make_dest(testcase):
    """A fresh destination directory, removed after the test; returns (url, path)."""
    path = tempfile.mkdtemp(prefix='ebb-dest-', dir=harness._tmp_parent())
    testcase.addCleanup(shutil.rmtree, path, True)
    return 'file://' + path, path


def archive_args(dest_url, *extra, table=TABLE, time_column=TIME_COLUMN, keep_days=2):
    return ['archive', '--table', table, '--time-column', time_column, '--dest', dest_url,
            '--keep-days', str(keep_days)] + [str(a) for a in extra]


def archive(pg, db, dest_url, *extra, table=TABLE, env=None, **kw):
    return harness.run_ebb(archive_args(dest_url, *extra, table=table, **kw),
                           env=dict(pg.env(db), **(env or {})))


def assert_ok(testcase, proc):
    testcase.assertEqual(proc.rc, 0, 'ebb failed:\nstdout:\n%s\nstderr:\n%s'
                         % (proc.stdout, proc.stderr))


def start_ebb(pg, db, dest_url, *extra, table=TABLE, env=None, **kw):
    """ebb archive in the background (stdout/stderr piped); the caller waits."""
    args = [harness.ebb_bin()] + archive_args(dest_url, *extra, table=table, **kw)
    return subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env=harness._clean_env(dict(pg.env(db), **(env or {}))))


def finish(proc, timeout=120):
    """Waits for a start_ebb() process; returns (returncode, stdout, stderr)."""
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def kill_if_running(proc):
    """Cleanup for a start_ebb() process (ours, by pid) left behind by a failed test."""
    if proc.poll() is None:
        proc.kill()
        proc.communicate()


def hold_transaction(testcase, pg, db, statements):
    """A psql session inside a transaction that ran `statements` (which hold their locks),
    until it is sent COMMIT; killed at the test's end. Synchronised on psql's output."""
    holder = subprocess.Popen(
        [os.path.join(harness._bindir(), 'psql'), '-X', '-q', '-d', pg.dsn(db)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=pg.env(), text=True)
    testcase.addCleanup(holder.kill)
    holder.stdin.write("BEGIN; %s; SELECT 'held';\n" % statements)
    holder.stdin.flush()
    while 'held' not in holder.stdout.readline():
        pass
    return holder


# --- waiting on conditions ----------------------------------------------------

def wait_until(condition, what, deadline_s=60, step_s=0.01):
    """Polls `condition` until it is true; fails after the deadline. Polling a
    condition is the synchronisation; the deadline only stops a hung test."""
    end = time.monotonic() + deadline_s
    while not condition():
        if time.monotonic() > end:
            raise AssertionError('timed out waiting until %s' % what)
        time.sleep(step_s)


def proc_state(pid):
    """The state letter of /proc/<pid>/stat ('T' stopped, 'Z' zombie ...)."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            stat = f.read()
    except FileNotFoundError:
        return None
    return stat[stat.rindex(')') + 2]


def wait_stopped(proc):
    wait_until(lambda: proc.poll() is not None or proc_state(proc.pid) == 'T',
               'ebb (pid %d) stops itself' % proc.pid)
    if proc.poll() is not None:
        out, err = proc.communicate()
        raise AssertionError('ebb exited (rc %s) instead of stopping:\n%s%s'
                             % (proc.returncode, out, err))


def other_backends(pg, db):
    # client sessions only: TimescaleDB's scheduler is a background worker in each database
    return int(pg.query("SELECT count(*) FROM pg_stat_activity WHERE datname = %s"
                        " AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
                        % harness.quote_literal(db))[0][0])


def wait_backends_gone(pg, db):
    """After ebb exited (or was killed), its server session ends asynchronously
    (rollback, lock release, stats flush); wait for it."""
    wait_until(lambda: other_backends(pg, db) == 0, 'the sessions on %r end' % db)


# --- the ledger and the objects -------------------------------------------------

LEDGER_COLUMNS = ('id', 'run_id', 'object_key', 'rows', 'bytes', 'sha256', 'format',
                  'compression', 'dest', 'window_start', 'window_end', 'manifest_written')


def ledger(pg, db, table=TABLE):
    """Ledger rows of the table as dicts, ordered by id; [] before the first run."""
    if pg.query("SELECT to_regclass('ebb.archive_ledger') IS NULL", db) == [('t',)]:
        return []
    schema, name = table.split('.')
    rows = pg.query('SELECT %s FROM ebb.archive_ledger WHERE table_schema = %s'
                    ' AND table_name = %s ORDER BY id'
                    % (', '.join(LEDGER_COLUMNS), harness.quote_literal(schema),
                       harness.quote_literal(name)), db)
    out = []
    for r in rows:
        d = dict(zip(LEDGER_COLUMNS, r))
        d['rows'], d['bytes'] = int(d['rows']), int(d['bytes'])
        d['manifest_written'] = d['manifest_written'] == 't'
        out.append(d)
    return out


def has_ebb_schema(pg, db):
    return pg.query("SELECT to_regnamespace('ebb') IS NOT NULL", db) == [('t',)]


def files_under(root):
    """Relative paths of all files under root (a set)."""
    found = set()
    for dirpath, _, names in os.walk(root):
        for n in names:
            found.add(os.path.relpath(os.path.join(dirpath, n), root))
    return found


def sha256_file(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def decompress(path, compression):
    """The object's bytes through the stock tools (never ebb's code)."""
    if compression == 'none':
        with open(path, 'rb') as f:
            return f.read()
    tool = {'zstd': 'zstd', 'gzip': 'gzip'}[compression]
    return subprocess.run([tool, '-dc', '--', path], check=True, capture_output=True).stdout


def object_records(path, compression):
    """(header, rows) of a CSV object: header a tuple of column names, rows dicts."""
    records = harness.parse_pg_csv(decompress(path, compression).decode('utf-8'))
    header = records[0]
    return header, [dict(zip(header, r)) for r in records[1:]]


# object key: <db>/<schema>.<table>/dt=YYYY-MM-DD/hour=HH/<YYYYMMDDTHHMMSS[.ffffff]>_<run>.<ext>
KEY_RE = re.compile(r'^(?P<db>[^/]+)/(?P<table>[^/]+)/dt=(?P<dt>\d{4}-\d\d-\d\d)/hour=(?P<hour>\d\d)/'
                    r'(?P<start>\d{8}T\d{6}(?:\.\d+)?)_(?P<run>[^/_]+)\.(?P<ext>csv(?:\.zst|\.gz)?)$')


def parse_key(key):
    m = KEY_RE.match(key)
    if not m:
        raise AssertionError('object key %r does not follow the layout' % key)
    return m.groupdict()


def manifest(dest_path, key):
    with open(os.path.join(dest_path, key + '.manifest.json')) as f:
        return json.load(f)


def assert_manifest_matches(testcase, dest_path, entry):
    """The manifest beside a ledger object agrees with the ledger and with the file."""
    m = manifest(dest_path, entry['object_key'])
    path = os.path.join(dest_path, entry['object_key'])
    testcase.assertEqual(
        (m['object'], m['rows'], m['bytes'], m['sha256'], m['run_id'], m['compression']),
        (entry['object_key'], entry['rows'], entry['bytes'], entry['sha256'], entry['run_id'],
         entry['compression']))
    testcase.assertEqual((os.path.getsize(path), sha256_file(path)),
                         (entry['bytes'], entry['sha256']))
    return m


def leftovers(dest_path, entries):
    """Files in the destination that are neither a ledger object nor its manifest."""
    named = set()
    for e in entries:
        named.update({e['object_key'], e['object_key'] + '.manifest.json'})
    return files_under(dest_path) - named


def snapshot(pg, db, table=TABLE):
    """Counter of the table's rows (the oracle's `before`)."""
    return harness.table_rows_csv(pg, db, table)


def table_scans(pg, db, table=TABLE):
    """seq_scan + idx_scan of the table, from the cumulative statistics."""
    schema, name = table.split('.')
    (n,), = pg.query('SELECT seq_scan + coalesce(idx_scan, 0) FROM pg_stat_user_tables'
                     ' WHERE schemaname = %s AND relname = %s'
                     % (harness.quote_literal(schema), harness.quote_literal(name)), db)
    return int(n)


def sum_counter(counter):
    return sum(counter.values())

