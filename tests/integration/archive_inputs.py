"""Helpers shared by the integration tests of ebb archive's inputs: types,
tenants, errors, config files and time zones (test_archive_types.py,
test_archive_tenants.py, test_archive_errors.py, test_archive_config.py,
test_archive_timezones.py). Standard library only; builds on harness.py."""

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import harness

EVENTS = 'analytics.events'

# The production table; every test table is a variant of it.
EVENTS_DDL = """
CREATE SCHEMA IF NOT EXISTS analytics;
CREATE TABLE analytics.events (
    id serial PRIMARY KEY,
    triggered_at timestamp NOT NULL,
    name varchar(255), os varchar(255), platform varchar(255), device varchar(255),
    user_details jsonb, data jsonb);
"""


def create_events(pg, db, rows=48, index=True, start="LOCALTIMESTAMP - interval '10 days'",
                  step="interval '1 hour'"):
    """analytics.events with `rows` rows, `step` apart from `start` (all old
    by default: 10 days ago onwards, one an hour), and the time index."""
    pg.psql(EVENTS_DDL + ("CREATE INDEX ON analytics.events (triggered_at);" if index else '') +
            """INSERT INTO analytics.events (triggered_at, name, os, platform, device,
                                             user_details, data)
               SELECT %s + (i - 1) * %s, 'event ' || i, 'linux', 'web', 'd' || (i %% 3),
                      jsonb_build_object('user', i), jsonb_build_object('n', i, 's', 'x,"y"')
               FROM generate_series(1, %d) i;""" % (start, step, rows), db=db)


def new_dest(testcase):
    """An empty destination directory, removed after the test."""
    path = tempfile.mkdtemp(prefix='ebb-dest-', dir=harness._tmp_parent())
    testcase.addCleanup(shutil.rmtree, path, True)
    return path


def archive_args(db, dest, table=EVENTS, time_column='triggered_at'):
    args = ['archive']
    if db is not None:
        args += ['--database', db]
    if table is not None:
        args += ['--table', table]
    if time_column is not None:
        args += ['--time-column', time_column]
    if dest is not None:
        args += ['--dest', 'file://' + dest]
    return args


def archive(pg, db, dest, *extra, table=EVENTS, time_column='triggered_at', env=None):
    """ebb archive of one table in one database; PG* variables point at `pg`."""
    return harness.run_ebb(archive_args(db, dest, table, time_column) + list(extra),
                           env=pg.env() if env is None else env)


def run_unchecked(args, env=None):
    """Like harness.run_ebb, but without its guard against secrets on argv:
    for the tests that check that ebb itself refuses them."""
    proc = subprocess.run([harness.ebb_bin()] + [str(a) for a in args], capture_output=True,
                          env=harness._clean_env(env), timeout=120, stdin=subprocess.DEVNULL)
    return harness.Result(proc.args, proc.returncode, proc.stdout.decode(errors='replace'),
                          proc.stderr.decode(errors='replace'))


def assert_ok(testcase, proc):
    testcase.assertEqual(proc.rc, 0, 'ebb failed:\nstdout:\n%s\nstderr:\n%s'
                         % (proc.stdout, proc.stderr))


def count(pg, db, table=EVENTS):
    return int(pg.query('SELECT count(*) FROM %s' % table, db)[0][0])


def schema_exists(pg, db, schema='ebb'):
    return pg.query("SELECT count(*) FROM pg_namespace WHERE nspname = %s"
                    % harness.quote_literal(schema), db) == [('1',)]


def ledger(pg, db):
    """Every ledger row as (table_schema, table_name, object_key, rows), or []
    when there is no ledger in `db`."""
    if pg.query("SELECT to_regclass('ebb.archive_ledger') IS NULL", db) == [('t',)]:
        return []
    return pg.query('SELECT table_schema, table_name, object_key, rows'
                    ' FROM ebb.archive_ledger ORDER BY object_key', db)


def object_path(dest, key):
    return os.path.join(dest, key)


def read_object(path):
    """The decompressed bytes of an archive object, by its extension, with the
    stock tools."""
    path = str(path)
    if path.endswith('.zst'):
        cmd = ['zstd', '-dc', '--', path]
    elif path.endswith('.gz'):
        cmd = ['gzip', '-dc', '--', path]
    else:
        return Path(path).read_bytes()
    return subprocess.run(cmd, capture_output=True, check=True).stdout


def objects(dest):
    """Relative paths of the archive objects (manifests and temp files excluded)."""
    out = []
    for root, _, files in os.walk(dest):
        for f in files:
            if f.endswith('.manifest.json') or f.startswith('.'):
                continue
            out.append(os.path.relpath(os.path.join(root, f), dest))
    return sorted(out)


KEY_RE = re.compile(r'^(?P<db>[^/]+)/(?P<table>[^/]+)/dt=(?P<date>\d{4}-\d\d-\d\d)/'
                    r'hour=(?P<hour>\d\d)/(?P<start>\d{8}T\d{6}Z?)_(?P<run>[^/]+)\.csv'
                    r'(?P<ext>\.zst|\.gz)?$')
