"""ebb's own tables (schema ebb): a schema version read without locks, numbered migrations.

A session that read the ledger and sits idle in its transaction (a dashboard, pg_dump) holds
a lock that every DDL statement waits for; runs must not issue DDL once the schema is
current, and a migration that does wait must say who holds the lock. A database archived
by an ebb from before schema versions (its tables made by the DDL text below) upgrades in
place, rows and all. Relations of another kind under ebb's names are refused; status and
verify only read; tables newer than this ebb are reported, never written."""

import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import protocol_util as pu  # noqa: E402

VERSION = 4  # CATALOG_VERSION in src/catalog/catalog.h

# The DDL text that ebb ran on every archive run before schema versions (src/archive/ledger.c
# up to the commit that added src/catalog/), verbatim.
OLD_DDL = (
    "BEGIN;"
    "SELECT pg_catalog.pg_advisory_xact_lock(7373061, 0);"
    "CREATE SCHEMA IF NOT EXISTS ebb;"
    "CREATE TABLE IF NOT EXISTS ebb.archive_ledger ("
    " id bigserial PRIMARY KEY,"
    " run_id text NOT NULL,"
    " table_schema text NOT NULL,"
    " table_name text NOT NULL,"
    " time_column text NOT NULL,"
    " window_utc boolean NOT NULL,"
    " window_start timestamp NOT NULL,"
    " window_end timestamp NOT NULL,"
    " dest text NOT NULL,"
    " object_key text NOT NULL UNIQUE,"
    " rows bigint NOT NULL,"
    " bytes bigint NOT NULL,"
    " sha256 text NOT NULL,"
    " format text NOT NULL,"
    " compression text NOT NULL,"
    " columns jsonb NOT NULL,"
    " ebb_version text NOT NULL,"
    " archived_at timestamptz NOT NULL DEFAULT pg_catalog.now(),"
    " manifest_written boolean NOT NULL DEFAULT false);"
    "CREATE INDEX IF NOT EXISTS archive_ledger_table_window"
    " ON ebb.archive_ledger (table_schema, table_name, window_start);"
    "CREATE TABLE IF NOT EXISTS ebb.archive_run ("
    " run_id text NOT NULL,"
    " table_schema text NOT NULL,"
    " table_name text NOT NULL,"
    " started_at timestamptz NOT NULL DEFAULT pg_catalog.now(),"
    " finished_at timestamptz,"
    " status text NOT NULL,"
    " rows bigint NOT NULL DEFAULT 0,"
    " bytes bigint NOT NULL DEFAULT 0,"
    " objects bigint NOT NULL DEFAULT 0,"
    " message text,"
    " PRIMARY KEY (run_id, table_schema, table_name));"
    "ALTER TABLE ebb.archive_ledger"
    " ADD COLUMN IF NOT EXISTS partition_oid oid,"
    " ADD COLUMN IF NOT EXISTS partition_name text,"
    " ADD COLUMN IF NOT EXISTS partition_bound text,"
    " ADD COLUMN IF NOT EXISTS partition_fingerprint text,"
    " ADD COLUMN IF NOT EXISTS partition_state text;"
    "COMMIT")

HINT = ('ebb: hint: End the transaction that holds the lock (or its session, with'
        ' pg_terminate_backend()), or raise --lock-timeout, then run ebb again. Later runs only'
        ' read the schema version: a reader of the ledger does not block them.')


def setUpModule():
    global PG
    PG = harness.Cluster()


def tearDownModule():
    PG.stop()


def describe(db):
    """ebb's tables as the catalog sees them: columns (name order, so that a dropped column
    leaves no trace), indexes, constraints."""
    columns = PG.query(
        "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,"
        " pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a"
        " JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
        " LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
        " WHERE n.nspname = 'ebb' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped"
        " ORDER BY 1, 2", db)
    indexes = PG.query("SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid)"
                       " FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid"
                       " WHERE c.relnamespace = 'ebb'::regnamespace ORDER BY 1", db)
    constraints = PG.query("SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
                           " FROM pg_constraint WHERE connamespace = 'ebb'::regnamespace"
                           " ORDER BY 1, 2", db)
    return columns, indexes, constraints


def versions(db):
    if PG.query("SELECT to_regclass('ebb.schema_version') IS NULL", db) == [('t',)]:
        return None
    return [(int(v), e) for v, e in PG.query(
        'SELECT version, ebb_version FROM ebb.schema_version ORDER BY version', db)]


def runs(db):
    return PG.query('SELECT run_id, status, message FROM ebb.archive_run ORDER BY started_at',
                    db)


def ebb_version():
    return harness.run_ebb(['--version']).stdout.split()[1]


class Session:
    """A psql session of its own (ours, ended by the test): statements in, lines out."""

    def __init__(self, testcase, db, application_name='reader'):
        self.proc = subprocess.Popen(
            [str(PG.bindir / 'psql'), '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1',
             '-d', PG.dsn(db) + ' application_name=' + application_name],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=harness._clean_env(), text=True)
        testcase.addCleanup(pu.kill_if_running, self.proc)
        self.pid = int(self.run('SELECT pg_backend_pid();')[0])

    def run(self, sql):
        """Runs sql, returns its output lines once psql has run all of it."""
        self.proc.stdin.write(sql + '\n\\echo --done--\n')
        self.proc.stdin.flush()
        lines = []
        while True:
            line = self.proc.stdout.readline()
            if line == '':
                raise AssertionError('psql ended: %r' % lines)
            if line.strip() == '--done--':
                return lines
            lines.append(line.strip())

    def close(self):
        self.proc.stdin.write('ROLLBACK;\n')
        self.proc.stdin.close()
        self.proc.wait(timeout=60)
        self.proc.stdout.close()


def state(db, pid):
    return PG.query('SELECT state FROM pg_stat_activity WHERE pid = %d' % pid, db)[0][0]


class EbbTablesTest(unittest.TestCase):
    def setUp(self):
        self.db = pu.new_db(PG, 'et')
        self.dest, self.path = pu.make_dest(self)
        pu.create_events(PG, self.db)

    def archive(self, *extra, keep_days=2, db=None):
        return pu.archive(PG, db or self.db, self.dest, *extra, keep_days=keep_days)

    def verify(self, *extra, db=None):
        return harness.run_ebb(['verify', '--table', pu.TABLE, '--dest', self.dest] + list(extra),
                               env=PG.env(db or self.db))

    def status(self, db=None):
        return harness.run_ebb(['status', '--table', pu.TABLE, '--time-column',
                                pu.TIME_COLUMN, '--json'], env=PG.env(db or self.db))

    def fresh_schema(self):
        """ebb's tables as this ebb creates them in an empty database."""
        db = pu.new_db(PG, 'et')
        pu.create_events(PG, db)
        pu.assert_ok(self, self.archive(db=db))
        self.assertEqual(versions(db), [(v, ebb_version()) for v in range(1, VERSION + 1)])
        return describe(db)

    def old_schema(self):
        """ebb's tables as an ebb from before schema versions left them."""
        db = pu.new_db(PG, 'et')
        PG.psql(OLD_DDL, db)
        return describe(db)

    def test_database_of_an_earlier_ebb_upgrades_in_place(self):
        # 5 rows 10 days old, 5 rows 5 days old, 3 recent
        pu.insert_rows(PG, self.db, "date_trunc('hour', now())::timestamp - interval '10 days'"
                       " + make_interval(mins => i * 10)", 5)
        pu.insert_rows(PG, self.db, "date_trunc('hour', now())::timestamp - interval '5 days'"
                       " + make_interval(mins => (i - 10) * 10)", 5, first=10)
        pu.insert_rows(PG, self.db, "now()::timestamp - make_interval(hours => i - 100)", 3,
                       first=100)
        before = pu.snapshot(PG, self.db)
        # Archived as an earlier ebb did (the ledger rows it wrote are the same), then what
        # the migrations added is removed: the database is the one an earlier ebb leaves.
        pu.assert_ok(self, self.archive(keep_days=7))
        PG.psql('DROP TABLE ebb.schema_version; DROP TABLE ebb.restore_ledger;'
                'ALTER TABLE ebb.archive_run DROP COLUMN table_oid, DROP COLUMN backend_pid;'
                'ALTER TABLE ebb.archive_ledger DROP COLUMN restored_at, DROP COLUMN restored_run;'
                # and a run that was killed, with no outcome recorded
                "INSERT INTO ebb.archive_run (run_id, table_schema, table_name, status)"
                " VALUES ('killed-earlier', 'analytics', 'events', 'running')", self.db)
        old = self.old_schema()
        self.assertEqual(describe(self.db), old)
        harness.assert_oracle(self, before, PG, self.db, pu.TABLE, archived=5)

        # status and verify read it as it is: they never migrate
        proc = self.status()
        self.assertEqual((proc.rc, proc.stderr), (0, ''))
        self.assertIn('"last_run":{"run_id":"killed-earlier","status":"interrupted"',
                      proc.stdout)
        proc = self.verify()
        self.assertEqual(proc.rc, 0, proc.stdout + proc.stderr)
        self.assertEqual((describe(self.db), versions(self.db)), (old, None))

        proc = self.archive('-v')
        pu.assert_ok(self, proc)
        self.assertIn("ebb: info: database \"%s\": migrating ebb's tables to version 1: the"
                      " ledger and the runs" % self.db, proc.stderr.splitlines())
        self.assertEqual(versions(self.db), [(v, ebb_version()) for v in range(1, VERSION + 1)])
        self.assertEqual(describe(self.db), self.fresh_schema())
        harness.assert_oracle(self, before, PG, self.db, pu.TABLE, archived=10)
        (new_run,), = PG.query("SELECT run_id FROM ebb.archive_run WHERE status = 'ok'"
                               " ORDER BY started_at DESC LIMIT 1", self.db)
        self.assertEqual(runs(self.db)[1:], [
            ('killed-earlier', 'interrupted',
             'ended without recording its outcome; found by run %s' % new_run),
            (new_run, 'ok', None)])
        self.assertEqual(len(pu.ledger(PG, self.db)), 2)  # one object per hour
        proc = self.verify()
        self.assertEqual(proc.rc, 0, proc.stdout + proc.stderr)

    def test_a_reader_of_the_ledger_does_not_block_a_run(self):
        pu.four_old_hours(PG, self.db)
        before = pu.snapshot(PG, self.db)
        pu.assert_ok(self, self.archive(keep_days=7))  # makes ebb's tables, archives nothing
        reader = Session(self, self.db)
        reader.run('BEGIN; SELECT count(*) FROM ebb.archive_ledger;'
                   ' SELECT count(*) FROM ebb.archive_run;')
        self.assertEqual(state(self.db, reader.pid), 'idle in transaction')

        pu.assert_ok(self, self.archive('--lock-timeout', '200ms'))
        harness.assert_oracle(self, before, PG, self.db, pu.TABLE, archived=20)
        self.assertEqual(state(self.db, reader.pid), 'idle in transaction')  # all along
        reader.close()

    def test_a_due_migration_behind_a_reader_fails_naming_the_reader(self):
        pu.four_old_hours(PG, self.db)
        before = pu.snapshot(PG, self.db)
        PG.psql(OLD_DDL, self.db)
        old = describe(self.db)
        reader = Session(self, self.db, application_name='dashboard')
        reader.run('BEGIN; SELECT count(*) FROM ebb.archive_ledger;')

        proc = self.archive('--lock-timeout', '200ms')
        harness.assert_error(
            self, proc, 1,
            "ebb: error: database \"%s\": could not migrate ebb's tables to version %d: the"
            " migration waited for a lock longer than lock_timeout (200ms)" % (self.db, VERSION))
        lines = proc.stderr.splitlines()
        self.assertEqual(len(lines), 3, proc.stderr)
        self.assertRegex(lines[1], r"^ebb: detail: It needs an exclusive lock on ebb's tables,"
                         r" once\. pid %d \(application_name \"dashboard\"\) holds a lock on"
                         r" ebb\.archive_ledger and has been idle in transaction for"
                         r" \d\d:\d\d:\d\d\.$" % reader.pid)
        self.assertEqual(lines[2], HINT)
        # nothing deleted, nothing stored, the tables as they were
        self.assertEqual(pu.snapshot(PG, self.db), before)
        self.assertEqual(pu.files_under(self.path), set())
        self.assertEqual((describe(self.db), versions(self.db)), (old, None))

        reader.close()
        pu.assert_ok(self, self.archive('--lock-timeout', '200ms'))
        harness.assert_oracle(self, before, PG, self.db, pu.TABLE, archived=20)
        self.assertEqual(len(versions(self.db)), VERSION)

    def test_concurrent_first_runs_migrate_once(self):
        pu.create_events(PG, self.db, 'analytics.second')
        pu.four_old_hours(PG, self.db)
        pu.four_old_hours(PG, self.db, 'analytics.second')
        before = [pu.snapshot(PG, self.db, t) for t in (pu.TABLE, 'analytics.second')]
        PG.psql(OLD_DDL, self.db)
        other = Session(self, self.db, application_name='other-ebb')
        other.run('BEGIN; SELECT pg_advisory_xact_lock(7373061, 0);')

        # a migration that waits for another's longer than lock_timeout names it
        proc = self.archive('--lock-timeout', '200ms')
        self.assertRegex(proc.stderr.splitlines()[1], r"^ebb: detail: It needs an exclusive"
                         r" lock on ebb's tables, once\. pid %d \(application_name"
                         r" \"other-ebb\"\) holds ebb's migration lock and has been idle in"
                         r" transaction for \d\d:\d\d:\d\d\.$" % other.pid)
        self.assertEqual(proc.rc, 1)

        # two ebbs behind it: one migrates, the other finds the version current
        procs = [pu.start_ebb(PG, self.db, self.dest, '--lock-timeout', '1min', table=t)
                 for t in (pu.TABLE, 'analytics.second')]
        for p in procs:
            self.addCleanup(pu.kill_if_running, p)
        pu.wait_until(lambda: PG.query(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 7373061"
            " AND NOT granted", self.db) == [('2',)], 'both ebbs wait for the migration lock')
        other.close()
        for p in procs:
            rc, out, err = pu.finish(p)
            self.assertEqual(rc, 0, out + err)
        self.assertEqual(versions(self.db), [(v, ebb_version()) for v in range(1, VERSION + 1)])
        for table, b in zip((pu.TABLE, 'analytics.second'), before):
            harness.assert_oracle(self, b, PG, self.db, table, archived=20)

    def test_relations_of_another_kind_are_refused(self):
        pu.four_old_hours(PG, self.db)
        before = pu.snapshot(PG, self.db)
        PG.psql('CREATE SCHEMA ebb; CREATE VIEW ebb.archive_ledger AS SELECT 1 AS id', self.db)
        proc = self.archive()
        harness.assert_error(self, proc, 2, 'ebb: error: database "%s": could not use ebb\'s'
                             ' tables: "ebb.archive_ledger" is a view, not a table' % self.db)
        self.assertEqual(proc.stderr.splitlines()[1:], [
            'ebb: detail: ebb keeps its ledger of archived objects in a table of that name, and'
            ' never writes through, alters or replaces a relation it did not create.',
            'ebb: hint: Rename or drop "ebb.archive_ledger", then run ebb again: an archive run'
            ' creates the table.'])
        proc = self.status()  # status reads ebb's tables: the same refusal
        harness.assert_error(self, proc, 2, 'ebb: error: database "%s": could not use ebb\'s'
                             ' tables: "ebb.archive_ledger" is a view, not a table' % self.db)
        proc = self.verify()  # and verify, which never reads a view as the ledger
        harness.assert_error(self, proc, 2, 'ebb: error: database "%s": could not use ebb\'s'
                             ' tables: "ebb.archive_ledger" is a view, not a table' % self.db)

        PG.psql('DROP VIEW ebb.archive_ledger; CREATE FOREIGN DATA WRAPPER nowhere;'
                ' CREATE SERVER far FOREIGN DATA WRAPPER nowhere;'
                ' CREATE FOREIGN TABLE ebb.archive_run (run_id text) SERVER far', self.db)
        proc = self.archive()
        harness.assert_error(self, proc, 2, 'ebb: error: database "%s": could not use ebb\'s'
                             ' tables: "ebb.archive_run" is a foreign table, not a table'
                             % self.db)
        self.assertEqual(pu.snapshot(PG, self.db), before)
        self.assertEqual(pu.files_under(self.path), set())
        self.assertEqual(PG.query("SELECT relname, relkind FROM pg_class"
                                  " WHERE relnamespace = 'ebb'::regnamespace", self.db),
                         [('archive_run', 'f')])

    def test_status_and_verify_never_create_ebb_tables(self):
        pu.four_old_hours(PG, self.db)
        proc = self.status()
        self.assertEqual((proc.rc, proc.stderr), (0, ''))
        proc = self.verify()
        self.assertEqual(proc.rc, 0, proc.stdout + proc.stderr)
        self.assertFalse(pu.has_ebb_schema(PG, self.db))

    def test_tables_newer_than_this_ebb_are_reported_not_touched(self):
        pu.four_old_hours(PG, self.db)
        before = pu.snapshot(PG, self.db)
        pu.assert_ok(self, self.archive(keep_days=7))
        # what a newer ebb's migration would leave
        PG.psql("ALTER TABLE ebb.archive_run ADD COLUMN future text NOT NULL DEFAULT 'x';"
                "INSERT INTO ebb.schema_version (version, summary, ebb_version)"
                " VALUES (%d, 'from the future', '9.9.9')" % (VERSION + 1), self.db)
        newer = (describe(self.db), runs(self.db))

        proc = self.archive()
        harness.assert_error(self, proc, 2, "ebb: error: database \"%s\": ebb's tables are at"
                             " schema version %d, newer than this ebb knows (%d)"
                             % (self.db, VERSION + 1, VERSION))
        self.assertEqual(proc.stderr.splitlines()[1:], [
            'ebb: detail: ebb 9.9.9 migrated them; this is ebb %s, which does not write them.'
            % ebb_version(), 'ebb: hint: Run ebb 9.9.9 or newer on this database.'])
        self.assertEqual(pu.snapshot(PG, self.db), before)
        self.assertEqual((describe(self.db), runs(self.db)), newer)

        proc = self.status()
        self.assertEqual(proc.rc, 0, proc.stderr)
        self.assertEqual(proc.stderr.splitlines(), [
            "ebb: warning: database \"%s\": ebb's tables are at schema version %d, newer than"
            " this ebb knows (%d); status reports what it knows of them"
            % (self.db, VERSION + 1, VERSION)])
        self.assertIn('"last_run":{"run_id":"%s","status":"ok"' % runs(self.db)[0][0],
                      proc.stdout)
        self.assertEqual((describe(self.db), runs(self.db)), newer)

        # verify reads them, but --gc removes nothing on the word of a ledger it does not know
        orphan = os.path.join(self.path, self.db, 'analytics.events', 'dt=2020-01-01',
                              'hour=00', 'x.csv.zst')
        os.makedirs(os.path.dirname(orphan))
        with open(orphan, 'w') as f:
            f.write('x')
        os.utime(orphan, (0, 0))
        proc = self.verify('--gc')
        self.assertEqual(proc.rc, 0, proc.stdout + proc.stderr)
        self.assertIn("ebb's tables are at schema version %d, newer than this ebb knows (%d);"
                      " nothing is removed" % (VERSION + 1, VERSION), proc.stderr)
        self.assertTrue(os.path.exists(orphan))


if __name__ == '__main__':
    unittest.main()
