"""Partition removal under load. A long transaction holding a lock on the
parent: each plain DETACH waits no longer than --detach-timeout, is retried
with backoff, and the run reports the failure (the partition stays archived
and attached; the next run finishes it). Meanwhile a concurrent workload
(pgbench: inserts into the current partition, reads of the parent) is never
blocked for long: its worst latency is reported and bounded loosely (a
structural check that waits are cut short, not a benchmark). Twenty
repetitions of archive-and-drop under that workload: no deadlock, no failed
workload transaction."""

import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import protocol_util as pu  # noqa: E402
import test_partition_archive as tpa  # noqa: E402

PG = None
TABLE = 'public.ev'

WORKLOAD = """\\set n random(1, 1000000)
BEGIN;
INSERT INTO ev (ts, payload) VALUES (now(), 'live ' || :n);
SELECT count(*) FROM ev WHERE ts > now() - interval '5 minutes';
END;
"""


def setUpModule():
    global PG
    PG = harness.Cluster()
    tpa.PG = PG


def tearDownModule():
    PG.stop()


class Workload:
    """pgbench running WORKLOAD on 2 clients until stopped; per-transaction
    latencies from its log."""

    def __init__(self, db):
        self.dir = tempfile.mkdtemp(prefix='ebb-pgbench-', dir=harness._tmp_parent())
        os.chmod(self.dir, 0o777)
        script = os.path.join(self.dir, 'w.sql')
        with open(script, 'w') as f:
            f.write(WORKLOAD)
        self.proc = subprocess.Popen(
            [os.path.join(harness._bindir(), 'pgbench'), '-n', '-c', '2', '-T', '600', '-f',
             script, '-l', '--log-prefix', os.path.join(self.dir, 'lat'), PG.dsn(db)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=PG.env(),
            cwd=self.dir)

    def stop(self):
        self.proc.send_signal(2)  # SIGINT: pgbench reports and flushes its logs
        out, err = self.proc.communicate(timeout=60)
        lat = []
        for name in os.listdir(self.dir):
            if name.startswith('lat'):
                with open(os.path.join(self.dir, name)) as f:
                    lat += [int(line.split()[2]) for line in f if len(line.split()) > 2]
        failed = 'ERROR' in err or 'aborted' in err
        return lat, failed, err


class LockTest(unittest.TestCase):
    def setUp(self):
        self.db = pu.new_db(PG, 'plock')
        self.dest, self.root = pu.make_dest(self)

    def archive(self, *extra, **kw):
        return pu.archive(PG, self.db, self.dest, *extra, table=TABLE, time_column='ts', **kw)

    def hold_parent(self):
        """A psql session inside a transaction that has read the parent (and so holds
        ACCESS SHARE locks on it and its partitions) until it is sent COMMIT."""
        holder = subprocess.Popen(
            [os.path.join(harness._bindir(), 'psql'), '-X', '-q', '-d', PG.dsn(self.db)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=PG.env(),
            text=True)
        self.addCleanup(holder.kill)
        holder.stdin.write("BEGIN; SELECT count(*) FROM ev; SELECT 'held';\n")
        holder.stdin.flush()
        while 'held' not in holder.stdout.readline():
            pass
        return holder

    def test_long_transaction_on_the_parent(self):
        tpa.daily_partitions(self.db, days=4)
        gone = tpa.expired(self.db)
        holder = self.hold_parent()
        work = Workload(self.db)
        proc = self.archive('--detach-timeout', '200ms', '--detach-retries', '3')
        lat, failed, err = work.stop()
        holder.communicate('COMMIT;\n', timeout=60)
        # the run failed cleanly after 4 attempts, each cut at the detach timeout
        self.assertEqual(proc.rc, 1, proc.stderr)
        self.assertEqual(proc.stderr.count('DETACH waited for a lock'), 3, proc.stderr)
        self.assertIn('ebb: hint: Another transaction holds a lock on public.ev. The partition'
                      ' is archived; the next run detaches and drops it.', proc.stderr)
        # archived, still attached: nothing dropped, nothing lost
        self.assertEqual(PG.query('SELECT partition_name, partition_state FROM ebb.archive_ledger'
                                  ' WHERE partition_name IS NOT NULL', self.db),
                         [('public.' + gone[0], 'archived')])
        self.assertIn(gone[0], tpa.leaves(self.db))
        # the workload went on: no failure, and no transaction waited anywhere near the
        # whole run (4 x 200ms of queueing at most, plus a loaded machine's slack)
        self.assertFalse(failed, err)
        self.assertGreater(len(lat), 10)
        worst_ms = max(lat) / 1000.0
        print('\nworst workload latency under a blocked DETACH: %.1f ms (%d transactions)'
              % (worst_ms, len(lat)), file=sys.stderr)
        self.assertLess(worst_ms, 5000)
        # the lock is gone: the next run converges
        before = harness.table_rows_csv(PG, self.db, TABLE)
        pu.assert_ok(self, self.archive())
        self.assertEqual(sorted(set(tpa.leaves(self.db)) & set(gone)), [])
        harness.assert_oracle(self, before, PG, self.db, TABLE)

    def test_concurrently_waits_for_an_old_snapshot(self):
        """Without a DEFAULT, DETACH ... CONCURRENTLY: its second phase waits for
        transactions that still see the partition, each attempt cut at the
        session's lock_timeout; the partition is left 'detach pending', which
        ebb finishes with FINALIZE once the transaction is gone."""
        tpa.daily_partitions(self.db, days=4, default=False)
        gone = tpa.expired(self.db)
        holder = self.hold_parent()
        work = Workload(self.db)
        proc = self.archive('--lock-timeout', '200ms', '--detach-retries', '2')
        lat, failed, err = work.stop()
        # the partition's rows are in the ledger's object; the workload's rows in the table
        before = harness.table_rows_csv(PG, self.db, TABLE) + harness.archived_rows(
            PG, self.db, TABLE)
        self.assertEqual(proc.rc, 1, proc.stderr)
        self.assertIn('could not detach partition public.%s' % gone[0], proc.stderr)
        self.assertEqual(PG.query("SELECT inhdetachpending FROM pg_inherits WHERE inhrelid = %s"
                                  "::regclass" % harness.quote_literal(gone[0]), self.db),
                         [('t',)])
        self.assertFalse(failed, err)
        print('\nworst workload latency under a waiting DETACH CONCURRENTLY: %.1f ms'
              % (max(lat) / 1000.0), file=sys.stderr)
        self.assertLess(max(lat) / 1000.0, 5000)
        holder.communicate('COMMIT;\n', timeout=60)
        pu.assert_ok(self, self.archive())
        self.assertEqual(sorted(set(tpa.leaves(self.db)) & set(gone)), [])
        harness.assert_oracle(self, before, PG, self.db, TABLE)

    def test_twenty_runs_under_load(self):
        """Each repetition keeps one day less, so one more day's partition
        expires; ebb archives and drops it while the workload runs."""
        tpa.daily_partitions(self.db, days=22, every='30 min')
        work = Workload(self.db)
        try:
            for keep in range(21, 1, -1):
                proc = self.archive('--detach-timeout', '100ms', keep_days=keep)
                self.assertEqual(proc.rc, 0, proc.stderr)
                self.assertNotIn('deadlock', proc.stderr)
        finally:
            lat, failed, err = work.stop()
        self.assertFalse(failed, err)
        self.assertGreater(len(lat), 10, err)
        self.assertNotIn('deadlock', err)
        whole = PG.query('SELECT count(*) FROM ebb.archive_ledger WHERE partition_state ='
                         " 'dropped'", self.db)
        self.assertGreaterEqual(int(whole[0][0]), 19)
        print('\nworst workload latency over 20 runs: %.1f ms (%d transactions)'
              % (max(lat) / 1000.0, len(lat)), file=sys.stderr)


if __name__ == '__main__':
    unittest.main()
