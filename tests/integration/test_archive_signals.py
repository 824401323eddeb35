"""Signals that end a run: SIGHUP (the terminal or a supervisor went away) and SIGPIPE (the
reader of ebb's output went away, as in `ebb archive -v 2>&1 | head -2`) are handled like
SIGTERM: the window in progress rolls back (or, past its COMMIT, stays archived), no other
window starts, the run is recorded as failed with "canceled by a signal", exit status 1.
Under -j the parent forwards the signal to its workers. Before, both signals killed ebb on
the spot and left its run 'running' (SIGPIPE: in the middle of the next message)."""

import os
import signal
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import protocol_util as pu  # noqa: E402

CANCELED = 'canceled by a signal'


def setUpModule():
    global PG
    PG = harness.Cluster()


def tearDownModule():
    PG.stop()


def children(pid):
    """The pids whose parent is pid (ebb's workers)."""
    found = []
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                with open('/proc/%s/stat' % entry) as f:
                    stat = f.read()
            except OSError:
                continue
            if int(stat[stat.rindex(')') + 2:].split()[1]) == pid:
                found.append(int(entry))
    return found


class SignalTest(unittest.TestCase):
    def setUp(self):
        self.db = pu.new_db(PG, 'sg')
        self.dest, self.path = pu.make_dest(self)
        pu.create_events(PG, self.db)
        pu.four_old_hours(PG, self.db)
        self.before = pu.snapshot(PG, self.db)

    def runs(self, db=None):
        return PG.query('SELECT status, message FROM ebb.archive_run ORDER BY started_at',
                        db or self.db)

    def assert_rerun_archives_all(self, db=None):
        db = db or self.db
        pu.assert_ok(self, pu.archive(PG, db, self.dest))
        harness.assert_oracle(self, self.before, PG, db, pu.TABLE, archived=20)

    def test_sighup_mid_window_rolls_back_and_records_the_run_failed(self):
        proc = pu.start_ebb(PG, self.db, self.dest, env={'EBB_TEST_STOP_AT': 'copy:3'})
        self.addCleanup(pu.kill_if_running, proc)
        pu.wait_stopped(proc)  # 3 rows into the first window
        os.kill(proc.pid, signal.SIGHUP)  # pending until it runs again
        os.kill(proc.pid, signal.SIGCONT)
        rc, out, err = pu.finish(proc)
        self.assertEqual(rc, 1, out + err)
        self.assertIn('ebb: error: database "%s": %s' % (self.db, CANCELED), err.splitlines())
        self.assertEqual(self.runs(), [('failed', CANCELED)])
        pu.wait_backends_gone(PG, self.db)
        self.assertEqual(pu.snapshot(PG, self.db), self.before)
        self.assertEqual(pu.ledger(PG, self.db), [])
        self.assertEqual(pu.files_under(self.path), set())
        self.assert_rerun_archives_all()

    def test_sigterm_cancels_a_lock_wait_at_once(self):
        """A window waiting for a lock (here behind a session holding the table) is canceled
        by the signal, not left to wait out --lock-timeout."""
        holder = subprocess.Popen(
            [os.path.join(harness._bindir(), 'psql'), '-X', '-q', '-d', PG.dsn(self.db)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=PG.env(), text=True)
        self.addCleanup(holder.kill)
        holder.stdin.write("BEGIN; LOCK TABLE analytics.events IN ACCESS EXCLUSIVE MODE;"
                           " SELECT 'held';\n")
        holder.stdin.flush()
        while 'held' not in holder.stdout.readline():
            pass
        proc = pu.start_ebb(PG, self.db, self.dest, '--lock-timeout', '10min')
        self.addCleanup(pu.kill_if_running, proc)
        pu.wait_until(lambda: PG.query(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND application_name = 'ebb' AND wait_event_type = 'Lock'", self.db) == [('1',)],
            'ebb waits for the lock')
        os.kill(proc.pid, signal.SIGTERM)
        rc, out, err = pu.finish(proc, timeout=60)
        self.assertEqual(rc, 1, out + err)
        self.assertIn('ebb: error: database "%s": %s' % (self.db, CANCELED), err.splitlines())
        holder.communicate('ROLLBACK;\n', timeout=60)
        self.assertEqual(pu.snapshot(PG, self.db), self.before)
        self.assert_rerun_archives_all()

    def test_sighup_reaches_every_worker(self):
        other = pu.new_db(PG, 'sg')
        pu.create_events(PG, other)
        pu.four_old_hours(PG, other)
        before_other = pu.snapshot(PG, other)
        args = [harness.ebb_bin()] + pu.archive_args(self.dest, '-j', '2', '-d', self.db,
                                                     '-d', other)
        env = dict(PG.env(), EBB_TEST_STOP_AT='copy:3')
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=harness._clean_env(env))
        self.addCleanup(pu.kill_if_running, proc)
        pu.wait_until(lambda: len(children(proc.pid)) == 2, 'ebb starts two workers')
        workers = children(proc.pid)
        for w in workers:  # each 3 rows into its first window
            pu.wait_until(lambda: pu.proc_state(w) == 'T', 'worker %d stops itself' % w)
        os.kill(proc.pid, signal.SIGHUP)  # the parent forwards it as SIGTERM
        pu.wait_until(lambda: all(signal.SIGTERM in pending(w) for w in workers),
                      'the parent forwards the signal')
        for w in workers:
            os.kill(w, signal.SIGCONT)
        rc, out, err = pu.finish(proc)
        self.assertEqual(rc, 1, out + err)
        for db, before in ((self.db, self.before), (other, before_other)):
            self.assertIn('ebb: error: database "%s": %s' % (db, CANCELED), err.splitlines())
            self.assertEqual(self.runs(db), [('failed', CANCELED)])
            pu.wait_backends_gone(PG, db)
            self.assertEqual(pu.snapshot(PG, db), before)
        self.assertEqual(pu.files_under(self.path), set())

    def test_a_closed_output_pipe_cancels_the_run(self):
        # ebb archive -v 2>&1 | head -2: stdout and stderr into one pipe, whose reader reads
        # two lines and goes away while ebb is in its second window
        pu.assert_ok(self, pu.archive(PG, self.db, self.dest, keep_days=7))  # ebb's tables
        read_end, write_end = os.pipe()
        args = [harness.ebb_bin()] + pu.archive_args(self.dest, '-v')
        env = dict(PG.env(self.db), EBB_TEST_STOP_AT='copy:8')
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=write_end,
                                stderr=write_end, env=harness._clean_env(env))
        self.addCleanup(pu.kill_if_running, proc)
        os.close(write_end)
        with os.fdopen(read_end) as reader:
            first = [reader.readline(), reader.readline()]
            pu.wait_stopped(proc)
        # the read end is closed: ebb's next message raises SIGPIPE
        self.assertTrue(first[0].startswith('ebb: info: run '), first)
        self.assertTrue(first[1].startswith('ebb: info: archived 5 rows to '), first)
        os.kill(proc.pid, signal.SIGCONT)
        self.assertEqual(proc.wait(timeout=120), 1)
        # the second window had committed when its message met the closed pipe; no third
        self.assertEqual(self.runs(), [('ok', None), ('failed', CANCELED)])
        self.assertEqual(len(pu.ledger(PG, self.db)), 2)
        harness.assert_oracle(self, self.before, PG, self.db, pu.TABLE, archived=10)
        self.assert_rerun_archives_all()

    def test_a_closed_output_pipe_stops_every_worker_and_starts_no_more(self):
        dbs = [self.db, pu.new_db(PG, 'sg'), pu.new_db(PG, 'sg')]
        befores = {}
        for db in dbs[1:]:
            pu.create_events(PG, db)
            pu.four_old_hours(PG, db)
            befores[db] = pu.snapshot(PG, db)
        for db in dbs:
            pu.assert_ok(self, pu.archive(PG, db, self.dest, keep_days=7))  # ebb's tables
        read_end, write_end = os.pipe()
        args = [harness.ebb_bin()] + pu.archive_args(self.dest, '-v', '-j', '2', '-d', dbs[0],
                                                     '-d', dbs[1], '-d', dbs[2])
        env = dict(PG.env(), EBB_TEST_STOP_AT='copy:8')
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=write_end,
                                stderr=write_end, env=harness._clean_env(env))
        self.addCleanup(pu.kill_if_running, proc)
        os.close(write_end)
        with os.fdopen(read_end) as reader:
            # the parent's first line, then each worker's first window
            lines = [reader.readline() for _ in range(3)]
            pu.wait_until(lambda: len(children(proc.pid)) == 2, 'ebb starts two workers')
            workers = children(proc.pid)
            for w in workers:  # each in its second window
                pu.wait_until(lambda: pu.proc_state(w) == 'T', 'worker %d stops itself' % w)
        self.assertEqual(sum(x.startswith('ebb: info: archived 5 rows to ') for x in lines), 2,
                         lines)
        for w in workers:
            os.kill(w, signal.SIGCONT)
        self.assertEqual(proc.wait(timeout=120), 1)
        for db in dbs[:2]:
            self.assertEqual(self.runs(db), [('ok', None), ('failed', CANCELED)])
            # the first worker to write meets the closed pipe after its second window; the
            # other gets the forwarded signal before or after its second COMMIT
            objects = len(pu.ledger(PG, db))
            self.assertIn(objects, (1, 2))
            harness.assert_oracle(self, self.before if db == self.db else befores[db], PG, db,
                                  pu.TABLE, archived=5 * objects)
        # the third database's worker never started
        self.assertEqual(self.runs(dbs[2]), [('ok', None)])
        self.assertEqual(pu.ledger(PG, dbs[2]), [])


def pending(pid):
    """Signals pending for the process (SigPnd and ShdPnd of /proc/<pid>/status)."""
    mask = 0
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith(('SigPnd:', 'ShdPnd:')):
                mask |= int(line.split()[1], 16)
    return {s for s in signal.Signals if mask & (1 << (s - 1))}


if __name__ == '__main__':
    unittest.main()
