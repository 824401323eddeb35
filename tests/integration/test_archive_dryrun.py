"""--dry-run prints what a run would archive (one line per window, with row
counts), as text or JSON lines, and touches nothing: no row deleted, no ebb
schema created, nothing written to the destination."""

import json
import os
import re
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


# <db>\t<schema.table>\t[<start>, <end>)\t<N> rows\t~<B> bytes
WINDOW_LINE = re.compile(r'^(?P<db>[^\t]+)\tanalytics\.events\t\[(?P<start>[^,]+), (?P<end>[^)]+)\)'
                         r'\t(?P<rows>\d+) rows\t~(?P<bytes>\d+) bytes$')


class DryRunTest(unittest.TestCase):
    def setUp(self):
        self.db = pu.new_db(PG)
        pu.predictable_events(PG, self.db)
        # 5 extra rows in an old hour, which then holds 6 rows (the others hold one)
        pu.insert_rows(PG, self.db, "date_trunc('hour', now())::timestamp - interval '10 days'"
                       " + make_interval(mins => i)", 5, first=1000)
        self.before = pu.snapshot(PG, self.db)
        dest_url, parent = pu.make_dest(self)
        self.path = os.path.join(parent, 'archive')  # does not exist yet
        self.dest = 'file://' + self.path
        # rows a real run would take: older than the database's now() minus 2 days
        self.expected = pu.count_rows(PG, self.db, "triggered_at < localtimestamp - interval '2 days'")
        self.assertEqual(self.expected, 672 + 5)

    def assert_untouched(self):
        self.assertEqual(pu.snapshot(PG, self.db), self.before)
        self.assertFalse(pu.has_ebb_schema(PG, self.db), 'dry run created the ebb schema')
        self.assertEqual(pu.files_under(self.path) if os.path.exists(self.path) else set(),
                         set())
        harness.assert_oracle(self, self.before, PG, self.db, pu.TABLE, archived=0)

    def test_text(self):
        proc = pu.archive(PG, self.db, self.dest, '--dry-run')
        pu.assert_ok(self, proc)
        lines = proc.stdout.splitlines()
        windows = [WINDOW_LINE.match(l) for l in lines[:-1]]
        self.assertTrue(all(windows), proc.stdout)
        self.assertEqual(sum(int(m['rows']) for m in windows), self.expected)
        self.assertEqual(len(windows), 672, 'one line per hour that holds rows')
        self.assertEqual({m['db'] for m in windows}, {self.db})
        self.assertEqual(sorted(int(m['rows']) for m in windows)[-2:], [1, 6])
        # windows are in order and do not overlap
        self.assertEqual([m['start'] for m in windows], sorted(m['start'] for m in windows))
        self.assertTrue(all(a['end'] <= b['start'] for a, b in zip(windows, windows[1:])))
        self.assertRegex(lines[-1], r'^%s: analytics\.events: would archive %d rows in 672 objects'
                         % (re.escape(self.db), self.expected))
        self.assert_untouched()

    def test_json(self):
        proc = pu.archive(PG, self.db, self.dest, '--dry-run', '--json')
        pu.assert_ok(self, proc)
        events = [json.loads(l) for l in proc.stdout.splitlines()]
        windows = [e for e in events if e['event'] == 'dry_run_window']
        tables = [e for e in events if e['event'] != 'dry_run_window']
        self.assertEqual(len(windows), 672)
        self.assertEqual(sum(w['rows'] for w in windows), self.expected)
        self.assertEqual({(w['database'], w['schema'], w['table']) for w in windows},
                         {(self.db, 'analytics', 'events')})
        # an estimate, but not nothing: the table was never analyzed (reltuples -1)
        self.assertTrue(all(w['estimated_bytes'] > 0 for w in windows),
                        'estimated_bytes: %r' % sorted({w['estimated_bytes'] for w in windows}))
        self.assertEqual(len(tables), 1)
        self.assertEqual((tables[0]['event'], tables[0]['status'], tables[0]['rows']),
                         ('dry_run_table', 'ok', self.expected))
        self.assert_untouched()

    def test_split_windows_are_shown(self):
        # the plan a dry run shows is the real one: the 6-row hour with at most 2 rows per
        # transaction is shown as 3 pieces
        proc = pu.archive(PG, self.db, self.dest, '--dry-run', '--json', '--max-rows-per-txn', 2)
        pu.assert_ok(self, proc)
        windows = [json.loads(l) for l in proc.stdout.splitlines()][:-1]
        self.assertEqual(sum(w['rows'] for w in windows), self.expected)
        self.assertEqual(len(windows), 671 + 3)
        self.assertTrue(all(w['rows'] <= 2 for w in windows))
        self.assert_untouched()


if __name__ == '__main__':
    unittest.main()
