"""Rows inserted late into an hour that was already archived: the next run
archives them under a new key (its own run id) beside the old object, which
stays untouched, and the oracle holds over both runs."""

import os
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


# 3 rows in each of the 6 hours from 10 days ago, plus 2 recent rows that stay
FIRST_TS = ("date_trunc('hour', now())::timestamp - interval '10 days'"
            " + make_interval(mins => (i / 3) * 60 + (i % 3) * 10 + 5)")
RECENT_TS = "now()::timestamp - make_interval(mins => i * 10)"


class LateRowsTest(unittest.TestCase):
    def test_late_rows_get_a_new_key(self):
        db = pu.new_db(PG)
        dest, path = pu.make_dest(self)
        pu.create_events(PG, db)
        pu.insert_rows(PG, db, FIRST_TS, 18)
        pu.insert_rows(PG, db, RECENT_TS, 2, first=100)
        before = pu.snapshot(PG, db)

        pu.assert_ok(self, pu.archive(PG, db, dest))
        first = pu.ledger(PG, db)
        self.assertEqual([e['rows'] for e in first], [3] * 6)
        first_sha = {e['object_key']: pu.sha256_file(os.path.join(path, e['object_key']))
                     for e in first}
        first_files = pu.files_under(path)

        # late rows into the 2nd and the 5th archived hour (2 and 4 rows), at times
        # before, between and equal to the archived ones
        remaining = pu.snapshot(PG, db)
        late_hours = [first[1], first[4]]
        for n, e in zip((2, 4), late_hours):
            pu.insert_rows(PG, db, "%s::timestamp + make_interval(mins => (i - 500) * 5)"
                           % harness.quote_literal(e['window_start']), n, first=500)
        before += pu.snapshot(PG, db) - remaining  # the late rows join the oracle's "before"
        self.assertEqual(pu.sum_counter(before), 20 + 6)

        proc = pu.archive(PG, db, dest)
        pu.assert_ok(self, proc)
        self.assertIn('archived 6 rows in 2 objects', proc.stdout)
        entries = pu.ledger(PG, db)
        self.assertEqual(entries[:6], first, 'the first run\'s ledger rows are unchanged')
        new = entries[6:]
        self.assertEqual([e['rows'] for e in new], [2, 4])
        (run1,) = {e['run_id'] for e in first}
        (run2,) = {e['run_id'] for e in new}
        self.assertNotEqual(run1, run2)
        for old, e in zip(late_hours, new):
            k_old, k_new = pu.parse_key(old['object_key']), pu.parse_key(e['object_key'])
            # same hour directory and window, a different object
            self.assertEqual((k_new['dt'], k_new['hour'], k_new['run']),
                             (k_old['dt'], k_old['hour'], run2))
            self.assertEqual((e['window_start'], e['window_end']),
                             (old['window_start'], old['window_end']))
            self.assertNotEqual(e['object_key'], old['object_key'])
            pu.assert_manifest_matches(self, path, e)
        # the first run's objects and manifests are untouched
        self.assertEqual({k: pu.sha256_file(os.path.join(path, k)) for k in first_sha},
                         first_sha)
        for e in first:
            pu.assert_manifest_matches(self, path, e)
        self.assertTrue(first_files < pu.files_under(path))
        self.assertEqual(pu.leftovers(path, entries), set())

        left, archived = harness.assert_oracle(self, before, PG, db, pu.TABLE)
        self.assertEqual((pu.sum_counter(left), pu.sum_counter(archived)), (2, 24))


if __name__ == '__main__':
    unittest.main()
