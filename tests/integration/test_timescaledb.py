"""TimescaleDB hypertables (real TimescaleDB 2.28.3, built from vendor/ by scripts/setup.sh).

A hypertable is archived a whole chunk at a time, from TimescaleDB's own catalog (never from
chunk names): each chunk of a slice wholly before the cutoff becomes one object and one ledger
row (T1), then the slice's chunks are dropped with drop_chunks under a lock_timeout once their
fingerprints show they still hold the archived rows (T2). The rows of the current chunk older
than the cutoff go by the row protocol, DELETE ... RETURNING on the hypertable. Every test
checks the row oracle: rows before == rows left + rows in the committed objects, read back
independently (Parquet by DuckDB).
"""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import protocol_util as pu  # noqa: E402
import test_partition_locks as tpl  # noqa: E402

TABLE = 'public.ev'

# 30 daily chunks (UTC days), 4 rows an hour, the newest a few minutes old.
DAILY = """
CREATE EXTENSION IF NOT EXISTS timescaledb;
CREATE TABLE ev (ts timestamptz NOT NULL, dev int NOT NULL, payload text);
SELECT create_hypertable('ev', 'ts', chunk_time_interval => interval '1 day');
{space}
INSERT INTO ev SELECT date_trunc('minute', now()) - g * interval '15 minutes' - interval '1 minute',
       g % 7, 'row ' || g
  FROM generate_series(0, 30 * 96 - 1) g;
"""
SPACE = "SELECT add_dimension('ev', 'dev', number_partitions => 2);"


def setUpModule():
    global PG
    PG = harness.Cluster(preload='timescaledb')
    tpl.PG = PG


def tearDownModule():
    PG.stop()


def chunks(db, table='ev'):
    """{chunk name: (range_start, range_end)} from TimescaleDB's catalog."""
    return {r[0]: (r[1], r[2]) for r in PG.query(
        "SELECT chunk_name, coalesce(range_start::text, range_start_integer::text),"
        " coalesce(range_end::text, range_end_integer::text)"
        " FROM timescaledb_information.chunks WHERE hypertable_name = %s"
        % harness.quote_literal(table), db)}


def expired_chunks(db, keep_days=2):
    return {r[0] for r in PG.query(
        "SELECT chunk_name FROM timescaledb_information.chunks WHERE hypertable_name = 'ev'"
        " AND range_end <= now() - interval '%d days'" % keep_days, db)}


def chunk_ledger(db):
    return PG.query('SELECT partition_name, partition_state, rows, window_start, window_end'
                    ' FROM ebb.archive_ledger WHERE partition_name IS NOT NULL'
                    ' ORDER BY window_start, partition_name', db)


class HypertableBase(unittest.TestCase):
    def setUp(self):
        self.db = pu.new_db(PG, 'ts')
        self.dest, self.root = pu.make_dest(self)

    def archive(self, *extra, **kw):
        return pu.archive(PG, self.db, self.dest, *extra, table=TABLE, time_column='ts', **kw)

    def daily(self, space=False):
        PG.psql(DAILY.format(space=SPACE if space else ''), self.db)
        self.before = harness.table_rows_csv(PG, self.db, TABLE)
        self.gone = expired_chunks(self.db)
        self.assertGreater(len(self.gone), 20)

    def converged(self):
        """Every expired chunk archived and dropped, its ledger row 'dropped', the oracle."""
        harness.assert_oracle(self, self.before, PG, self.db, TABLE)
        self.assertEqual(set(chunks(self.db)) & self.gone, set())
        states = {r[1] for r in chunk_ledger(self.db)}
        self.assertEqual(states, {'dropped'})
        # no row older than the cutoff is left (the current chunk's went row by row)
        self.assertEqual(pu.count_rows(PG, self.db, "ts < now() - interval '2 days'", TABLE), 0)


class ChunkArchiveTest(HypertableBase):
    def test_thirty_daily_chunks_to_parquet(self):
        self.daily()
        size_before = int(PG.query("SELECT hypertable_size('ev')", self.db)[0][0])
        proc = self.archive('--format', 'parquet')
        pu.assert_ok(self, proc)
        self.converged()
        # one object per chunk, named after the chunk; each chunk's slice is its window
        ledger = chunk_ledger(self.db)
        self.assertEqual({r[0] for r in ledger}, {'_timescaledb_internal.' + c for c in self.gone})
        keys = PG.query('SELECT object_key FROM ebb.archive_ledger WHERE partition_name IS NOT'
                        ' NULL', self.db)
        for (key,) in keys:
            self.assertRegex(key, r'_hyper_\d+_\d+_chunk.*\.parquet$')
        # the disk of the dropped chunks is freed at once (no VACUUM needed)
        size_after = int(PG.query("SELECT hypertable_size('ev')", self.db)[0][0])
        self.assertLess(size_after, size_before * 0.3)
        # a second run has nothing to do
        proc = self.archive('--format', 'parquet')
        pu.assert_ok(self, proc)
        self.assertIn('archived 0 rows in 0 objects', proc.stdout)
        # verify re-reads every object against the ledger
        v = harness.run_ebb(['verify', '--table', TABLE, '--dest', self.dest], env=PG.env(self.db))
        self.assertEqual(v.rc, 0, v.stdout + v.stderr)

    def test_space_partitions_make_slices_of_two_chunks(self):
        self.daily(space=True)
        pu.assert_ok(self, self.archive())
        self.converged()
        per_window = {}
        for name, state, rows, start, end in chunk_ledger(self.db):
            per_window.setdefault((start, end), []).append(name)
        self.assertGreater(len(per_window), 20)
        self.assertEqual({len(v) for v in per_window.values()}, {2}, per_window)

    def test_restore_puts_the_rows_back_into_the_hypertable(self):
        self.daily()
        pu.assert_ok(self, self.archive())
        self.converged()
        r = harness.run_ebb(['restore', '--table', TABLE, '--dest', self.dest],
                            env=PG.env(self.db))
        self.assertEqual(r.rc, 0, r.stdout + r.stderr)
        self.assertEqual(harness.table_rows_csv(PG, self.db, TABLE), self.before)
        # TimescaleDB made chunks for them again
        self.assertGreater(len(chunks(self.db)), 20)


class IntegerTimeTest(HypertableBase):
    SQL = """
    CREATE EXTENSION IF NOT EXISTS timescaledb;
    CREATE TABLE iv (t bigint NOT NULL, v int);
    SELECT create_hypertable('iv', 't', chunk_time_interval => 86400000);
    INSERT INTO iv SELECT (extract(epoch FROM now()) * 1000)::bigint - g * 3600000, g
      FROM generate_series(0, 24 * 10 - 1) g;
    """

    def test_integer_time_dimension_in_milliseconds(self):
        PG.psql(self.SQL, self.db)
        before = harness.table_rows_csv(PG, self.db, 'public.iv')
        all_chunks = chunks(self.db, 'iv')
        # without --time-unit ebb cannot tell old from new: refused, nothing touched
        proc = pu.archive(PG, self.db, self.dest, table='public.iv', time_column='t')
        harness.assert_error(self, proc, 2, 'ebb: error: database "%s": hypertable "public.iv"'
                             ' has an integer time dimension and no --time-unit' % self.db)
        self.assertEqual(chunks(self.db, 'iv'), all_chunks)
        st = harness.run_ebb(['status', '--table', 'public.iv', '--time-column', 't'],
                             env=PG.env(self.db))
        self.assertIn('refused:          hypertable "public.iv" has an integer time dimension'
                      ' and no --time-unit', st.stdout)
        st = harness.run_ebb(['status', '--table', 'public.iv', '--time-column', 't',
                              '--time-unit', 'ms'], env=PG.env(self.db))
        self.assertIn('t (bigint, the hypertable\'s integer time dimension)', st.stdout)
        self.assertRegex(st.stdout, r'chunks: +%d \(\d+ of slices wholly before the cutoff'
                         % len(all_chunks))
        proc = pu.archive(PG, self.db, self.dest, '--time-unit', 'ms', table='public.iv',
                          time_column='t')
        pu.assert_ok(self, proc)
        harness.assert_oracle(self, before, PG, self.db, 'public.iv')
        cutoff_ms = int(PG.query("SELECT (extract(epoch FROM now() - interval '2 days')"
                                 " * 1000)::bigint", self.db)[0][0])
        left = chunks(self.db, 'iv')
        dropped = set(all_chunks) - set(left)
        self.assertGreater(len(dropped), 5)
        for name in dropped:
            self.assertLessEqual(int(all_chunks[name][1]), cutoff_ms)
        for name, (lo, hi) in left.items():
            self.assertGreater(int(hi), cutoff_ms - 1000)  # only slices not wholly expired stay
        # the current chunk's old rows went by the row protocol, in integer windows
        self.assertEqual(pu.count_rows(PG, self.db, 't < %d' % (cutoff_ms - 1000),
                                       'public.iv'), 0)
        self.assertGreater(pu.count_rows(PG, self.db, 'true', 'public.iv'), 40)
        rowwise = PG.query("SELECT count(*) FROM ebb.archive_ledger WHERE partition_name IS NULL"
                           " AND table_name = 'iv'", self.db)
        self.assertNotEqual(rowwise, [('0',)])
        # doctor says what it does not check, not that the column is not a timestamp
        doc = harness.run_ebb(['doctor', '--table', 'public.iv', '--time-column', 't'],
                              env=PG.env(self.db))
        self.assertEqual(doc.rc, 2, doc.stderr)
        self.assertIn('ebb doctor does not check a hypertable aged by an integer time dimension',
                      doc.stderr)
        self.assertNotIn('not a timestamp column', doc.stderr)
        # --time-unit on a timestamp column is a usage error
        PG.psql(DAILY.format(space=''), self.db)
        proc = self.archive('--time-unit', 's')
        harness.assert_error(self, proc, 2, 'ebb: error: database "%s": option --time-unit'
                             ' applies only to an integer time dimension of a hypertable'
                             % self.db)


class IntegerBottomSliceTest(HypertableBase):
    def test_the_open_bottom_slice_of_an_int4_dimension(self):
        """A row at the integer's minimum lands in a slice that TimescaleDB starts at
        -2^63, which no int4 holds: it is archived and dropped like any other."""
        PG.psql("""CREATE EXTENSION IF NOT EXISTS timescaledb;
            CREATE TABLE iv (t int NOT NULL, v int);
            SELECT create_hypertable('iv', 't', chunk_time_interval => 86400);
            INSERT INTO iv VALUES (-2147483648, 0);
            INSERT INTO iv SELECT extract(epoch FROM now())::int - g * 3600, g
              FROM generate_series(0, 24 * 6) g;""", self.db)
        before = harness.table_rows_csv(PG, self.db, 'public.iv')
        proc = pu.archive(PG, self.db, self.dest, '--time-unit', 's', table='public.iv',
                          time_column='t')
        pu.assert_ok(self, proc)
        harness.assert_oracle(self, before, PG, self.db, 'public.iv')
        self.assertEqual(pu.count_rows(PG, self.db, 't < 0', 'public.iv'), 0)
        self.assertIn(('public.iv', 'dropped'), [(r[0], r[1]) for r in PG.query(
            "SELECT table_schema || '.' || table_name, partition_state FROM ebb.archive_ledger"
            " WHERE window_start < '1970-01-01'", self.db)])


class LateRowsTest(HypertableBase):
    def test_late_rows_between_archive_and_drop_are_archived_again(self):
        self.daily()
        proc = pu.start_ebb(PG, self.db, self.dest, table=TABLE, time_column='ts',
                            env={'EBB_TEST_STOP_AT': 'partition-archived'})
        self.addCleanup(pu.kill_if_running, proc)
        pu.wait_stopped(proc)
        (name,), = PG.query('SELECT partition_name FROM ebb.archive_ledger', self.db)
        chunk = name.split('.', 1)[1]
        lo, _ = chunks(self.db)[chunk]
        PG.psql("INSERT INTO ev VALUES (%s::timestamptz + interval '7 seconds', 3, 'late')"
                % harness.quote_literal(lo), self.db)
        self.before = harness.table_rows_csv(PG, self.db, TABLE)
        proc.send_signal(18)  # SIGCONT
        rc, out, err = pu.finish(proc)
        self.assertEqual(rc, 0, err)
        self.assertIn('chunk %s changed after it was archived' % name, err)
        self.assertIn('archiving it again', err)
        self.converged()
        late = PG.query("SELECT count(*) FROM ebb.archive_ledger WHERE partition_name = %s"
                        % harness.quote_literal(name), self.db)
        self.assertEqual(late, [('1',)])  # the replacing object, the first one withdrawn


class ChangedBeforeDropTest(HypertableBase):
    def late_row(self, chunk_name, what):
        lo, _ = chunks(self.db)[chunk_name]
        PG.psql("INSERT INTO ev VALUES (%s::timestamptz + interval '7 seconds', 3, %s)"
                % (harness.quote_literal(lo), harness.quote_literal(what)), self.db)

    def test_changed_again_after_its_replacement(self):
        """Rows keep coming after each copy: every replacing object has a key of its own
        (none overwritten, none removed as the one it replaced), the last one holds them."""
        self.daily()
        proc = pu.start_ebb(PG, self.db, self.dest, table=TABLE, time_column='ts',
                            env={'EBB_TEST_STOP_AT': 'partition-archived,archived-again'})
        self.addCleanup(pu.kill_if_running, proc)
        for what in ('late 1', 'late 2'):
            pu.wait_stopped(proc)
            (name,), = PG.query("SELECT partition_name FROM ebb.archive_ledger"
                                " WHERE partition_state = 'archived'", self.db)
            self.late_row(name.split('.', 1)[1], what)
            # nothing is dropped yet: the table holds every row, the late ones too
            self.before = harness.table_rows_csv(PG, self.db, TABLE)
            proc.send_signal(18)  # SIGCONT
        rc, out, err = pu.finish(proc)
        self.assertEqual(rc, 0, err)
        self.assertEqual(err.count('changed after it was archived'), 2, err)
        self.converged()
        (key,), = PG.query("SELECT object_key FROM ebb.archive_ledger WHERE partition_name = %s"
                           % harness.quote_literal(name), self.db)
        self.assertRegex(key, r'-again2\.csv\.zst$')
        self.assertEqual(len([k for k in pu.files_under(self.root)
                              if name.split('.', 1)[1] in k and 'manifest' not in k]), 1)
        late = [r for r in harness.archived_rows(PG, self.db, TABLE) if r[2].startswith('late')]
        self.assertEqual(sorted(r[2] for r in late), ['late 1', 'late 2'])

    def test_a_chunk_emptied_before_the_drop(self):
        self.daily()
        proc = pu.start_ebb(PG, self.db, self.dest, table=TABLE, time_column='ts',
                            env={'EBB_TEST_STOP_AT': 'partition-archived'})
        self.addCleanup(pu.kill_if_running, proc)
        pu.wait_stopped(proc)
        (name,), = PG.query("SELECT partition_name FROM ebb.archive_ledger", self.db)
        PG.psql('DELETE FROM %s' % name, self.db)
        proc.send_signal(18)
        rc, out, err = pu.finish(proc)
        self.assertEqual(rc, 0, err)
        self.assertIn('was emptied after it was archived', err)
        self.assertNotIn(name.split('.', 1)[1], chunks(self.db))
        # the object holds the rows as they were archived; the table lost what the DELETE
        # took, nothing else
        left = harness.table_rows_csv(PG, self.db, TABLE)
        got = harness.archived_rows(PG, self.db, TABLE)
        self.assertEqual(left + got, self.before)


class CrashTest(HypertableBase):
    def test_kill_at_each_stage_then_converge(self):
        stages = ('locked', 'object-written', 'before-commit', 'after-commit',
                  'partition-archived', 'chunk-locked', 'partition-archived:3',
                  'chunk-locked:2')
        for stage in stages:
            with self.subTest(stage=stage):
                self.setUp()
                self.daily(space=stage.endswith(':3'))
                proc = self.archive(env={'EBB_TEST_CRASH_AT': stage})
                self.assertEqual(proc.rc, -9, proc.stderr)
                pu.wait_backends_gone(PG, self.db)
                # nothing dropped unarchived: every expired chunk missing is in the ledger
                archived = ({r[0] for r in chunk_ledger(self.db)}
                            if pu.has_ebb_schema(PG, self.db) else set())
                for g in self.gone - set(chunks(self.db)):
                    self.assertIn('_timescaledb_internal.' + g, archived)
                pu.assert_ok(self, self.archive())
                self.converged()


class LockTest(HypertableBase):
    def test_long_reader_bounds_the_drop_and_the_workload_goes_on(self):
        PG.psql("""CREATE EXTENSION IF NOT EXISTS timescaledb;
            CREATE TABLE ev (ts timestamptz NOT NULL, payload text);
            SELECT create_hypertable('ev', 'ts', chunk_time_interval => interval '1 day');
            INSERT INTO ev SELECT now() - g * interval '1 hour', 'row ' || g
              FROM generate_series(0, 24 * 6) g;""", self.db)
        gone = expired_chunks(self.db)
        holder = pu.hold_transaction(self, PG, self.db, 'SELECT count(*) FROM ev')
        work = tpl.Workload(self.db)
        proc = self.archive('--detach-timeout', '200ms', '--detach-retries', '2')
        lat, failed, err = work.stop()
        # archived, not dropped: the reader's locks never came free
        self.assertEqual(proc.rc, 1, proc.stderr)
        self.assertEqual(proc.stderr.count('the drop waited for a lock'), 2, proc.stderr)
        self.assertIn('ebb: hint: Another transaction holds a lock on it', proc.stderr)
        self.assertEqual({r[1] for r in chunk_ledger(self.db)}, {'archived'})
        self.assertTrue(gone <= set(chunks(self.db)))
        self.assertFalse(failed, err)
        self.assertGreater(len(lat), 10)
        worst_ms = max(lat) / 1000.0
        print('\nworst workload latency while a chunk drop waited: %.1f ms (%d transactions)'
              % (worst_ms, len(lat)), file=sys.stderr)
        self.assertLess(worst_ms, 5000)  # 3 x 200ms of queueing at most, plus slack
        holder.communicate('COMMIT;\n', timeout=60)
        # the archived chunks' rows are still in the table (and in their objects)
        before = harness.table_rows_csv(PG, self.db, TABLE)
        pu.assert_ok(self, self.archive())
        self.assertEqual(set(chunks(self.db)) & gone, set())
        harness.assert_oracle(self, before, PG, self.db, TABLE)


class RefusalTest(HypertableBase):
    def test_retention_job_is_refused_with_the_hint(self):
        self.daily()
        # The row add_retention_policy writes (the Apache build has no such function): a
        # job of TimescaleDB's scheduler on this hypertable, unscheduled here so that it
        # cannot run during the test.
        PG.psql("""INSERT INTO _timescaledb_config.bgw_job (application_name, schedule_interval,
              max_runtime, max_retries, retry_period, proc_schema, proc_name, owner, scheduled,
              hypertable_id, config)
            SELECT 'Retention Policy [1000]', interval '1 day', interval '5 min', -1,
              interval '5 min', '_timescaledb_functions', 'policy_retention', 'postgres', false,
              h.id, '{"drop_after": "7 days"}'
            FROM _timescaledb_catalog.hypertable h WHERE h.table_name = 'ev'""", self.db)
        all_chunks = chunks(self.db)
        for extra in ([], ['--dry-run']):
            proc = self.archive(*extra)
            harness.assert_error(self, proc, 2, 'ebb: error: database "%s": hypertable'
                                 ' "public.ev" has a TimescaleDB retention policy' % self.db)
            self.assertRegex(proc.stderr, r'ebb: detail: Retention job \d+ \(drop_after 7 days\)')
            self.assertIn("""remove_retention_policy('"public"."ev"')""", proc.stderr)
            self.assertEqual(chunks(self.db), all_chunks)
            self.assertEqual(harness.table_rows_csv(PG, self.db, TABLE), self.before)
            self.assertEqual(pu.files_under(self.root), set())

    def test_a_compressed_chunk_is_refused_before_it_is_touched(self):
        """The Apache build cannot compress: the chunk's compressed bit is set in
        TimescaleDB's catalog, as compress_chunk sets it, to reach the refusal. The
        slices before it are archived and dropped; it and everything after stay."""
        self.daily()
        first = sorted(self.gone, key=lambda c: chunks(self.db)[c][0])
        victim = first[3]
        PG.psql("UPDATE _timescaledb_catalog.chunk SET status = status | 1"
                " WHERE table_name = %s" % harness.quote_literal(victim), self.db)
        proc = self.archive()
        harness.assert_error(self, proc, 2, 'ebb: error: database "%s": chunk'
                             ' _timescaledb_internal.%s of hypertable "public.ev" is compressed'
                             % (self.db, victim))
        self.assertIn('decompress_chunk', proc.stderr)
        left = set(chunks(self.db))
        self.assertEqual(left & set(first[:3]), set())
        self.assertTrue(set(first[3:]) <= left)
        self.assertNotIn('_timescaledb_internal.' + victim, {r[0] for r in chunk_ledger(self.db)})
        harness.assert_oracle(self, self.before, PG, self.db, TABLE)
        # --allow-compressed-chunks reads it through the hypertable, by its slice (here the
        # rows are in the chunk's heap, where TimescaleDB finds them for such a read; real
        # decompression is not in the Apache build), and drops it like any other
        first_run = harness.archived_rows(PG, self.db, TABLE)
        proc = pu.start_ebb(PG, self.db, self.dest, '--allow-compressed-chunks', table=TABLE,
                            time_column='ts', env={'EBB_TEST_STOP_AT': 'partition-archived'})
        self.addCleanup(pu.kill_if_running, proc)
        pu.wait_stopped(proc)
        (fp,), = PG.query("SELECT partition_fingerprint FROM ebb.archive_ledger"
                          " WHERE partition_state = 'archived'", self.db)
        self.assertTrue(fp.endswith(':via-hypertable'), fp)
        # an UPDATE between the copy and the drop keeps the row count: the text hash sees it
        PG.psql("UPDATE ev SET payload = 'changed' WHERE ts = (SELECT min(ts) FROM ev)", self.db)
        self.before = harness.table_rows_csv(PG, self.db, TABLE) + first_run
        proc.send_signal(18)  # SIGCONT
        rc, out, err = pu.finish(proc)
        self.assertEqual(rc, 0, err)
        self.assertIn('changed after it was archived', err)
        self.converged()  # the oracle: the changed row is in the replacing object

    def test_a_compressed_chunk_of_a_shared_slice_is_refused_even_when_allowed(self):
        self.daily(space=True)
        victim = sorted(self.gone)[0]
        PG.psql("UPDATE _timescaledb_catalog.chunk SET status = status | 1"
                " WHERE table_name = %s" % harness.quote_literal(victim), self.db)
        proc = self.archive('--allow-compressed-chunks')
        self.assertEqual(proc.rc, 2, proc.stderr)
        self.assertIn('its slice has other chunks (space partitions)', proc.stderr)
        self.assertIn(victim, chunks(self.db))
        harness.assert_oracle(self, self.before, PG, self.db, TABLE,
                              archived=sum(self.before.values()) -
                              pu.count_rows(PG, self.db, 'true', TABLE))

    def test_a_hypertable_referenced_by_a_foreign_key(self):
        """drop_chunks would fail on a referenced chunk (or drop the foreign key with
        CASCADE): the rows go row by row, each DELETE checked by the foreign key; a window
        whose rows are still referenced fails, deleting nothing."""
        PG.psql("""CREATE EXTENSION IF NOT EXISTS timescaledb;
            CREATE TABLE ev (ts timestamptz NOT NULL, id int NOT NULL, PRIMARY KEY (id, ts));
            SELECT create_hypertable('ev', 'ts', chunk_time_interval => interval '1 day');
            INSERT INTO ev SELECT now() - g * interval '1 hour', g FROM generate_series(0, 144) g;
            CREATE TABLE ref (id int, ts timestamptz, FOREIGN KEY (id, ts) REFERENCES ev);
            INSERT INTO ref SELECT id, ts FROM ev WHERE id = 100;""", self.db)
        before = harness.table_rows_csv(PG, self.db, TABLE)
        all_chunks = chunks(self.db)
        proc = self.archive()
        self.assertEqual(proc.rc, 1, proc.stderr)
        self.assertIn('ebb: warning: hypertable "public.ev" is referenced by foreign key'
                      ' "ref_id_ts_fkey" on public.ref: its chunks are not dropped whole',
                      proc.stderr)
        self.assertIn('is still referenced from table "ref"', proc.stderr)
        self.assertEqual(chunks(self.db), all_chunks)
        harness.assert_oracle(self, before, PG, self.db, TABLE)
        self.assertEqual(pu.count_rows(PG, self.db, 'id = 100', TABLE), 1)

    def test_wrong_time_column(self):
        self.daily()
        PG.psql('ALTER TABLE ev ADD COLUMN other timestamptz', self.db)
        proc = pu.archive(PG, self.db, self.dest, '--allow-seqscan', table=TABLE,
                          time_column='other')
        harness.assert_error(self, proc, 2, 'ebb: error: database "%s": column "other" is not'
                             ' the time dimension of hypertable "public.ev"' % self.db)

    def test_plain_table_beside_a_hypertable(self):
        self.daily()
        PG.psql("CREATE TABLE plain (ts timestamptz NOT NULL); CREATE INDEX ON plain (ts);"
                "INSERT INTO plain SELECT now() - g * interval '1 hour'"
                " FROM generate_series(1, 100) g", self.db)
        plain = harness.table_rows_csv(PG, self.db, 'public.plain')
        pu.assert_ok(self, pu.archive(PG, self.db, self.dest, table='public.plain',
                                      time_column='ts'))
        harness.assert_oracle(self, plain, PG, self.db, 'public.plain')


class ListingTest(HypertableBase):
    def test_status_and_dry_run_list_the_chunks(self):
        self.daily(space=True)
        proc = self.archive('--dry-run')
        pu.assert_ok(self, proc)
        listed = {line.split('\t')[2].split('.', 1)[1] for line in proc.stdout.splitlines()
                  if '\tchunk ' in line}
        self.assertEqual(listed, self.gone)
        for line in proc.stdout.splitlines():
            if '\tchunk ' in line:
                self.assertRegex(line, r'\t\[\d{4}-\d\d-\d\d 00:00:00\+00, \d{4}-\d\d-\d\d '
                                 r'00:00:00\+00\)\t\d+ rows\t\d+ bytes\tarchive, drop_chunks$')
        js = self.archive('--dry-run', '--json')
        events = [json.loads(line) for line in js.stdout.splitlines()]
        dry = [e for e in events if e.get('event') == 'dry_run_chunk']
        self.assertEqual({e['chunk'] for e in dry}, self.gone)
        rows = sum(e['rows'] for e in dry)
        self.assertEqual(rows, pu.count_rows(PG, self.db, "ts < date_trunc('day', now() -"
                                             " interval '2 days')", TABLE))
        # nothing changed
        self.assertEqual(harness.table_rows_csv(PG, self.db, TABLE), self.before)
        st = harness.run_ebb(['status', '--table', TABLE, '--time-column', 'ts'],
                             env=PG.env(self.db))
        self.assertEqual(st.rc, 0, st.stderr)
        self.assertRegex(st.stdout, r'chunks: +%d \(%d of slices wholly before the cutoff'
                         % (len(chunks(self.db)), len(self.gone)))
        for c in self.gone:
            self.assertIn('_timescaledb_internal.%s  [' % c, st.stdout)
        sj = harness.run_ebb(['status', '--json', '--table', TABLE, '--time-column', 'ts'],
                             env=PG.env(self.db))
        report = json.loads(sj.stdout.splitlines()[0])
        self.assertTrue(report['hypertable'])
        self.assertEqual({e['partition'].split('.', 1)[1] for e in report['expired_partitions']},
                         self.gone)
        self.assertTrue(all(e['bytes'] > 0 for e in report['expired_partitions']))


if __name__ == '__main__':
    unittest.main()
