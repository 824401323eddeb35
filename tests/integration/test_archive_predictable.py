"""The predictable data set (one row per hour for the last 30 days) archived
with keep-days 2: exactly 48 rows stay, 672 go to 672 hourly objects laid out
Hive-style with a manifest each; a second run archives nothing new;
keep-days -1 archives nothing; gzip and no compression round-trip too."""

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


class PredictableTest(unittest.TestCase):
    def setUp(self):
        self.db = pu.new_db(PG)
        pu.predictable_events(PG, self.db)
        self.before = pu.snapshot(PG, self.db)
        self.dest, self.path = pu.make_dest(self)

    def archive(self, *extra, **kw):
        return pu.archive(PG, self.db, self.dest, *extra, **kw)

    def test_keep_two_days_then_nothing_new(self):
        proc = self.archive()
        pu.assert_ok(self, proc)
        self.assertEqual(pu.count_rows(PG, self.db), 48)
        entries = pu.ledger(PG, self.db)
        self.assertEqual(len(entries), 672)
        self.assertEqual(sum(e['rows'] for e in entries), 672)
        self.assertEqual(len({e['run_id'] for e in entries}), 1)
        self.assertIn('%s: analytics.events: archived 672 rows in 672 objects' % self.db,
                      proc.stdout)
        hours = set()
        for e in entries:
            self.check_object(e)
            k = pu.parse_key(e['object_key'])
            hours.add((k['dt'], k['hour']))
        self.assertEqual(len(hours), 672, 'one object per hour')
        # nothing else in the destination: no temp files, no stray objects
        self.assertEqual(pu.leftovers(self.path, entries), set())

        # a second run finds nothing left to archive and changes nothing
        files = pu.files_under(self.path)
        proc = self.archive()
        pu.assert_ok(self, proc)
        self.assertIn('%s: analytics.events: archived 0 rows in 0 objects' % self.db,
                      proc.stdout)
        self.assertEqual(pu.ledger(PG, self.db), entries)
        self.assertEqual(pu.files_under(self.path), files)
        self.assertEqual(pu.count_rows(PG, self.db), 48)

        left, archived = harness.assert_oracle(self, self.before, PG, self.db, pu.TABLE,
                                               archived=672)
        self.assertEqual((pu.sum_counter(left), pu.sum_counter(archived)), (48, 672))
        # the cut is in time: every row left is newer than every row archived
        self.assertLess(max(r[1] for r in archived), min(r[1] for r in left))

    def check_object(self, e):
        """Layout, manifest and contents of one ledger object."""
        k = pu.parse_key(e['object_key'])
        self.assertEqual((k['db'], k['table'], k['run'], k['ext']),
                         (self.db, 'analytics.events', e['run_id'], 'csv.zst'))
        # the key's start is the window's start: its date and hour are the dt= and hour=
        self.assertEqual(k['start'], '%s%sT%s0000' % (k['dt'][:4], k['dt'][5:7] + k['dt'][8:],
                                                       k['hour']))
        self.assertEqual(e['window_start'], '%s %s:00:00' % (k['dt'], k['hour']))
        self.assertTrue(e['manifest_written'])
        m = pu.assert_manifest_matches(self, self.path, e)
        self.assertEqual((m['database'], m['schema'], m['table'], m['format']),
                         (self.db, 'analytics', 'events', 'csv'))
        header, rows = pu.object_records(os.path.join(self.path, e['object_key']), 'zstd')
        self.assertEqual(header[:2], ('id', 'triggered_at'))
        self.assertEqual(len(rows), e['rows'])
        for r in rows:
            self.assertTrue(r['triggered_at'].startswith('%s %s:' % (k['dt'], k['hour'])),
                            '%r is outside %s' % (r['triggered_at'], e['object_key']))

    def test_keep_days_minus_one_archives_nothing(self):
        proc = self.archive(keep_days=-1)
        pu.assert_ok(self, proc)
        self.assertIn('%s: analytics.events: skipped: keep-days is -1' % self.db, proc.stdout)
        self.assertEqual(pu.snapshot(PG, self.db), self.before)
        self.assertEqual(pu.ledger(PG, self.db), [])
        self.assertEqual(pu.files_under(self.path), set())
        harness.assert_oracle(self, self.before, PG, self.db, pu.TABLE, archived=0)

    def check_compression(self, method, ext):
        # daily windows keep the oracle short (~29 objects); the last one is clipped
        # at the cutoff, so the same 48 rows stay
        pu.assert_ok(self, self.archive('--compress', method, '--window', '1d'))
        entries = pu.ledger(PG, self.db)
        self.assertEqual(sum(e['rows'] for e in entries), 672)
        self.assertEqual({e['compression'] for e in entries}, {method})
        self.assertEqual({pu.parse_key(e['object_key'])['ext'] for e in entries}, {ext})
        self.assertEqual({pu.parse_key(e['object_key'])['hour'] for e in entries}, {'00'})
        left, archived = harness.assert_oracle(self, self.before, PG, self.db, pu.TABLE,
                                               archived=672)
        self.assertEqual((pu.sum_counter(left), pu.sum_counter(archived)), (48, 672))
        # one object per day that held archived rows
        self.assertEqual(len(entries), len({r[1][:10] for r in archived}))
        for e in entries:
            pu.assert_manifest_matches(self, self.path, e)
        self.assertEqual(pu.leftovers(self.path, entries), set())

    def test_gzip_round_trip(self):
        self.check_compression('gzip', 'csv.gz')
        e = pu.ledger(PG, self.db)[0]
        with open(os.path.join(self.path, e['object_key']), 'rb') as f:
            self.assertEqual(f.read(2), b'\x1f\x8b')  # really gzip

    def test_no_compression_round_trip(self):
        self.check_compression('none', 'csv')
        e = pu.ledger(PG, self.db)[0]
        with open(os.path.join(self.path, e['object_key']), 'rb') as f:
            self.assertTrue(f.read().startswith(b'id,triggered_at,name,'))  # plain CSV


if __name__ == '__main__':
    unittest.main()
