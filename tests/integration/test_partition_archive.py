"""ebb archive on a range-partitioned table: partitions wholly older than the
cutoff are archived whole (one object each), detached and dropped, and their
disk is free at once; the partition that straddles the cutoff and the DEFAULT
partition's old rows go row by row; the oracle holds. Odd bounds and DEFAULT
rows: nothing in the retention window is dropped, the DEFAULT never is. Crash
at each step (after the object, after the ledger, between detach and drop, an
interrupted DETACH CONCURRENTLY): the next run converges, nothing is lost or
dropped unarchived. Rows written into a partition after it was archived are
archived again before it is dropped. --keep-detached, --retention-schema,
--whole-partitions-only, --dry-run, and the refusal of a table partitioned by
something else."""

import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import protocol_util as pu  # noqa: E402

PG = None
TABLE = 'public.ev'


def setUpModule():
    global PG
    PG = harness.Cluster()


def tearDownModule():
    PG.stop()


def daily_partitions(db, days=30, ahead=2, default=True, every='10 min'):
    """ev(id, ts timestamptz, payload) with one partition per UTC day from `days`
    days ago to `ahead` days ahead, a DEFAULT partition, and a row every
    `every` over the last `days` days."""
    PG.psql("""
        CREATE TABLE ev (id bigserial, ts timestamptz NOT NULL, payload text)
          PARTITION BY RANGE (ts);
        CREATE INDEX ON ev (ts);
        DO $$
        DECLARE d date := (now() AT TIME ZONE 'UTC')::date - %d;
        BEGIN
          WHILE d <= (now() AT TIME ZONE 'UTC')::date + %d LOOP
            EXECUTE format('CREATE TABLE %%I PARTITION OF ev FOR VALUES FROM (%%L) TO (%%L)',
                           'ev_' || to_char(d, 'YYYYMMDD'), d::timestamp AT TIME ZONE 'UTC',
                           (d + 1)::timestamp AT TIME ZONE 'UTC');
            d := d + 1;
          END LOOP;
        END $$;
        %s
        INSERT INTO ev (ts, payload)
          SELECT g, repeat(md5(g::text), 4) FROM generate_series(
            date_trunc('hour', now()) - interval '%d days', now(), interval '%s') g;
        ANALYZE ev;
        """ % (days, ahead, 'CREATE TABLE ev_default PARTITION OF ev DEFAULT;' if default else '',
               days, every), db)


def leaves(db):
    return [r[0] for r in PG.query(
        "SELECT c.relname FROM pg_partition_tree('ev') t JOIN pg_class c ON c.oid = t.relid"
        " WHERE t.isleaf ORDER BY 1", db)]


def expired(db, keep_days=2):
    """Partitions whose upper bound is at or before the cutoff (from the catalog)."""
    return [r[0] for r in PG.query(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = 'ev'::regclass AND pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'"
        " AND substring(pg_get_expr(c.relpartbound, c.oid) FROM 'TO \\(''(.*)''\\)')::timestamptz"
        " <= now() - interval '%d days' ORDER BY 1" % keep_days, db)]


def table_bytes(db):
    (n,), = PG.query("SELECT sum(pg_total_relation_size(relid)) FROM pg_partition_tree('ev')", db)
    return int(n)


class PartitionTest(unittest.TestCase):
    def setUp(self):
        self.db = pu.new_db(PG, 'part')
        self.dest, self.root = pu.make_dest(self)

    def archive(self, *extra, **kw):
        return pu.archive(PG, self.db, self.dest, *extra, table=TABLE, time_column='ts', **kw)

    def ledger(self):
        return PG.query('SELECT object_key, rows, partition_name, partition_state'
                        ' FROM ebb.archive_ledger ORDER BY id', self.db)

    def test_daily_partitions(self):
        daily_partitions(self.db)
        before = harness.table_rows_csv(PG, self.db, TABLE)
        gone = expired(self.db)
        self.assertGreaterEqual(len(gone), 27)
        sizes = dict(PG.query("SELECT c.relname, pg_total_relation_size(c.oid)"
                              " FROM pg_class c WHERE c.relname LIKE 'ev\\_%%'", self.db))
        size_before = table_bytes(self.db)
        pu.assert_ok(self, self.archive())
        # the expired partitions are gone; every other one (and the DEFAULT) is there
        self.assertEqual(sorted(set(leaves(self.db)) & set(gone)), [])
        self.assertIn('ev_default', leaves(self.db))
        ledger = self.ledger()
        whole = [r for r in ledger if r[2]]
        self.assertEqual(sorted(r[2] for r in whole), sorted('public.' + g for g in gone))
        self.assertEqual({r[3] for r in whole}, {'dropped'})
        # the straddling partition's old rows went row by row
        self.assertTrue([r for r in ledger if not r[2]])
        left, archived = harness.assert_oracle(self, before, PG, self.db, TABLE)
        (old,), = PG.query("SELECT count(*) FROM ev WHERE ts < now() - interval '2 days'",
                           self.db)
        self.assertEqual(old, '0')
        # the disk is free at once: the table shrank by the dropped partitions' size
        freed = sum(int(sizes[g]) for g in gone)
        self.assertLessEqual(table_bytes(self.db), size_before - freed)
        # a second run: nothing more
        pu.assert_ok(self, self.archive())
        self.assertEqual(self.ledger(), ledger)
        # whole-partition objects are ordinary objects to ebb verify
        proc = harness.run_ebb(['verify', '--table', TABLE], env=PG.env(self.db))
        self.assertEqual(proc.rc, 0, proc.stderr)
        self.assertIn('checked %d objects (%d rows' % (len(ledger), sum(int(r[1]) for r in ledger)),
                      proc.stdout)
        self.assertIn('0 missing, 0 corrupt, 0 orphans', proc.stdout)

    def test_parquet(self):
        """A whole partition as Parquet: read back by DuckDB for the oracle."""
        daily_partitions(self.db, days=4)
        before = harness.table_rows_csv(PG, self.db, TABLE)
        pu.assert_ok(self, self.archive('--format', 'parquet'))
        harness.assert_oracle(self, before, PG, self.db, TABLE)
        formats = PG.query('SELECT DISTINCT format FROM ebb.archive_ledger'
                           ' WHERE partition_name IS NOT NULL', self.db)
        self.assertEqual(formats, [('parquet',)])

    def test_default_and_odd_bounds(self):
        """A DEFAULT holding old and new rows, partitions with odd bounds and a
        gap: only partitions wholly before the cutoff go; the DEFAULT keeps its
        new rows and is never dropped; nothing newer than the cutoff leaves."""
        PG.psql("""
            CREATE TABLE ev (id int, ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
            CREATE INDEX ON ev (ts);
            CREATE TABLE ev_a PARTITION OF ev FOR VALUES FROM (MINVALUE) TO ('2020-01-01 07:30+00');
            CREATE TABLE ev_b PARTITION OF ev FOR VALUES FROM ('2020-01-01 07:30+00')
              TO ('2020-03-01 00:00+00');
            CREATE TABLE ev_c PARTITION OF ev FOR VALUES FROM ('2020-06-01 00:00+00')
              TO (now() - interval '1 day');
            CREATE TABLE ev_d PARTITION OF ev FOR VALUES FROM (now() - interval '1 day')
              TO (MAXVALUE);
            CREATE TABLE ev_default PARTITION OF ev DEFAULT;
            INSERT INTO ev VALUES (1, '1999-01-01+00'), (2, '2020-01-01 07:29:59.999999+00'),
              (3, '2020-01-01 07:30+00'), (4, '2020-04-01+00'), (5, now() - interval '3 days'),
              (6, now() - interval '1 hour'), (7, '2020-07-01+00'), (8, now() + interval '1 day');
            """, self.db)
        before = harness.table_rows_csv(PG, self.db, TABLE)
        pu.assert_ok(self, self.archive())
        self.assertEqual(leaves(self.db), ['ev_c', 'ev_d', 'ev_default'])
        left, archived = harness.assert_oracle(self, before, PG, self.db, TABLE)
        self.assertEqual(sorted(int(r[0]) for r in left), [6, 8])
        names = sorted(r[2] for r in self.ledger() if r[2])
        self.assertEqual(names, ['public.ev_a', 'public.ev_b'])

    def test_sub_partitioned_tree(self):
        """Leaves under a LIST level share their parent's time range (two objects
        for one range, told apart by the partition's name); leaves under a
        second RANGE level on the time column get the intersection of both."""
        PG.psql("""
            CREATE TABLE ev (id int, kind text, ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
            CREATE INDEX ON ev (ts);
            CREATE TABLE ev_2020 PARTITION OF ev FOR VALUES FROM ('2020-01-01+00')
              TO ('2021-01-01+00') PARTITION BY LIST (kind);
            CREATE TABLE ev_2020_a PARTITION OF ev_2020 FOR VALUES IN ('a');
            CREATE TABLE ev_2020_b PARTITION OF ev_2020 FOR VALUES IN ('b');
            CREATE TABLE ev_recent PARTITION OF ev FOR VALUES FROM ('2021-01-01+00')
              TO (MAXVALUE) PARTITION BY RANGE (ts);
            CREATE TABLE ev_recent_old PARTITION OF ev_recent FOR VALUES FROM (MINVALUE)
              TO ('2022-01-01+00');
            CREATE TABLE ev_recent_new PARTITION OF ev_recent FOR VALUES FROM ('2022-01-01+00')
              TO (MAXVALUE);
            INSERT INTO ev VALUES (1, 'a', '2020-02-01+00'), (2, 'b', '2020-03-01+00'),
              (3, 'a', '2021-06-01+00'), (4, 'b', now() - interval '3 days'), (5, 'a', now());
            """, self.db)
        before = harness.table_rows_csv(PG, self.db, TABLE)
        pu.assert_ok(self, self.archive())
        self.assertEqual(leaves(self.db), ['ev_recent_new'])
        whole = PG.query('SELECT partition_name, window_start, window_end FROM'
                         ' ebb.archive_ledger WHERE partition_name IS NOT NULL ORDER BY 1',
                         self.db)
        self.assertEqual(whole, [
            ('public.ev_2020_a', '2020-01-01 00:00:00', '2021-01-01 00:00:00'),
            ('public.ev_2020_b', '2020-01-01 00:00:00', '2021-01-01 00:00:00'),
            # MINVALUE inside the range of its parent: the parent's lower bound
            ('public.ev_recent_old', '2021-01-01 00:00:00', '2022-01-01 00:00:00')])
        left, archived = harness.assert_oracle(self, before, PG, self.db, TABLE)
        self.assertEqual([r[0] for r in left], ['5'])

    def test_not_partitioned_by_time(self):
        PG.psql("""CREATE TABLE ev (id int, ts timestamptz NOT NULL) PARTITION BY LIST (id);
                   CREATE INDEX ON ev (ts);
                   CREATE TABLE ev_1 PARTITION OF ev FOR VALUES IN (1);
                   INSERT INTO ev VALUES (1, '2020-01-01');""", self.db)
        proc = self.archive()
        self.assertEqual(proc.rc, 2, proc.stderr)
        self.assertIn('ebb: error: database "%s": table "public.ev" is not range-partitioned by'
                      ' its time column "ts"\n' % self.db, proc.stderr)
        self.assertIn('ebb: hint: Archive its partitions as tables of their own, or partition it'
                      ' BY RANGE (ts).', proc.stderr)
        self.assertEqual(leaves(self.db), ['ev_1'])
        self.assertEqual(pu.count_rows(PG, self.db, table=TABLE), 1)
        # ebb status still reports the table (as not partitioned by time)
        proc = harness.run_ebb(['status', '--table', TABLE, '--time-column', 'ts', '--json'],
                               env=PG.env(self.db))
        self.assertEqual(proc.rc, 0, proc.stderr)
        self.assertIsNone(json.loads(proc.stdout)['partitions'])

    def test_dry_run_lists_partitions(self):
        daily_partitions(self.db, days=6)
        gone = expired(self.db)
        proc = self.archive('--dry-run')
        pu.assert_ok(self, proc)
        listed = [line.split('\t')[2] for line in proc.stdout.splitlines()
                  if '\tpartition ' in line]
        self.assertEqual(listed, ['partition public.%s' % g for g in gone])
        line = [ln for ln in proc.stdout.splitlines() if '\tpartition ' in ln][0]
        (rows,), = PG.query('SELECT count(*) FROM %s' % gone[0], self.db)
        self.assertIn('\t%s rows\t' % rows, line)
        self.assertTrue(line.endswith('\tarchive, drop'))
        self.assertEqual(sorted(set(gone) - set(leaves(self.db))), [])

    def test_status_lists_partitions(self):
        daily_partitions(self.db, days=6)
        gone = expired(self.db)
        status = ['status', '--table', TABLE, '--time-column', 'ts', '--keep-days', '2']
        proc = harness.run_ebb(status + ['--json'], env=PG.env(self.db))
        self.assertEqual(proc.rc, 0, proc.stderr)
        rep = json.loads(proc.stdout)
        self.assertEqual(rep['partitions'], len(leaves(self.db)))
        self.assertEqual([e['partition'] for e in rep['expired_partitions']],
                         ['public.' + g for g in gone])
        self.assertTrue(all(e['bytes'] > 0 and e['estimated_rows'] > 0
                            for e in rep['expired_partitions']))
        self.assertEqual(rep['partitions_unremoved'], 0)
        proc = harness.run_ebb(status, env=PG.env(self.db))
        self.assertIn('  partitions:       %d (%d wholly before the cutoff: the next run archives'
                      ' and drops them)\n' % (len(leaves(self.db)), len(gone)), proc.stdout)
        self.assertIn('    public.%s  [' % gone[0], proc.stdout)
        # after the run: none expired, none left unremoved
        pu.assert_ok(self, self.archive())
        rep = json.loads(harness.run_ebb(status + ['--json'], env=PG.env(self.db)).stdout)
        self.assertEqual((rep['expired_partitions'], rep['partitions_unremoved']), ([], 0))

    def test_keep_detached_and_retention_schema(self):
        daily_partitions(self.db, days=5)
        gone = expired(self.db)
        PG.psql('CREATE SCHEMA retired', self.db)
        before = harness.table_rows_csv(PG, self.db, TABLE)
        pu.assert_ok(self, self.archive('--keep-detached', '--retention-schema', 'retired'))
        moved = [r[0] for r in PG.query(
            "SELECT relname FROM pg_class WHERE relnamespace = 'retired'::regnamespace"
            " AND relkind = 'r' ORDER BY 1", self.db)]
        self.assertEqual(moved, gone)
        self.assertEqual({r[3] for r in self.ledger() if r[2]}, {'kept'})
        self.assertEqual(sorted(set(leaves(self.db)) & set(gone)), [])
        harness.assert_oracle(self, before, PG, self.db, TABLE)

    def test_whole_partitions_only(self):
        """The straddling partition waits; the DEFAULT's old rows do not."""
        daily_partitions(self.db, days=5)
        PG.psql("INSERT INTO ev_default (ts, payload) VALUES ('1990-01-01+00', 'old default'),"
                " (now() + interval '10 days', 'new default')", self.db)
        before = harness.table_rows_csv(PG, self.db, TABLE)
        pu.assert_ok(self, self.archive('--whole-partitions-only'))
        harness.assert_oracle(self, before, PG, self.db, TABLE)
        (old,), = PG.query("SELECT count(*) FROM ev WHERE ts < now() - interval '2 days'",
                           self.db)
        (straddling,), = PG.query(
            "SELECT count(*) FROM ev WHERE ts < now() - interval '2 days'"
            " AND ts >= date_trunc('day', now() - interval '2 days', 'UTC')", self.db)
        self.assertEqual(old, straddling)
        self.assertGreater(int(old), 0)
        (dflt,), = PG.query('SELECT count(*) FROM ev_default', self.db)
        self.assertEqual(dflt, '1')

    def test_late_rows_are_archived_before_the_drop(self):
        """Rows written into an archived partition before it is detached (here:
        while ebb stops between the archive and the detach) are not lost."""
        daily_partitions(self.db, days=4)
        gone = expired(self.db)
        proc = pu.start_ebb(PG, self.db, self.dest, table=TABLE, time_column='ts',
                            env={'EBB_TEST_STOP_AT': 'partition-archived'})
        self.addCleanup(pu.kill_if_running, proc)
        pu.wait_stopped(proc)
        PG.psql("INSERT INTO %s (ts, payload) SELECT lower_ts + interval '1 minute', 'late'"
                " FROM (SELECT substring(pg_get_expr(relpartbound, oid)"
                " FROM 'FROM \\(''(.*)''\\) TO')::timestamptz AS lower_ts FROM pg_class WHERE relname = %s) b"
                % (gone[0], harness.quote_literal(gone[0])), self.db)
        before = harness.table_rows_csv(PG, self.db, TABLE)
        proc.send_signal(18)  # SIGCONT
        rc, out, err = pu.finish(proc)
        self.assertEqual(rc, 0, err)
        self.assertIn('archiving it again', err)
        harness.assert_oracle(self, before, PG, self.db, TABLE, archived=sum(before.values()) -
                              pu.count_rows(PG, self.db, table=TABLE))
        self.assertEqual(sorted(set(leaves(self.db)) & set(gone)), [])
        # the summary counts the replacing object, not the replaced one too
        (rows, objects, size), = PG.query('SELECT sum(rows), count(*), sum(bytes)'
                                          ' FROM ebb.archive_ledger', self.db)
        self.assertIn(': archived %s rows in %s objects (%s bytes)' % (rows, objects, size), out)


class PartitionCrashTest(unittest.TestCase):
    """kill -9 at each step; the next run converges."""

    def setUp(self):
        self.db = pu.new_db(PG, 'pcrash')
        self.dest, self.root = pu.make_dest(self)
        daily_partitions(self.db, days=4)
        self.gone = expired(self.db)
        self.before = harness.table_rows_csv(PG, self.db, TABLE)

    def converge(self):
        pu.assert_ok(self, pu.archive(PG, self.db, self.dest, table=TABLE, time_column='ts'))
        harness.assert_oracle(self, self.before, PG, self.db, TABLE)
        self.assertEqual(sorted(set(leaves(self.db)) & set(self.gone)), [])
        states = PG.query('SELECT DISTINCT partition_state FROM ebb.archive_ledger'
                          ' WHERE partition_name IS NOT NULL', self.db)
        self.assertEqual(states, [('dropped',)])

    def test_crash_at_each_step(self):
        for stage in ('object-written', 'before-commit', 'partition-archived',
                      'partition-detached', 'partition-detached:2'):
            with self.subTest(stage=stage):
                if stage != 'object-written':
                    self.setUp()
                proc = pu.archive(PG, self.db, self.dest, table=TABLE, time_column='ts',
                                  env={'EBB_TEST_CRASH_AT': stage})
                self.assertEqual(proc.rc, -9, proc.stderr)
                pu.wait_backends_gone(PG, self.db)
                # nothing dropped unarchived: every leaf missing is in the ledger
                archived = {r[0] for r in PG.query(
                    'SELECT partition_name FROM ebb.archive_ledger WHERE partition_name'
                    ' IS NOT NULL', self.db)} if pu.has_ebb_schema(PG, self.db) else set()
                for g in set(self.gone) - set(leaves(self.db)):
                    self.assertIn('public.' + g, archived)
                self.converge()

    def test_interrupted_detach_concurrently(self):
        """A DETACH CONCURRENTLY canceled half-way leaves the partition 'detach
        pending'; the next run completes it with FINALIZE, then drops it."""
        PG.psql('DROP TABLE ev_default', self.db)  # empty; CONCURRENTLY needs no DEFAULT
        first = self.gone[0]
        # ebb archives the first partition, then stops before detaching it
        proc = pu.start_ebb(PG, self.db, self.dest, table=TABLE, time_column='ts',
                            env={'EBB_TEST_STOP_AT': 'partition-archived'})
        self.addCleanup(pu.kill_if_running, proc)
        pu.wait_stopped(proc)
        proc.kill()
        pu.finish(proc)
        pu.wait_backends_gone(PG, self.db)
        self.assertEqual(PG.query('SELECT partition_name, partition_state FROM'
                                  ' ebb.archive_ledger', self.db),
                         [('public.' + first, 'archived')])
        # a DETACH CONCURRENTLY canceled in its wait: the state an interrupted one leaves
        self.assertTrue(self._make_pending(first))
        self.converge()

    def _make_pending(self, part):
        """Runs DETACH ... CONCURRENTLY while another session holds a snapshot that
        sees the partition, and cancels it in its wait: 'detach pending'."""
        holder = subprocess.Popen(
            [os.path.join(harness._bindir(), 'psql'), '-X', '-q', '-d', PG.dsn(self.db)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=PG.env(),
            text=True)
        holder.stdin.write('BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM ev;\n'
                           "SELECT 'held';\n")
        holder.stdin.flush()
        while 'held' not in holder.stdout.readline():
            pass
        detacher = subprocess.Popen(
            [os.path.join(harness._bindir(), 'psql'), '-X', '-q', '-d', PG.dsn(self.db), '-c',
             'ALTER TABLE ev DETACH PARTITION %s CONCURRENTLY' % part],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=PG.env(), text=True)
        pu.wait_until(lambda: PG.query(
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'ALTER TABLE ev DETACH%%'"
            " AND wait_event_type = 'Lock'", self.db) == [('1',)], 'DETACH waiting')
        PG.psql("SELECT pg_cancel_backend(pid) FROM pg_stat_activity"
                " WHERE query LIKE 'ALTER TABLE ev DETACH%%'", self.db)
        detacher.communicate(timeout=60)
        self.addCleanup(holder.kill)
        holder.communicate('COMMIT;\n', timeout=60)
        return PG.query("SELECT inhdetachpending FROM pg_inherits"
                        " WHERE inhrelid = %s::regclass" % harness.quote_literal(part),
                        self.db) == [('t',)]


if __name__ == '__main__':
    unittest.main()
