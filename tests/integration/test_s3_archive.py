"""ebb archive --dest s3://: against s3rver behind a signature-checking front
(sigcheck: the AWS SDK's own SigV4 signer, payload SHA-256 and Content-MD5
checks) behind a fault-injecting proxy, all on loopback. Objects are read back
by an independent client (the AWS SDK for JavaScript) for the row oracle."""

import json
import signal
import unittest

import harness
import protocol_util as pu
import s3_harness

PG = S3 = None


def setUpModule():
    global PG, S3
    PG = harness.Cluster()
    S3 = s3_harness.S3Server()


def tearDownModule():
    S3.stop()
    PG.stop()


def big_window(pg, db, rows=4500):
    """One hour five days ago holding ~2 kB rows: about 9 MB of CSV, so that with
    --compress none and 5MiB parts the object is a multipart upload of 2 parts."""
    pu.create_events(pg, db)
    pg.psql("INSERT INTO analytics.events (triggered_at, name, data)"
            " SELECT date_trunc('hour', now())::timestamp - interval '5 days'"
            "  + make_interval(secs => i * %f), 'big ' || i,"
            "  jsonb_build_object('pad', repeat(md5(i::text), 64))"
            " FROM generate_series(1, %d) AS i" % (3000.0 / rows, rows), db)


def small(pg, db):
    """Four old hours of 5 rows and 3 recent rows (pu.four_old_hours)."""
    pu.create_events(pg, db)
    pu.four_old_hours(pg, db)


MULTIPART = ('--window', '1h', '--compress', 'none', '--s3-part-size', '5MiB')


class S3Test(unittest.TestCase):
    def setUp(self):
        S3.clear_faults()
        self.db = pu.new_db(PG, 's3_')
        self.prefix = 'arch/' + self.db
        self.url = S3.url(self.prefix)

    def archive(self, *extra, env=None, **kw):
        return pu.archive(PG, self.db, self.url, *extra, env=dict(S3.env(), **(env or {})), **kw)

    def keys(self):
        return sorted(o['key'] for o in S3.list(self.prefix + '/'))

    def assert_oracle(self, before, archived):
        return harness.assert_oracle(self, before, PG, self.db, pu.TABLE, archived=archived)


class ArchiveTest(S3Test):
    def test_predictable_data_set(self):
        pu.predictable_events(PG, self.db)
        before = harness.table_rows_csv(PG, self.db, pu.TABLE)
        proc = self.archive()
        pu.assert_ok(self, proc)
        left, archived = self.assert_oracle(before, 672)
        self.assertEqual((sum(left.values()), sum(archived.values())), (48, 672))

        ledger = pu.ledger(PG, self.db)
        self.assertEqual(len(ledger), 672)
        keys = self.keys()
        objects = sorted('%s/%s' % (self.prefix, row['object_key']) for row in ledger)
        manifests = sorted(k + '.manifest.json' for k in objects)
        # exactly the committed objects and their manifests, under the Hive-style layout
        self.assertEqual(keys, sorted(objects + manifests))
        self.assertTrue(all(k.startswith('%s/%s/analytics.events/dt=' % (self.prefix, self.db))
                            for k in keys))
        first = ledger[0]
        manifest = json.loads(S3.get('%s/%s.manifest.json' % (self.prefix, first['object_key'])))
        self.assertEqual((manifest['sha256'], manifest['rows'], manifest['bytes']),
                         (first['sha256'], first['rows'], first['bytes']))
        # a second run finds nothing to do and writes nothing
        proc = self.archive()
        pu.assert_ok(self, proc)
        self.assertEqual(self.keys(), keys)
        # verify lists 1344 keys: more than one ListObjectsV2 page (continuation tokens)
        proc = harness.run_ebb(['verify', '--table', pu.TABLE],
                               env=dict(PG.env(self.db), **S3.env()))
        self.assertEqual(proc.rc, 0, proc.stdout + proc.stderr)
        self.assertIn(': checked 672 objects (672 rows, %d bytes): 0 missing, 0 corrupt, 0 orphans'
                      % sum(r['bytes'] for r in ledger), proc.stdout)

    def test_storage_class_and_encryption_headers(self):
        """Both headers are sent and signed (sigcheck refuses an unsigned x-amz-*);
        s3rver keeps the storage class in the object's metadata."""
        small(PG, self.db)
        before = harness.table_rows_csv(PG, self.db, pu.TABLE)
        pu.assert_ok(self, self.archive('--s3-storage-class', 'STANDARD_IA', '--s3-sse', 'AES256'))
        self.assert_oracle(before, 20)
        key = '%s/%s' % (self.prefix, pu.ledger(PG, self.db)[0]['object_key'])
        with open(S3.object_path(key).replace('._S3rver_object', '._S3rver_metadata.json')) as f:
            self.assertEqual(json.load(f).get('x-amz-storage-class'), 'STANDARD_IA')

    def test_multipart_window_is_byte_identical_to_file_store(self):
        """The same rows archived to a directory and to S3 in parts of 5MiB: the
        stored objects are the same bytes, and S3 got more than 3 parts."""
        twin = pu.new_db(PG, 's3_twin_')
        for db in (self.db, twin):
            big_window(PG, db, rows=11000)  # ~22 MB: 5 parts
        before = harness.table_rows_csv(PG, self.db, pu.TABLE)
        S3.set_faults([])  # zero the request counts
        proc = self.archive(*MULTIPART)
        pu.assert_ok(self, proc)
        self.assertGreater(S3.fault_counts()['seen'].get('part', 0), 3)
        self.assertEqual(S3.uploads(self.prefix + '/'), [])
        dest_url, dest_path = pu.make_dest(self)
        pu.assert_ok(self, pu.archive(PG, twin, dest_url, *MULTIPART))

        (s3_row,), (file_row,) = pu.ledger(PG, self.db), pu.ledger(PG, twin)
        s3_bytes = S3.get('%s/%s' % (self.prefix, s3_row['object_key']))
        with open('%s/%s' % (dest_path, file_row['object_key']), 'rb') as f:
            file_bytes = f.read()
        self.assertGreater(len(s3_bytes), 3 * 5 * 1024 * 1024)
        self.assertEqual(len(s3_bytes), len(file_bytes))
        self.assertTrue(s3_bytes == file_bytes, 'the S3 object differs from the file')
        self.assertEqual((s3_row['sha256'], s3_row['rows']), (file_row['sha256'], 11000))
        self.assert_oracle(before, 11000)

    def test_wrong_secret(self):
        small(PG, self.db)
        before = harness.table_rows_csv(PG, self.db, pu.TABLE)
        proc = self.archive(env={'AWS_SECRET_ACCESS_KEY': S3.secret[::-1]})
        harness.assert_error(
            self, proc, 1, 'ebb: error: database "%s": could not list "%s/": server replied 403 '
            'SignatureDoesNotMatch' % (self.db, self.url))
        self.assertIn('ebb: detail: The server said: "SignatureDoesNotMatch: The request signature'
                      ' we calculated does not match the signature you provided. Check your key'
                      ' and signing method.".', proc.stderr.splitlines())
        self.assertIn('ebb: hint: Check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
                      proc.stderr)
        self.assertNotIn(S3.secret[::-1], proc.stdout + proc.stderr)
        self.assertEqual(harness.table_rows_csv(PG, self.db, pu.TABLE), before)
        self.assertEqual(self.keys(), [])

    def test_no_credentials(self):
        small(PG, self.db)
        env = S3.env()
        del env['AWS_SECRET_ACCESS_KEY']
        proc = harness.run_ebb(pu.archive_args(self.url), env=dict(PG.env(self.db), **env,
                                                                    HOME='/nonexistent'))
        harness.assert_error(self, proc, 2, 'ebb: error: no S3 credentials for "%s"' % self.url)
        self.assertEqual(pu.count_rows(PG, self.db), 23)


class FaultMixin(S3Test):
    def run_with_faults(self, rules, data=small, extra=(), archived=0):
        """`archived`: the rows the run must have archived (0: a failed run)."""
        data(PG, self.db)
        before = harness.table_rows_csv(PG, self.db, pu.TABLE)
        S3.set_faults(rules)
        proc = self.archive('--s3-stall-timeout', '1s', *extra)
        counts = S3.fault_counts()
        S3.clear_faults()
        self.assert_oracle(before, archived)
        return proc, counts

    def assert_retried(self, rules, data=small, extra=()):
        proc, counts = self.run_with_faults(rules, data, extra,
                                            archived=20 if data is small else 4500)
        pu.assert_ok(self, proc)
        for rule in counts['rules']:
            self.assertEqual(rule['fired'], rule.get('count', 1), counts)
        self.assertEqual(pu.count_rows(PG, self.db), 3 if data is small else 0)
        self.assertEqual(S3.uploads(self.prefix + '/'), [])
        return proc


class FaultTest(FaultMixin):
    """Transient faults are retried and the run succeeds; the oracle holds each time."""

    def test_slowdown_then_success(self):
        proc = self.assert_retried([{'match': 'put', 'fault': 'status', 'status': 503,
                                     'count': 2}], extra=('-v',))
        self.assertIn('server replied 503 SlowDown', proc.stderr)

    def test_connection_reset(self):
        self.assert_retried([{'match': 'put', 'fault': 'reset', 'count': 1}])

    def test_request_body_cut(self):
        self.assert_retried([{'match': 'put', 'fault': 'drop_request_body', 'count': 1}])

    def test_reply_lost_after_put(self):
        self.assert_retried([{'match': 'put', 'fault': 'drop_response', 'count': 1}])

    def test_stalled_head(self):
        self.assert_retried([{'match': 'head', 'fault': 'stall', 'ms': 20000, 'count': 1}])

    def test_part_500(self):
        self.assert_retried([{'match': 'part', 'fault': 'status', 'status': 500, 'count': 1}],
                            data=big_window, extra=MULTIPART)

    def test_create_reset(self):
        self.assert_retried([{'match': 'create', 'fault': 'reset', 'count': 1}],
                            data=big_window, extra=MULTIPART)

    def test_error_inside_200_from_complete(self):
        self.assert_retried([{'match': 'complete', 'fault': 'error200', 'count': 1}],
                            data=big_window, extra=MULTIPART)

    def test_complete_reply_lost(self):
        self.assert_retried([{'match': 'complete', 'fault': 'drop_response', 'count': 1}],
                            data=big_window, extra=MULTIPART)

    def test_a_signal_ends_a_stalled_request_at_once(self):
        """SIGTERM while a PUT stalls: the request is abandoned at once (not after
        --s3-stall-timeout or --s3-timeout), the window rolls back, the run says why."""
        small(PG, self.db)
        before = harness.table_rows_csv(PG, self.db, pu.TABLE)
        S3.set_faults([{'match': 'put', 'fault': 'stall', 'ms': 600000, 'count': 'always'}])
        self.addCleanup(S3.clear_faults)
        proc = pu.start_ebb(PG, self.db, self.url, '--s3-timeout', '10min',
                            '--s3-stall-timeout', '10min', env=S3.env())
        self.addCleanup(pu.kill_if_running, proc)
        pu.wait_until(lambda: S3.fault_counts()['rules'][0]['fired'] >= 1, 'a PUT stalls')
        proc.send_signal(signal.SIGTERM)
        rc, out, err = pu.finish(proc, timeout=30)
        self.assertEqual(rc, 1, err)
        self.assertIn('ebb: error: database "%s": canceled by a signal' % self.db,
                      err.splitlines())
        self.assertEqual(harness.table_rows_csv(PG, self.db, pu.TABLE), before)
        self.assertEqual(PG.query('SELECT status FROM ebb.archive_run', self.db),
                         [('failed',)])


class PermanentFaultTest(FaultMixin):
    """Faults that do not pass: the run fails cleanly, nothing is deleted, no upload stays."""

    def test_part_keeps_failing(self):
        proc, counts = self.run_with_faults(
            [{'match': 'part', 'fault': 'status', 'status': 500, 'count': 'always'}],
            data=big_window, extra=MULTIPART + ('--s3-retries', '2'))
        self.assertEqual(proc.rc, 1, proc.stderr)
        self.assertRegex(proc.stderr.splitlines()[0],
                         r'^ebb: error: database "%s": could not upload a part of "%s/.*\.csv": '
                         r'server replied 500 InternalError$' % (self.db, self.url))
        self.assertIn('Gave up after 3 attempts.', proc.stderr)
        self.assertEqual(counts['rules'][0]['fired'], 3)
        self.assertEqual(pu.count_rows(PG, self.db), 4500)
        self.assertEqual(self.keys(), [])
        # the failed upload was aborted: sigcheck lists none, s3rver keeps none
        self.assertEqual(S3.uploads(self.prefix + '/'), [])
        self.assertEqual([u for u in S3.unfinished_upload_dirs()
                          if u.key.startswith(self.prefix + '/')], [])

    def test_forbidden_is_not_retried(self):
        proc, counts = self.run_with_faults(
            [{'match': 'put', 'fault': 'status', 'status': 403, 'code': 'AccessDenied',
              'message': 'Access Denied', 'count': 'always'}])
        self.assertEqual(proc.rc, 1, proc.stderr)
        self.assertIn('server replied 403 AccessDenied', proc.stderr.splitlines()[0])
        self.assertIn('ebb: detail: The server said: "AccessDenied: Access Denied".',
                      proc.stderr.splitlines())
        self.assertEqual(counts['rules'][0]['fired'], 1)  # no retry of a 403
        self.assertEqual(pu.count_rows(PG, self.db), 23)
        self.assertEqual(self.keys(), [])

    def test_session_ended_by_the_idle_timeout_during_a_slow_upload(self):
        """The upload's last request runs while the session is idle in its transaction: a
        stalled PUT (retried after --s3-stall-timeout) outlasts a short --idle-timeout, the
        server ends the session, the window rolls back, and the error says which options."""
        proc, counts = self.run_with_faults(
            [{'match': 'put', 'fault': 'stall', 'ms': 5000}], extra=('--idle-timeout', '1s'))
        self.assertEqual(counts['rules'][0]['fired'], 1)
        lines = proc.stderr.splitlines()
        self.assertEqual((proc.rc, lines[0]), (1, 'ebb: error: database "%s": could not prepare a'
                                               ' statement: FATAL:  terminating connection due to'
                                               ' idle-in-transaction timeout' % self.db))
        self.assertEqual(lines[-1], 'ebb: hint: The session was idle in its transaction longer'
                         ' than --idle-timeout while ebb waited for the object store: up to'
                         ' three requests of --s3-timeout each follow a window\'s COPY. Make'
                         ' --idle-timeout longer than 3 x --s3-timeout, or leave it unset (it is'
                         ' then that plus 1min).')
        self.assertEqual(pu.count_rows(PG, self.db), 23)  # the window rolled back
        self.assertEqual(self.keys(), [])  # and its object was removed

    def test_5xx_that_says_the_same_each_time_is_not_retried(self):
        """501 NotImplemented, 505 and the like answer every attempt alike: one attempt, a
        failed run, nothing deleted (only 500, 502, 503 and 504 are retried)."""
        for status, code, message in (
                (501, 'NotImplemented',
                 'A header you provided implies functionality that is not implemented.'),
                (505, 'InternalError', 'We encountered an internal error. Please try again.')):
            with self.subTest(status=status):
                self.setUp()
                proc, counts = self.run_with_faults(
                    [{'match': 'put', 'fault': 'status', 'status': status, 'count': 'always'}])
                self.assertEqual(proc.rc, 1, proc.stderr)
                lines = proc.stderr.splitlines()
                self.assertRegex(lines[0], r'^ebb: error: database "%s": could not upload "%s/.*":'
                                 r' server replied %d %s$' % (self.db, self.url, status, code))
                self.assertIn('ebb: detail: The server said: "%s: %s".' % (code, message), lines)
                self.assertEqual(counts['rules'][0]['fired'], 1)
                self.assertEqual(pu.count_rows(PG, self.db), 23)
                self.assertEqual(self.keys(), [])

    def test_deadline(self):
        """Stalls on every attempt: --s3-timeout ends the request, not --s3-retries."""
        proc, counts = self.run_with_faults(
            [{'match': 'put', 'fault': 'stall', 'ms': 60000, 'count': 'always'}],
            extra=('--s3-timeout', '2s', '--s3-retries', '50'))
        self.assertEqual(proc.rc, 1, proc.stderr)
        self.assertLess(counts['rules'][0]['fired'], 10)
        self.assertEqual(pu.count_rows(PG, self.db), 23)


class PartLimitTest(S3Test):
    def test_too_many_parts_fails_before_the_limit(self):
        """S3 objects have at most 10,000 parts; EBB_TEST_S3_MAX_PARTS lowers the
        limit so that the check is reached with 5 MiB parts, not 50 GB."""
        big_window(PG, self.db, rows=11000)  # ~22 MB: 5 parts of 5 MiB
        S3.set_faults([])
        proc = self.archive(*MULTIPART, env={'EBB_TEST_S3_MAX_PARTS': '2'})
        self.assertEqual(proc.rc, 1, proc.stderr)
        self.assertRegex(proc.stderr.splitlines()[0],
                         r'^ebb: error: database "%s": could not upload "%s/.*\.csv": more than 2'
                         r' parts$' % (self.db, self.url))
        self.assertIn('ebb: detail: An S3 object has at most 2 parts: 10485760 bytes with parts'
                      ' of 5242880 bytes. This window\'s object is larger.', proc.stderr)
        self.assertIn('ebb: hint: Raise --s3-part-size', proc.stderr)
        self.assertEqual(S3.fault_counts()['seen'].get('part'), 2)  # the third never left
        self.assertEqual(pu.count_rows(PG, self.db), 11000)
        self.assertEqual(self.keys(), [])
        self.assertEqual(S3.uploads(self.prefix + '/'), [])


class SecretsTest(S3Test):
    def test_secrets_never_printed(self):
        small(PG, self.db)
        token = 'FwoGZXIvYXdzEJr//session+token/value=='
        S3.set_faults([{'match': 'put', 'fault': 'status', 'status': 500, 'count': 'always'}])
        proc = self.archive('-vv', '--s3-retries', '1', env={'AWS_SESSION_TOKEN': token})
        S3.clear_faults()
        self.assertEqual(proc.rc, 1, proc.stderr)
        out = proc.stdout + proc.stderr
        # the trace was on: headers are there, the credentials are blanked out
        self.assertIn('ebb: debug: http > Authorization: [redacted]', out)
        self.assertIn('ebb: debug: http > x-amz-security-token: [redacted]', out)
        for secret in (S3.secret, token, 'Signature=', 'AWS4-HMAC-SHA256'):
            self.assertNotIn(secret, out)
        self.assertEqual(pu.count_rows(PG, self.db), 23)


if __name__ == '__main__':
    unittest.main()
