"""Time zones: windows of a timestamptz table are UTC hours whatever the
session TimeZone, across both DST changes of Europe/Berlin (the object key's
dt/hour is the UTC hour of every row inside, and one run writes one object
per UTC hour); for a timestamp (no time zone) table the cutoff is
LOCALTIMESTAMP - N days in the session TimeZone (the server's, or
--timezone). Every run is checked with the oracle."""

import collections
import datetime
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import archive_inputs as ai  # noqa: E402

UTC = datetime.timezone.utc
TABLE = 'analytics.tz'

# Rows every 10 minutes from 00:00 to 04:00 Berlin time on the nights of the
# DST changes (2025 ones too, so that some rows are old whatever the clock).
DST_NIGHTS = ['2025-03-30', '2025-10-26', '2026-03-29', '2026-10-25']


def setUpModule():
    global PG
    PG = harness.Cluster()  # the server runs in UTC
    PG.createdb('berlin')
    PG.psql("ALTER DATABASE berlin SET TimeZone = 'Europe/Berlin'")
    PG.createdb('utc')


def tearDownModule():
    PG.stop()


def parse_tstz(text):
    """PostgreSQL's ISO rendering of a timestamptz ('2026-03-29 03:10:00+02',
    '... +05:30') as an aware datetime."""
    if re.search(r'[+-]\d\d$', text):
        text += ':00'
    return datetime.datetime.fromisoformat(text)


def dst_table(db):
    series = '\nUNION ALL '.join(
        "SELECT generate_series(timezone('Europe/Berlin', '%s 00:00'::timestamp),"
        " timezone('Europe/Berlin', '%s 04:00'::timestamp), interval '10 min')" % (d, d)
        for d in DST_NIGHTS)
    PG.psql("""DROP SCHEMA IF EXISTS ebb CASCADE; DROP SCHEMA IF EXISTS analytics CASCADE;
        CREATE SCHEMA analytics;
        CREATE TABLE analytics.tz (id serial, ts timestamptz NOT NULL, note text);
        CREATE INDEX ON analytics.tz (ts);
        INSERT INTO analytics.tz (ts, note) SELECT t, 'row at ' || t FROM (%s) s(t);
        """ % series, db=db)


class TimezonesTest(unittest.TestCase):
    def archive_dst(self, db, *extra, window_hours=1):
        dst_table(db)
        before = harness.table_rows_csv(PG, db, TABLE)
        # spring nights: 00:00 CET .. 04:00 CEST is 3 hours, 19 rows; autumn: 5 hours, 31
        self.assertEqual(sum(before.values()), 2 * 19 + 2 * 31)
        old = int(PG.query("SELECT count(*) FROM analytics.tz"
                           " WHERE ts < now() - interval '2 days'", db)[0][0])
        self.assertGreaterEqual(old, 19 + 31)
        dest = ai.new_dest(self)
        proc = ai.archive(PG, db, dest, *extra, table=TABLE, time_column='ts')
        ai.assert_ok(self, proc)
        left, archived = harness.assert_oracle(self, before, PG, db, TABLE)
        self.assertEqual(sum(archived.values()), old)
        self.assertEqual(int(PG.query("SELECT count(*) FROM analytics.tz"
                                      " WHERE ts < now() - interval '2 days'", db)[0][0]), 0)
        return dest, self.check_objects(db, dest, window_hours)

    def check_objects(self, db, dest, window_hours):
        """Each object: its key's dt/hour and start are the UTC start of the
        window that holds all its rows; no two objects for one window.
        Returns {window start (UTC): rows}."""
        rows_per_window = {}
        ledger = PG.query("SELECT object_key, window_utc,"
                          " to_char(window_start, 'YYYY-MM-DD\"T\"HH24:MI:SS'),"
                          " to_char(window_end, 'YYYY-MM-DD\"T\"HH24:MI:SS')"
                          " FROM ebb.archive_ledger ORDER BY object_key", db)
        self.assertEqual(len(ledger), len(ai.objects(dest)))
        for key, window_utc, wstart, wend in ledger:
            m = ai.KEY_RE.match(key)
            self.assertIsNotNone(m, key)
            self.assertEqual(window_utc, 't')
            start = datetime.datetime.fromisoformat(wstart).replace(tzinfo=UTC)
            end = datetime.datetime.fromisoformat(wend).replace(tzinfo=UTC)
            self.assertEqual(end - start, datetime.timedelta(hours=window_hours), key)
            self.assertEqual(start.hour % window_hours, 0, key)
            self.assertEqual((start.minute, start.second), (0, 0), key)
            self.assertEqual((m.group('date'), m.group('hour'), m.group('start')),
                             (start.strftime('%Y-%m-%d'), start.strftime('%H'),
                              start.strftime('%Y%m%dT%H%M%SZ')), key)
            self.assertNotIn(start, rows_per_window, 'two objects for window %s' % start)
            data = ai.read_object(os.path.join(dest, key)).decode()
            recs = harness.parse_pg_csv(data)
            self.assertEqual(recs[0], ('id', 'ts', 'note'))
            for rec in recs[1:]:
                ts = parse_tstz(rec[1])
                self.assertTrue(start <= ts < end, (key, rec))
            rows_per_window[start] = len(recs) - 1
        return rows_per_window

    def expected_windows(self, db, window_hours):
        """{UTC window start: rows} from the rows archived, by PostgreSQL."""
        out = collections.Counter()
        for (ts,) in PG.query("SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24')"
                              " FROM oracle_rows ORDER BY 1", db):
            hour = datetime.datetime.fromisoformat(ts + ':00').replace(tzinfo=UTC)
            out[hour.replace(hour=hour.hour - hour.hour % window_hours)] += 1
        return dict(out)

    def archived_utc_windows(self, db, dest, window_hours):
        """What the objects hold, grouped by PostgreSQL into UTC windows."""
        PG.psql('DROP TABLE IF EXISTS oracle_rows; CREATE TABLE oracle_rows (LIKE %s);'
                % TABLE, db=db)
        for key in ai.objects(dest):
            PG.copy_in('COPY oracle_rows FROM STDIN (FORMAT csv, HEADER match)',
                       ai.read_object(os.path.join(dest, key)), db=db)
        return self.expected_windows(db, window_hours)

    def test_dst_in_session_time_zone(self):
        """The database's TimeZone is Europe/Berlin (ebb's session inherits it)."""
        self.assertEqual(PG.query('SHOW TimeZone', 'berlin'), [('Europe/Berlin',)])
        dest, windows = self.archive_dst('berlin')
        self.assertEqual(windows, self.archived_utc_windows('berlin', dest, 1))
        # the spring night: 23:00Z .. 02:00Z (4 hours with a row); autumn: 22:00Z .. 03:00Z (6)
        spring = {w: n for w, n in windows.items() if w.month == 3 and w.year == 2025}
        autumn = {w: n for w, n in windows.items() if w.month == 10 and w.year == 2025}
        self.assertEqual(sorted(w.hour for w in spring), [0, 1, 2, 23])
        self.assertEqual(sorted(spring.values()), [1, 6, 6, 6])
        self.assertEqual(sorted(w.hour for w in autumn), [0, 1, 2, 3, 22, 23])
        self.assertEqual(sorted(autumn.values()), [1, 6, 6, 6, 6, 6])

    def test_dst_with_timezone_option(self):
        """A UTC server and --timezone Europe/Berlin: the same UTC windows."""
        dest, windows = self.archive_dst('utc', '--timezone', 'Europe/Berlin')
        self.assertEqual(windows, self.archived_utc_windows('utc', dest, 1))
        self.assertEqual(len([w for w in windows if w.year == 2025]), 4 + 6)

    def test_daily_windows_are_utc_days(self):
        """--window 1d: windows start at UTC midnight, not Berlin midnight, so
        each Berlin night (22:00Z/23:00Z .. 03:00Z) spans two objects."""
        dest, windows = self.archive_dst('berlin', '--window', '1d', window_hours=24)
        self.assertEqual(windows, self.archived_utc_windows('berlin', dest, 24))
        self.assertEqual(sorted((w.strftime('%m-%d'), n) for w, n in windows.items()
                                if w.year == 2025),
                         [('03-29', 6), ('03-30', 13), ('10-25', 12), ('10-26', 19)])

    def test_timestamp_cutoff_follows_session_time_zone(self):
        """timestamp (no time zone) rows written as UTC wall times every 30
        minutes over 3 days. With the server's UTC, the cutoff is
        LOCALTIMESTAMP - 2 days in UTC; with --timezone Pacific/Kiritimati
        (UTC+14) it is 14 hours later in wall time, so more rows go."""
        db = 'utc'
        PG.psql("""DROP SCHEMA IF EXISTS ebb CASCADE; DROP SCHEMA IF EXISTS analytics CASCADE;
            CREATE SCHEMA analytics;
            CREATE TABLE analytics.local (id int, ts timestamp NOT NULL);
            CREATE INDEX ON analytics.local (ts);
            INSERT INTO analytics.local SELECT i, LOCALTIMESTAMP - i * interval '30 min'
                - interval '7 min' FROM generate_series(0, 143) i;""", db=db)
        table = 'analytics.local'
        # the expected splits, by PostgreSQL, now (the nearest row is 7 minutes
        # from either cutoff, so the few seconds until ebb runs change nothing)
        utc_left, kiri_left = PG.psql("""
            SELECT count(*) FROM analytics.local WHERE ts >= LOCALTIMESTAMP - interval '2 days';
            SET TimeZone = 'Pacific/Kiritimati';
            SELECT count(*) FROM analytics.local WHERE ts >= LOCALTIMESTAMP - interval '2 days';
            """, db=db).split()
        utc_left, kiri_left = int(utc_left), int(kiri_left)
        self.assertEqual((utc_left, kiri_left), (96, 68))
        before = harness.table_rows_csv(PG, db, table)

        dest = ai.new_dest(self)
        ai.assert_ok(self, ai.archive(PG, db, dest, table=table, time_column='ts'))
        left, archived = harness.assert_oracle(self, before, PG, db, table)
        self.assertEqual(sum(left.values()), utc_left)
        self.assertEqual(sorted(int(r[0]) for r in left), list(range(utc_left)))

        proc = ai.archive(PG, db, dest, '--timezone', 'Pacific/Kiritimati', table=table,
                          time_column='ts')
        ai.assert_ok(self, proc)
        self.assertIn('archived %d rows' % (utc_left - kiri_left), proc.stdout)
        left, archived = harness.assert_oracle(self, before, PG, db, table)
        self.assertEqual(sorted(int(r[0]) for r in left), list(range(kiri_left)))

        # keys of a timestamp table: the rows' own wall-clock hour
        for key, window_utc in PG.query('SELECT object_key, window_utc'
                                        ' FROM ebb.archive_ledger', db):
            self.assertEqual(window_utc, 'f')
            m = ai.KEY_RE.match(key)
            self.assertFalse(m.group('start').endswith('Z'), key)
            for rec in harness.parse_pg_csv(ai.read_object(os.path.join(dest, key)).decode())[1:]:
                self.assertEqual((rec[1][:10], rec[1][11:13]), (m.group('date'), m.group('hour')),
                                 key)

    def test_timestamptz_cutoff_ignores_session_time_zone(self):
        """For timestamptz the cutoff is an instant: now() - 2 days, the
        same under any --timezone."""
        db = 'utc'
        PG.psql("""DROP SCHEMA IF EXISTS ebb CASCADE; DROP SCHEMA IF EXISTS analytics CASCADE;
            CREATE SCHEMA analytics;
            CREATE TABLE analytics.abs (id int, ts timestamptz NOT NULL);
            CREATE INDEX ON analytics.abs (ts);
            INSERT INTO analytics.abs SELECT i, now() - i * interval '30 min'
                - interval '7 min' FROM generate_series(0, 143) i;""", db=db)
        table = 'analytics.abs'
        before = harness.table_rows_csv(PG, db, table)
        for tz in ('Pacific/Kiritimati', 'Pacific/Pago_Pago'):
            with self.subTest(timezone=tz):
                ai.assert_ok(self, ai.archive(PG, db, ai.new_dest(self), '--timezone', tz,
                                              table=table, time_column='ts'))
                left, archived = harness.assert_oracle(self, before, PG, db, table)
                self.assertEqual(sorted(int(r[0]) for r in left), list(range(96)))


if __name__ == '__main__':
    unittest.main()
