"""ebb restore into a partitioned table whose partitions for the archived rows are gone.

The common case: a table archived row by row, then turned into a partitioned table (by
`ebb partition`, which names partitions <table>_p<start>). The archive's old rows have no
partition: restore makes the partition of each row's interval, named as ebb partition names it,
in the transaction that loads the object. A DEFAULT partition takes the rows instead;
--no-create-partitions fails the objects; a table whose partitions ebb did not name needs
--create-partitions --interval. Every test checks the oracle: the rows before the archive
equal the rows after the restore (a multiset, rendered by PostgreSQL)."""

import datetime
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


# 120 rows five hours apart (25 days): keep-days 2 archives those older than two days.
PLAIN = """
CREATE TABLE {t} (id bigint, ts {type} NOT NULL, note text);
CREATE INDEX ON {t} (ts);
INSERT INTO {t} SELECT g, {now} - g * interval '5 hours', 'n' || g FROM generate_series(1, 120) g;
"""


class PartitionsBase(unittest.TestCase):
    TYPE = 'timestamptz'
    NOW = 'now()'

    def setUp(self):
        self.db = pu.new_db(PG, 'rpp')
        self.dest, _ = pu.make_dest(self)

    def archived_table(self, table):
        """The table, archived row by row (keep-days 2), then made again partitioned by day
        with no partition for the archived rows; returns the rows before the archive."""
        q = harness.quote_ident(table)
        PG.psql(PLAIN.format(t=q, type=self.TYPE, now=self.NOW), self.db)
        before = harness.table_rows_csv(PG, self.db, 'public.' + q)
        pu.assert_ok(self, pu.archive(PG, self.db, self.dest, table='public.' + q,
                                      time_column='ts'))
        self.archived = int(PG.query('SELECT sum(rows) FROM ebb.archive_ledger', self.db)[0][0])
        self.assertGreater(self.archived, 80)
        old = harness.quote_ident(table + '_old')
        PG.psql('ALTER TABLE %s RENAME TO %s;'
                'CREATE TABLE %s (LIKE %s) PARTITION BY RANGE (ts);'
                'CREATE INDEX ON %s (ts)' % (q, old, q, old, q), self.db)
        return before, old

    def partition(self, table, interval='1d', *extra):
        proc = harness.run_ebb(['partition', '--table', 'public.' + harness.quote_ident(table),
                                '--interval', interval, '--premake', '1'] + list(extra),
                               env=PG.env(self.db))
        pu.assert_ok(self, proc)

    def move_back(self, table, old):
        """The rows not archived go into the partitioned table (they fit the partitions
        made for the last days)."""
        PG.psql('INSERT INTO %s SELECT * FROM %s; DROP TABLE %s'
                % (harness.quote_ident(table), old, old), self.db)

    def restore(self, table, *extra):
        return harness.run_ebb(['restore', '--table', 'public.' + harness.quote_ident(table)]
                               + list(extra), env=PG.env(self.db))

    def rows(self, table):
        return harness.table_rows_csv(PG, self.db, 'public.' + harness.quote_ident(table))

    def partitions(self, table):
        return PG.query("SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i"
                        " JOIN pg_class c ON c.oid = i.inhrelid"
                        " WHERE i.inhparent = '%s'::regclass ORDER BY 1"
                        % ('public.' + harness.quote_ident(table)).replace("'", "''"), self.db)

    def archived_days(self):
        """The UTC (or wall-clock) days of the archived rows, from the ledger's windows."""
        rows = PG.query("SELECT DISTINCT to_char(window_start, 'YYYYMMDD') FROM"
                        " ebb.archive_ledger ORDER BY 1", self.db)
        return [r[0] for r in rows]


class CreatedTest(PartitionsBase):
    def test_rows_come_back_into_partitions_named_as_ebb_partition_names_them(self):
        before, old = self.archived_table('pe')
        self.partition('pe')
        # The last two days' partitions, as ebb partition would have made them then.
        for back in (1, 2, 3):
            self.partition_of_day('pe', back)
        self.move_back('pe', old)
        had = {name for name, _ in self.partitions('pe')}
        # A dry run names the partitions (each once: several objects share a day), makes none.
        dry = self.restore('pe', '-v', '--dry-run')
        pu.assert_ok(self, dry)
        self.assertEqual({name for name, _ in self.partitions('pe')}, had)
        proc = self.restore('pe', '-v')
        pu.assert_ok(self, proc)
        self.assertEqual(self.rows('pe'), before)
        made = {name: bound for name, bound in self.partitions('pe') if name not in had}
        self.assertIn('; %d partitions created\n' % len(made), proc.stdout)
        self.assertIn('; %d partitions would be created\n' % len(made), dry.stdout)
        for name in made:
            self.assertEqual(dry.stderr.count('would create partition "public.%s" for [' % name),
                             1, dry.stderr)
        days = self.archived_days()
        self.assertEqual(sorted(made), sorted('pe_p' + d for d in days if 'pe_p' + d not in had))
        for name, bound in made.items():
            d = datetime.datetime.strptime(name[len('pe_p'):], '%Y%m%d')
            self.assertEqual(bound, "FOR VALUES FROM ('%s 00:00:00+00') TO ('%s 00:00:00+00')"
                             % (d.date(), (d + datetime.timedelta(days=1)).date()))
            self.assertIn('ebb: info: creating partition "public.%s" for [' % name, proc.stderr)
        # Exactly once: again, nothing is restored or made.
        proc = self.restore('pe')
        pu.assert_ok(self, proc)
        self.assertIn('restored 0 objects, 0 rows', proc.stdout)
        self.assertEqual(self.rows('pe'), before)

    def partition_of_day(self, table, back):
        PG.psql("DO $$ DECLARE d timestamp := date_trunc('day', now() AT TIME ZONE 'UTC')"
                " - interval '%d days'; BEGIN"
                " EXECUTE format('CREATE TABLE IF NOT EXISTS %%I PARTITION OF %%I"
                " FOR VALUES FROM (%%L) TO (%%L)', '%s_p' || to_char(d, 'YYYYMMDD'), '%s',"
                " d AT TIME ZONE 'UTC', (d + interval '1 day') AT TIME ZONE 'UTC'); END $$"
                % (back, table, table), self.db)

    def test_a_crash_before_commit_leaves_no_partition_and_the_rerun_makes_it(self):
        before, old = self.archived_table('pk')
        self.partition('pk')
        for back in (1, 2, 3):
            self.partition_of_day('pk', back)
        self.move_back('pk', old)
        had = self.partitions('pk')
        # Objects are restored in window order: the first of the second day makes a partition.
        second_day = int(PG.query(
            "SELECT count(*) + 1 FROM ebb.archive_ledger WHERE window_start <"
            " (SELECT date_trunc('day', min(window_start)) + interval '1 day'"
            " FROM ebb.archive_ledger)", self.db)[0][0])
        proc = harness.run_ebb(
            ['restore', '--table', 'public.pk'],
            env=dict(PG.env(self.db), EBB_TEST_CRASH_AT='restore-before-commit:%d' % second_day))
        self.assertEqual(proc.rc, -9, proc.stderr)
        pu.wait_backends_gone(PG, self.db)
        # The first day's objects committed with their partition; the second day's partition
        # went with the transaction the crash cut.
        self.assertEqual(len(self.partitions('pk')), len(had) + 1)
        self.assertEqual(int(PG.query('SELECT count(*) FROM ebb.restore_ledger', self.db)[0][0]),
                         second_day - 1)
        pu.assert_ok(self, self.restore('pk'))
        self.assertEqual(self.rows('pk'), before)

    def test_monthly_partitions_of_a_timestamp_column(self):
        self.TYPE, self.NOW = 'timestamp', 'localtimestamp'
        before, old = self.archived_table('pm')
        # This month and the next, as ebb partition makes them; the rows not archived may
        # reach into last month.
        self.partition('pm', '1mon')
        PG.psql("DO $$ DECLARE m timestamp := date_trunc('month', localtimestamp)"
                " - interval '1 month'; BEGIN EXECUTE format('CREATE TABLE IF NOT EXISTS"
                " pm_p%s PARTITION OF pm FOR VALUES FROM (%L) TO (%L)', to_char(m, 'YYYYMM'),"
                " m, m + interval '1 month'); END $$", self.db)
        self.move_back('pm', old)
        had = {name for name, _ in self.partitions('pm')}
        proc = self.restore('pm')
        pu.assert_ok(self, proc)
        self.assertEqual(self.rows('pm'), before)
        months = {d[:6] for d in self.archived_days()}
        made = {name for name, _ in self.partitions('pm')} - had
        self.assertEqual(made, {'pm_p' + m for m in months} - had)
        for name, bound in self.partitions('pm'):
            if name in made:
                start = datetime.date(int(name[4:8]), int(name[8:10]), 1)
                end = datetime.date(start.year + start.month // 12, start.month % 12 + 1, 1)
                self.assertEqual(bound, "FOR VALUES FROM ('%s 00:00:00') TO ('%s 00:00:00')"
                                 % (start, end))


class NotCreatedTest(PartitionsBase):
    def test_no_create_partitions_fails_the_objects_and_loads_nothing(self):
        before, old = self.archived_table('pn')
        self.partition('pn')
        # From the start of the (UTC) day 47 hours ago: archived rows of that day have a
        # partition, older ones none.
        PG.psql("CREATE TABLE pn_recent PARTITION OF pn FOR VALUES FROM"
                " (date_trunc('day', (now() - interval '47 hours') AT TIME ZONE 'UTC')"
                " AT TIME ZONE 'UTC') TO (date_trunc('day', now() AT TIME ZONE 'UTC')"
                " AT TIME ZONE 'UTC')", self.db)
        self.move_back('pn', old)
        had = self.partitions('pn')
        proc = self.restore('pn', '--no-create-partitions')
        self.assertEqual(proc.rc, 1, proc.stderr)
        self.assertIn('ebb: error: database "%s": object "' % self.db, proc.stderr)
        self.assertIn('no partition of relation "pn" found for row', proc.stderr)
        self.assertIn('ebb: hint: A row\'s partition is gone: restore with --create-partitions',
                      proc.stderr)
        self.assertEqual(self.partitions('pn'), had)
        self.assertEqual(PG.query("SELECT count(*) FROM pn WHERE ts < date_trunc('day',"
                                  " (now() - interval '47 hours') AT TIME ZONE 'UTC')"
                                  " AT TIME ZONE 'UTC'", self.db), [('0',)])
        # Without the switch the same table gets its partitions.
        pu.assert_ok(self, self.restore('pn'))
        self.assertEqual(self.rows('pn'), before)

    def test_a_table_holding_the_name_fails_only_its_objects(self):
        before, old = self.archived_table('px')
        self.partition('px')
        for back in (1, 2, 3):
            CreatedTest.partition_of_day(self, 'px', back)
        self.move_back('px', old)
        day = self.archived_days()[0]
        # An unrelated table (a partition kept detached, say) holds the oldest day's name.
        PG.psql('CREATE TABLE px_p%s (x int)' % day, self.db)
        proc = self.restore('px')
        self.assertEqual(proc.rc, 1, proc.stderr)
        self.assertIn('could not create partition "public.px_p%s" for [' % day, proc.stderr)
        self.assertIn('ebb: hint: A table of that name is in the way (a partition that ebb archive'
                      ' --keep-detached kept?)', proc.stderr)
        failed = int(PG.query("SELECT count(*) FROM ebb.archive_ledger WHERE"
                              " to_char(window_start, 'YYYYMMDD') = '%s'" % day, self.db)[0][0])
        self.assertIn('%d failed' % failed, proc.stdout)
        # Every other object came back; the rows of that day did not.
        self.assertEqual(PG.query("SELECT count(*) FROM px WHERE to_char(ts AT TIME ZONE 'UTC',"
                                  " 'YYYYMMDD') = '%s'" % day, self.db), [('0',)])
        PG.psql('DROP TABLE px_p%s' % day, self.db)
        pu.assert_ok(self, self.restore('px'))
        self.assertEqual(self.rows('px'), before)

    def test_a_default_partition_takes_the_rows(self):
        before, old = self.archived_table('pd')
        self.partition('pd')
        PG.psql('CREATE TABLE pd_default PARTITION OF pd DEFAULT', self.db)
        self.move_back('pd', old)
        had = self.partitions('pd')
        pu.assert_ok(self, self.restore('pd'))
        self.assertEqual(self.rows('pd'), before)
        self.assertEqual(self.partitions('pd'), had)
        self.assertEqual(int(PG.query('SELECT count(*) FROM pd_default', self.db)[0][0]),
                         self.archived + int(PG.query(
                             "SELECT count(*) FROM pd_default WHERE ts >= now() - interval '2 days'",
                             self.db)[0][0]))

    def test_partitions_ebb_did_not_name_need_an_interval(self):
        table = 'Ev "x".y'
        q = harness.quote_ident(table)
        before, old = self.archived_table(table)
        # The rows not archived are at most 45 hours old, the archived ones at least 50.
        PG.psql('CREATE TABLE "ev recent" PARTITION OF %s FOR VALUES FROM'
                " (now() - interval '47 hours') TO ('infinity')" % q, self.db)
        self.move_back(table, old)
        left = self.rows(table)
        # Not a table ebb partitions: the object fails, with the hint.
        proc = self.restore(table)
        self.assertEqual(proc.rc, 1, proc.stderr)
        self.assertIn('ebb: hint: A row\'s partition is gone: restore with --create-partitions',
                      proc.stderr)
        self.assertEqual(self.rows(table), left)
        # --create-partitions cannot tell the interval of these names.
        proc = self.restore(table, '--create-partitions')
        harness.assert_error(self, proc, 2,
                             'ebb: error: database "%s": cannot create partitions of table'
                             ' public."Ev ""x"".y": the interval of its partitions is unknown'
                             % self.db)
        self.assertIn('ebb: hint: Name it with --interval (1h, 1d, 1w or 1mon).', proc.stderr)
        proc = self.restore(table, '--create-partitions', '--interval', 'hour')
        pu.assert_ok(self, proc)
        self.assertEqual(self.rows(table), before)
        made = [n for n, _ in self.partitions(table) if n != 'ev recent']
        self.assertEqual(len(made), int(PG.query(
            "SELECT count(DISTINCT date_trunc('hour', ts AT TIME ZONE 'UTC')) FROM %s"
            " WHERE ts < now() - interval '47 hours'" % q, self.db)[0][0]))
        self.assertTrue(all(n.startswith(table + '_p') and len(n) == len(table) + 12
                            for n in made), made)

    def test_bad_switches_are_usage_errors(self):
        for args, first in (
                (['--create-partitions', '--no-create-partitions'],
                 'ebb: error: option --no-create-partitions cannot be used with'
                 ' --create-partitions'),
                (['--interval', '1d', '--no-create-partitions'],
                 'ebb: error: option --no-create-partitions cannot be used with --interval'),
                (['--interval', '2d'], 'ebb: error: invalid value "2d" for option --interval')):
            proc = self.restore('nosuch', *args)
            harness.assert_error(self, proc, 2, first)


if __name__ == '__main__':
    unittest.main()
