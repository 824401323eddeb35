"""The table's advisory lock: while another session (psql, or a real second
ebb) holds it, ebb skips the table with a clear message, exit status 3 and
nothing deleted; two ebb runs on two different tables proceed side by side."""

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


OTHER = 'analytics.other_events'


def lock_key_sql(table):
    """The lock's second key: the table's oid folded into int4, as ebb does."""
    return ('SELECT (c.oid::int8 - CASE WHEN c.oid::int8 > 2147483647 THEN 4294967296'
            ' ELSE 0 END)::int4 FROM pg_class c WHERE c.oid = %s::regclass'
            % harness.quote_literal(table))


def table_locks(db):
    """Granted advisory locks of ebb's table class in db."""
    return int(PG.query("SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database"
                        " WHERE l.locktype = 'advisory' AND l.classid = %d AND l.objsubid = 2"
                        " AND l.granted AND d.datname = %s"
                        % (pu.LOCK_CLASS, harness.quote_literal(db)))[0][0])


def busy_line(db, table=pu.TABLE):
    return ('ebb: warning: database "%s": table "%s" is being archived by another ebb'
            % (db, table))


class ConcurrencyTest(unittest.TestCase):
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

    def assert_skipped_busy(self, proc):
        """ebb skipped the table as busy and deleted nothing."""
        self.assertEqual(proc.rc, 3, proc.stdout + proc.stderr)
        self.assertIn(busy_line(self.db), proc.stderr.splitlines())
        self.assertEqual(pu.snapshot(PG, self.db), self.before)
        self.assertEqual(pu.ledger(PG, self.db), [])
        self.assertEqual(pu.files_under(self.path), set())

    def assert_archived(self, table=pu.TABLE, before=None):
        entries = pu.ledger(PG, self.db, table)
        self.assertEqual(sum(e['rows'] for e in entries), 20)
        left, archived = harness.assert_oracle(self, before or self.before, PG, self.db, table)
        self.assertEqual((pu.sum_counter(left), pu.sum_counter(archived)), (3, 20))

    def test_lock_held_by_a_session(self):
        (key,), = PG.query(lock_key_sql(pu.TABLE), self.db)
        holder = subprocess.Popen([str(PG.bindir / 'psql'), '-X', '-q', '-At', '-v',
                                   'ON_ERROR_STOP=1', '-d', PG.dsn(self.db)],
                                  stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                  env=harness._clean_env(), text=True)
        self.addCleanup(pu.kill_if_running, holder)
        holder.stdin.write('SELECT pg_advisory_lock(%d, %s);\n' % (pu.LOCK_CLASS, key))
        holder.stdin.flush()
        pu.wait_until(lambda: table_locks(self.db) == 1, 'psql holds the lock')

        self.assert_skipped_busy(pu.archive(PG, self.db, self.dest))

        holder.stdin.close()  # psql exits, its session ends, the lock goes
        self.assertEqual(holder.wait(timeout=60), 0)
        pu.wait_until(lambda: table_locks(self.db) == 0, 'the lock is released')
        pu.assert_ok(self, pu.archive(PG, self.db, self.dest))
        self.assert_archived()

    def test_second_ebb_skips(self):
        a = self.start(env={'EBB_TEST_STOP_AT': 'locked'})
        pu.wait_stopped(a)  # A holds the table's lock and has archived nothing yet
        self.assertEqual(table_locks(self.db), 1)

        self.assert_skipped_busy(pu.archive(PG, self.db, self.dest))

        os.kill(a.pid, signal.SIGCONT)
        rc, out, err = pu.finish(a)
        self.assertEqual(rc, 0, out + err)
        self.assertIn('archived 20 rows in 4 objects', out)
        self.assert_archived()

    def test_two_tables_at_once(self):
        pu.create_events(PG, self.db, OTHER)
        pu.insert_rows(PG, self.db, "now()::timestamp - interval '7 days'"
                       " + make_interval(mins => i * 7)", 20, table=OTHER)
        pu.insert_rows(PG, self.db, "now()::timestamp - make_interval(hours => i - 100)", 3,
                       table=OTHER, first=100)
        other_before = pu.snapshot(PG, self.db, OTHER)
        # both stop right after taking their lock: both hold one at the same time
        procs = [self.start(table=t, env={'EBB_TEST_STOP_AT': 'locked'})
                 for t in (pu.TABLE, OTHER)]
        for p in procs:
            pu.wait_stopped(p)
        self.assertEqual(table_locks(self.db), 2)
        for p in procs:
            os.kill(p.pid, signal.SIGCONT)
        for p in procs:
            rc, out, err = pu.finish(p)
            self.assertEqual(rc, 0, out + err)
            self.assertIn('archived 20 rows', out)
        self.assert_archived()
        self.assert_archived(OTHER, other_before)
        for table in (pu.TABLE, OTHER):
            for e in pu.ledger(PG, self.db, table):
                pu.assert_manifest_matches(self, self.path, e)


if __name__ == '__main__':
    unittest.main()
