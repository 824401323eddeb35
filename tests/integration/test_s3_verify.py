"""ebb verify on an s3:// archive: a read cut mid-body resumes (Range +
If-Match), a replaced object is corrupt, a deleted one missing, orphans and
unfinished multipart uploads are found, and `--gc` aborts and removes them
(never a ledger's object), also after kill -9 in the middle of a multipart
upload. Every case ends with the row oracle read back by the AWS SDK."""

import os
import signal
import unittest

import harness
import protocol_util as pu
import s3_harness
from test_s3_archive import MULTIPART, big_window, small
from test_verify import GC, backdate

PG = S3 = None


def setUpModule():
    global PG, S3
    PG = harness.Cluster()
    S3 = s3_harness.S3Server()


def tearDownModule():
    S3.stop()
    PG.stop()


class S3VerifyBase(unittest.TestCase):
    def setUp(self):
        S3.clear_faults()
        self.db = pu.new_db(PG, 'v_')
        self.prefix = 'ver/' + self.db
        self.url = S3.url(self.prefix)
        self.table_prefix = '%s/%s/analytics.events/' % (self.prefix, self.db)

    def archive(self, *extra):
        return pu.archive(PG, self.db, self.url, *extra, env=S3.env())

    def verify(self, *extra):
        return harness.run_ebb(['verify', '--table', pu.TABLE] + list(extra),
                               env=dict(PG.env(self.db), **S3.env()))

    def backdate_uploads(self):
        """Sets the Initiated time of this test's unfinished uploads into the past (sigcheck
        takes it from the upload's key file), for --gc's --older-than."""
        for u in S3.unfinished_upload_dirs():
            if u.key.startswith(self.prefix + '/'):
                backdate(os.path.join(u.path, 'key'))

    def summary(self, proc):
        lines = [l for l in proc.stdout.splitlines() if ': checked ' in l]
        self.assertEqual(len(lines), 1, proc.stdout + proc.stderr)
        return lines[0].split(': checked ', 1)[1]

    def archived(self, data=small, *extra):
        data(PG, self.db)
        before = harness.table_rows_csv(PG, self.db, pu.TABLE)
        pu.assert_ok(self, self.archive(*extra))
        return before


class S3VerifyTest(S3VerifyBase):
    def test_clean_archive_and_resumed_read(self):
        before = self.archived()
        # every GET is cut after 100 bytes once: verify resumes each where it stopped
        S3.set_faults([{'match': 'get', 'fault': 'truncate', 'bytes': 100, 'count': 4}])
        proc = self.verify()
        counts = S3.fault_counts()
        self.assertEqual(proc.rc, 0, proc.stdout + proc.stderr)
        self.assertEqual(counts['rules'][0]['fired'], 4)
        self.assertTrue(self.summary(proc).startswith(
            '4 objects (20 rows, %d bytes): 0 missing, 0 corrupt, 0 orphans'
            % sum(e['bytes'] for e in pu.ledger(PG, self.db))), proc.stdout)
        harness.assert_oracle(self, before, PG, self.db, pu.TABLE)

    def test_replaced_and_deleted_objects(self):
        self.archived()
        first, second = pu.ledger(PG, self.db)[:2]
        S3.put('%s/%s' % (self.prefix, first['object_key']), b'not what ebb wrote')
        S3.delete('%s/%s' % (self.prefix, second['object_key']))
        proc = self.verify()
        self.assertEqual(proc.rc, 1, proc.stdout + proc.stderr)
        self.assertIn('corrupt object "%s"' % first['object_key'], proc.stdout)
        self.assertIn('missing object "%s"' % second['object_key'], proc.stdout)
        self.assertIn('1 missing, 1 corrupt', self.summary(proc))

    def test_orphans_and_stale_uploads_are_collected(self):
        before = self.archived()
        keys_before = sorted(o['key'] for o in S3.list(self.prefix + '/'))
        orphan = self.table_prefix + 'dt=2020-01-01/hour=00/20200101T000000_x.csv.zst'
        S3.put(orphan, b'orphan')
        upload_key = self.table_prefix + 'dt=2020-01-01/hour=01/20200101T010000_y.csv.zst'
        S3.create_upload(upload_key, parts=[b'partial'])
        proc = self.verify()
        self.assertEqual(proc.rc, 0, proc.stdout + proc.stderr)
        self.assertIn('1 orphans, 1 unfinished uploads', self.summary(proc))
        self.assertEqual(len(S3.uploads(self.prefix + '/')), 1)  # reported, not touched

        self.backdate_uploads()
        backdate(S3.object_path(orphan))
        proc = self.verify(*GC)
        self.assertEqual(proc.rc, 0, proc.stdout + proc.stderr)
        self.assertIn('1 orphans (1 removed), 1 unfinished uploads (1 aborted)',
                      self.summary(proc))
        self.assertEqual(sorted(o['key'] for o in S3.list(self.prefix + '/')), keys_before)
        self.assertEqual(S3.uploads(self.prefix + '/'), [])
        self.assertEqual(self.verify().rc, 0)
        harness.assert_oracle(self, before, PG, self.db, pu.TABLE)

    def test_server_without_list_multipart_uploads(self):
        """A server that answers ListMultipartUploads with 501 NotImplemented (s3rver, some
        S3-compatible services): asked once, a warning, and every object is still checked;
        --gc still removes orphans."""
        before = self.archived()
        orphan = self.table_prefix + 'dt=2020-01-01/hour=00/20200101T000000_x.csv.zst'
        S3.put(orphan, b'orphan')
        S3.set_faults([{'match': 'list_uploads', 'fault': 'status', 'status': 501,
                        'count': 'always'}])
        warning = [
            'ebb: warning: database "%s": destination "%s": could not list unfinished uploads:'
            ' the server does not support it' % (self.db, self.url),
            'ebb: detail: The server said: "NotImplemented: A header you provided implies'
            ' functionality that is not implemented.".',
            'ebb: hint: Unfinished uploads are neither reported nor aborted here; a lifecycle'
            ' rule of the bucket (AbortIncompleteMultipartUpload) can remove them.']
        nbytes = sum(e['bytes'] for e in pu.ledger(PG, self.db))
        proc = self.verify()
        self.assertEqual((proc.rc, proc.stderr.splitlines()), (0, warning), proc.stdout)
        self.assertEqual(self.summary(proc), '4 objects (20 rows, %d bytes): 0 missing, 0 corrupt,'
                         ' 1 orphans, 0 unfinished uploads' % nbytes)
        self.assertEqual(S3.fault_counts()['rules'][0]['fired'], 1)  # not retried

        # the orphan is old enough for the floor of these settings only after a while: the
        # test sets its time back where s3rver keeps it
        backdate(S3.object_path(orphan))
        proc = self.verify(*GC)
        self.assertEqual((proc.rc, proc.stderr.splitlines()), (0, warning), proc.stdout)
        self.assertEqual(self.summary(proc), '4 objects (20 rows, %d bytes): 0 missing, 0 corrupt,'
                         ' 1 orphans (1 removed), 0 unfinished uploads (0 aborted)' % nbytes)
        self.assertEqual(S3.list(orphan), [])
        harness.assert_oracle(self, before, PG, self.db, pu.TABLE, archived=20)

    def test_kill_during_multipart_upload(self):
        big_window(PG, self.db, rows=11000)
        before = harness.table_rows_csv(PG, self.db, pu.TABLE)
        # the second part stalls: ebb is inside a multipart upload when it dies
        S3.set_faults([{'match': 'part', 'fault': 'stall', 'ms': 120000, 'after': 1}])
        proc = pu.start_ebb(PG, self.db, self.url, *MULTIPART, env=S3.env())
        self.addCleanup(pu.kill_if_running, proc)
        pu.wait_until(lambda: S3.fault_counts()['rules'][0]['fired'] == 1,
                      'the second part is in flight')
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        S3.clear_faults()
        self.assertEqual(len(S3.uploads(self.prefix + '/')), 1)
        self.assertEqual(pu.count_rows(PG, self.db), 11000)  # nothing deleted

        pu.assert_ok(self, self.archive(*MULTIPART))
        harness.assert_oracle(self, before, PG, self.db, pu.TABLE)
        self.assertEqual(len(S3.uploads(self.prefix + '/')), 1)  # left for gc
        self.backdate_uploads()
        gc = self.verify(*GC)
        self.assertEqual(gc.rc, 0, gc.stdout + gc.stderr)
        self.assertIn('1 unfinished uploads (1 aborted)', self.summary(gc))
        self.assertEqual(S3.uploads(self.prefix + '/'), [])
        self.assertEqual([u for u in S3.unfinished_upload_dirs()
                          if u.key.startswith(self.prefix + '/')], [])
        self.assertIn('0 missing, 0 corrupt, 0 orphans', self.summary(self.verify()))
        harness.assert_oracle(self, before, PG, self.db, pu.TABLE)


class FaultsThenVerifyTest(S3VerifyBase):
    """After each fault run (transient or not), verify finds nothing missing or corrupt."""

    def run_faulty(self, rules, data, extra, archived):
        data(PG, self.db)
        before = harness.table_rows_csv(PG, self.db, pu.TABLE)
        S3.set_faults(rules)
        proc = self.archive('--s3-stall-timeout', '1s', '--s3-retries', '2', *extra)
        S3.clear_faults()
        check = self.verify()
        self.assertEqual(check.rc, 0, check.stdout + check.stderr)
        self.assertIn('0 missing, 0 corrupt', self.summary(check))
        harness.assert_oracle(self, before, PG, self.db, pu.TABLE, archived=archived)
        return proc

    def test_each_fault(self):
        cases = [
            ([{'match': 'put', 'fault': 'status', 'status': 503, 'count': 2}], small, (), 0),
            ([{'match': 'put', 'fault': 'reset', 'count': 'always'}], small, (), 1),
            ([{'match': 'complete', 'fault': 'error200', 'count': 1}], big_window, MULTIPART, 0),
            ([{'match': 'complete', 'fault': 'error200', 'count': 'always'}], big_window,
             MULTIPART, 1),
            ([{'match': 'head', 'fault': 'stall', 'ms': 20000, 'count': 'always'}], small, (), 1),
        ]
        for rules, data, extra, rc in cases:
            with self.subTest(rules=rules):
                self.setUp()
                # a failed run archives nothing: its first window fails
                archived = 0 if rc else (20 if data is small else 4500)
                proc = self.run_faulty(rules, data, extra, archived)
                self.assertEqual(proc.rc, rc, proc.stderr)


if __name__ == '__main__':
    unittest.main()
