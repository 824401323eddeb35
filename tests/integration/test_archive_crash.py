"""kill -9 of ebb at every stage of the protocol (EBB_TEST_CRASH_AT=stage[:n]),
on the first window and on a later one: what the crash leaves is consistent
(rolled back before COMMIT, kept after it, at most an orphan object or a temp
file beside), and a re-run without the hook finishes the job with nothing lost
or duplicated and the missing manifests written."""

import os
import re
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


ROWS_PER_HOUR, HOURS, RECENT = 5, 4, 3
OLD_TS = ("date_trunc('hour', now())::timestamp - interval '5 days'"
          " + make_interval(mins => i * 12)")  # 5 rows in each of 4 hours
RECENT_TS = "now()::timestamp - make_interval(hours => i - 100)"  # rows that stay
TMP_RE = re.compile(r'^(?P<key>.+)\.tmp(?P<pid>\d+)$')


class CrashTest(unittest.TestCase):
    def setUp(self):
        self.db = pu.new_db(PG)
        self.dest, self.path = pu.make_dest(self)
        pu.create_events(PG, self.db)
        pu.insert_rows(PG, self.db, OLD_TS, ROWS_PER_HOUR * HOURS)
        pu.insert_rows(PG, self.db, RECENT_TS, RECENT, first=100)
        self.before = pu.snapshot(PG, self.db)

    def crash(self, spec):
        """Runs ebb with the crash hook; returns (pid, run id) of the killed run."""
        proc = pu.start_ebb(PG, self.db, self.dest, env={'EBB_TEST_CRASH_AT': spec})
        self.addCleanup(pu.kill_if_running, proc)
        rc, out, err = pu.finish(proc)
        self.assertEqual(rc, -signal.SIGKILL, 'ebb was not killed at %s:\n%s%s' % (spec, out, err))
        pu.wait_backends_gone(PG, self.db)  # the server rolls back the killed session
        (run_id,), = PG.query("SELECT run_id FROM ebb.archive_run WHERE status = 'running'",
                              self.db)
        return proc.pid, run_id

    def assert_leftovers_are_orphans(self, pid, run_id):
        """Files no ledger row names are the killed run's orphan objects (without a
        manifest) or its temp files; returns them as (orphans, temps)."""
        entries = pu.ledger(PG, self.db)
        keys = {e['object_key'] for e in entries}
        orphans, temps = set(), set()
        for f in pu.leftovers(self.path, entries):
            m = TMP_RE.match(f)
            if m:
                self.assertEqual(int(m['pid']), pid, 'temp file of another process: %s' % f)
                self.assertEqual(pu.parse_key(m['key'])['run'], run_id, f)
                temps.add(f)
            else:
                self.assertEqual(pu.parse_key(f)['run'], run_id, 'unexpected file %s' % f)
                self.assertNotIn(f, keys)
                orphans.add(f)
        self.assertFalse(any(o + '.manifest.json' in pu.files_under(self.path) for o in orphans))
        return orphans, temps

    def manifest_path(self, entry):
        return os.path.join(self.path, entry['object_key'] + '.manifest.json')

    def crash_and_recover(self, stage, n=1):
        spec = '%s:%d' % (stage, n)
        pid, crashed_run = self.crash(spec)

        # --- what the crash left ---
        # committed windows: those finished before the crash, plus the current one
        # when it died after its COMMIT
        if stage == 'copy':
            committed = (n - 1) // ROWS_PER_HOUR
        else:
            committed = n if stage == 'after-commit' else n - 1
        entries = pu.ledger(PG, self.db)
        self.assertEqual([e['rows'] for e in entries], [ROWS_PER_HOUR] * committed)
        # a manifest flag never lies; a manifest may exist before its flag is committed
        for e in entries:
            if e['manifest_written'] or os.path.exists(self.manifest_path(e)):
                pu.assert_manifest_matches(self, self.path, e)
        if stage == 'after-commit':
            # killed between the COMMIT and the manifest
            self.assertFalse(entries[-1]['manifest_written'])
            self.assertFalse(os.path.exists(self.manifest_path(entries[-1])))
        # rows are gone exactly when their object is in the ledger
        harness.assert_oracle(self, self.before, PG, self.db, pu.TABLE,
                              archived=ROWS_PER_HOUR * committed)
        self.assertEqual(pu.count_rows(PG, self.db),
                         ROWS_PER_HOUR * (HOURS - committed) + RECENT)
        orphans, temps = self.assert_leftovers_are_orphans(pid, crashed_run)
        self.assertEqual((len(orphans), len(temps)), {
            'copy': (0, 1),                # killed while writing the temp file
            'object-written': (1, 0),      # stored, not in the ledger
            'before-commit': (1, 0),       # in the rolled-back ledger row only
            'after-commit': (0, 0)}[stage])

        # --- the re-run finishes the job ---
        proc = pu.archive(PG, self.db, self.dest)
        pu.assert_ok(self, proc)
        entries = pu.ledger(PG, self.db)
        self.assertEqual(sum(e['rows'] for e in entries), ROWS_PER_HOUR * HOURS)
        self.assertEqual(len(entries), HOURS)
        self.assertTrue(all(e['manifest_written'] for e in entries))
        for e in entries:
            pu.assert_manifest_matches(self, self.path, e)
        left, archived = harness.assert_oracle(self, self.before, PG, self.db, pu.TABLE,
                                               archived=ROWS_PER_HOUR * HOURS)
        self.assertEqual((pu.sum_counter(left), pu.sum_counter(archived)),
                         (RECENT, ROWS_PER_HOUR * HOURS))
        self.assertEqual(max(archived.values()), 1, 'a row is in two objects')
        self.assertEqual(self.assert_leftovers_are_orphans(pid, crashed_run), (orphans, temps))

    def test_copy_first_row(self):
        self.crash_and_recover('copy', 1)

    def test_copy_later_window(self):
        self.crash_and_recover('copy', 13)  # 3rd row of the 3rd window

    def test_object_written(self):
        self.crash_and_recover('object-written', 1)

    def test_object_written_later_window(self):
        self.crash_and_recover('object-written', 3)

    def test_before_commit(self):
        self.crash_and_recover('before-commit', 1)

    def test_before_commit_later_window(self):
        self.crash_and_recover('before-commit', 3)

    def test_after_commit(self):
        self.crash_and_recover('after-commit', 1)

    def test_after_commit_later_window(self):
        self.crash_and_recover('after-commit', 3)


if __name__ == '__main__':
    unittest.main()
