"""ebb restore: archived rows come back exactly once (real PostgreSQL, file:// objects).

The oracle of every test: the table's rows before the archive (a multiset, rendered by
PostgreSQL) equal its rows after the restore, read back independently of ebb."""

import json
import os
import pty
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import parquet_tools as pt  # noqa: E402
import protocol_util as pu  # noqa: E402


def setUpModule():
    global PG
    PG = harness.Cluster()


def tearDownModule():
    PG.stop()


TABLE = 'public.ev'

# 200 rows two hours apart: keep-days 2 archives the 177 oldest, over many windows. The
# notes hold what COPY csv would lose or confuse: a line "\." inside a quoted multi-line
# value, the text "\N", NULL and the empty string, a quote, a comma and a tab.
DDL = r"""
CREATE TABLE ev (id bigint PRIMARY KEY, ts timestamptz NOT NULL, note text, payload jsonb,
  raw bytea, amount numeric(12,3), tags text[], doubled bigint GENERATED ALWAYS AS (id * 2) STORED);
CREATE INDEX ON ev (ts);
INSERT INTO ev (id, ts, note, payload, raw, amount, tags)
SELECT g, now() - g * interval '2 hours',
  CASE g % 5 WHEN 0 THEN E'line1\n\\.\nline3' WHEN 1 THEN '\N' WHEN 2 THEN NULL WHEN 3 THEN ''
    ELSE 'a,"b"' || E'\t' || g END,
  jsonb_build_object('g', g, 's', E'x\\y'), decode(md5(g::text), 'hex'), g / 7.0,
  ARRAY['x', g::text, NULL] FROM generate_series(1, 200) g;
"""

# Daily partitions from 8 days ago to tomorrow, 150 rows an hour apart: archive (keep-days 2)
# archives the old partitions whole and drops them.
PARTITIONED = """
CREATE TABLE pev (id int, ts timestamptz NOT NULL, v text) PARTITION BY RANGE (ts);
DO $$ DECLARE d date; BEGIN
  FOR d IN SELECT generate_series(current_date - 8, current_date + 1, interval '1 day')::date LOOP
    EXECUTE format('CREATE TABLE %I PARTITION OF pev FOR VALUES FROM (%L) TO (%L)',
                   'pev_' || to_char(d, 'YYYYMMDD'), d::timestamptz, (d + 1)::timestamptz);
  END LOOP; END $$;
CREATE INDEX ON pev (ts);
INSERT INTO pev SELECT g, now() - g * interval '1 hour', 'v' || g FROM generate_series(1, 150) g;
"""

ARCHIVED = 177  # g >= 24: the row of exactly 48 hours is older than now() - 2 days once archive runs


class RestoreBase(unittest.TestCase):
    def setUp(self):
        self.db = pu.new_db(PG, 'rs')
        self.dest, self.path = pu.make_dest(self)
        PG.psql(DDL, self.db)
        self.before = harness.table_rows_csv(PG, self.db, TABLE)

    def archive(self, *extra):
        proc = pu.archive(PG, self.db, self.dest, *extra, table=TABLE, time_column='ts')
        pu.assert_ok(self, proc)
        left = PG.query('SELECT count(*) FROM ev', self.db)[0][0]
        self.assertEqual(int(left), 200 - ARCHIVED)

    def restore(self, *extra, env=None):
        return harness.run_ebb(['restore', '--table', TABLE] + list(extra),
                               env=dict(PG.env(self.db), **(env or {})))

    def rows(self, table=TABLE):
        return harness.table_rows_csv(PG, self.db, table)

    def assert_restored(self):
        self.assertEqual(self.rows(), self.before)


class RoundTripTest(RestoreBase):
    def check_round_trip(self, *archive_opts):
        self.archive(*archive_opts)
        proc = self.restore()
        pu.assert_ok(self, proc)
        self.assert_restored()
        self.assertIn('restored %s objects' % len(pu.ledger(PG, self.db, TABLE)), proc.stdout)
        self.assertNotIn('restored object', proc.stdout)  # a line each only with -v
        self.assertIn(', %d rows into public.ev;' % ARCHIVED, proc.stdout)
        self.assertIn('ebb: warning: rows restored into "public.ev" are older than its archive '
                      'policy keeps (2 days): the next ebb archive run of the table archives '
                      'them again', proc.stderr)
        status = harness.run_ebb(['status', '--table', TABLE, '--json'], env=PG.env(self.db))
        report = json.loads(status.stdout)
        self.assertEqual((report['restored_objects'], report['restored_rows']),
                         (len(pu.ledger(PG, self.db, TABLE)), ARCHIVED))
        # Exactly once: a second run restores nothing and changes nothing.
        proc = self.restore('-v')
        pu.assert_ok(self, proc)
        self.assertIn('restored 0 objects, 0 rows', proc.stdout)
        self.assertIn('was restored before: skipped', proc.stdout)
        self.assert_restored()

    def test_csv_zstd(self):
        self.check_round_trip()

    def test_progress_line_on_a_terminal(self):
        self.archive()
        master, slave = pty.openpty()
        proc = subprocess.run([harness.ebb_bin(), 'restore', '--table', TABLE],
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave,
                              env=harness._clean_env(PG.env(self.db)), timeout=120)
        os.close(slave)
        err = b''
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            err += chunk
        os.close(master)
        self.assertEqual(proc.returncode, 0, err)
        n = len(pu.ledger(PG, self.db, TABLE))
        self.assertIn(('object %d of %d, %d rows restored' % (n, n, ARCHIVED)).encode(), err)
        # Erased before the next line (here the policy warning), which starts a line clean.
        self.assertIn(b'rows restored\r\x1b[Kebb: warning: rows restored into', err)
        self.assert_restored()

    def test_csv_gzip(self):
        self.check_round_trip('--compress', 'gzip')

    def test_csv_uncompressed(self):
        self.check_round_trip('--compress', 'none')

    def test_parquet_zstd(self):
        self.check_round_trip('--format', 'parquet')

    def test_parquet_snappy(self):
        self.check_round_trip('--format', 'parquet', '--compress', 'snappy')

    def test_dry_run_changes_nothing_and_counts_conflicts(self):
        self.archive()
        PG.psql('INSERT INTO ev (id, ts) VALUES (30, now() - interval \'60 hours\')', self.db)
        left = self.rows()
        proc = self.restore('--dry-run')
        pu.assert_ok(self, proc)
        self.assertIn('would restore %d objects' % len(pu.ledger(PG, self.db, TABLE)), proc.stdout)
        self.assertIn(', 1 with a key the table holds', proc.stdout)
        self.assertEqual(self.rows(), left)
        self.assertEqual(PG.query('SELECT count(*) FROM ebb.restore_ledger', self.db)
                         if pu.has_ebb_schema(PG, self.db) else [('0',)], [('0',)])


class ConflictTest(RestoreBase):
    def setUp(self):
        super().setUp()
        self.archive()
        # Two archived rows come back by hand first, one of them changed.
        PG.psql("INSERT INTO ev (id, ts, note) SELECT id, ts, 'by hand' FROM"
                " (VALUES (30), (31)) v(id), LATERAL (SELECT now() - id * interval '2 hours') t(ts)",
                self.db)

    def test_error_mode_restores_nothing_of_a_conflicting_object(self):
        held = self.rows()
        proc = self.restore()
        self.assertEqual(proc.rc, 1, proc.stderr)
        self.assertRegex(proc.stderr, r'ebb: error: database "%s": object "[^"]+": query failed: '
                         r'duplicate key value violates unique constraint "ev_pkey"' % self.db)
        self.assertIn('ebb: hint: The target holds rows with these keys already', proc.stderr)
        # Every object but the conflicting ones came back; theirs did not, not one row.
        rows = dict((r[0], r) for r in PG.query('SELECT id, note FROM ev', self.db))
        self.assertEqual(rows['30'][1], 'by hand')
        self.assertEqual(rows['31'][1], 'by hand')
        restored = int(PG.query('SELECT coalesce(sum(rows), 0) FROM ebb.restore_ledger',
                                self.db)[0][0])
        self.assertEqual(len(rows), sum(held.values()) + restored)
        self.assertLess(restored, ARCHIVED)

    def test_skip_keeps_what_the_table_holds(self):
        proc = self.restore('--on-conflict', 'skip')
        pu.assert_ok(self, proc)
        self.assertIn('2 rows met a key the table held', proc.stdout)
        notes = dict(PG.query('SELECT id, note FROM ev WHERE id IN (30, 31)', self.db))
        self.assertEqual(notes, {'30': 'by hand', '31': 'by hand'})
        self.assertEqual(int(PG.query('SELECT count(*) FROM ev', self.db)[0][0]), 200)

    def test_update_takes_the_archived_row(self):
        proc = self.restore('--on-conflict', 'update')
        pu.assert_ok(self, proc)
        self.assert_restored()

    def test_update_needs_a_key(self):
        PG.psql('ALTER TABLE ev DROP CONSTRAINT ev_pkey', self.db)
        proc = self.restore('--on-conflict', 'update')
        harness.assert_error(self, proc, 2, 'ebb: error: database "%s": --on-conflict update '
                             'needs a key, and table "public.ev" has no primary key' % self.db)

    def test_update_with_key_option(self):
        PG.psql('ALTER TABLE ev DROP CONSTRAINT ev_pkey; CREATE UNIQUE INDEX ON ev (id)', self.db)
        proc = self.restore('--on-conflict', 'update', '--key', 'id')
        pu.assert_ok(self, proc)
        self.assert_restored()


class DamageTest(RestoreBase):
    def objects(self):
        return [e for e in pu.ledger(PG, self.db, TABLE)]

    def test_corrupt_truncated_and_missing_objects(self):
        self.archive()
        entries = self.objects()
        self.assertGreaterEqual(len(entries), 4)
        keys = [e['object_key'] for e in entries]
        damaged = {keys[0]: 'flip', keys[1]: 'truncate', keys[2]: 'remove'}
        for key, how in damaged.items():
            path = os.path.join(self.path, key)
            if how == 'remove':
                os.remove(path)
                continue
            data = bytearray(open(path, 'rb').read())
            if how == 'flip':
                data[len(data) // 2] ^= 0xff
            else:
                data = data[:len(data) // 2]
            open(path, 'wb').write(bytes(data))
        proc = self.restore()
        self.assertEqual(proc.rc, 1, proc.stderr)
        self.assertIn('is not what the ledger recorded', proc.stderr)
        self.assertIn('Its SHA-256 is ', proc.stderr)
        self.assertIn('It has ', proc.stderr)
        for key in damaged:
            self.assertIn('object "%s" not restored' % key, proc.stdout)
        self.assertIn('%d failed' % len(damaged), proc.stdout)
        # The others are back; nothing of the damaged ones.
        lost = sum(int(e['rows']) for e in entries if e['object_key'] in damaged)
        self.assertEqual(sum(self.rows().values()), 200 - lost)
        self.assertEqual(self.rows() - self.before, harness.collections.Counter())


class CrashTest(RestoreBase):
    """kill -9 at every stage of an object's restore, then a plain re-run: each row once."""

    def check_crash(self, stage):
        self.archive()
        proc = self.restore(env={'EBB_TEST_CRASH_AT': stage + ':2'})
        self.assertEqual(proc.rc, -9, proc.stderr)
        pu.wait_backends_gone(PG, self.db)
        proc = self.restore()
        pu.assert_ok(self, proc)
        self.assert_restored()
        self.assertEqual(PG.query('SELECT count(DISTINCT object_key) = count(*)'
                                  ' FROM ebb.restore_ledger', self.db), [('t',)])

    def test_before_load(self):
        self.check_crash('restore-before-load')

    def test_after_load(self):
        self.check_crash('restore-loaded')

    def test_before_commit(self):
        self.check_crash('restore-before-commit')

    def test_after_commit(self):
        self.check_crash('restore-committed')


class IntoTest(RestoreBase):
    def test_into_hostile_names_other_order_and_fewer_columns(self):
        self.archive()
        PG.psql('CREATE SCHEMA "we.ird"; CREATE TABLE "we.ird"."ta ""ble" (extra text DEFAULT'
                " 'dflt', note text, amount numeric(12,3), id bigint PRIMARY KEY, ts timestamptz,"
                ' payload jsonb, raw bytea, doubled bigint)', self.db)
        proc = self.restore('--into', '"we.ird"."ta ""ble"')
        harness.assert_error(self, proc, 2, 'ebb: error: database "%s": column "tags" of the '
                             'archived rows does not exist in "we.ird"."ta ""ble"' % self.db)
        self.assertIn('ebb: hint: Add the column to the table, or leave it out with --ignore-columns'
                      ' tags.', proc.stderr)
        self.assertEqual(PG.query('SELECT count(*) FROM "we.ird"."ta ""ble"', self.db), [('0',)])
        proc = self.restore('--into', '"we.ird"."ta ""ble"', '--ignore-columns', 'tags')
        pu.assert_ok(self, proc)
        self.assertNotIn('archive policy', proc.stderr)
        got = harness.collections.Counter(PG.query(
            'SELECT id, ts, note, payload::text, raw::text, amount, extra'
            ' FROM "we.ird"."ta ""ble"', self.db))
        self.assertEqual(sum(got.values()), ARCHIVED)
        self.assertEqual(set(r[6] for r in got), {'dflt'})
        # The source table kept what the archive left; the restore went elsewhere.
        self.assertEqual(int(PG.query('SELECT count(*) FROM ev', self.db)[0][0]), 200 - ARCHIVED)

    def test_restored_windows_are_marked_until_archived_again(self):
        self.archive()
        objects = len(pu.ledger(PG, self.db, TABLE))
        # --into another table: no clash with the policy, nothing marked.
        PG.psql('CREATE TABLE ev_back (LIKE ev INCLUDING ALL)', self.db)
        pu.assert_ok(self, self.restore('--into', 'public.ev_back'))
        self.assertEqual(PG.query('SELECT count(*) FROM ebb.archive_ledger'
                                  ' WHERE restored_at IS NOT NULL', self.db), [('0',)])
        run = self.restore('--json')
        pu.assert_ok(self, run)
        run_id = json.loads(run.stdout.splitlines()[-1])['run_id']
        self.assert_restored()
        self.assertEqual(PG.query('SELECT count(*), count(DISTINCT restored_run), min(restored_run)'
                                  ' FROM ebb.archive_ledger WHERE restored_at IS NOT NULL',
                                  self.db), [(str(objects), '1', run_id)])
        status = harness.run_ebb(['status', '--table', TABLE, '--json'], env=PG.env(self.db))
        report = json.loads(status.stdout)
        self.assertEqual((report['restored_windows'], report['restored_window_rows']),
                         (objects, ARCHIVED))
        text = harness.run_ebb(['status', '--table', TABLE], env=PG.env(self.db)).stdout
        self.assertIn('  restored windows: %d rows in %d windows back in the table' %
                      (ARCHIVED, objects), text)
        # The next archive run takes the restored rows again: the windows are no longer back.
        self.archive()
        report = json.loads(harness.run_ebb(['status', '--table', TABLE, '--json'],
                                            env=PG.env(self.db)).stdout)
        self.assertEqual((report['restored_windows'], report['restored_window_rows']), (0, 0))
        self.assertNotIn('restored windows:', harness.run_ebb(
            ['status', '--table', TABLE], env=PG.env(self.db)).stdout)

    def test_rows_restored_then_archived_again_come_back_once(self):
        # Restored into the table, archived again: the first objects are superseded by the
        # later ones, which hold the same rows; a restore elsewhere takes each row once.
        self.archive()
        first = len(pu.ledger(PG, self.db, TABLE))
        pu.assert_ok(self, self.restore())
        self.archive()
        PG.psql('CREATE TABLE scratch (LIKE ev INCLUDING ALL)', self.db)
        proc = self.restore('--into', 'public.scratch', '-v')
        pu.assert_ok(self, proc)
        self.assertIn(', %d superseded (archived again later)' % first, proc.stdout)
        self.assertEqual(proc.stdout.count('skipped: a restore put its rows back into the table'
                                           ' and a later archive run archived them again'), first)
        both = self.rows('public.scratch') + self.rows()
        self.assertEqual(both, self.before)
        # The database lost: the later objects' manifests name what they supersede.
        sup = [json.loads(open(os.path.join(self.path, e['object_key'] + '.manifest.json')
                               ).read()).get('supersedes', []) for e in pu.ledger(PG, self.db, TABLE)]
        self.assertEqual(sum(len(s) for s in sup), first)
        PG.psql('DROP SCHEMA ebb CASCADE; DELETE FROM ev WHERE id >= 24', self.db)
        proc = self.restore('--dest', self.dest, '--from-manifests')
        pu.assert_ok(self, proc)
        self.assertIn(', %d superseded (archived again later)' % first, proc.stdout)
        self.assertNotIn('overlapping windows', proc.stderr)
        self.assert_restored()

    def test_a_manifest_repaired_after_a_crash_names_what_it_supersedes(self):
        self.archive()
        pu.assert_ok(self, self.restore())
        marked = {r[0] for r in PG.query('SELECT object_key FROM ebb.archive_ledger'
                                          ' WHERE restored_at IS NOT NULL', self.db)}
        # Killed after the first COMMIT of the next archive run: its manifest is missing.
        proc = pu.archive(PG, self.db, self.dest, table=TABLE, time_column='ts',
                          env={'EBB_TEST_CRASH_AT': 'after-commit'})
        self.assertEqual(proc.rc, -9, proc.stderr)
        pu.wait_backends_gone(PG, self.db)
        self.archive()  # repairs it, then archives the rest
        named = set()
        for e in pu.ledger(PG, self.db, TABLE):
            with open(os.path.join(self.path, e['object_key'] + '.manifest.json')) as f:
                named |= set(json.loads(f.read()).get('supersedes', []))
        self.assertEqual(named, marked)

    def test_busy_when_another_ebb_holds_the_table(self):
        self.archive()
        import subprocess
        holder = subprocess.Popen(
            ['psql', '-X', '-q', '-At', '-d', self.db],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=harness._clean_env(PG.env(self.db)))
        self.addCleanup(holder.kill)
        holder.stdin.write("SELECT pg_advisory_lock(7373062, 'public.ev'::regclass::oid::int4);"
                           "\\echo locked\n")
        holder.stdin.flush()
        while holder.stdout.readline().strip() != 'locked':
            pass
        proc = self.restore()
        self.assertEqual(proc.rc, 3, proc.stderr)
        self.assertIn('is busy', proc.stderr)
        self.assertEqual(int(PG.query('SELECT count(*) FROM ev', self.db)[0][0]), 200 - ARCHIVED)


class DuckDBParquetTest(RestoreBase):
    """A Parquet file that DuckDB wrote (from ebb's object, with DuckDB's own types, encodings
    and layout) in place of an archived object restores the same rows."""

    def test_duckdb_written_object(self):
        self.archive('--format', 'parquet')
        for version in ('V1', 'V2'):
            entry = pu.ledger(PG, self.db, TABLE)[5 if version == 'V1' else 9]
            path = os.path.join(self.path, entry['object_key'])
            rewritten = path + '.duckdb'
            pt.duckdb_query("COPY (SELECT * FROM read_parquet(%s, hive_partitioning=false)) TO %s"
                            " (FORMAT parquet,"
                            " PARQUET_VERSION %s); SELECT 1 AS done"
                            % (pt.sql_string(path), pt.sql_string(rewritten), version))
            self.assertNotEqual(pu.sha256_file(rewritten), pu.sha256_file(path))
            os.replace(rewritten, path)
            PG.psql("UPDATE ebb.archive_ledger SET bytes = %d, sha256 = '%s'"
                    " WHERE object_key = '%s'" % (os.path.getsize(path), pu.sha256_file(path),
                                                   entry['object_key']), self.db)
        proc = self.restore()
        pu.assert_ok(self, proc)
        self.assert_restored()


class PartitionedTest(unittest.TestCase):
    """A partitioned table whose old partitions ebb archived whole and dropped: the restore
    makes each partition again as the ledger recorded it (name, bound), rows and all."""

    def test_dropped_partitions_come_back(self):
        db = pu.new_db(PG, 'rp')
        dest, _ = pu.make_dest(self)
        PG.psql(PARTITIONED, db)
        before = harness.table_rows_csv(PG, db, 'public.pev')
        proc = pu.archive(PG, db, dest, table='public.pev', time_column='ts')
        pu.assert_ok(self, proc)
        dropped = PG.query("SELECT partition_name, partition_bound FROM ebb.archive_ledger"
                           " WHERE partition_state = 'dropped' ORDER BY 1", db)
        self.assertGreaterEqual(len(dropped), 4)
        for name, _ in dropped:
            self.assertEqual(PG.query("SELECT to_regclass('%s')" % name, db), [(None,)])
        # A dry run makes no partition (and takes no lock on the parent): it names each once.
        proc = harness.run_ebb(['restore', '--table', 'public.pev', '--dry-run', '-v'],
                               env=PG.env(db))
        pu.assert_ok(self, proc)
        for name, bound in dropped:
            self.assertEqual(PG.query("SELECT to_regclass('%s')" % name, db), [(None,)])
            self.assertEqual(proc.stderr.count('would create partition "%s" again, as archived:'
                                               ' %s' % (name, bound)), 1, proc.stderr)
        self.assertIn('; %d partitions would be created\n' % len(dropped), proc.stdout)
        proc = harness.run_ebb(['restore', '--table', 'public.pev', '-v'], env=PG.env(db))
        pu.assert_ok(self, proc)
        self.assertEqual(harness.table_rows_csv(PG, db, 'public.pev'), before)
        for name, bound in dropped:
            self.assertIn('creating partition "%s" again, as archived: %s' % (name, bound),
                          proc.stderr)
            self.assertEqual(PG.query("SELECT pg_get_expr(relpartbound, oid) FROM pg_class"
                                      " WHERE oid = '%s'::regclass" % name, db), [(bound,)])

    def test_a_partition_that_now_covers_the_range_takes_the_rows(self):
        db = pu.new_db(PG, 'rp')
        dest, _ = pu.make_dest(self)
        PG.psql(PARTITIONED, db)
        before = harness.table_rows_csv(PG, db, 'public.pev')
        pu.assert_ok(self, pu.archive(PG, db, dest, table='public.pev', time_column='ts'))
        low = PG.query("SELECT min(window_start) FROM ebb.archive_ledger", db)[0][0]
        # The old days, merged into one partition since.
        PG.psql("CREATE TABLE pev_old PARTITION OF pev FOR VALUES FROM ('%s+00') TO"
                " (current_date - 2)" % low, db)
        proc = harness.run_ebb(['restore', '--table', 'public.pev', '-v'], env=PG.env(db))
        pu.assert_ok(self, proc)
        self.assertEqual(harness.table_rows_csv(PG, db, 'public.pev'), before)
        self.assertIn('not made again (', proc.stderr)
        self.assertGreater(int(PG.query('SELECT count(*) FROM pev_old', db)[0][0]), 0)


class FromManifestsTest(RestoreBase):
    """The database is lost and made again under its name: its ledger is gone, the store's
    manifests say what was committed; an object without a manifest is reported, not loaded."""

    def test_into_a_fresh_database(self):
        self.archive()
        entries = pu.ledger(PG, self.db, TABLE)
        orphan = entries[0]
        os.remove(os.path.join(self.path, orphan['object_key'] + '.manifest.json'))
        PG.psql('DROP DATABASE "%s"' % self.db)
        PG.psql('CREATE DATABASE "%s"' % self.db)
        PG.psql(DDL.split('INSERT INTO')[0], self.db)
        self.assertFalse(pu.has_ebb_schema(PG, self.db))
        proc = self.restore('--dest', self.dest)
        harness.assert_error(self, proc, 2, 'ebb: error: database "%s": there is no ledger '
                             '(ebb.archive_ledger) here: nothing was archived from this database'
                             % self.db)
        proc = self.restore('--dest', self.dest, '--from-manifests')
        pu.assert_ok(self, proc)
        self.assertIn('ebb: warning: object "%s" has no manifest: not restored'
                      % orphan['object_key'], proc.stderr)
        want = self.before - harness.table_rows_csv(PG, self.db, TABLE)
        self.assertEqual(sum(self.rows().values()), ARCHIVED - orphan['rows'])
        self.assertEqual(self.rows() - self.before, harness.collections.Counter())
        self.assertEqual(sum(want.values()), 200 - ARCHIVED + orphan['rows'])
        # Exactly once here too: the restore ledger of the new database says what came back.
        proc = self.restore('--dest', self.dest, '--from-manifests')
        pu.assert_ok(self, proc)
        self.assertIn('restored 0 objects, 0 rows', proc.stdout)


class DeepVerifyTest(RestoreBase):
    """verify --deep counts an object's rows from the rows themselves: an object whose bytes
    the ledger vouches for (as a writer's bug would leave it) but whose rows do not parse is
    found by --deep, not by the plain count."""

    def verify(self, *extra):
        return harness.run_ebb(['verify', '--table', TABLE] + list(extra), env=PG.env(self.db))

    def test_deep_reads_every_row(self):
        for fmt in ('csv', 'parquet'):
            with self.subTest(fmt=fmt):
                if fmt == 'parquet':
                    self.restore()  # the csv objects' rows back, archived again as Parquet
                    PG.psql('DELETE FROM ebb.archive_ledger', self.db)
                self.archive('--format', fmt)
                proc = self.verify('--deep')
                pu.assert_ok(self, proc)
                self.assertIn('%d rows' % ARCHIVED, proc.stdout)

    def test_deep_finds_rows_that_do_not_parse(self):
        self.archive('--compress', 'none')
        entry = pu.ledger(PG, self.db, TABLE)[0]
        path = os.path.join(self.path, entry['object_key'])
        self.assertEqual(entry['rows'], 1)
        bad = open(path, 'rb').read().split(b'\n', 1)[0] + b'\n1,2\n'
        open(path, 'wb').write(bad)
        sha = pu.sha256_file(path)
        PG.psql("UPDATE ebb.archive_ledger SET bytes = %d, sha256 = '%s' WHERE object_key = '%s'"
                % (len(bad), sha, entry['object_key']), self.db)
        mpath = path + '.manifest.json'
        manifest = json.load(open(mpath))
        manifest.update(bytes=len(bad), sha256=sha)
        open(mpath, 'w').write(json.dumps(manifest))
        proc = self.verify()
        pu.assert_ok(self, proc)
        proc = self.verify('--deep')
        self.assertEqual(proc.rc, 1, proc.stdout + proc.stderr)
        self.assertIn('corrupt object "%s": could not parse CSV object: line 2 has 2 fields,'
                      ' expected 7' % entry['object_key'], proc.stdout)


if __name__ == '__main__':
    unittest.main()
