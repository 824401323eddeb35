"""ebb doctor: the time index that archiving needs, built online, and proven sound (real
PostgreSQL, amcheck from contrib, pgbench as the workload).

- A table without the index: doctor says so (exit 1, with the statement); --fix builds it with
  CREATE INDEX CONCURRENTLY (the server's log shows the statement) while a pgbench insert
  workload runs, and no workload transaction fails or waits for the whole build.
- A concurrent build cut by a lock timeout leaves an INVALID index: doctor names it; --fix
  drops it CONCURRENTLY and builds it again under the same name.
- doctor's own build waits behind an open writing transaction: each attempt gives up at
  --lock-timeout, its INVALID leftover is dropped, and the next attempt succeeds once the
  transaction ends.
- amcheck: a sound index passes; an index page overwritten while the server is down is
  reported as corrupt, exit 1.
"""

import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import protocol_util as pu  # noqa: E402
import test_partition_locks as tpl  # noqa: E402

TABLE = 'public.ev'
DDL = """
CREATE TABLE ev (id bigserial PRIMARY KEY, ts timestamptz NOT NULL, payload text);
INSERT INTO ev (ts, payload) SELECT now() - g * interval '1 minute', repeat('p', 100) || g
  FROM generate_series(1, %d) g;
"""


def setUpModule():
    global PG
    PG = harness.Cluster()
    tpl.PG = PG


def tearDownModule():
    PG.stop()


class DoctorBase(unittest.TestCase):
    ROWS = 20000

    def setUp(self):
        self.db = pu.new_db(PG, 'doc')
        PG.psql(DDL % self.ROWS, self.db)

    def doctor(self, *extra, table=TABLE):
        return harness.run_ebb(['doctor', '--table', table, '--time-column', 'ts'] + list(extra),
                               env=PG.env(self.db))

    def ts_indexes(self):
        """(name, valid) of the indexes on ev whose first column is ts."""
        return PG.query("SELECT c.relname, i.indisvalid FROM pg_index i"
                        " JOIN pg_class c ON c.oid = i.indexrelid"
                        " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]"
                        " WHERE i.indrelid = 'ev'::regclass AND a.attname = 'ts' ORDER BY 1",
                        self.db)

    def hold_writer(self):
        """A psql session in a transaction that inserted into ev, until it is sent COMMIT: a
        concurrent index build waits for it."""
        return pu.hold_transaction(self, PG, self.db, 'INSERT INTO ev (ts) VALUES (now())')


class MissingIndexTest(DoctorBase):
    ROWS = 200000

    def test_reported_then_built_concurrently_under_a_write_workload(self):
        proc = self.doctor()
        self.assertEqual(proc.rc, 1, proc.stderr)
        name = '%s: public.ev: ' % self.db
        self.assertIn(name + 'problem: no valid btree index leads with column "ts": every archive'
                      ' window is a sequential scan of the table\n'
                      '  fix: CREATE INDEX CONCURRENTLY ON "public"."ev" ("ts")\n', proc.stdout)
        self.assertIn(name + '1 problem remains', proc.stdout)
        self.assertEqual(self.ts_indexes(), [])
        # The statement the server ran is in its log.
        PG.psql("ALTER SYSTEM SET log_statement = 'ddl'; SELECT pg_reload_conf()")
        self.addCleanup(PG.psql, 'ALTER SYSTEM RESET log_statement; SELECT pg_reload_conf()')
        work = tpl.Workload(self.db)
        proc = self.doctor('--fix', '--json')
        lat, failed, err = work.stop()
        pu.assert_ok(self, proc)
        events = [json.loads(line) for line in proc.stdout.splitlines()]
        built = [e for e in events if e.get('check') == 'time_index'
                 and e['severity'] == 'problem']
        self.assertEqual(len(built), 1)
        self.assertTrue(built[0]['fixed'])
        self.assertEqual(built[0]['fix'], 'CREATE INDEX CONCURRENTLY ON "public"."ev" ("ts")')
        self.assertEqual(self.ts_indexes(), [('ev_ts_idx', 't')])
        # Then checked by amcheck (the extension made by --fix).
        self.assertIn({'check': 'amcheck', 'severity': 'ok', 'fixed': False,
                       'subject': 'public.ev_ts_idx', 'fix': None,
                       'message': 'index "public.ev_ts_idx" is sound (amcheck bt_index_check)'},
                      [{k: e.get(k) for k in ('check', 'severity', 'fixed', 'subject', 'fix',
                                              'message')} for e in events])
        self.assertEqual(events[-1]['event'], 'doctor_table')
        self.assertEqual(events[-1]['problems'], 0)
        with open(PG.logfile, errors='replace') as f:
            self.assertIn('statement: CREATE INDEX CONCURRENTLY ON "public"."ev" ("ts")', f.read())
        # The workload went on: no failure, and none of its transactions waited for the whole
        # build (a loose structural bound, not a benchmark).
        self.assertFalse(failed, err)
        self.assertGreater(len(lat), 10)
        print('\nworst workload latency during the build: %.1f ms (%d transactions)'
              % (max(lat) / 1000.0, len(lat)), file=sys.stderr)
        self.assertLess(max(lat) / 1000.0, 5000)
        # Nothing is wrong now.
        proc = self.doctor()
        pu.assert_ok(self, proc)
        self.assertIn(name + 'ok: index "public.ev_ts_idx" leads with column "ts" (btree, ',
                      proc.stdout)
        self.assertIn(name + 'no problem found\n', proc.stdout)

    def test_a_partitioned_table_is_told_not_fixed(self):
        PG.psql("CREATE TABLE pev (ts timestamptz NOT NULL) PARTITION BY RANGE (ts);"
                "CREATE TABLE pev_all PARTITION OF pev FOR VALUES FROM ('-infinity')"
                " TO ('infinity')", self.db)
        proc = self.doctor('--fix', table='public.pev')
        self.assertEqual(proc.rc, 1, proc.stderr)
        self.assertIn('(--fix does not build it on a partitioned table: CREATE INDEX CONCURRENTLY'
                      ' cannot; index each partition CONCURRENTLY, then the parent)\n'
                      '  fix: CREATE INDEX ON "public"."pev" ("ts")\n', proc.stdout)


class InvalidIndexTest(DoctorBase):
    def test_a_failed_concurrent_build_is_dropped_and_built_again(self):
        holder = self.hold_writer()
        failed = subprocess.run(
            [os.path.join(harness._bindir(), 'psql'), '-X', '-d', PG.dsn(self.db),
             '-c', "SET lock_timeout = '100ms'",
             '-c', 'CREATE INDEX CONCURRENTLY ev_ts_idx ON ev (ts)'],
            capture_output=True, text=True, env=PG.env())
        holder.communicate('COMMIT;\n', timeout=60)
        self.assertIn('lock timeout', failed.stderr)
        self.assertEqual(self.ts_indexes(), [('ev_ts_idx', 'f')])
        proc = self.doctor()
        self.assertEqual(proc.rc, 1, proc.stderr)
        self.assertIn('problem: index "public.ev_ts_idx" is INVALID (a failed concurrent build left'
                      ' it): it slows every write and serves no read\n'
                      '  fix: REINDEX INDEX CONCURRENTLY public.ev_ts_idx\n', proc.stdout)
        self.assertIn('2 problems remain', proc.stdout)
        proc = self.doctor('--fix')
        pu.assert_ok(self, proc)
        self.assertIn('fixed: index "public.ev_ts_idx" is INVALID', proc.stdout)
        self.assertIn('ok: index "public.ev_ts_idx" leads with column "ts"', proc.stdout)
        self.assertEqual(self.ts_indexes(), [('ev_ts_idx', 't')])

    def test_each_attempt_gives_up_at_the_lock_timeout_and_leaves_nothing(self):
        holder = self.hold_writer()
        proc = subprocess.Popen(
            [harness.ebb_bin(), 'doctor', '--table', TABLE, '--time-column', 'ts', '--fix',
             '--lock-timeout', '100ms', '--index-retries', '50', '-v'],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=harness._clean_env(PG.env(self.db)))
        self.addCleanup(pu.kill_if_running, proc)
        seen = []
        while True:
            line = proc.stderr.readline()
            self.assertNotEqual(line, '', 'ebb ended before retrying: %s' % ''.join(seen))
            seen.append(line)
            if 'trying again in' in line:
                break
        self.assertIn('canceling statement due to lock timeout', line)
        holder.communicate('COMMIT;\n', timeout=60)
        out, err = proc.communicate(timeout=120)
        self.assertEqual(proc.returncode, 0, ''.join(seen) + err)
        self.assertIn('fixed: no valid btree index leads with column "ts"', out)
        # One valid index; the INVALID leftovers of the failed attempts were dropped.
        self.assertEqual(self.ts_indexes(), [('ev_ts_idx', 't')])


    def invalid_unique(self):
        """A unique index on ts left INVALID by a failed concurrent build (duplicates)."""
        PG.psql("INSERT INTO ev (ts) SELECT ts FROM ev LIMIT 1", self.db)
        failed = subprocess.run(
            [os.path.join(harness._bindir(), 'psql'), '-X', '-d', PG.dsn(self.db),
             '-c', 'CREATE UNIQUE INDEX CONCURRENTLY shop_ccnew ON ev (ts)'],
            capture_output=True, text=True, env=PG.env())
        self.assertIn('could not create unique index', failed.stderr)

    def test_a_rebuild_that_fails_keeps_the_index(self):
        # A user's index whose name looks like REINDEX's copy, and whose rebuild must fail:
        # it is rebuilt (not dropped), the failure keeps it, and the problem stays.
        self.invalid_unique()
        for _ in range(2):
            proc = self.doctor('--fix')
            self.assertEqual(proc.rc, 1, proc.stderr)
            self.assertIn('problem: index "public.shop_ccnew" is INVALID', proc.stdout)
            self.assertIn('could not rebuild index "public.shop_ccnew"', proc.stderr)
            self.assertEqual(PG.query("SELECT indisvalid FROM pg_index"
                                      " WHERE indexrelid = 'shop_ccnew'::regclass", self.db),
                             [('f',)])
        # No copy of a failed REINDEX stays behind.
        self.assertEqual(PG.query("SELECT count(*) FROM pg_class WHERE relname LIKE"
                                  " 'shop_ccnew_ccnew%'", self.db), [('0',)])

    def test_a_build_in_progress_is_left_alone(self):
        holder = self.hold_writer()
        other = subprocess.Popen(
            [os.path.join(harness._bindir(), 'psql'), '-X', '-d', PG.dsn(self.db),
             '-c', 'CREATE INDEX CONCURRENTLY ev_ts_idx ON ev (ts)'],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=PG.env())
        self.addCleanup(pu.kill_if_running, other)
        pu.wait_until(lambda: PG.query('SELECT count(*) FROM pg_stat_progress_create_index',
                                       self.db) == [('1',)], 'the other build to start')
        proc = subprocess.Popen(
            [harness.ebb_bin(), 'doctor', '--table', TABLE, '--time-column', 'ts', '--fix',
             '--lock-timeout', '100ms', '--index-retries', '50', '-v'],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=harness._clean_env(PG.env(self.db)))
        self.addCleanup(pu.kill_if_running, proc)
        while 'trying again in' not in proc.stderr.readline():
            self.assertIsNone(proc.poll())
        holder.communicate('COMMIT;\n', timeout=60)
        out, err = proc.communicate(timeout=120)
        other.communicate(timeout=120)
        self.assertEqual(other.returncode, 0)
        self.assertEqual(proc.returncode, 0, out + err)
        self.assertIn('note: index "public.ev_ts_idx" is being built by another session: left'
                      ' alone', out)
        # The other session's index, and no second one.
        self.assertEqual(self.ts_indexes(), [('ev_ts_idx', 't')])


class AmcheckTest(DoctorBase):
    def test_sound_then_corrupt(self):
        PG.psql('CREATE EXTENSION amcheck; CREATE INDEX ev_ts_idx ON ev (ts)', self.db)
        proc = self.doctor('--thorough')
        pu.assert_ok(self, proc)
        self.assertIn('ok: index "public.ev_ts_idx" is sound (amcheck bt_index_parent_check,'
                      ' heapallindexed)', proc.stdout)
        path = os.path.join(PG.datadir, PG.query("SELECT pg_relation_filepath('ev_ts_idx')",
                                                 self.db)[0][0])
        self.stop_server()
        try:
            # The line pointers of the second page (a leaf): garbage.
            with open(path, 'r+b') as f:
                f.seek(8192 + 24)
                f.write(b'\xff' * 64)
        finally:
            self.start_server()
        proc = self.doctor()
        self.assertEqual(proc.rc, 1, proc.stderr)
        self.assertRegex(proc.stdout, r'problem: index "public\.ev_ts_idx" is corrupt '
                                      r'\(bt_index_check\): .+')
        self.assertIn('1 problem remains', proc.stdout)

    def stop_server(self):
        harness._run_owner([str(PG.bindir / 'pg_ctl'), '-D', PG.datadir, '-m', 'fast', '-w',
                            'stop'], cwd=PG.base)

    def start_server(self):
        harness._run_owner([str(PG.bindir / 'pg_ctl'), '-D', PG.datadir, '-l',
                            PG.logfile, '-w', '-t', '60', 'start'], cwd=PG.base)

    def test_without_amcheck_a_note_and_fix_creates_it(self):
        PG.psql('CREATE INDEX ON ev (ts)', self.db)
        proc = self.doctor()
        pu.assert_ok(self, proc)
        self.assertIn('note: extension amcheck is not installed in this database: the time index'
                      ' was not checked\n  fix: CREATE EXTENSION amcheck SCHEMA public\n', proc.stdout)
        proc = self.doctor('--fix')
        pu.assert_ok(self, proc)
        self.assertIn('ok: index "public.ev_ts_idx" is sound', proc.stdout)


class ManyTablesTest(DoctorBase):
    def test_every_table_of_the_config_and_every_database(self):
        PG.psql('CREATE TABLE a (ts timestamptz); CREATE INDEX ON a (ts);'
                'CREATE TABLE b (ts timestamptz);'
                'CREATE TABLE pev (ts timestamptz NOT NULL) PARTITION BY RANGE (ts);'
                "CREATE TABLE pev_all PARTITION OF pev FOR VALUES FROM ('-infinity')"
                " TO ('infinity'); CREATE INDEX ON pev (ts); CREATE EXTENSION amcheck", self.db)
        conf = os.path.join(harness._make_owned_tmpdir('ebb-doc-'), 'ebb.ini')
        with open(conf, 'w') as f:
            f.write('[defaults]\ntime-column = ts\n[table public.a]\n[table public.b]\n'
                    '[table public.pev]\n')
        proc = harness.run_ebb(['doctor', '--config', conf], env=PG.env(self.db))
        self.assertEqual(proc.rc, 1, proc.stderr)
        self.assertIn('%s: public.a: no problem found' % self.db, proc.stdout)
        self.assertIn('%s: public.b: 1 problem remains' % self.db, proc.stdout)
        # A partitioned table's index: amcheck cannot check it, which is no problem.
        self.assertIn('%s: public.pev: note: amcheck checks the indexes of the partitions'
                      % self.db, proc.stdout)
        self.assertIn('%s: public.pev: no problem found' % self.db, proc.stdout)
        pu.assert_ok(self, harness.run_ebb(['doctor', '--config', conf, '--fix'],
                                           env=PG.env(self.db)))
        # Under --all-databases a database without the table is skipped, not an error.
        proc = harness.run_ebb(['doctor', '--config', conf, '--all-databases',
                                '--include', self.db, '--include', 'postgres'],
                               env=PG.env(self.db))
        pu.assert_ok(self, proc)
        self.assertIn('postgres: public.a: skipped: the table does not exist in this database',
                      proc.stdout)


class DuplicateTest(DoctorBase):
    def test_a_duplicate_is_named_not_dropped(self):
        PG.psql('CREATE INDEX a_ts ON ev (ts); CREATE INDEX b_ts ON ev (ts)', self.db)
        proc = self.doctor()
        pu.assert_ok(self, proc)
        self.assertIn('note: index "public.b_ts" duplicates "public.a_ts" (the same definition): one'
                      ' is enough; it takes ', proc.stdout)
        self.assertIn('  fix: DROP INDEX CONCURRENTLY public.b_ts\n', proc.stdout)
        self.assertEqual(self.ts_indexes(), [('a_ts', 't'), ('b_ts', 't')])


class UsageTest(DoctorBase):
    def test_bad_input(self):
        proc = self.doctor('--index-retries', 'x')
        harness.assert_error(self, proc, 2, 'ebb: error: invalid value "x" for option'
                             ' --index-retries')
        proc = harness.run_ebb(['doctor', '--table', 'public.nosuch', '--time-column', 'ts'],
                               env=PG.env(self.db))
        self.assertEqual(proc.rc, 2, proc.stderr)
        self.assertIn('nosuch', proc.stderr)
        proc = harness.run_ebb(['doctor', '--table', TABLE, '--time-column', 'payload'],
                               env=PG.env(self.db))
        self.assertEqual(proc.rc, 2, proc.stderr)


if __name__ == '__main__':
    unittest.main()
