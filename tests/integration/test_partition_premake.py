"""ebb partition: the current interval's partition and the next --premake ones,
named predictably, with the parent's indexes; a second run changes nothing;
rows of a new range waiting in the DEFAULT partition are moved into it; a range
another partition covers is skipped; a table pg_partman manages is left to it;
a table not range-partitioned by a timestamp is refused."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import protocol_util as pu  # noqa: E402

PG = None


def setUpModule():
    global PG
    PG = harness.Cluster()


def tearDownModule():
    PG.stop()


def partitions(db):
    return PG.query("SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i"
                    " JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'ev'::regclass"
                    " ORDER BY 1", db)


class PremakeTest(unittest.TestCase):
    def setUp(self):
        self.db = pu.new_db(PG, 'pm')
        PG.psql("CREATE TABLE ev (id int, ts timestamptz NOT NULL, note text)"
                " PARTITION BY RANGE (ts); CREATE INDEX ev_ts ON ev (ts);"
                " SET TimeZone = 'UTC'", self.db)

    def partition(self, *extra):
        return harness.run_ebb(['partition', '--table', 'public.ev'] + list(extra),
                               env=PG.env(self.db))

    def expected_days(self, n):
        return [r[0] for r in PG.query(
            "SELECT 'ev_p' || to_char(d, 'YYYYMMDD') FROM generate_series("
            "date_trunc('day', now(), 'UTC') AT TIME ZONE 'UTC',"
            " (date_trunc('day', now(), 'UTC') AT TIME ZONE 'UTC') + interval '%d days',"
            " interval '1 day') d" % n, self.db)]

    def test_daily_premake_is_idempotent(self):
        proc = self.partition('--premake', '3')
        self.assertEqual(proc.rc, 0, proc.stderr)
        parts = partitions(self.db)
        self.assertEqual([p[0] for p in parts], self.expected_days(3))
        self.assertEqual(proc.stdout.count('created partition'), 4)
        # bounds are whole UTC days, contiguous
        (lo, hi), = PG.query("SELECT min(lower(r)), max(upper(r)) FROM (SELECT tstzrange("
                             "substring(b FROM 'FROM \\(''(.*)''\\) TO')::timestamptz,"
                             " substring(b FROM 'TO \\(''(.*)''\\)')::timestamptz) r FROM"
                             " (SELECT pg_get_expr(relpartbound, oid) b FROM pg_class WHERE"
                             " relname LIKE 'ev\\_p%%') x) y", self.db)
        (days,), = PG.query("SELECT extract(epoch FROM %s::timestamptz - %s::timestamptz) / 86400"
                            % (harness.quote_literal(hi), harness.quote_literal(lo)), self.db)
        self.assertEqual(float(days), 4.0)
        # the parent's index on every partition
        (n,), = PG.query("SELECT count(*) FROM pg_inherits i JOIN pg_index x ON x.indrelid ="
                         " i.inhrelid WHERE i.inhparent = 'ev'::regclass", self.db)
        self.assertEqual(int(n), 4)
        # twice in a row: nothing changes
        proc = self.partition('--premake', '3')
        self.assertEqual(proc.rc, 0, proc.stderr)
        self.assertNotIn('created partition', proc.stdout)
        self.assertEqual(partitions(self.db), parts)

    def test_rows_in_the_default_are_moved(self):
        PG.psql("CREATE TABLE ev_default PARTITION OF ev DEFAULT;"
                " INSERT INTO ev VALUES (1, now(), 'today'), (2, now() + interval '1 day',"
                " 'tomorrow'), (3, now() + interval '100 days', 'far')", self.db)
        before = harness.table_rows_csv(PG, self.db, 'public.ev')
        proc = self.partition('--premake', '2')
        self.assertEqual(proc.rc, 0, proc.stderr)
        self.assertEqual(proc.stdout.count('moving 1 rows out of the DEFAULT partition'), 2)
        self.assertEqual(harness.table_rows_csv(PG, self.db, 'public.ev'), before)
        self.assertEqual(PG.query('SELECT id FROM ev_default', self.db), [('3',)])
        today = self.expected_days(0)[0]
        self.assertEqual(PG.query('SELECT id FROM %s' % today, self.db), [('1',)])

    def test_default_with_another_column_order(self):
        """A DEFAULT attached with its columns in another order: moved rows keep
        each value in its column."""
        PG.psql("CREATE TABLE ev_default (note text, ts timestamptz NOT NULL, id int);"
                " ALTER TABLE ev ATTACH PARTITION ev_default DEFAULT;"
                " INSERT INTO ev (id, ts, note) VALUES (7, now(), 'seven'),"
                " (8, now() + interval '1 day', 'eight')", self.db)
        before = harness.table_rows_csv(PG, self.db, 'public.ev')
        proc = self.partition('--premake', '1')
        self.assertEqual(proc.rc, 0, proc.stderr)
        self.assertEqual(proc.stdout.count('moving 1 rows'), 2)
        self.assertEqual(harness.table_rows_csv(PG, self.db, 'public.ev'), before)
        self.assertEqual(PG.query('SELECT count(*) FROM ev_default', self.db), [('0',)])

    def test_covered_range_is_skipped(self):
        PG.psql("CREATE TABLE ev_week PARTITION OF ev FOR VALUES FROM"
                " (date_trunc('day', now(), 'UTC')) TO (date_trunc('day', now(), 'UTC')"
                " + interval '2 days')", self.db)
        proc = self.partition('--premake', '3')
        self.assertEqual(proc.rc, 0, proc.stderr)
        self.assertEqual(proc.stdout.count('skipped'), 2)
        self.assertEqual(proc.stdout.count('created partition'), 2)

    def test_hourly_and_monthly_names(self):
        proc = self.partition('--interval', '1h', '--premake', '1')
        self.assertEqual(proc.rc, 0, proc.stderr)
        names = [p[0] for p in partitions(self.db)]
        self.assertEqual(len(names), 2)
        self.assertRegex(names[0], r'^ev_p\d{10}$')
        PG.psql('DROP TABLE %s, %s' % tuple(names), self.db)
        proc = self.partition('--interval', 'monthly', '--premake', '0')
        self.assertEqual(proc.rc, 0, proc.stderr)
        self.assertRegex(partitions(self.db)[0][0], r'^ev_p\d{6}$')

    def test_pg_partman_table_is_left_to_it(self):
        PG.psql("CREATE SCHEMA partman; CREATE EXTENSION pg_partman SCHEMA partman;"
                " SELECT partman.create_parent('public.ev', 'ts', 'native', 'daily',"
                " p_premake := 2)", self.db)
        parts = partitions(self.db)
        proc = self.partition('--premake', '10')
        self.assertEqual(proc.rc, 0, proc.stderr)
        self.assertEqual(proc.stdout, '%s: public.ev: managed by pg_partman; its maintenance'
                         ' creates the partitions\n' % self.db)
        self.assertEqual(partitions(self.db), parts)

    def test_all_databases_skips_tenants_without_the_table(self):
        other = pu.new_db(PG, 'pm_other')
        proc = harness.run_ebb(['partition', '--table', 'public.ev', '--all-databases',
                                '--include', 'pm*', '--premake', '0'], env=PG.env(self.db))
        self.assertEqual(proc.rc, 0, proc.stderr)
        self.assertIn('%s: public.ev: skipped: the table does not exist in this database\n'
                      % other, proc.stdout)
        self.assertIn('%s: public.ev: created partition' % self.db, proc.stdout)

    def test_refusals(self):
        PG.psql('CREATE TABLE lst (id int) PARTITION BY LIST (id)', self.db)
        proc = harness.run_ebb(['partition', '--table', 'public.lst'], env=PG.env(self.db))
        self.assertEqual(proc.rc, 2, proc.stderr)
        self.assertIn('table "public.lst" is not range-partitioned by a timestamp column',
                      proc.stderr)
        proc = self.partition('--interval', '7min')
        self.assertEqual(proc.rc, 2, proc.stderr)
        self.assertEqual(proc.stderr.splitlines()[0],
                         'ebb: error: invalid value "7min" for option --interval')


if __name__ == '__main__':
    unittest.main()
