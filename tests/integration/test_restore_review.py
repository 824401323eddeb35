"""Review of `ebb restore`: regression tests for what an outside review found (each fails
until the finding is fixed). Real PostgreSQL, file:// objects.

Row oracle where rows move: the table's rows before the archive equal its rows after the
restore, as multisets, compared in SQL (EXCEPT ALL both ways over each row's text)."""

import os
import re
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


# 40 rows five hours apart: keep-days 2 archives ids 10..40 (31 rows), one object each.
DDL = """
CREATE TABLE t (id int PRIMARY KEY, ts timestamptz NOT NULL, v text);
CREATE INDEX ON t (ts);
INSERT INTO t SELECT g, now() - g * interval '5 hours', 'v' || g FROM generate_series(1, 40) g;
"""
ARCHIVED = 31

PARTITIONED_DDL = """
CREATE TABLE ev (id bigserial, ts timestamptz NOT NULL, payload text) PARTITION BY RANGE (ts);
CREATE INDEX ON ev (ts);
DO $$
DECLARE d date := (now() AT TIME ZONE 'UTC')::date - 6;
BEGIN
  WHILE d <= (now() AT TIME ZONE 'UTC')::date + 1 LOOP
    EXECUTE format('CREATE TABLE %I PARTITION OF ev FOR VALUES FROM (%L) TO (%L)',
                   'ev_' || to_char(d, 'YYYYMMDD'), d::timestamp AT TIME ZONE 'UTC',
                   (d + 1)::timestamp AT TIME ZONE 'UTC');
    d := d + 1;
  END LOOP;
END $$;
INSERT INTO ev (ts, payload) SELECT g, md5(g::text) FROM generate_series(
  date_trunc('hour', now()) - interval '6 days', now(), interval '3 hours') g;
"""


class ReviewBase(unittest.TestCase):
    ddl = DDL
    table = 'public.t'

    def setUp(self):
        self.db = pu.new_db(PG, 'rr')
        self.dest, self.path = pu.make_dest(self)
        PG.psql(self.ddl, self.db)
        self.snapshot()

    def snapshot(self):
        PG.psql('CREATE SCHEMA oracle; CREATE TABLE oracle.before AS SELECT * FROM %s'
                % self.table, self.db)

    def archive(self, *extra, env=None):
        proc = pu.archive(PG, self.db, self.dest, *extra, table=self.table, time_column='ts',
                          env=env)
        pu.assert_ok(self, proc)
        return proc

    def restore(self, *extra, env=None, table=None):
        return harness.run_ebb(['restore', '--table', table or self.table] + list(extra),
                               env=dict(PG.env(self.db), **(env or {})))

    def difference(self, table=None):
        """(rows before the archive missing now, rows now that were not there before)."""
        table = table or self.table
        (missing, extra), = PG.query(
            'SELECT (SELECT count(*) FROM (SELECT b::text FROM oracle.before b EXCEPT ALL'
            ' SELECT n::text FROM {t} n) m), (SELECT count(*) FROM (SELECT n::text FROM {t} n'
            ' EXCEPT ALL SELECT b::text FROM oracle.before b) e)'.format(t=table), self.db)
        return int(missing), int(extra)

    def assert_restored(self, table=None):
        self.assertEqual(self.difference(table), (0, 0))

    def count(self, sql):
        return int(PG.query(sql, self.db)[0][0])


class PartitionArchivedNotDroppedTest(ReviewBase):
    """A partition copied to an object (ledger state 'archived') but not yet detached and
    dropped (a crash, or a DETACH whose lock never came) still holds its rows: restore must
    not load its object again."""
    ddl = PARTITIONED_DDL
    table = 'public.ev'

    def test_partition_still_attached_is_not_restored_twice(self):
        proc = pu.archive(PG, self.db, self.dest, table=self.table, time_column='ts',
                          env={'EBB_TEST_CRASH_AT': 'partition-archived'})
        self.assertEqual(proc.rc, -9, proc.stderr)
        pu.wait_backends_gone(PG, self.db)
        self.assertEqual(PG.query("SELECT DISTINCT partition_state FROM ebb.archive_ledger",
                                  self.db), [('archived',)])
        proc = self.restore()
        self.assertEqual(self.difference(), (0, 0), proc.stdout + proc.stderr)


class DryRunCountsTest(ReviewBase):
    def test_dry_run_summary_counts_the_rows_it_would_restore(self):
        self.archive()
        proc = self.restore('--dry-run')
        pu.assert_ok(self, proc)
        self.assertIn('would restore %d objects, %d rows into public.t;' % (ARCHIVED, ARCHIVED),
                      proc.stdout)

    def test_dry_run_json_counts_the_rows_it_would_restore(self):
        import json
        self.archive()
        proc = self.restore('--dry-run', '--json')
        pu.assert_ok(self, proc)
        summary = [json.loads(line) for line in proc.stdout.splitlines()][-1]
        self.assertEqual(summary['event'], 'restore_table')
        self.assertEqual(summary['rows'], ARCHIVED)


class RowsThatDoNotArriveTest(ReviewBase):
    """A BEFORE INSERT trigger that returns NULL, or an ON INSERT DO INSTEAD rule, makes rows
    vanish. With --on-conflict error there is no key conflict to blame: restore must not call
    them "rows that met a key", nor report success and mark the objects restored."""

    def check_vanishing(self):
        proc = self.restore()
        self.assertNotEqual(proc.rc, 0, proc.stdout)
        self.assertNotRegex(proc.stdout, r'; [1-9]\d* rows met a key the table held')
        # An object is recorded as restored only when its rows are in the target.
        self.assertEqual(self.count('SELECT coalesce(sum(rows), 0) FROM ebb.restore_ledger'),
                         self.count('SELECT count(*) FROM t') - (40 - ARCHIVED))

    def test_trigger_returning_null(self):
        self.archive()
        PG.psql("CREATE FUNCTION public.odd_only() RETURNS trigger LANGUAGE plpgsql AS"
                " $$BEGIN IF NEW.id % 2 = 0 THEN RETURN NULL; END IF; RETURN NEW; END$$;"
                " CREATE TRIGGER odd_only BEFORE INSERT ON t FOR EACH ROW"
                " EXECUTE FUNCTION public.odd_only()", self.db)
        self.check_vanishing()

    def test_do_instead_nothing_rule(self):
        self.archive()
        PG.psql('CREATE RULE swallow AS ON INSERT TO t DO INSTEAD NOTHING', self.db)
        self.check_vanishing()


class MessagesTest(ReviewBase):
    def test_check_constraint_is_not_called_a_missing_partition(self):
        self.archive()
        PG.psql('ALTER TABLE t ADD CONSTRAINT small_ids CHECK (id < 30) NOT VALID', self.db)
        proc = self.restore()
        self.assertEqual(proc.rc, 1, proc.stderr)
        self.assertIn('violates check constraint "small_ids"', proc.stderr)
        self.assertNotIn('partition', proc.stderr)

    def test_type_mismatch_names_the_column(self):
        self.archive()
        PG.psql('CREATE TABLE t2 (id int, ts timestamptz, v int)', self.db)
        proc = self.restore('--into', 't2')
        self.assertNotEqual(proc.rc, 0)
        first = proc.stderr.splitlines()[0]
        self.assertIn('invalid input syntax for type integer', first)
        self.assertIn('"v"', proc.stderr)  # which column: the COPY context names it
        # The target cannot take the column: one error, not one per object.
        self.assertEqual(proc.stderr.count('invalid input syntax'), 1, proc.stderr)

    def test_bad_from_is_a_usage_error(self):
        self.archive()
        proc = self.restore('--from', 'yesterdayish')
        self.assertEqual(proc.rc, 2, proc.stderr)
        self.assertIn('--from', proc.stderr)
        self.assertNotIn('query failed', proc.stderr)

    def test_key_without_a_unique_index(self):
        self.archive()
        PG.psql('CREATE TABLE t3 (id int, ts timestamptz, v text)', self.db)
        # The dry run already knows that no object could be restored.
        proc = self.restore('--into', 't3', '--on-conflict', 'update', '--key', 'id',
                            '--dry-run')
        self.assertEqual(proc.rc, 2, proc.stdout + proc.stderr)
        proc = self.restore('--into', 't3', '--on-conflict', 'update', '--key', 'id')
        self.assertEqual(proc.rc, 2, proc.stderr)
        # One error for the table, with a way out; not one raw error per object.
        self.assertEqual(proc.stderr.count('ebb: error:'), 1, proc.stderr)
        self.assertIn('ebb: hint:', proc.stderr)
        self.assertEqual(self.count('SELECT count(*) FROM t3'), 0)

    def test_to_before_from_is_a_usage_error(self):
        self.archive()
        proc = self.restore('--from', '2024-03-02', '--to', '2024-03-01')
        self.assertEqual(proc.rc, 2, proc.stdout + proc.stderr)

    def test_target_that_is_a_sequence(self):
        self.archive()
        PG.psql('CREATE SEQUENCE sq', self.db)
        proc = self.restore('--into', 'sq')
        self.assertEqual(proc.rc, 2, proc.stderr)
        self.assertNotIn('column "id" of the archived rows does not exist', proc.stderr)
        self.assertIn('"public.sq"', proc.stderr)

    def test_dropped_restore_ledger(self):
        self.archive()
        PG.psql('DROP TABLE ebb.restore_ledger', self.db)
        proc = self.restore()
        # Either ebb puts its table back, or it says what is wrong with its catalog.
        if proc.rc == 0:
            self.assert_restored()
        else:
            self.assertNotIn('query failed: relation "ebb.restore_ledger" does not exist',
                             proc.stderr)


class IdentityTest(ReviewBase):
    """Restored explicit identity values must leave the identity able to go on: after a restore
    into a new table, the application's next INSERTs must not collide with restored rows."""

    def check_identity(self, kind):
        self.archive()
        PG.psql('CREATE TABLE t2 (id int GENERATED %s AS IDENTITY PRIMARY KEY,'
                ' ts timestamptz NOT NULL, v text)' % kind, self.db)
        proc = self.restore('--into', 't2')
        pu.assert_ok(self, proc)
        self.assertEqual(self.count('SELECT count(*) FROM t2'), ARCHIVED)
        # The restored ids are 10..40; an identity left at 1 runs into them.
        out = PG._psql(['-c', "INSERT INTO t2 (ts, v) SELECT now(), 'new'"
                        " FROM generate_series(1, 40)"], self.db, check=False)
        self.assertEqual(self.count('SELECT count(*) FROM t2'), ARCHIVED + 40, out)

    def test_identity_always(self):
        self.check_identity('ALWAYS')

    def test_identity_by_default(self):
        self.check_identity('BY DEFAULT')


if __name__ == '__main__':
    unittest.main()
