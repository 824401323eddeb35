"""Table shapes the events table does not have. Rows whose time column is NULL are in no window:
they stay, and --dry-run, the run summary (text and JSON) and a warning count them. A stored
generated time column still ages the rows although, like every stored generated column, it is
left out of the objects (the manifest records it) and COPY FROM recomputes it."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import protocol_util as pu  # noqa: E402


def setUpModule():
    global PG
    PG = harness.Cluster()


def tearDownModule():
    PG.stop()


class NullTimesTest(unittest.TestCase):
    TABLE = 'public.maybe'

    def setUp(self):
        self.db = pu.new_db(PG, 'nul')
        self.dest, self.path = pu.make_dest(self)
        PG.psql("CREATE TABLE maybe (id int, ts timestamptz);"
                "CREATE INDEX ON maybe (ts);"
                "INSERT INTO maybe SELECT g, now() - g * interval '1 day' FROM generate_series(1, 6) g;"
                "INSERT INTO maybe SELECT g, NULL FROM generate_series(100, 102) g", self.db)

    def archive(self, *extra):
        return pu.archive(PG, self.db, self.dest, *extra, table=self.TABLE, time_column='ts')

    def test_counted_in_dry_run_text_and_json(self):
        proc = self.archive('--dry-run')
        pu.assert_ok(self, proc)
        self.assertIn('ebb: warning: table "public.maybe" has 3 rows whose "ts" is NULL: they are'
                      ' never archived', proc.stderr)
        self.assertRegex(proc.stdout.splitlines()[-1],
                         r'would archive 5 rows in 5 objects .*; 3 rows with a NULL ts stay$')
        proc = self.archive('--dry-run', '--json')
        pu.assert_ok(self, proc)
        summary = json.loads(proc.stdout.splitlines()[-1])
        self.assertEqual((summary['event'], summary['rows'], summary['null_time_rows']),
                         ('dry_run_table', 5, 3))

    def test_counted_in_the_run_and_left_in_the_table(self):
        before = harness.table_rows_csv(PG, self.db, self.TABLE)
        proc = self.archive()
        pu.assert_ok(self, proc)
        self.assertIn('has 3 rows whose "ts" is NULL', proc.stderr)
        self.assertRegex(proc.stdout, r'archived 5 rows in 5 objects .*; 3 rows with a NULL ts'
                         r' stay\n$')
        left, _ = harness.assert_oracle(self, before, PG, self.db, self.TABLE, archived=5)
        self.assertEqual(sorted(int(r[0]) for r in left), [1, 100, 101, 102])
        proc = self.archive('--json')
        self.assertEqual(json.loads(proc.stdout)['null_time_rows'], 3)

    def test_counted_by_status(self):
        proc = harness.run_ebb(['status', '--table', self.TABLE, '--time-column', 'ts', '--json'],
                               env=PG.env(self.db))
        self.assertEqual(proc.rc, 0, proc.stderr)
        self.assertEqual(json.loads(proc.stdout)['null_time_rows'], 3)
        proc = harness.run_ebb(['status', '--table', self.TABLE, '--time-column', 'ts'],
                               env=PG.env(self.db))
        self.assertIn('  null times:       3 rows (never archived)\n', proc.stdout)

    def test_no_warning_without_nulls(self):
        PG.psql('DELETE FROM maybe WHERE ts IS NULL', self.db)
        proc = self.archive()
        pu.assert_ok(self, proc)
        self.assertEqual(proc.stderr, '')
        self.assertNotIn('NULL', proc.stdout)
        self.assertEqual(json.loads(self.archive('--json').stdout)['null_time_rows'], 0)


class GeneratedTimeTest(unittest.TestCase):
    TABLE = 'public.stamped'

    def test_generated_time_column_ages_rows_and_stays_out_of_objects(self):
        db = pu.new_db(PG, 'gen')
        dest, path = pu.make_dest(self)
        PG.psql("CREATE TABLE stamped (id int, epoch float8 NOT NULL, note text,"
                " ts timestamptz GENERATED ALWAYS AS (to_timestamp(epoch)) STORED);"
                "CREATE INDEX ON stamped (ts);"
                "INSERT INTO stamped (id, epoch, note) SELECT g,"
                " extract(epoch FROM now() - g * interval '1 day'), 'n' || g"
                " FROM generate_series(1, 6) g", db)
        before = harness.table_rows_csv(PG, db, self.TABLE)
        pu.assert_ok(self, pu.archive(PG, db, dest, table=self.TABLE, time_column='ts'))
        # two more old rows, archived as Parquet
        PG.psql("INSERT INTO stamped (id, epoch, note) SELECT g,"
                " extract(epoch FROM now() - (g - 10) * interval '1 day'), 'm' || g"
                " FROM generate_series(13, 14) g", db)
        before += harness.table_rows_csv(PG, db, '(SELECT * FROM stamped WHERE id > 10) s')
        pu.assert_ok(self, pu.archive(PG, db, dest, '--format', 'parquet', table=self.TABLE,
                                      time_column='ts'))
        harness.assert_oracle(self, before, PG, db, self.TABLE, archived=7)
        entries = pu.ledger(PG, db, table=self.TABLE)
        self.assertEqual(len(entries), 7)
        for e in entries:
            m = pu.manifest(path, e['object_key'])
            self.assertEqual([c['name'] for c in m['columns']], ['id', 'epoch', 'note'])
            self.assertEqual(m['generated_columns'],
                             [{'name': 'ts', 'type': 'timestamp with time zone',
                               'expression': 'to_timestamp(epoch)'}])


if __name__ == '__main__':
    unittest.main()
