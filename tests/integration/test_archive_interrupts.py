"""Interruptions in the middle of a window: a signal (SIGTERM), a lost session at COMMIT, a
row lock that outlasts lock_timeout. Each rolls the window back: nothing is deleted that is not
in a committed object, no object is left that the ledger does not name, and a later run
archives everything (the row oracle holds throughout)."""

import os
import signal
import subprocess
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


class InterruptTest(unittest.TestCase):
    def setUp(self):
        self.db = pu.new_db(PG)
        self.dest, self.path = pu.make_dest(self)
        pu.create_events(PG, self.db)
        pu.four_old_hours(PG, self.db)
        self.before = pu.snapshot(PG, self.db)

    def start(self, *extra, **kw):
        proc = pu.start_ebb(PG, self.db, self.dest, *extra, **kw)
        self.addCleanup(pu.kill_if_running, proc)
        return proc

    def assert_nothing_archived(self):
        pu.wait_backends_gone(PG, self.db)
        self.assertEqual(pu.snapshot(PG, self.db), self.before)
        self.assertEqual(pu.ledger(PG, self.db), [])
        self.assertEqual(pu.files_under(self.path), set())

    def assert_rerun_archives_all(self):
        pu.assert_ok(self, pu.archive(PG, self.db, self.dest))
        left, archived = harness.assert_oracle(self, self.before, PG, self.db, pu.TABLE)
        self.assertEqual((pu.sum_counter(left), pu.sum_counter(archived)), (3, 20))

    def test_sigterm_mid_window_rolls_back(self):
        proc = self.start(env={'EBB_TEST_STOP_AT': 'copy:3'})  # 3 rows into the first window
        pu.wait_stopped(proc)
        os.kill(proc.pid, signal.SIGTERM)  # pending until it runs again
        os.kill(proc.pid, signal.SIGCONT)
        rc, out, err = pu.finish(proc)
        self.assertEqual(rc, 1, out + err)
        self.assertIn('ebb: error: database "%s": canceled by a signal' % self.db,
                      err.splitlines())
        self.assert_nothing_archived()
        self.assert_rerun_archives_all()

    def test_session_lost_before_commit(self):
        proc = self.start(env={'EBB_TEST_STOP_AT': 'before-commit'})
        pu.wait_stopped(proc)  # object stored and verified, ledger row inserted, no COMMIT yet
        (n,), = PG.query("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                         " WHERE datname = %s AND application_name = 'ebb'"
                         % harness.quote_literal(self.db))
        self.assertEqual(n, '1')
        pu.wait_backends_gone(PG, self.db)
        os.kill(proc.pid, signal.SIGCONT)
        rc, out, err = pu.finish(proc)
        self.assertEqual(rc, 1, out + err)
        # ebb asked the ledger on a new session: not committed, so its object is removed
        self.assertIn('ebb: error: database "%s": connection lost during COMMIT; the window was'
                      ' rolled back' % self.db, err.splitlines())
        self.assert_nothing_archived()
        self.assert_rerun_archives_all()

    def test_row_lock_beyond_lock_timeout(self):
        # a session holds a row of the third old hour
        holder = subprocess.Popen([str(PG.bindir / 'psql'), '-X', '-q', '-At', '-v',
                                   'ON_ERROR_STOP=1', '-d', PG.dsn(self.db)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  env=harness._clean_env(), text=True)
        self.addCleanup(pu.kill_if_running, holder)
        holder.stdin.write("BEGIN; SELECT id FROM analytics.events WHERE id = 12 FOR UPDATE;\n"
                           "\\echo locked\n")
        holder.stdin.flush()
        self.assertEqual(holder.stdout.readline().strip(), '12')
        self.assertEqual(holder.stdout.readline().strip(), 'locked')

        proc = pu.archive(PG, self.db, self.dest, '--lock-timeout', '200ms')
        self.assertEqual(proc.rc, 1, proc.stdout + proc.stderr)
        self.assertIn('lock timeout', proc.stderr)
        self.assertIn('archived 10 rows in 2 objects before failing', proc.stdout)
        # the two hours before the locked row's are archived; its hour and the next are not
        # (ebb rolled its window back before it exited; the holder's session is still there)
        left, archived = harness.assert_oracle(self, self.before, PG, self.db, pu.TABLE)
        self.assertEqual((pu.sum_counter(left), pu.sum_counter(archived)), (13, 10))
        self.assertEqual(len(pu.files_under(self.path)), 4)  # 2 objects, 2 manifests

        holder.stdin.write('ROLLBACK;\n')
        holder.stdin.close()
        self.assertEqual(holder.wait(timeout=60), 0)
        self.assert_rerun_archives_all()


if __name__ == '__main__':
    unittest.main()
