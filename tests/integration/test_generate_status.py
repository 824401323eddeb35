"""ebb generate and ebb status against a real PostgreSQL.

generate: the default set is one row per hour slot (720 for 30 days), newest
half an hour before now; the same arguments give byte-identical rows; --rows
gives realistic ~1.4 kB rows over the asked days that zstd compresses 4-9x; a
table of another shape and a bad --end are refused with exact messages.

status: every number is checked against SQL run here, before and after a real
archive run, with fake ledger and run rows, across databases, and for a table
that is missing."""

import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

TABLE = 'analytics.events'
SHAPE = [('id', 'integer'), ('triggered_at', 'timestamp without time zone'),
         ('name', 'character varying(255)'), ('os', 'character varying(255)'),
         ('platform', 'character varying(255)'), ('device', 'character varying(255)'),
         ('user_details', 'jsonb'), ('data', 'jsonb')]
LINE = re.compile(r'^(\S+): (\S+): generated (\d+) rows from (\S+ \S+) to (\S+ \S+)$')


def setUpModule():
    global PG
    PG = harness.Cluster()


def tearDownModule():
    PG.stop()


_dbs = iter(range(1, 1000))


def new_db():
    return PG.createdb('gs%d' % next(_dbs))


def ebb(*args):
    return harness.run_ebb(list(args), env=PG.env())


def one(sql, db):
    return PG.query(sql, db)[0][0]


def csv_of(db, table=TABLE):
    """The table as PostgreSQL's CSV, in id order: byte-comparable."""
    return PG._psql(['-c', 'COPY (SELECT * FROM %s ORDER BY id) TO STDOUT (FORMAT csv)'
                     % table], db)


def parse_ts(text):
    """An ISO timestamp from --json, aware when it ends in Z."""
    if text.endswith('Z'):
        return datetime.datetime.fromisoformat(text[:-1]).replace(tzinfo=datetime.timezone.utc)
    return datetime.datetime.fromisoformat(text)


def settle_stats(db, table, rows):
    """Waits (on a condition, by polling, never on time) until the statistics
    collector has the table's live row count; status reads it."""
    for _ in range(2000):
        if one("SELECT n_live_tup FROM pg_stat_user_tables WHERE relid = '%s'::regclass"
               % table, db) == str(rows):
            return
    raise AssertionError('n_live_tup of %s never reached %d' % (table, rows))


class GenerateTest(unittest.TestCase):
    def test_default_set_is_one_row_per_hour(self):
        db = new_db()
        before = one("SELECT date_trunc('second', LOCALTIMESTAMP)", db)
        proc = ebb('generate', '--database', db)
        after = one("SELECT date_trunc('second', LOCALTIMESTAMP)", db)
        self.assertEqual((proc.rc, proc.stderr), (0, ''))
        m = LINE.match(proc.stdout.strip())
        self.assertTrue(m, proc.stdout)
        self.assertEqual(m.group(1, 2, 3), (db, TABLE, '720'))
        first, last = m.group(4, 5)
        # end = now() to the second; the newest row half an hour before it
        end = datetime.datetime.fromisoformat(last) + datetime.timedelta(minutes=30)
        self.assertTrue(datetime.datetime.fromisoformat(before) <= end
                        <= datetime.datetime.fromisoformat(after), (before, last, after))
        self.assertEqual(PG.query(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute"
            " WHERE attrelid = '%s'::regclass AND attnum > 0 ORDER BY attnum" % TABLE, db),
            SHAPE)
        self.assertEqual(one("SELECT count(*) FROM pg_index i JOIN pg_attribute a"
                             " ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]"
                             " WHERE i.indrelid = '%s'::regclass AND a.attname = 'triggered_at'"
                             % TABLE, db), '1')
        # the row i is at end - (i + 0.5) hours, end = the last row + 30 minutes
        ages = PG.query("SELECT name, extract(epoch FROM (%s::timestamp + interval '30 min')"
                        " - triggered_at)::int FROM %s ORDER BY triggered_at DESC"
                        % (harness.quote_literal(last), TABLE), db)
        self.assertEqual(ages, [('event_%d' % i, str(1800 + 3600 * i)) for i in range(720)])
        self.assertEqual(PG.query('SELECT min(triggered_at)::text, max(triggered_at)::text,'
                                  ' max(triggered_at) < LOCALTIMESTAMP FROM %s' % TABLE, db),
                         [(first, last, 't')])
        # ids follow time, so that the rows read in order
        self.assertEqual(one('SELECT count(*) FROM %s a JOIN %s b ON b.id = a.id + 1'
                             ' WHERE b.triggered_at <= a.triggered_at' % (TABLE, TABLE), db), '0')

    def test_same_arguments_same_rows(self):
        a, b, c = new_db(), new_db(), new_db()
        args = ['--rows', '3000', '--days', '5', '--seed', '7', '--end', '2026-03-01 12:00:00']
        proc = ebb('generate', '-d', a, '-d', b, '-j', '2', *args)
        self.assertEqual(proc.rc, 0, proc.stderr)
        # step = 5 days / 3000 = 144 s; rows at the middle of their steps
        self.assertEqual(sorted(proc.stdout.splitlines()), [
            '%s: analytics.events: generated 3000 rows from 2026-02-24 12:01:12'
            ' to 2026-03-01 11:58:48' % d for d in (a, b)])
        self.assertEqual(csv_of(a), csv_of(b))
        self.assertEqual(len(harness.parse_pg_csv(csv_of(a))), 3000)
        # another seed: other values at the same times
        self.assertEqual(ebb('generate', '-d', c, *args[:-4], '--seed', '8', *args[-2:]).rc, 0)
        self.assertNotEqual(csv_of(a), csv_of(c))
        self.assertEqual(PG.query('SELECT triggered_at::text FROM %s ORDER BY id' % TABLE, a),
                         PG.query('SELECT triggered_at::text FROM %s ORDER BY id' % TABLE, c))
        # the default set does not depend on the seed either way
        d, e = new_db(), new_db()
        end = ['--end', '2026-03-01 12:00:00', '--days', '3']
        proc = ebb('generate', '-d', d, *end)
        self.assertEqual(proc.stdout, '%s: analytics.events: generated 72 rows from'
                         ' 2026-02-26 12:30:00 to 2026-03-01 11:30:00\n' % d)
        self.assertEqual(ebb('generate', '-d', e, *end, '--seed', '99').rc, 0)
        self.assertEqual(csv_of(d), csv_of(e))
        self.assertEqual(one('SELECT count(*) FROM %s' % TABLE, d), '72')

    def test_realistic_rows(self):
        db = new_db()
        proc = ebb('generate', '-d', db, '--rows', '20000', '--days', '10')
        self.assertEqual(proc.rc, 0, proc.stderr)
        self.assertTrue(LINE.match(proc.stdout.strip()), proc.stdout)
        (n, row, user, data, nulls, inside, names, users), = PG.query(
            'SELECT count(*), avg(pg_column_size(t.*)), avg(pg_column_size(user_details)),'
            ' avg(pg_column_size(data)), count(*) FILTER (WHERE device IS NULL),'
            " count(*) FILTER (WHERE triggered_at > LOCALTIMESTAMP - interval '10 days'"
            ' AND triggered_at <= LOCALTIMESTAMP),'
            ' count(DISTINCT name), count(DISTINCT user_details)'
            ' FROM %s t' % TABLE, db)
        self.assertEqual((n, inside), ('20000', '20000'))
        self.assertTrue(1200 <= float(row) <= 1700, row)
        self.assertTrue(250 <= float(user) <= 400, user)
        self.assertTrue(800 <= float(data) <= 1200, data)
        self.assertTrue(600 <= int(nulls) <= 1400, nulls)  # ~5 %
        self.assertTrue(5 <= int(names) <= 16, names)
        self.assertTrue(1000 <= int(users) < 20000, users)  # users come back
        # nested objects, arrays, numbers, booleans and strings, ids unique per event
        self.assertEqual(PG.query(
            "SELECT jsonb_typeof(data->'properties'->'product'),"
            " jsonb_typeof(data->'properties'->'product'->'price'),"
            " jsonb_typeof(data->'properties'->'cart'), jsonb_typeof(user_details->'tags'),"
            " jsonb_typeof(user_details->'email_verified'), jsonb_typeof(data->'event_id')"
            ' FROM %s WHERE id = 1' % TABLE, db),
            [('object', 'number', 'array', 'array', 'boolean', 'string')])
        self.assertEqual(one("SELECT count(DISTINCT data->>'event_id') FROM %s" % TABLE, db),
                         '20000')
        # like real payloads, it compresses, but is no constant filler either
        raw = PG._psql(['-c', 'COPY %s TO STDOUT (FORMAT csv)' % TABLE], db).encode()
        packed = subprocess.run(['zstd', '-3', '-c'], input=raw, capture_output=True,
                                check=True).stdout
        self.assertTrue(4 <= len(raw) / len(packed) <= 9, len(raw) / len(packed))

    def test_appends_to_an_existing_table(self):
        db = new_db()
        self.assertEqual(ebb('generate', '-d', db, '--days', '1').rc, 0)
        proc = ebb('generate', '-d', db, '--days', '2', '-t', 'analytics.events')
        self.assertEqual(proc.rc, 0, proc.stderr)
        self.assertEqual(PG.query('SELECT count(*), count(DISTINCT id), max(id) FROM %s'
                                  % TABLE, db), [('72', '72', '72')])

    def test_other_shape_is_refused(self):
        db = new_db()
        PG.psql('CREATE TABLE public.ev (id int, triggered_at timestamptz)', db)
        proc = ebb('generate', '-d', db, '-t', 'ev')
        harness.assert_error(self, proc, 2, 'ebb: error: database "%s": table "public.ev" exists'
                             ' with columns other than those ebb generates' % db)
        self.assertIn('Its columns are: id integer, triggered_at timestamp with time zone.',
                      proc.stderr)
        self.assertEqual(proc.stdout, '')
        self.assertEqual(one('SELECT count(*) FROM public.ev', db), '0')

    def test_bad_end_changes_nothing(self):
        db = new_db()
        proc = ebb('generate', '-d', db, '--end', 'not a time')
        harness.assert_error(self, proc, 2, 'ebb: error: database "%s": invalid value'
                             ' "not a time" for option --end' % db)
        self.assertEqual(one("SELECT to_regnamespace('analytics') IS NULL", db), 't')

    def test_bad_numbers_are_usage_errors(self):
        proc = ebb('generate', '--rows', '0')
        harness.assert_error(self, proc, 2, 'ebb: error: invalid value "0" for option --rows')
        proc = ebb('generate', '--days', 'x')
        harness.assert_error(self, proc, 2, 'ebb: error: invalid value "x" for option --days')

    def test_odd_names_are_quoted(self):
        db = new_db()
        proc = ebb('generate', '-d', db, '-t', '"We""ird"."Ev.ents"', '--days', '1')
        self.assertEqual(proc.rc, 0, proc.stderr)
        # printed as PostgreSQL prints the name, each part quoted as it needs
        self.assertEqual(proc.stdout, '%s: "We""ird"."Ev.ents": generated 24 rows from %s\n' % (
            db, proc.stdout.split(' from ', 1)[1].rstrip('\n')))
        self.assertEqual(one('SELECT count(*) FROM "We""ird"."Ev.ents"', db), '24')


class StatusTest(unittest.TestCase):
    def setUp(self):
        self.dest = tempfile.mkdtemp(prefix='ebb-status-', dir=harness._tmp_parent())
        self.addCleanup(shutil.rmtree, self.dest, True)

    def status(self, db, *args, table=TABLE, column='triggered_at'):
        proc = ebb('status', '-d', db, '-t', table, '--time-column', column, '--json', *args)
        self.assertEqual((proc.rc, proc.stderr), (0, ''))
        lines = proc.stdout.splitlines()
        self.assertEqual(len(lines), 1, proc.stdout)
        return json.loads(lines[0])

    def assert_times(self, db, report, table=TABLE, column='triggered_at'):
        """oldest/newest/rows_behind/lag as SQL sees them."""
        (oldest, newest, behind), = PG.query(
            "SELECT to_char(min(%s), 'YYYY-MM-DD\"T\"HH24:MI:SS'),"
            " to_char(max(%s), 'YYYY-MM-DD\"T\"HH24:MI:SS'),"
            " count(*) FILTER (WHERE %s < %s::timestamp) FROM %s" % (
                column, column, column, harness.quote_literal(report['cutoff']), table), db)
        self.assertEqual((report['oldest'], report['newest'], report['rows_behind']),
                         (oldest, newest, int(behind)))
        lag = parse_ts(report['cutoff']) - parse_ts(report['oldest'])
        self.assertEqual(report['lag_seconds'], max(0, lag // datetime.timedelta(seconds=1)))

    def test_before_and_after_an_archive_run(self):
        db = new_db()
        self.assertEqual(ebb('generate', '-d', db).rc, 0)
        settle_stats(db, TABLE, 720)
        before = one('SELECT LOCALTIMESTAMP', db)
        r = self.status(db)
        after = one('SELECT LOCALTIMESTAMP', db)
        self.assertEqual({k: r[k] for k in ('database', 'schema', 'table', 'status',
                                            'estimated_rows', 'rows_behind', 'archived_objects',
                                            'archived_rows', 'archived_bytes', 'first_archived',
                                            'last_archived', 'last_run')},
                         {'database': db, 'schema': 'analytics', 'table': 'events',
                          'status': 'ok', 'estimated_rows': 720, 'rows_behind': 672,
                          'archived_objects': 0, 'archived_rows': 0, 'archived_bytes': 0,
                          'first_archived': None, 'last_archived': None, 'last_run': None})
        two_days = datetime.timedelta(days=2)
        self.assertTrue(datetime.datetime.fromisoformat(before) - two_days
                        <= parse_ts(r['cutoff'])
                        <= datetime.datetime.fromisoformat(after) - two_days, r['cutoff'])
        self.assert_times(db, r)
        self.assertTrue(r['lag_seconds'] > 27 * 86400, r)

        proc = ebb('archive', '-d', db, '-t', TABLE, '--time-column', 'triggered_at',
                   '--dest', 'file://' + self.dest)
        self.assertEqual(proc.rc, 0, proc.stderr)
        self.assertEqual(one('SELECT count(*) FROM %s' % TABLE, db), '48')
        settle_stats(db, TABLE, 48)
        r = self.status(db, '--dest', 'file://' + self.dest)
        (objects, rows, size, first, last), = PG.query(
            "SELECT count(*), sum(rows), sum(bytes),"
            " to_char(min(window_start), 'YYYY-MM-DD\"T\"HH24:MI:SS.US'),"
            " to_char(max(window_end), 'YYYY-MM-DD\"T\"HH24:MI:SS.US') FROM ebb.archive_ledger", db)
        # the last window ends at the cutoff, which has microseconds; whole seconds print none
        first, last = (re.sub(r'\.000000$', '', t) for t in (first, last))
        self.assertEqual((r['estimated_rows'], r['rows_behind'], r['lag_seconds']), (48, 0, 0))
        self.assertEqual((r['archived_objects'], r['archived_rows'], r['archived_bytes'],
                          r['first_archived'], r['last_archived']),
                         (int(objects), int(rows), int(size), first, last))
        self.assertEqual((objects, rows), ('672', '672'))
        (run_id, started), = PG.query("SELECT run_id, to_char(started_at AT TIME ZONE 'UTC',"
                                      " 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM ebb.archive_run",
                                      db)
        self.assertEqual({k: r['last_run'][k] for k in ('run_id', 'status', 'rows', 'objects',
                                                        'started_at', 'message')},
                         {'run_id': run_id, 'status': 'ok', 'rows': 672, 'objects': 672,
                          'started_at': started.replace('.000000Z', 'Z'), 'message': None})
        self.assert_times(db, r)
        # another destination holds nothing of it; keep-days -1 is behind nothing
        r = self.status(db, '--dest', 'file:///elsewhere', '--keep-days', '-1')
        self.assertEqual((r['archived_objects'], r['archived_rows'], r['cutoff'],
                          r['rows_behind'], r['lag_seconds'], r['last_run']['run_id']),
                         (0, 0, None, 0, 0, run_id))
        # the text form says the same
        proc = ebb('status', '-d', db, '-t', TABLE, '--time-column', 'triggered_at')
        self.assertEqual(proc.rc, 0, proc.stderr)
        self.assertIn('%s: analytics.events\n' % db, proc.stdout)
        self.assertIn('  estimated rows:   48\n', proc.stdout)
        self.assertIn('  behind policy:    nothing\n', proc.stdout)
        self.assertIn('  archived:         672 rows in 672 objects, %s bytes' % size, proc.stdout)
        self.assertIn('  last run:         %s: ok, started ' % run_id, proc.stdout)

    def ledger(self, db):
        """The ebb tables, made by a real (empty) archive run."""
        proc = ebb('archive', '-d', db, '-t', 'public.metrics', '--time-column', 'ts',
                   '--dest', 'file://' + self.dest, '--keep-days', '3650')
        self.assertEqual(proc.rc, 0, proc.stderr)

    def test_sums_of_ledger_and_newest_run(self):
        db = new_db()
        PG.psql("CREATE TABLE public.metrics (ts timestamptz NOT NULL, v int);"
                "CREATE INDEX ON public.metrics (ts);"
                "INSERT INTO public.metrics SELECT timestamptz '2026-01-01 00:00:00+00'"
                " + i * interval '1 hour', i FROM generate_series(0, 99) i", db)
        settle_stats(db, 'public.metrics', 100)
        self.ledger(db)
        PG.psql("""
            DELETE FROM ebb.archive_run;
            INSERT INTO ebb.archive_ledger (run_id, table_schema, table_name, time_column,
              window_utc, window_start, window_end, dest, object_key, rows, bytes, sha256,
              format, compression, columns, ebb_version) VALUES
             ('r1', 'public', 'metrics', 'ts', true, '2025-12-01 00:00', '2025-12-01 01:00',
              'file:///a', 'k1', 10, 1000, 'x', 'csv', 'zstd', '[]', '0'),
             ('r1', 'public', 'metrics', 'ts', true, '2025-12-01 01:00', '2025-12-01 02:00',
              'file:///a', 'k2', 32, 2000, 'x', 'csv', 'zstd', '[]', '0'),
             ('r2', 'public', 'metrics', 'ts', true, '2025-11-30 05:00', '2025-11-30 06:00',
              'file:///b', 'k3', 5, 300, 'x', 'csv', 'zstd', '[]', '0'),
             ('r2', 'public', 'other', 'ts', true, '2020-01-01 00:00', '2020-01-01 01:00',
              'file:///a', 'k4', 1000, 99999, 'x', 'csv', 'zstd', '[]', '0');
            INSERT INTO ebb.archive_run (run_id, table_schema, table_name, started_at,
              finished_at, status, rows, bytes, objects, message) VALUES
             ('r1', 'public', 'metrics', '2026-01-05 10:00+00', '2026-01-05 10:01+00', 'ok',
              42, 3000, 2, NULL),
             ('r2', 'public', 'metrics', '2026-01-06 10:00+00', '2026-01-06 10:00:30.5+00',
              'failed', 5, 300, 1, 'could not write "x": No space left on device'),
             ('r3', 'public', 'other', '2026-02-01 10:00+00', NULL, 'running', 0, 0, 0, NULL);
            """, db)
        r = self.status(db, table='public.metrics', column='ts')
        self.assertEqual((r['archived_objects'], r['archived_rows'], r['archived_bytes'],
                          r['first_archived'], r['last_archived']),
                         (3, 47, 3300, '2025-11-30T05:00:00Z', '2025-12-01T02:00:00Z'))
        self.assertEqual(r['last_run'], {
            'run_id': 'r2', 'status': 'failed', 'started_at': '2026-01-06T10:00:00Z',
            'finished_at': '2026-01-06T10:00:30.500000Z', 'rows': 5, 'bytes': 300,
            'objects': 1, 'message': 'could not write "x": No space left on device'})
        # timestamptz: times in UTC, the cutoff from now()
        self.assertEqual((r['estimated_rows'], r['oldest'], r['newest'], r['rows_behind']),
                         (100, '2026-01-01T00:00:00Z', '2026-01-05T03:00:00Z', 100))
        r = self.status(db, '--dest', 'file:///a', table='public.metrics', column='ts')
        self.assertEqual((r['archived_objects'], r['archived_rows'], r['archived_bytes']),
                         (2, 42, 3000))

    def test_all_databases_skips_those_without_the_table(self):
        with_table, without = new_db(), new_db()
        self.assertEqual(ebb('generate', '-d', with_table, '--days', '1').rc, 0)
        proc = ebb('status', '--all-databases', '--include', 'gs*', '-t', TABLE,
                   '--time-column', 'triggered_at', '--json')
        self.assertEqual((proc.rc, proc.stderr), (0, ''))
        reports = {r['database']: r for r in map(json.loads, proc.stdout.splitlines())}
        self.assertEqual(reports[with_table]['status'], 'ok')
        self.assertEqual(reports[without], {
            'database': without, 'schema': 'analytics', 'table': 'events',
            'status': 'skipped', 'reason': 'the table does not exist in this database'})
        proc = ebb('status', '--all-databases', '--include', without, '-t', TABLE,
                   '--time-column', 'triggered_at')
        self.assertEqual((proc.rc, proc.stdout), (0, '%s: analytics.events: skipped: the table'
                                                  ' does not exist in this database\n' % without))

    def test_missing_table_is_an_error(self):
        db = new_db()
        proc = ebb('status', '-d', db, '-t', 'nope', '--time-column', 'ts')
        harness.assert_error(self, proc, 2,
                             'ebb: error: database "%s": table "public.nope" does not exist' % db)
        self.assertEqual(proc.stdout, '')
        proc = ebb('status', '-d', db, '-t', 'nope')  # nor from a ledger
        harness.assert_error(self, proc, 2,
                             'ebb: error: database "%s": table "public.nope" does not exist' % db)

    def test_time_column_defaults_to_the_ledgers(self):
        db = new_db()
        self.assertEqual(ebb('generate', '-d', db, '--days', '3').rc, 0)
        settle_stats(db, TABLE, 72)
        # no ledger row names the table: the existing error, for this database
        proc = ebb('status', '-d', db, '-t', TABLE)
        harness.assert_error(self, proc, 2, 'ebb: error: database "%s": no time-column given'
                             ' for table "analytics.events"' % db)
        self.assertEqual(proc.stderr.splitlines()[1:], [
            'ebb: detail: The ledger of this database records none: no archive run has'
            ' archived the table here.',
            'ebb: hint: Use --time-column, or "time-column" in the table\'s section of the'
            ' config file.'])
        self.assertEqual(proc.stdout, '')
        # an older ledger row with another column: the newest row's column wins
        proc = ebb('archive', '-d', db, '-t', TABLE, '--time-column', 'triggered_at',
                   '--dest', 'file://' + self.dest, '--keep-days', '3650')
        self.assertEqual(proc.rc, 0, proc.stderr)
        PG.psql("""
            INSERT INTO ebb.archive_ledger (run_id, table_schema, table_name, time_column,
              window_utc, window_start, window_end, dest, object_key, rows, bytes, sha256,
              format, compression, columns, ebb_version) VALUES
             ('r0', 'analytics', 'events', 'created_at', false, '2020-01-01 00:00',
              '2020-01-01 01:00', 'file:///a', 'k0', 1, 10, 'x', 'csv', 'zstd', '[]', '0')""",
                db)
        proc = ebb('archive', '-d', db, '-t', TABLE, '--time-column', 'triggered_at',
                   '--dest', 'file://' + self.dest)
        self.assertEqual(proc.rc, 0, proc.stderr)
        settle_stats(db, TABLE, 48)
        given = self.status(db)
        proc = ebb('status', '-d', db, '-t', TABLE, '--json')
        self.assertEqual((proc.rc, proc.stderr), (0, ''))
        taken = json.loads(proc.stdout)
        self.assertEqual(taken['time_column'], 'triggered_at')
        self.assertEqual(taken, dict(given, cutoff=taken['cutoff']))  # cutoff: from now()
        self.assertEqual((taken['rows_behind'], taken['archived_rows'], taken['oldest']),
                         (0, 24 + 1, given['oldest']))
        proc = ebb('status', '-d', db, '-t', TABLE)
        self.assertEqual(proc.rc, 0, proc.stderr)
        self.assertIn('  time column:      triggered_at (timestamp, from the ledger)\n',
                      proc.stdout)


if __name__ == '__main__':
    unittest.main()
