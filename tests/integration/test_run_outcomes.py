"""What ebb.archive_run and `ebb status` say about a run that did not finish.

A run killed (kill -9, the hook EBB_TEST_CRASH_AT) cannot record its outcome: its row stays
'running'. Its table's advisory lock died with its session, so `ebb status` shows it as
'interrupted' (reading pg_locks, never taking the lock), and the next archive run of the
table, once it holds the lock, records it so. A run that is alive (its lock held) stays
'running' in both. Signals that end a run (SIGTERM, SIGINT, SIGHUP, SIGPIPE) let it record
'failed' with "canceled by a signal": see test_archive_signals.py."""

import json
import os
import signal
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


class RunOutcomeTest(unittest.TestCase):
    def setUp(self):
        self.db = pu.new_db(PG, 'ro')
        self.dest, self.path = pu.make_dest(self)
        pu.create_events(PG, self.db)
        pu.four_old_hours(PG, self.db)
        self.before = pu.snapshot(PG, self.db)

    def start(self, env):
        proc = pu.start_ebb(PG, self.db, self.dest, env=env)
        self.addCleanup(pu.kill_if_running, proc)
        return proc

    def last_run(self):
        proc = harness.run_ebb(['status', '--table', pu.TABLE, '--time-column', pu.TIME_COLUMN,
                                '--json'], env=PG.env(self.db))
        self.assertEqual((proc.rc, proc.stderr), (0, ''))
        return json.loads(proc.stdout)['last_run']

    def runs(self):
        return PG.query('SELECT run_id, status, message FROM ebb.archive_run'
                        ' ORDER BY started_at', self.db)

    def test_a_killed_run_is_interrupted_in_status_and_for_the_next_run(self):
        killed = self.start({'EBB_TEST_CRASH_AT': 'copy:3'})  # 3 rows into the first window
        rc, out, err = pu.finish(killed)
        self.assertEqual(rc, -signal.SIGKILL, out + err)
        pu.wait_backends_gone(PG, self.db)
        (killed_id, status), = PG.query('SELECT run_id, status FROM ebb.archive_run', self.db)
        self.assertEqual(status, 'running')  # what it left

        run = self.last_run()
        self.assertEqual((run['run_id'], run['status'], run['finished_at'], run['message']),
                         (killed_id, 'interrupted', None, None))
        proc = harness.run_ebb(['status', '--table', pu.TABLE, '--time-column',
                                pu.TIME_COLUMN], env=PG.env(self.db))
        self.assertRegex(proc.stdout, r'\n  last run: +%s: interrupted, started [^,]+,'
                         r' finished unknown, 0 rows in 0 objects\n' % killed_id)

        # the next run holds the lock (stopped there): the killed run's lock is not the one held
        nxt = self.start({'EBB_TEST_STOP_AT': 'locked'})
        pu.wait_stopped(nxt)
        self.assertEqual(self.last_run()['status'], 'interrupted')
        self.assertEqual(self.runs(), [(killed_id, 'running', None)])
        os.kill(nxt.pid, signal.SIGCONT)
        rc, out, err = pu.finish(nxt)
        self.assertEqual(rc, 0, out + err)
        (nxt_id,), = PG.query("SELECT run_id FROM ebb.archive_run WHERE status = 'ok'", self.db)
        self.assertEqual(self.runs(), [
            (killed_id, 'interrupted', 'ended without recording its outcome; found by run %s'
             % nxt_id),
            (nxt_id, 'ok', None)])
        harness.assert_oracle(self, self.before, PG, self.db, pu.TABLE, archived=20)

    def test_a_run_killed_after_commits_counts_them(self):
        killed = self.start({'EBB_TEST_CRASH_AT': 'after-commit:2'})
        rc, out, err = pu.finish(killed)
        self.assertEqual(rc, -signal.SIGKILL, out + err)
        pu.wait_backends_gone(PG, self.db)
        run = self.last_run()
        self.assertEqual((run['status'], run['rows'], run['objects']), ('interrupted', 10, 2))
        proc = harness.run_ebb(['status', '--table', pu.TABLE, '--time-column',
                                pu.TIME_COLUMN], env=PG.env(self.db))
        self.assertRegex(proc.stdout, r'\n  last run: +\S+: interrupted, started [^,]+,'
                         r' finished unknown, 10 rows in 2 objects\n')

    def test_a_live_run_stays_running(self):
        live = self.start({'EBB_TEST_STOP_AT': 'copy:8'})  # in its second window
        pu.wait_stopped(live)
        (live_id,), = PG.query('SELECT run_id FROM ebb.archive_run', self.db)
        run = self.last_run()
        # what its committed first window put in the ledger, not its row's zeros
        self.assertEqual((run['run_id'], run['status'], run['rows'], run['objects']),
                         (live_id, 'running', 5, 1))
        # another ebb finds the table busy and leaves the live run's row alone
        proc = pu.archive(PG, self.db, self.dest)
        self.assertEqual(proc.rc, 3, proc.stdout + proc.stderr)
        self.assertEqual(self.runs(), [(live_id, 'running', None)])

        os.kill(live.pid, signal.SIGCONT)
        rc, out, err = pu.finish(live)
        self.assertEqual(rc, 0, out + err)
        self.assertEqual(self.runs(), [(live_id, 'ok', None)])
        self.assertEqual(self.last_run()['status'], 'ok')
        harness.assert_oracle(self, self.before, PG, self.db, pu.TABLE, archived=20)


if __name__ == '__main__':
    unittest.main()
