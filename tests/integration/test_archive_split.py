"""Windows that hold too many rows are split (--max-rows-per-txn); rows that
share one timestamp beyond the limit are archived anyway, with a warning; and
years of empty hours are skipped through the index, not probed hour by hour."""

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


HOUR = "date_trunc('hour', now())::timestamp - interval '5 days'"


class SplitTest(unittest.TestCase):
    def setUp(self):
        self.db = pu.new_db(PG)
        self.dest, self.path = pu.make_dest(self)
        pu.create_events(PG, self.db)

    def archive_and_check(self, *extra):
        """Archives; asserts success and the oracle; returns (proc, ledger)."""
        before = pu.snapshot(PG, self.db)
        proc = pu.archive(PG, self.db, self.dest, *extra)
        pu.assert_ok(self, proc)
        entries = pu.ledger(PG, self.db)
        left, archived = harness.assert_oracle(self, before, PG, self.db, pu.TABLE)
        self.assertEqual(pu.sum_counter(archived), sum(e['rows'] for e in entries))
        for e in entries:
            pu.assert_manifest_matches(self, self.path, e)
        self.assertEqual(pu.leftovers(self.path, entries), set())
        return proc, entries, left

    def test_full_hour_is_split(self):
        # 1000 distinct timestamps 3.6 s apart fill one hour
        pu.insert_rows(PG, self.db, HOUR + " + make_interval(secs => i * 3.6)", 1000)
        proc, entries, left = self.archive_and_check('--max-rows-per-txn', 300)
        self.assertEqual(pu.sum_counter(left), 0)
        self.assertGreaterEqual(len(entries), 4)
        self.assertTrue(all(0 < e['rows'] <= 300 for e in entries), [e['rows'] for e in entries])
        self.assertEqual(sum(e['rows'] for e in entries), 1000)
        keys = [pu.parse_key(e['object_key']) for e in entries]
        # all pieces belong to the same hour (directory and ledger window), each its own key
        self.assertEqual(len({(k['dt'], k['hour']) for k in keys}), 1)
        self.assertEqual(len({(e['window_start'], e['window_end']) for e in entries}), 1)
        self.assertEqual(len({k['start'] for k in keys}), len(entries))
        self.assertNotIn('warning', proc.stderr)

    def test_one_timestamp_beyond_the_limit(self):
        # 500 rows at one instant, between 30 rows before and 30 after in the same hour
        pu.insert_rows(PG, self.db, HOUR + " + interval '30 minutes'", 500)
        pu.insert_rows(PG, self.db, HOUR + " + make_interval(secs => i)", 30, first=1000)
        pu.insert_rows(PG, self.db, HOUR + " + make_interval(mins => 31, secs => i)", 30,
                       first=2000)
        proc, entries, left = self.archive_and_check('--max-rows-per-txn', 100)
        self.assertEqual(pu.sum_counter(left), 0)
        self.assertIn('ebb: warning: more than 100 rows of table "analytics.events" share one'
                      ' timestamp; archiving them in one transaction', proc.stderr.splitlines())
        self.assertEqual(sorted(e['rows'] for e in entries), [30, 30, 500])

    def test_sparse_table_skips_empty_hours(self):
        # 3 rows 5 years apart (about 43800 empty hours between each) and 1 row yesterday
        pu.insert_rows(PG, self.db, "now()::timestamp - make_interval(years => 5 * i)", 3,
                       first=1)
        pu.insert_rows(PG, self.db, "now()::timestamp - interval '1 day'", 1, first=100)
        before = pu.snapshot(PG, self.db)
        pu.wait_backends_gone(PG, self.db)  # a session flushes its statistics as it ends
        scans_before = pu.table_scans(PG, self.db)

        proc = pu.archive(PG, self.db, self.dest)
        pu.assert_ok(self, proc)
        pu.wait_backends_gone(PG, self.db)
        scans = pu.table_scans(PG, self.db) - scans_before
        # a query per empty hour would be ~130000 scans; 0 would mean we measured nothing
        self.assertTrue(0 < scans < 50, 'ebb scanned the table %d times' % scans)

        entries = pu.ledger(PG, self.db)
        self.assertEqual([e['rows'] for e in entries], [1, 1, 1])
        years = sorted(int(pu.parse_key(e['object_key'])['dt'][:4]) for e in entries)
        self.assertEqual([years[1] - years[0], years[2] - years[1]], [5, 5])
        left, archived = harness.assert_oracle(self, before, PG, self.db, pu.TABLE)
        self.assertEqual((pu.sum_counter(left), pu.sum_counter(archived)), (1, 3))


if __name__ == '__main__':
    unittest.main()
