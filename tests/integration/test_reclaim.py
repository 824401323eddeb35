"""ebb reclaim: disk given back after archiving, measured (real PostgreSQL, real pg_repack,
pgbench as the workload).

Each test archives the old rows of a table with ebb archive first (the oracle checks the
rows), then reclaims, and measures the table independently (pg_total_relation_size, with
autovacuum off on the table so that nothing else changes its size):

- plain VACUUM gives back nearly nothing when the archived rows were at the front of the
  table (the usual case: old rows first), and most of it when they were at its end (the empty
  pages are truncated);
- --full gives back most of it inside the maintenance window, is skipped outside it, gives up
  at --lock-timeout behind a reader (nothing rewritten), and needs a window at all;
- --online drives pg_repack while a pgbench workload writes to the table: most of the space
  comes back, no workload transaction fails, none waits long, no row changes;
- pg_repack's prerequisites (the extension, a key, the program) are reported, nothing done;
- a policy's after_archive runs the method after each archive run that deleted rows.
"""

import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import protocol_util as pu  # noqa: E402
import test_partition_locks as tpl  # noqa: E402

TABLE = 'public.ev'
ROWS = 60000
# Ten days of rows, a minute apart per id; ORDER chooses whether the oldest rows (the ones
# archived) are written first (the front of the heap) or last (its end).
DDL = """
CREATE TABLE ev (id bigserial PRIMARY KEY, ts timestamptz NOT NULL, payload text);
ALTER TABLE ev SET (autovacuum_enabled = off);
CREATE INDEX ev_ts_idx ON ev (ts);
INSERT INTO ev (id, ts, payload)
  SELECT g, now() - (%(rows)d - g) * (interval '10 days' / %(rows)d), repeat('x', 300) || g
  FROM generate_series(1, %(rows)d) g ORDER BY g %(order)s;
SELECT setval('ev_id_seq', %(rows)d);
"""


def setUpModule():
    global PG
    PG = harness.Cluster()
    tpl.PG = PG


def tearDownModule():
    PG.stop()


class ReclaimBase(unittest.TestCase):
    ORDER = 'ASC'

    def setUp(self):
        self.db = pu.new_db(PG, 'rcl')
        self.dest, _ = pu.make_dest(self)
        PG.psql(DDL % {'rows': ROWS, 'order': self.ORDER}, self.db)

    def size(self):
        return int(PG.query("SELECT pg_total_relation_size('ev')", self.db)[0][0])

    def archive(self, *extra, **kw):
        """Archives the rows older than 2 days (80%), checked by the oracle."""
        before = harness.table_rows_csv(PG, self.db, TABLE)
        proc = pu.archive(PG, self.db, self.dest, '--window', '1d', *extra, table=TABLE,
                          time_column='ts', **kw)
        pu.assert_ok(self, proc)
        left, _ = harness.assert_oracle(self, before, PG, self.db, TABLE)
        self.assertLess(sum(left.values()), ROWS * 0.25)
        return proc

    def reclaim(self, *extra, env=None):
        return harness.run_ebb(['reclaim', '--table', TABLE] + list(extra),
                               env=dict(PG.env(self.db), **(env or {})))

    def reclaim_json(self, *extra):
        """Runs reclaim --json; checks its sizes against the table's, measured around it, and
        that no row changed; returns its event."""
        rows = harness.table_rows_csv(PG, self.db, TABLE)
        before = self.size()
        proc = self.reclaim('--json', *extra)
        pu.assert_ok(self, proc)
        events = [json.loads(line) for line in proc.stdout.splitlines()]
        self.assertEqual(len(events), 1, proc.stdout)
        e = events[0]
        self.assertEqual((e['event'], e['schema'], e['table'], e['status']),
                         ('reclaim_table', 'public', 'ev', 'ok'))
        self.assertEqual(e['bytes_before'], before)
        self.assertEqual(e['bytes_after'], self.size())
        self.assertEqual(e['bytes_freed'], e['bytes_before'] - e['bytes_after'])
        self.assertEqual(harness.table_rows_csv(PG, self.db, TABLE), rows)
        return e

    def clock(self, shift_minutes):
        """The server's time of day plus shift_minutes, as HH:MM."""
        minute = int(PG.query("SELECT extract(hour FROM localtimestamp) * 60"
                              " + extract(minute FROM localtimestamp)", self.db)[0][0])
        minute = (minute + shift_minutes) % 1440
        return '%02d:%02d' % (minute // 60, minute % 60)


class VacuumTest(ReclaimBase):
    def test_archived_rows_at_the_front_give_back_nearly_nothing(self):
        self.archive()
        e = self.reclaim_json()
        self.assertEqual(e['method'], 'vacuum')
        # The free space is inside the table: reusable, not returned.
        self.assertLess(e['bytes_freed'], e['bytes_before'] * 0.05, e)
        proc = self.reclaim()
        pu.assert_ok(self, proc)
        self.assertIn('%s: public.ev: vacuum: ' % self.db, proc.stdout)
        self.assertIn('note: VACUUM made the deleted rows\' space reusable', proc.stdout)


class VacuumEndTest(ReclaimBase):
    ORDER = 'DESC'

    def test_archived_rows_at_the_end_are_truncated(self):
        self.archive()
        e = self.reclaim_json()
        # The heap's end pages held only archived rows: truncated (the indexes stay).
        self.assertGreater(e['bytes_freed'], e['bytes_before'] * 0.4, e)


class FullTest(ReclaimBase):
    def window(self, start_shift, end_shift):
        return ['--window-start', self.clock(start_shift), '--window-end', self.clock(end_shift)]

    def test_inside_the_window_most_is_given_back(self):
        self.archive()
        e = self.reclaim_json('--full', *self.window(-30, 30))
        self.assertEqual(e['method'], 'full')
        self.assertGreater(e['bytes_freed'], e['bytes_before'] * 0.6, e)

    def test_outside_the_window_nothing_is_done(self):
        self.archive()
        before = self.size()
        start, end = self.clock(60), self.clock(120)
        proc = self.reclaim('--full', '--window-start', start, '--window-end', end)
        pu.assert_ok(self, proc)
        self.assertIn('%s: public.ev: skipped: outside the maintenance window %s-%s (it is '
                      % (self.db, start, end), proc.stdout)
        self.assertEqual(self.size(), before)

    def test_a_reader_makes_it_give_up_at_the_lock_timeout(self):
        self.archive()
        before = self.size()
        holder = pu.hold_transaction(self, PG, self.db, 'SELECT count(*) FROM ev')
        proc = self.reclaim('--full', '--lock-timeout', '200ms', *self.window(-30, 30))
        self.assertEqual(proc.rc, 1, proc.stdout + proc.stderr)
        self.assertIn('ebb: error: database "%s": public.ev: ' % self.db, proc.stderr)
        self.assertIn('lock timeout', proc.stderr)
        self.assertIn('ebb: hint: The workload held a lock on the table longer than the lock '
                      'timeout', proc.stderr)
        # The reader's transaction is intact, and nothing was rewritten.
        out, err = holder.communicate('SELECT 41 + 1 AS alive; COMMIT;\n', timeout=60)
        self.assertIn('42', out, err)
        self.assertEqual(self.size(), before)

    def test_a_window_is_required(self):
        proc = self.reclaim('--full')
        harness.assert_error(self, proc, 2, 'ebb: error: VACUUM FULL requires a maintenance window')
        for start, end, first in (('01:00', None, 'option --window-start requires --window-end'),
                                  ('25:00', '02:00', 'invalid value "25:00" for option --window-start'),
                                  ('01:00', '2:00', 'invalid value "2:00" for option --window-end'),
                                  ('02:00', '02:00', 'the maintenance window 02:00 to 02:00 is '
                                                     'empty')):
            args = ['--full', '--window-start', start] + (['--window-end', end] if end else [])
            harness.assert_error(self, self.reclaim(*args), 2, 'ebb: error: ' + first)
        proc = self.reclaim('--full', '--online')
        harness.assert_error(self, proc, 2,
                             'ebb: error: options --online and --full cannot be used together')


class OnlineTest(ReclaimBase):
    def test_pg_repack_under_a_write_workload(self):
        PG.psql('CREATE EXTENSION pg_repack', self.db)
        self.archive()
        digest = ("SELECT count(*), sum(hashtext(t::text)) FROM ev t"
                  " WHERE payload NOT LIKE 'live %'")
        rows = PG.query(digest, self.db)
        before = self.size()
        work = tpl.Workload(self.db)
        proc = self.reclaim('--online', '--lock-timeout', '2s', '--json', '-v')
        lat, failed, err = work.stop()
        pu.assert_ok(self, proc)
        e = json.loads(proc.stdout)
        self.assertEqual((e['method'], e['status']), ('online', 'ok'))
        self.assertGreaterEqual(e['bytes_before'], before)  # and the workload's rows
        self.assertIn('ebb: info: pg_repack: INFO: repacking table "public.ev"', proc.stderr)
        # The workload's rows were added during the rewrite, and most of the space came back.
        self.assertGreater(e['bytes_freed'], before * 0.5, e)
        self.assertLessEqual(e['bytes_after'], self.size())  # the workload went on
        self.assertEqual(PG.query(digest, self.db), rows)
        live = int(PG.query("SELECT count(*) FROM ev WHERE payload LIKE 'live %'", self.db)[0][0])
        self.assertFalse(failed, err)
        self.assertGreater(live, 0)
        self.assertGreater(len(lat), 10)
        print('\nworst workload latency during pg_repack: %.1f ms (%d transactions)'
              % (max(lat) / 1000.0, len(lat)), file=sys.stderr)
        # No write waited longer than pg_repack's lock timeout (2 s), with a second's slack.
        self.assertLess(max(lat) / 1000.0, 3000)

    def test_what_pg_repack_needs_is_reported(self):
        before = self.size()
        proc = self.reclaim('--online')
        harness.assert_error(self, proc, 1, 'ebb: error: database "%s": public.ev: extension '
                             'pg_repack is not installed' % self.db)
        self.assertIn('CREATE EXTENSION pg_repack', proc.stderr)
        PG.psql('CREATE EXTENSION pg_repack; ALTER TABLE ev DROP CONSTRAINT ev_pkey', self.db)
        proc = self.reclaim('--online')
        harness.assert_error(self, proc, 1, 'ebb: error: database "%s": public.ev: table '
                             '"public.ev" has no primary key or unique index on NOT NULL '
                             'columns' % self.db)
        PG.psql('CREATE UNIQUE INDEX ev_id ON ev (id); ALTER TABLE ev ALTER id SET NOT NULL',
                self.db)
        proc = self.reclaim('--online', '--pg-repack', '/nonexistent/pg_repack')
        harness.assert_error(self, proc, 2, 'ebb: error: database "%s": public.ev: could not run '
                             'pg_repack program "/nonexistent/pg_repack": No such file or '
                             'directory' % self.db)
        # A program that fails: its last line is the detail.
        bad = os.path.join(tempfile.mkdtemp(dir=harness._tmp_parent()), 'pg_repack')
        with open(bad, 'w') as f:
            f.write('#!/bin/sh\necho "ERROR: it went wrong" >&2\nexit 3\n')
        os.chmod(bad, 0o755)
        proc = self.reclaim('--online', '--pg-repack', bad)
        harness.assert_error(self, proc, 1, 'ebb: error: database "%s": public.ev: pg_repack '
                             'failed with exit status 3' % self.db)
        self.assertIn('ebb: detail: pg_repack said: ERROR: it went wrong', proc.stderr)
        self.assertEqual(self.size(), before)


class OnlineReviewTest(ReclaimBase):
    """What an outside review found: pg_repack exits 0 when it skips the table; a password
    from the config file's dsn must reach it (it would wait at a prompt); a role that does not
    own the table is told, not reported as done; --json stays JSON when a database lacks the
    table."""

    def hold_reader(self):
        return pu.hold_transaction(self, PG, self.db, 'SELECT count(*) FROM ev')

    def test_a_repack_that_gives_up_is_a_failure(self):
        PG.psql('CREATE EXTENSION pg_repack', self.db)
        self.archive()
        before = self.size()
        holder = self.hold_reader()
        proc = self.reclaim('--online', '--lock-timeout', '1s', '--json')
        self.assertEqual(proc.rc, 1, proc.stdout + proc.stderr)
        e = json.loads(proc.stdout)
        self.assertEqual((e['status'], e['error']), ('failed', 'pg_repack did not repack the table'))
        self.assertIn('pg_repack said: WARNING: ', e['detail'])
        self.assertIn('--lock-timeout', e['hint'])
        holder.communicate('COMMIT;\n', timeout=60)
        self.assertEqual(self.size(), before)
        # Nothing of pg_repack's is left on the table: the next run does it.
        self.assertEqual(PG.query("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'ev'::regclass",
                                  self.db), [('0',)])
        self.assertGreater(self.reclaim_json('--online')['bytes_freed'], before * 0.5)

    def test_a_password_from_the_config_file_reaches_pg_repack(self):
        role = 'pw_' + self.db
        PG.psql("CREATE ROLE %s LOGIN SUPERUSER PASSWORD 'se cret'" % role)
        hba = os.path.join(PG.datadir, 'pg_hba.conf')
        with open(hba) as f:
            old = f.read()

        def restore_hba():
            with open(hba, 'w') as f:
                f.write(old)
            PG.psql('SELECT pg_reload_conf()')
        self.addCleanup(restore_hba)
        with open(hba, 'w') as f:
            f.write('local all %s scram-sha-256\nhost all %s 127.0.0.1/32 scram-sha-256\n%s'
                    % (role, role, old))
        PG.psql('SELECT pg_reload_conf()')
        PG.psql('CREATE EXTENSION pg_repack; ALTER TABLE ev OWNER TO %s' % role, self.db)
        self.archive()
        conf = os.path.join(tempfile.mkdtemp(dir=harness._tmp_parent()), 'ebb.conf')
        with open(conf, 'w') as f:
            f.write("[defaults]\ndsn = host=127.0.0.1 port=%d user=%s password='se cret' "
                    "dbname=%s\n" % (PG.port, role, self.db))
        os.chmod(conf, 0o600)
        before = self.size()
        proc = harness.run_ebb(['reclaim', '--config', conf, '--table', TABLE, '--online',
                                '-v', '-v'], env={}, timeout=120)
        pu.assert_ok(self, proc)
        self.assertNotIn('se cret', proc.stdout + proc.stderr)
        self.assertLess(self.size(), before * 0.5)

    def test_a_role_that_does_not_own_the_table(self):
        role = 'arch_' + self.db
        PG.psql('CREATE ROLE %s LOGIN; GRANT USAGE ON SCHEMA public TO %s;'
                'GRANT SELECT, DELETE ON ev TO %s' % (role, role, role), self.db)
        for mode in ([], ['--online']):
            proc = self.reclaim(*mode, env={'PGUSER': role})
            harness.assert_error(self, proc, 1, 'ebb: error: database "%s": public.ev: must be '
                                 'the owner of table "public.ev" to reclaim its space' % self.db)

    def test_json_under_all_databases(self):
        other = pu.new_db(PG, 'rclother')
        proc = harness.run_ebb(['reclaim', '--all-databases', '--include', self.db, '--include',
                                other, '--table', TABLE, '--json'], env=PG.env())
        pu.assert_ok(self, proc)
        events = sorted((json.loads(line) for line in proc.stdout.splitlines()),
                        key=lambda e: e['database'])
        self.assertEqual([(e['database'], e['status'], e.get('reason')) for e in events],
                         sorted([(self.db, 'ok', None),
                                 (other, 'skipped', 'the table does not exist in this database')]))


class AfterArchiveTest(ReclaimBase):
    ORDER = 'DESC'

    def config(self, text):
        path = os.path.join(tempfile.mkdtemp(dir=harness._tmp_parent()), 'ebb.conf')
        with open(path, 'w') as f:
            f.write(text)
        return path

    def test_a_policy_reclaims_after_each_run_that_deleted_rows(self):
        before = self.size()
        conf = self.config('[table public.ev]\ntime_column = ts\nafter_archive = vacuum\n'
                           'dest = %s\nwindow = 1d\n' % self.dest)
        rows = harness.table_rows_csv(PG, self.db, TABLE)
        proc = harness.run_ebb(['archive', '--config', conf, '--json'], env=PG.env(self.db))
        pu.assert_ok(self, proc)
        harness.assert_oracle(self, rows, PG, self.db, TABLE)
        events = [json.loads(line) for line in proc.stdout.splitlines()]
        self.assertEqual([e['event'] for e in events], ['table', 'reclaim_table'])
        self.assertEqual(events[1]['method'], 'vacuum')
        self.assertEqual(events[1]['bytes_after'], self.size())
        self.assertLess(self.size(), before * 0.6)
        # Nothing deleted: no reclaim.
        proc = harness.run_ebb(['archive', '--config', conf, '--json'], env=PG.env(self.db))
        pu.assert_ok(self, proc)
        self.assertEqual([json.loads(line)['event'] for line in proc.stdout.splitlines()],
                         ['table'])

    def test_full_without_a_window_is_refused_before_anything_is_archived(self):
        conf = self.config('[table public.ev]\ntime_column = ts\nafter_archive = full\n'
                           'dest = %s\n' % self.dest)
        proc = harness.run_ebb(['archive', '--config', conf], env=PG.env(self.db))
        harness.assert_error(self, proc, 2, 'ebb: error: after-archive of table public.ev: '
                             'VACUUM FULL requires a maintenance window')
        self.assertEqual(PG.query('SELECT count(*) FROM ev', self.db), [(str(ROWS),)])
        conf = self.config('[table public.ev]\ntime_column = ts\nafter_archive = repack\n'
                           'dest = %s\n' % self.dest)
        proc = harness.run_ebb(['archive', '--config', conf], env=PG.env(self.db))
        self.assertEqual(proc.rc, 2, proc.stderr)
        self.assertIn('invalid value "repack" for parameter "after-archive"', proc.stderr)


if __name__ == '__main__':
    unittest.main()
