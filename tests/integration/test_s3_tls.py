"""TLS to the S3 endpoint: verified by default, a private CA through
--s3-ca-file, and --s3-insecure only as an explicit, logged choice. The
endpoint is the faults proxy serving HTTPS with a certificate of a CA made for
the test."""

import unittest

import harness
import protocol_util as pu
import s3_harness

PG = S3 = None


def setUpModule():
    global PG, S3
    PG = harness.Cluster()
    S3 = s3_harness.S3Server(tls=True)


def tearDownModule():
    S3.stop()
    PG.stop()


class TlsTest(unittest.TestCase):
    def setUp(self):
        self.db = pu.new_db(PG, 'tls_')
        pu.create_events(PG, self.db)
        pu.four_old_hours(PG, self.db)
        self.before = harness.table_rows_csv(PG, self.db, pu.TABLE)
        self.url = S3.url('tls/' + self.db)

    def archive(self, *extra):
        return pu.archive(PG, self.db, self.url, *extra, env=S3.env())

    def test_unknown_ca_is_refused(self):
        self.assertTrue(S3.endpoint.startswith('https://'))
        proc = self.archive('--s3-retries', '0')
        self.assertEqual(proc.rc, 1, proc.stderr)
        first = proc.stderr.splitlines()[0]
        self.assertTrue(first.startswith('ebb: error: database "%s": could not list "%s/": '
                                         % (self.db, self.url)), proc.stderr)
        self.assertIn('certificate', first)
        self.assertEqual(harness.table_rows_csv(PG, self.db, pu.TABLE), self.before)

    def test_private_ca(self):
        proc = self.archive('--s3-ca-file', S3.ca_file)
        pu.assert_ok(self, proc)
        self.assertNotIn('warning', proc.stderr)
        left, archived = harness.assert_oracle(self, self.before, PG, self.db, pu.TABLE)
        self.assertEqual(sum(archived.values()), 20)

    def test_insecure_is_explicit_and_logged(self):
        proc = self.archive('--s3-insecure')
        pu.assert_ok(self, proc)
        warning = ('ebb: warning: TLS certificate verification is off for "%s" '
                   '(--s3-insecure)' % self.url)
        self.assertEqual(proc.stderr.splitlines().count(warning), 1, proc.stderr)
        harness.assert_oracle(self, self.before, PG, self.db, pu.TABLE)


if __name__ == '__main__':
    unittest.main()
