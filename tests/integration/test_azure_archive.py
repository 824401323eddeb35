"""ebb archive, verify (--gc) and restore with --dest az://: against Azurite (which
checks Shared Key and SAS signatures as Azure does) behind the fault-injecting
proxy, all on loopback. Blobs are read back by an independent client (the Azure
SDK for JavaScript) for the row oracle: zstd -dc for CSV, DuckDB for Parquet.
Azurite must be installed (scripts/setup.sh check): without it these tests fail,
never skip."""

import base64
import hashlib
import re
import signal
import time
import unittest

import azure_harness
import harness
import protocol_util as pu
from test_s3_archive import big_window, small
from test_verify import GC

PG = AZ = None

# ~9 MB of CSV in one window, in blocks of 1MiB: a Put Block List of 9 blocks
BLOCKS = ('--window', '1h', '--compress', 'none', '--az-block-size', '1MiB')


def setUpModule():
    global PG, AZ
    PG = harness.Cluster()
    AZ = azure_harness.AzureServer()


def tearDownModule():
    AZ.stop()
    PG.stop()


class AzureTest(unittest.TestCase):
    def setUp(self):
        AZ.clear_faults()
        self.db = pu.new_db(PG, 'az_')
        self.prefix = 'arch/' + self.db
        self.url = AZ.url(self.prefix)
        self.table_prefix = '%s/%s/analytics.events/' % (self.prefix, self.db)

    def env(self, **kw):
        return dict(PG.env(self.db), **AZ.env(**kw))

    def archive(self, *extra, env=None):
        return pu.archive(PG, self.db, self.url, *extra, env=dict(AZ.env(), **(env or {})))

    def verify(self, *extra):
        return harness.run_ebb(['verify', '--table', pu.TABLE] + list(extra), env=self.env())

    def keys(self):
        return sorted(o['key'] for o in AZ.list(self.prefix + '/'))

    def summary(self, proc):
        lines = [l for l in proc.stdout.splitlines() if ': checked ' in l]
        self.assertEqual(len(lines), 1, proc.stdout + proc.stderr)
        return lines[0].split(': checked ', 1)[1]

    def assert_oracle(self, before, archived=harness.AT_LEAST_ONE):
        return harness.assert_oracle(self, before, PG, self.db, pu.TABLE, archived=archived)

    def committed_keys(self):
        ledger = pu.ledger(PG, self.db)
        objects = ['%s/%s' % (self.prefix, e['object_key']) for e in ledger]
        return sorted(objects + [k + '.manifest.json' for k in objects])


class ArchiveTest(AzureTest):
    def test_csv_archive_verify_restore(self):
        small(PG, self.db)
        before = harness.table_rows_csv(PG, self.db, pu.TABLE)
        pu.assert_ok(self, self.archive())
        self.assert_oracle(before, 20)
        self.assertEqual(pu.count_rows(PG, self.db), 3)
        self.assertEqual(self.keys(), self.committed_keys())
        self.assertTrue(all(k.startswith(self.table_prefix + 'dt=') for k in self.keys()))
        # a small object is one Put Blob; its stored MD5 is the object's
        first = pu.ledger(PG, self.db)[0]
        key = '%s/%s' % (self.prefix, first['object_key'])
        data = AZ.get(key)
        self.assertEqual(AZ.props(key)['contentMD5'],
                         base64.b64encode(hashlib.md5(data).digest()).decode())
        self.assertEqual(AZ.blocks(key)['uncommitted'], [])

        proc = self.verify()
        self.assertEqual(proc.rc, 0, proc.stdout + proc.stderr)
        self.assertEqual(self.summary(proc),
                         '4 objects (20 rows, %d bytes): 0 missing, 0 corrupt, 0 orphans,'
                         ' 0 unfinished uploads' % sum(e['bytes'] for e in pu.ledger(PG, self.db)))
        proc = self.verify('--deep')
        self.assertEqual(proc.rc, 0, proc.stdout + proc.stderr)

        proc = harness.run_ebb(['restore', '--table', pu.TABLE], env=self.env())
        self.assertEqual(proc.rc, 0, proc.stdout + proc.stderr)
        self.assertEqual(harness.table_rows_csv(PG, self.db, pu.TABLE), before)

    def test_parquet(self):
        small(PG, self.db)
        before = harness.table_rows_csv(PG, self.db, pu.TABLE)
        pu.assert_ok(self, self.archive('--format', 'parquet'))
        self.assert_oracle(before, 20)
        self.assertTrue(all(k.endswith(('.parquet', '.manifest.json')) for k in self.keys()))
        proc = self.verify('--deep')
        self.assertEqual(proc.rc, 0, proc.stdout + proc.stderr)

    def test_multi_block_objects(self):
        """Objects larger than --az-block-size go as blocks and one Put Block List: the SDK
        sees more than one committed block, and the whole object's MD5 as the blob's."""
        for fmt in ('csv', 'parquet'):
            with self.subTest(format=fmt):
                self.setUp()
                big_window(PG, self.db)
                before = harness.table_rows_csv(PG, self.db, pu.TABLE)
                AZ.set_faults([])  # zero the counts
                proc = self.archive(*BLOCKS, '--format', fmt)
                pu.assert_ok(self, proc)
                seen = AZ.fault_counts()['seen']
                self.assert_oracle(before, 4500)
                (entry,) = pu.ledger(PG, self.db)
                key = '%s/%s' % (self.prefix, entry['object_key'])
                blocks = AZ.blocks(key)
                self.assertGreater(len(blocks['committed']), 1, blocks)
                self.assertEqual(blocks['uncommitted'], [])
                self.assertTrue(all(b['size'] <= 1024 * 1024 for b in blocks['committed']))
                self.assertEqual(seen.get('part'), len(blocks['committed']), seen)
                self.assertEqual(seen.get('complete'), 1, seen)
                data = AZ.get(key)
                self.assertEqual(AZ.props(key)['contentMD5'],
                                 base64.b64encode(hashlib.md5(data).digest()).decode())
                self.assertIn('0 missing, 0 corrupt, 0 orphans, 0 unfinished uploads',
                              self.summary(self.verify()))

    def test_sas_token(self):
        small(PG, self.db)
        before = harness.table_rows_csv(PG, self.db, pu.TABLE)
        sas = AZ.sas()
        signature = re.search(r'(?:^|&)sig=([^&]+)', sas).group(1)
        env = AZ.env(sas=sas)
        proc = pu.archive(PG, self.db, self.url, '-vv', env=env)
        pu.assert_ok(self, proc)
        self.assert_oracle(before, 20)
        out = proc.stdout + proc.stderr
        self.assertIn('sig=[redacted]', out)
        self.assertNotIn(signature, out)
        proc = harness.run_ebb(['verify', '--table', pu.TABLE], env=dict(PG.env(self.db), **env))
        self.assertEqual(proc.rc, 0, proc.stdout + proc.stderr)


class CredentialTest(AzureTest):
    def test_wrong_key(self):
        small(PG, self.db)
        before = harness.table_rows_csv(PG, self.db, pu.TABLE)
        wrong = base64.b64encode(b'not the key' * 6).decode()
        for extra in ((), ('-vv',)):
            with self.subTest(extra=extra):
                proc = self.archive(*extra, env={'AZURE_STORAGE_KEY': wrong})
                self.assertEqual(proc.rc, 1, proc.stderr)
                errors = [l for l in proc.stderr.splitlines() if l.startswith('ebb: error:')]
                # Azure says AuthenticationFailed, Azurite AuthorizationFailure
                self.assertRegex(errors[0], r'^ebb: error: database "%s": could not list "%s/":'
                                 r' server replied 403 (AuthenticationFailed|AuthorizationFailure)$'
                                 % (self.db, re.escape(self.url)))
                self.assertRegex(proc.stderr, r'\nebb: detail: The server said: "Authori[sz]ation'
                                 r'Failure: Server failed to authenticate the request\.')
                self.assertIn('ebb: hint: Check AZURE_STORAGE_KEY (or AZURE_STORAGE_SAS_TOKEN: its'
                              ' permissions and expiry), the account (--az-account or'
                              ' AZURE_STORAGE_ACCOUNT), and this machine\'s clock.',
                              proc.stderr.splitlines())
                out = proc.stdout + proc.stderr
                for secret in (wrong, AZ.key, 'SharedKey'):
                    self.assertNotIn(secret, out)
                if extra:
                    self.assertIn('ebb: debug: http > Authorization: [redacted]', out)
                self.assertEqual(harness.table_rows_csv(PG, self.db, pu.TABLE), before)
                self.assertEqual(self.keys(), [])

    def test_missing_credentials_are_config_errors(self):
        small(PG, self.db)
        env = AZ.env()
        del env['AZURE_STORAGE_KEY']
        proc = harness.run_ebb(pu.archive_args(self.url), env=dict(PG.env(self.db), **env))
        harness.assert_error(self, proc, 2, 'ebb: error: no Azure credentials for "%s"' % self.url)
        del env['AZURE_STORAGE_ACCOUNT']
        proc = harness.run_ebb(pu.archive_args(self.url), env=dict(PG.env(self.db), **env))
        harness.assert_error(self, proc, 2,
                             'ebb: error: no Azure storage account for "%s"' % self.url)
        proc = harness.run_ebb(pu.archive_args('az://A/x'), env=dict(PG.env(self.db), **env))
        harness.assert_error(self, proc, 2, 'ebb: error: invalid destination "az://A/x"')
        self.assertEqual(pu.count_rows(PG, self.db), 23)


class FaultTest(AzureTest):
    """Transient faults are retried and the run succeeds; the oracle holds each time."""

    def assert_retried(self, rules, data=small, extra=()):
        data(PG, self.db)
        before = harness.table_rows_csv(PG, self.db, pu.TABLE)
        AZ.set_faults(rules)
        proc = self.archive('--az-stall-timeout', '1s', *extra)
        counts = AZ.fault_counts()
        AZ.clear_faults()
        pu.assert_ok(self, proc)
        for rule in counts['rules']:
            self.assertEqual(rule['fired'], rule.get('count', 1), counts)
        self.assert_oracle(before, 20 if data is small else 4500)
        self.assertEqual(AZ.uncommitted(self.prefix + '/'), [])
        self.assertIn('0 missing, 0 corrupt, 0 orphans, 0 unfinished uploads',
                      self.summary(self.verify()))
        return proc

    def test_503_then_success(self):
        proc = self.assert_retried([{'match': 'put', 'fault': 'status', 'status': 503,
                                     'count': 2}], extra=('-v',))
        self.assertIn('server replied 503 SlowDown', proc.stderr)

    def test_connection_reset(self):
        self.assert_retried([{'match': 'put', 'fault': 'reset', 'count': 1}])

    def test_stalled_head_times_out_then_retried(self):
        self.assert_retried([{'match': 'head', 'fault': 'stall', 'ms': 20000, 'count': 1}])

    def test_block_500(self):
        self.assert_retried([{'match': 'part', 'fault': 'status', 'status': 500, 'count': 1}],
                            data=big_window, extra=BLOCKS)

    def test_block_list_reply_lost(self):
        """The Put Block List took effect but its reply was lost: the retry meets the blob
        (If-None-Match: *), and the HEAD proves it is this upload's."""
        self.assert_retried([{'match': 'complete', 'fault': 'drop_response', 'count': 1}],
                            data=big_window, extra=BLOCKS)

    def test_put_reply_lost(self):
        self.assert_retried([{'match': 'put', 'fault': 'drop_response', 'count': 1}])

    def test_block_keeps_failing(self):
        big_window(PG, self.db)
        before = harness.table_rows_csv(PG, self.db, pu.TABLE)
        AZ.set_faults([{'match': 'part', 'fault': 'status', 'status': 500, 'after': 1,
                        'count': 'always'}])
        proc = self.archive(*BLOCKS, '--az-retries', '2')
        counts = AZ.fault_counts()
        AZ.clear_faults()
        self.assertEqual(proc.rc, 1, proc.stderr)
        self.assertRegex(proc.stderr.splitlines()[0],
                         r'^ebb: error: database "%s": could not upload a block of "%s/.*\.csv": '
                         r'server replied 500 InternalError$' % (self.db, re.escape(self.url)))
        self.assertIn('Gave up after 3 attempts.', proc.stderr)
        self.assertEqual(counts['rules'][0]['fired'], 3)
        self.assertEqual(harness.table_rows_csv(PG, self.db, pu.TABLE), before)
        self.assertEqual(self.keys(), [])
        # the writer discarded its uncommitted blocks
        self.assertEqual(AZ.uncommitted(self.prefix + '/'), [])


class GcTest(AzureTest):
    def test_orphans_and_uncommitted_blobs(self):
        small(PG, self.db)
        before = harness.table_rows_csv(PG, self.db, pu.TABLE)
        pu.assert_ok(self, self.archive())
        keys_before = self.keys()
        orphan = self.table_prefix + 'dt=2020-01-01/hour=00/20200101T000000_x.csv.zst'
        pending = self.table_prefix + 'dt=2020-01-01/hour=01/20200101T010000_y.csv.zst'
        AZ.azblob('put', AZ.container, orphan, '/dev/null')
        AZ.stage_block(pending, 'ebb-0badcafe-000001', b'partial')
        proc = self.verify()
        self.assertEqual(proc.rc, 0, proc.stdout + proc.stderr)
        self.assertIn('1 orphans, 1 unfinished uploads', self.summary(proc))
        self.assertIn('unfinished upload "%s" (upload id 0badcafe)'
                      % pending[len(self.prefix) + 1:], proc.stdout)
        self.assertEqual(AZ.uncommitted(self.prefix + '/'), [pending])  # reported, not touched

        time.sleep(6)  # past --older-than 5s (Azurite's times cannot be set back)
        proc = self.verify(*GC)
        self.assertEqual(proc.rc, 0, proc.stdout + proc.stderr)
        self.assertIn('1 orphans (1 removed), 1 unfinished uploads (1 aborted)',
                      self.summary(proc))
        self.assertEqual(self.keys(), keys_before)
        self.assertEqual(AZ.uncommitted(self.prefix + '/'), [])
        self.assertIn('0 orphans, 0 unfinished uploads', self.summary(self.verify()))
        self.assert_oracle(before, 20)

    def test_listings_of_many_pages(self):
        """More blobs than one page holds (ebb asks for pages of 1000; Azure's default of
        5000 would outgrow the reply ebb keeps): verify lists every one."""
        small(PG, self.db)
        pu.assert_ok(self, self.archive())
        AZ.azblob('put-many', AZ.container, self.table_prefix + 'zz/', '2500')
        proc = self.verify()
        self.assertEqual(proc.rc, 0, proc.stdout + proc.stderr)
        self.assertIn('2500 orphans, 0 unfinished uploads', self.summary(proc))

    def test_a_query_in_the_url_is_refused(self):
        """A SAS pasted into the URL would become part of every blob's name."""
        small(PG, self.db)
        before = harness.table_rows_csv(PG, self.db, pu.TABLE)
        proc = pu.archive(PG, self.db, AZ.url(self.prefix) + '?sv=2021-08-06&sig=SECRETSIG',
                          env=AZ.env())
        harness.assert_error(self, proc, 2, 'ebb: error: invalid destination: an az:// URL takes'
                             ' no query or fragment')
        self.assertNotIn('SECRETSIG', proc.stdout + proc.stderr)
        self.assertEqual(harness.table_rows_csv(PG, self.db, pu.TABLE), before)

    def test_kill_during_block_upload(self):
        big_window(PG, self.db)
        before = harness.table_rows_csv(PG, self.db, pu.TABLE)
        # the second block stalls: ebb is inside a block upload when it dies
        AZ.set_faults([{'match': 'part', 'fault': 'stall', 'ms': 120000, 'after': 1}])
        proc = pu.start_ebb(PG, self.db, self.url, *BLOCKS, env=AZ.env())
        self.addCleanup(pu.kill_if_running, proc)
        pu.wait_until(lambda: AZ.fault_counts()['rules'][0]['fired'] == 1,
                      'the second block is in flight')
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        AZ.clear_faults()
        self.assertEqual(len(AZ.uncommitted(self.prefix + '/')), 1)
        self.assertEqual(pu.count_rows(PG, self.db), 4500)  # nothing deleted

        pu.assert_ok(self, self.archive(*BLOCKS))
        self.assert_oracle(before, 4500)
        proc = self.verify()
        self.assertEqual(proc.rc, 0, proc.stdout + proc.stderr)
        self.assertIn('0 missing, 0 corrupt, 0 orphans, 1 unfinished uploads', self.summary(proc))
        time.sleep(6)
        gc = self.verify(*GC)
        self.assertEqual(gc.rc, 0, gc.stdout + gc.stderr)
        self.assertIn('1 unfinished uploads (1 aborted)', self.summary(gc))
        self.assertEqual(AZ.uncommitted(self.prefix + '/'), [])
        self.assertIn('0 missing, 0 corrupt, 0 orphans, 0 unfinished uploads',
                      self.summary(self.verify()))
        self.assert_oracle(before, 4500)


if __name__ == '__main__':
    unittest.main()
