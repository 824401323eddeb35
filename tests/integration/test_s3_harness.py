"""The S3 test servers themselves (s3_harness: s3rver behind sigcheck behind
faults), with curl's SigV4 signer as the client: the front refuses what S3 would
refuse (bad signatures, keys, payload hashes, digests, dates, non-canonical
requests), its multipart operations behave as S3's, each fault does what it says
exactly as often as asked, and no server outlives its test."""

import base64
import hashlib
import hmac
import http.client
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET
from collections import namedtuple
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote, urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import protocol_util as pu  # noqa: E402
import s3_harness  # noqa: E402

EMPTY_SHA256 = hashlib.sha256(b'').hexdigest()
NS = '{http://s3.amazonaws.com/doc/2006-03-01/}'


def setUpModule():
    global S3
    S3 = s3_harness.S3Server()


def tearDownModule():
    S3.stop()


Reply = namedtuple('Reply', 'rc status body stderr')


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def curl(test, method, path, body=None, *, sha=None, secret=None, key=None, headers=(),
         endpoint=None, sign=True, verbose=False, provider='aws:amz:us-east-1:s3'):
    """One request by curl 7.88 with its own SigV4 signer (--aws-sigv4), as ebb's
    libcurl would make it. `sha`: the x-amz-content-sha256 value (default: the
    body's; False: none); curl signs whatever it is given. Returns Reply(rc, status, body, stderr);
    status 0 when no answer came."""
    tmp = tempfile.mkdtemp(prefix='ebb-curl-')
    test.addCleanup(shutil.rmtree, tmp, True)
    out = os.path.join(tmp, 'out')
    cmd = ['curl', '-sS', '-X', method, '-o', out, '-w', '%{http_code}', '--max-time', '60']
    if sign:
        cmd += ['--aws-sigv4', provider,
                '--user', '%s:%s' % (key or S3.key, secret or S3.secret)]
        if sha is not False:
            cmd += ['-H', 'x-amz-content-sha256: ' + (sha or sha256(body or b''))]
    if body is not None:
        Path(tmp, 'body').write_bytes(body)
        cmd += ['-T', os.path.join(tmp, 'body')]
    for h in headers:
        cmd += ['-H', h]
    if verbose:
        cmd.append('-v')
    proc = subprocess.run(cmd + [(endpoint or S3.endpoint) + path], capture_output=True,
                          timeout=120)
    got = Path(out).read_bytes() if os.path.exists(out) else b''
    status = int(proc.stdout or 0)
    # curl 7.88 sends "Expect: 100-continue" with every -T upload; a 100 as the
    # last status means that no final answer came
    return Reply(proc.returncode, 0 if status == 100 else status, got,
                 proc.stderr.decode(errors='replace'))


def error_code(body):
    return ET.fromstring(body).findtext('Code')


def obj(key):
    return '/%s/%s' % (S3.bucket, key)


class S3TestCase(unittest.TestCase):
    def assertReply(self, reply, status, code=None):
        """The reply has `status` and, for an error, the S3 error `code`."""
        got = (reply.status, error_code(reply.body) if code else None)
        self.assertEqual(got, (status, code), 'body: %r\ncurl: %s\n%s' % (
            reply.body[:2000], reply.stderr, S3.logs()[-3000:]))

    def assertAbsent(self, key):
        with self.assertRaises(KeyError):
            S3.get(key)
        self.assertFalse(os.path.exists(S3.object_path(key)))


class SignatureTest(S3TestCase):
    def test_signed_put_then_get_round_trips(self):
        data = bytes(range(256)) * 64 + b'\r\n\x00tail'
        key = 'sig/all bytes(1)!.bin'  # space, '(' and '!' percent-encoded in the path
        path = obj('sig/all%20bytes%281%29%21.bin')
        self.assertReply(curl(self, 'PUT', path, data), 200)
        got = curl(self, 'GET', path)
        self.assertReply(got, 200)
        self.assertEqual(got.body, data)
        # the independent reader and s3rver's file agree
        self.assertEqual(S3.get(key), data)
        self.assertEqual(Path(S3.object_path(key)).read_bytes(), data)
        self.assertIn({'key': key, 'size': len(data)},
                      [{'key': o['key'], 'size': o['size']} for o in S3.list('sig/')])
        # the same through sigcheck directly (the Host header names its port)
        direct = curl(self, 'GET', path, endpoint=S3.direct_endpoint)
        self.assertReply(direct, 200)
        self.assertEqual(direct.body, data)

    def test_large_put_goes_through_100_continue(self):
        # curl 7.88 sends "Expect: 100-continue" with every upload (-T) and waits
        # for the answer before the body: both Node servers (faults, sigcheck) must
        # give it, here with a body of several MiB that streams through faults.
        data = os.urandom(3 * 1024 * 1024 + 17)
        for name, endpoint in (('faults', S3.endpoint), ('sigcheck', S3.direct_endpoint)):
            with self.subTest(via=name):
                key = 'expect/%s.bin' % name
                reply = curl(self, 'PUT', obj(key), data, endpoint=endpoint, verbose=True)
                self.assertReply(reply, 200)
                self.assertIn('> Expect: 100-continue', reply.stderr)
                self.assertIn('< HTTP/1.1 100 Continue', reply.stderr)
                self.assertEqual(S3.get(key), data)

    def test_wrong_secret(self):
        reply = curl(self, 'PUT', obj('sig/wrong-secret'), b'x', secret=S3.secret[:-1] + '?')
        self.assertReply(reply, 403, 'SignatureDoesNotMatch')
        self.assertIn(b'<Message>The request signature we calculated does not match the signature'
                      b' you provided. Check your key and signing method.</Message>', reply.body)
        # the error shows what the front signed, for whoever debugs a signer
        self.assertIn('PUT\n/%s/sig/wrong-secret\n' % S3.bucket,
                      ET.fromstring(reply.body).findtext('CanonicalRequest'))
        self.assertAbsent('sig/wrong-secret')

    def test_unknown_key_and_no_signature(self):
        self.assertReply(curl(self, 'PUT', obj('sig/k'), b'x', key='AKIAOTHERKEY000000001'),
                         403, 'InvalidAccessKeyId')
        self.assertReply(curl(self, 'PUT', obj('sig/k'), b'x', sign=False), 403, 'AccessDenied')
        self.assertReply(curl(self, 'PUT', obj('sig/k'), b'x', provider='aws:amz:eu-west-1:s3'),
                         400, 'AuthorizationHeaderMalformed')
        self.assertAbsent('sig/k')

    def test_payload_hash(self):
        data = b'the body'
        self.assertReply(curl(self, 'PUT', obj('sig/h'), data, sha=sha256(b'another body')),
                         400, 'XAmzContentSHA256Mismatch')
        self.assertAbsent('sig/h')
        # curl 7.88 adds no x-amz-content-sha256 of its own: S3 requires one
        self.assertReply(curl(self, 'PUT', obj('sig/h'), data, sha=False), 400, 'InvalidRequest')
        self.assertAbsent('sig/h')
        self.assertReply(curl(self, 'PUT', obj('sig/h'), data, sha='UNSIGNED-PAYLOAD'), 200)
        self.assertEqual(S3.get('sig/h'), data)

    def test_content_md5(self):
        data = b'digest me'
        good = base64.b64encode(hashlib.md5(data).digest()).decode()
        bad = base64.b64encode(hashlib.md5(data + b'!').digest()).decode()
        self.assertReply(curl(self, 'PUT', obj('sig/md5'), data, headers=['Content-MD5: ' + bad]),
                         400, 'BadDigest')
        self.assertAbsent('sig/md5')
        self.assertReply(curl(self, 'PUT', obj('sig/md5'), data, headers=['Content-MD5: ' + good]),
                         200)
        self.assertEqual(S3.get('sig/md5'), data)

    def test_noncanonical_requests_are_refused(self):
        # curl signs the path and query as written; S3 (and sigcheck) sign their
        # canonical form: libcurl 7.88's traps (shared/s3-notes.md) must fail here.
        for name, path in (('raw ( in the key', obj('sig/raw(1)')),
                           ('bare ?uploads', obj('sig/mp') + '?uploads'),
                           ('unsorted query', '/%s/?uploads=&prefix=sig' % S3.bucket)):
            with self.subTest(name):
                method = 'POST' if 'mp' in path else 'GET'
                self.assertReply(curl(self, method, path), 403, 'SignatureDoesNotMatch')
        # curl sorts whole "name:value" lines, so x-amz-meta-a-b before x-amz-meta-a
        meta = ['x-amz-meta-a: 1', 'x-amz-meta-a-b: 2']
        self.assertReply(curl(self, 'PUT', obj('sig/meta'), b'm', headers=meta),
                         403, 'SignatureDoesNotMatch')
        # a user-set X-Amz-Date goes out twice (curl adds its own)
        date = datetime.now(timezone.utc).strftime('X-Amz-Date: %Y%m%dT%H%M%SZ')
        self.assertReply(curl(self, 'PUT', obj('sig/date'), b'd', headers=[date]),
                         403, 'AccessDenied')
        self.assertAbsent('sig/meta')
        self.assertAbsent('sig/date')
        # the same without the prefix clash: signed and stored
        self.assertReply(curl(self, 'PUT', obj('sig/meta'), b'm',
                              headers=['x-amz-meta-a: 1', 'x-amz-meta-b-c: 2']), 200)
        self.assertEqual(S3.get('sig/meta'), b'm')
        self.assertReply(curl(self, 'GET', '/%s/?prefix=sig&uploads=' % S3.bucket), 200)
        created = curl(self, 'POST', obj('sig/mp') + '?uploads=')
        self.assertReply(created, 200)
        upload_id = ET.fromstring(created.body).findtext('UploadId')
        self.assertReply(curl(self, 'DELETE', obj('sig/mp') + '?uploadId=' + upload_id), 204)

    def test_request_time_within_15_minutes(self):
        self.assertReply(curl(self, 'PUT', obj('sig/t'), b'time'), 200)
        now = datetime.now(timezone.utc)
        # a third signer (below) is right, so its refusals are about the date alone
        self.assertEqual(signed_get(obj('sig/t'), now), (200, b'time'))
        for skew in (timedelta(minutes=-16), timedelta(minutes=16)):
            with self.subTest(skew=str(skew)):
                status, body = signed_get(obj('sig/t'), now + skew)
                self.assertEqual((status, error_code(body)), (403, 'RequestTimeTooSkewed'))
        self.assertEqual(signed_get(obj('sig/t'), now - timedelta(minutes=14))[0], 200)


def signed_get(path, when):
    """GET signed by a minimal SigV4 signer of this test's own, dated `when`."""
    host = urlsplit(S3.endpoint).netloc
    amz_date = when.strftime('%Y%m%dT%H%M%SZ')
    headers = {'host': host, 'x-amz-content-sha256': EMPTY_SHA256, 'x-amz-date': amz_date}
    names = sorted(headers)
    canonical = '\n'.join(['GET', path, ''] + ['%s:%s' % (n, headers[n]) for n in names] +
                          ['', ';'.join(names), EMPTY_SHA256])
    scope = '%s/us-east-1/s3/aws4_request' % amz_date[:8]
    to_sign = '\n'.join(['AWS4-HMAC-SHA256', amz_date, scope, sha256(canonical.encode())])
    k = ('AWS4' + S3.secret).encode()
    for part in (amz_date[:8], 'us-east-1', 's3', 'aws4_request'):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    headers['authorization'] = ('AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, '
                                'Signature=%s' % (S3.key, scope, ';'.join(names), signature))
    conn = http.client.HTTPConnection(host, timeout=60)
    try:
        conn.request('GET', path, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def complete_xml(parts):
    return ('<CompleteMultipartUpload>%s</CompleteMultipartUpload>' % ''.join(
        '<Part><PartNumber>%d</PartNumber><ETag>"%s"</ETag></Part>' % (n, etag)
        for n, etag in parts)).encode()


def md5(data):
    return hashlib.md5(data).hexdigest()


class MultipartTest(S3TestCase):
    def tearDown(self):
        for u in S3.unfinished_upload_dirs():
            shutil.rmtree(u.path)

    def test_list_and_abort_uploads(self):
        stale = S3.create_upload('mp/stale.csv', parts=[b'one part'])
        other = S3.create_upload('elsewhere/x.csv')
        listed = {(u['key'], u['uploadId']) for u in S3.uploads()}
        self.assertEqual(listed, {('mp/stale.csv', stale), ('elsewhere/x.csv', other)})
        self.assertEqual([u['uploadId'] for u in S3.uploads('mp/')], [stale])
        on_disk = {u.upload_id: (u.key, u.parts) for u in S3.unfinished_upload_dirs()}
        self.assertEqual(on_disk, {stale: ('mp/stale.csv', [1]), other: ('elsewhere/x.csv', [])})
        # Initiated: when it was created (the key file's time), to the millisecond
        initiated = next(u['initiated'] for u in S3.uploads() if u['uploadId'] == stale)
        age = datetime.now(timezone.utc) - datetime.fromisoformat(initiated.replace('Z', '+00:00'))
        self.assertLess(abs(age.total_seconds()), 60)

        # an id of another key is not that key's upload
        self.assertReply(curl(self, 'DELETE', obj('mp/other.csv') + '?uploadId=' + stale),
                         404, 'NoSuchUpload')
        self.assertReply(curl(self, 'DELETE', obj('mp/stale.csv') + '?uploadId=' + stale), 204)
        self.assertEqual([u['uploadId'] for u in S3.uploads()], [other])
        self.assertEqual([u.upload_id for u in S3.unfinished_upload_dirs()], [other])
        self.assertReply(curl(self, 'DELETE', obj('mp/stale.csv') + '?uploadId=' + stale),
                         404, 'NoSuchUpload')

    def test_list_uploads_in_pages(self):
        made = sorted((key, S3.create_upload(key)) for key in ('p/a', 'p/b', 'p/b', 'p/c/d', 'q'))
        self.assertEqual(sorted(self.list_pages({'prefix': 'p/'})), made[:4])
        self.assertEqual(sorted(self.list_pages({})), made)
        # a delimiter rolls p/c/ up into a common prefix
        reply = curl(self, 'GET', '/%s/?delimiter=%%2F&prefix=p%%2F&uploads=' % S3.bucket)
        self.assertReply(reply, 200)
        doc = ET.fromstring(reply.body)
        self.assertEqual([p.findtext(NS + 'Prefix') for p in doc.findall(NS + 'CommonPrefixes')],
                         ['p/c/'])
        self.assertEqual(sorted(u.findtext(NS + 'Key') for u in doc.findall(NS + 'Upload')),
                         ['p/a', 'p/b', 'p/b'])

    def list_pages(self, query):
        """[(key, uploadId)] by ListMultipartUploads with max-uploads=1, following
        NextKeyMarker and NextUploadIdMarker (the query canonical: sorted, encoded)."""
        found, markers = [], {}
        for _ in range(20):
            params = dict(query, **markers, **{'max-uploads': '1', 'uploads': ''})
            reply = curl(self, 'GET', '/%s/?%s' % (S3.bucket, '&'.join(
                '%s=%s' % (k, quote(v, safe='')) for k, v in sorted(params.items()))))
            self.assertReply(reply, 200)
            doc = ET.fromstring(reply.body)
            uploads = doc.findall(NS + 'Upload')
            self.assertLessEqual(len(uploads), 1)
            found += [(u.findtext(NS + 'Key'), u.findtext(NS + 'UploadId')) for u in uploads]
            if doc.findtext(NS + 'IsTruncated') == 'false':
                return found
            markers = {'key-marker': doc.findtext(NS + 'NextKeyMarker'),
                       'upload-id-marker': doc.findtext(NS + 'NextUploadIdMarker')}
        self.fail('more pages than uploads: %r' % found)

    def test_complete_checks_parts(self):
        p1, p2 = os.urandom(S3.min_part_size), b'last part'
        key = 'mp/done.bin'
        upload = S3.create_upload(key, parts=[p1, p2])
        path = obj(key) + '?uploadId=' + upload
        # a part never uploaded: s3rver alone would crash on it
        for name, parts, code in (
                ('missing part', [(1, md5(p1)), (3, md5(p2))], 'InvalidPart'),
                ('wrong ETag', [(1, md5(p1)), (2, md5(p1))], 'InvalidPart'),
                ('out of order', [(2, md5(p2)), (1, md5(p1))], 'InvalidPartOrder')):
            with self.subTest(name):
                self.assertReply(curl(self, 'POST', path, complete_xml(parts)), 400, code)
        self.assertEqual([u['uploadId'] for u in S3.uploads('mp/')], [upload])
        done = curl(self, 'POST', path, complete_xml([(1, md5(p1)), (2, md5(p2))]))
        self.assertReply(done, 200)
        self.assertEqual(ET.fromstring(done.body).findtext('Key'), key)
        self.assertEqual(S3.get(key), p1 + p2)
        self.assertEqual(S3.unfinished_upload_dirs(), [])
        # done: the id is gone
        self.assertReply(curl(self, 'POST', path, complete_xml([(1, md5(p1))])),
                         404, 'NoSuchUpload')

    def test_parts_too_small(self):
        small = b'x' * 1000
        upload = S3.create_upload('mp/small.bin', parts=[small, small])
        self.assertReply(curl(self, 'POST', obj('mp/small.bin') + '?uploadId=' + upload,
                              complete_xml([(1, md5(small)), (2, md5(small))])),
                         400, 'EntityTooSmall')
        # one small part alone is the last part: allowed
        self.assertReply(curl(self, 'POST', obj('mp/small.bin') + '?uploadId=' + upload,
                              complete_xml([(1, md5(small))])), 200)
        self.assertEqual(S3.get('mp/small.bin'), small)

    def test_part_of_unknown_upload(self):
        self.assertReply(curl(self, 'PUT', obj('mp/u') + '?partNumber=1&uploadId=0123abcd', b'p'),
                         404, 'NoSuchUpload')
        self.assertEqual(S3.unfinished_upload_dirs(), [])  # s3rver would have made one
        upload = S3.create_upload('mp/u')
        self.assertReply(curl(self, 'PUT', obj('mp/u') + '?partNumber=10001&uploadId=' + upload,
                              b'p'), 400, 'InvalidArgument')
        self.assertReply(curl(self, 'PUT', obj('mp/u') + '?partNumber=1&uploadId=' + upload,
                              b'p'), 200)


class FaultsTest(S3TestCase):
    def setUp(self):
        S3.clear_faults()
        self.addCleanup(S3.clear_faults)

    def rule(self, counts, index=0):
        r = counts['rules'][index]
        return r['matched'], r['fired']

    def test_status_503_once(self):
        S3.set_faults([{'match': 'put', 'fault': 'status', 'status': 503, 'count': 1}])
        first = curl(self, 'PUT', obj('f/slow'), b'first')
        self.assertReply(first, 503, 'SlowDown')
        self.assertAbsent('f/slow')
        self.assertReply(curl(self, 'PUT', obj('f/slow'), b'second'), 200)
        self.assertEqual(S3.get('f/slow'), b'second')
        counts = S3.fault_counts()
        self.assertEqual(self.rule(counts), (2, 1))
        self.assertEqual(counts['seen'], {'put': 2})

    def test_after_always_key_and_method(self):
        # parts 2 and 3 of mp/f fail with 500; other keys and part 1 pass
        upload = S3.create_upload('mp/f')
        self.addCleanup(lambda: [shutil.rmtree(u.path) for u in S3.unfinished_upload_dirs()])
        S3.set_faults([{'match': 'part', 'key': 'mp/f', 'after': 1, 'count': 'always',
                        'fault': 'status', 'status': 500},
                       {'match': 'GET', 'fault': 'status', 'count': 2}])
        statuses = [curl(self, 'PUT', obj('mp/f') + '?partNumber=%d&uploadId=%s' % (n, upload),
                         b'part').status for n in (1, 2, 3)]
        self.assertEqual(statuses, [200, 500, 500])
        self.assertReply(curl(self, 'GET', '/%s/?list-type=2' % S3.bucket), 503, 'SlowDown')
        self.assertReply(curl(self, 'GET', obj('mp/f')), 503, 'SlowDown')
        self.assertReply(curl(self, 'GET', obj('mp/f')), 404, 'NoSuchKey')
        counts = S3.fault_counts()
        self.assertEqual((self.rule(counts, 0), self.rule(counts, 1)), ((3, 2), (3, 2)))
        self.assertEqual(counts['seen'], {'part': 3, 'list': 1, 'get': 2})

    def test_truncate_cuts_a_get(self):
        data = os.urandom(200 * 1024)
        S3.put('f/long', data)
        S3.set_faults([{'match': 'get', 'fault': 'truncate', 'bytes': 1000}])
        cut = curl(self, 'GET', obj('f/long'))
        self.assertEqual((cut.rc, cut.status), (18, 200), cut.stderr)  # 18: partial file
        self.assertEqual(cut.body, data[:1000])
        whole = curl(self, 'GET', obj('f/long'))
        self.assertReply(whole, 200)
        self.assertEqual(whole.body, data)

    def test_reset_and_dropped_request_body(self):
        for fault in ('reset', 'drop_request_body'):
            with self.subTest(fault):
                S3.set_faults([{'match': 'put', 'fault': fault}])
                reply = curl(self, 'PUT', obj('f/' + fault), os.urandom(256 * 1024))
                self.assertEqual(reply.status, 0, reply)
                self.assertIn(reply.rc, (52, 55, 56), reply.stderr)  # no reply, send/recv error
                self.assertEqual(self.rule(S3.fault_counts()), (1, 1))
                self.assertAbsent('f/' + fault)

    def test_drop_response_after_the_request_took_effect(self):
        S3.set_faults([{'match': 'put', 'fault': 'drop_response'}])
        reply = curl(self, 'PUT', obj('f/dropped'), b'stored anyway')
        self.assertEqual(reply.status, 0, reply)
        self.assertEqual(S3.get('f/dropped'), b'stored anyway')

    def test_stall_then_drop(self):
        S3.set_faults([{'match': 'head', 'fault': 'stall', 'ms': 300}])
        start = time.monotonic()
        proc = subprocess.run(['curl', '-sS', '-I', S3.endpoint + obj('x')], capture_output=True)
        self.assertEqual(proc.returncode, 52, proc.stderr)  # empty reply
        self.assertGreaterEqual(time.monotonic() - start, 0.3)

    def test_error200_on_complete(self):
        part = b'only part'
        upload = S3.create_upload('f/e200', parts=[part])
        self.addCleanup(lambda: [shutil.rmtree(u.path) for u in S3.unfinished_upload_dirs()])
        S3.set_faults([{'match': 'complete', 'fault': 'error200'}])
        path = obj('f/e200') + '?uploadId=' + upload
        reply = curl(self, 'POST', path, complete_xml([(1, md5(part))]))
        self.assertReply(reply, 200, 'InternalError')
        self.assertEqual(ET.fromstring(reply.body).findtext('Message'),
                         'We encountered an internal error. Please try again.')
        self.assertEqual([u['uploadId'] for u in S3.uploads('f/')], [upload])  # not forwarded
        self.assertReply(curl(self, 'POST', path, complete_xml([(1, md5(part))])), 200)
        self.assertEqual(S3.get('f/e200'), part)
        self.assertEqual(S3.fault_counts()['seen'], {'complete': 2})

    def test_bad_plan_is_refused(self):
        for rule in ({'match': 'puts', 'fault': 'reset'}, {'match': 'put', 'fault': 'explode'},
                     {'match': 'get', 'fault': 'truncate'}, {'match': 'any', 'fault': 'stall'}):
            with self.subTest(rule=rule):
                with self.assertRaises(ValueError):
                    S3.set_faults([rule])


CHILD = """
import sys; sys.path.insert(0, %r)
import s3_harness
s3 = s3_harness.S3Server()
print(s3.base, *s3.pids(), flush=True)
sys.stdin.read()
"""


class CleanupTest(unittest.TestCase):
    def test_stop_leaves_nothing(self):
        s3 = s3_harness.S3Server()
        pids, base = s3.pids(), s3.base
        self.assertTrue(all(map(alive, pids)))
        s3.stop()
        s3.stop()
        self.assertEqual([p for p in pids if alive(p)], [])
        self.assertFalse(os.path.exists(base))

    def test_killed_test_leaves_no_server(self):
        # SIGTERM: the harness stops its servers; SIGKILL: they die with their parent
        for signum in (signal.SIGTERM, signal.SIGKILL):
            with self.subTest(signal=signum.name):
                child = subprocess.Popen(
                    [sys.executable, '-c', CHILD % os.path.dirname(os.path.abspath(__file__))],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                base, *pids = child.stdout.readline().split()
                self.addCleanup(shutil.rmtree, base, True)
                self.assertEqual(len(pids), 3)
                child.send_signal(signum)
                child.wait(timeout=30)
                child.stdin.close()
                child.stdout.close()
                for pid in map(int, pids):
                    pu.wait_until(lambda: not alive(pid), 'node %d has exited' % pid, 10)
                if signum == signal.SIGTERM:
                    self.assertFalse(os.path.exists(base))


def alive(pid):
    """True unless the process is gone or a zombie (see test_harness.alive)."""
    state = pu.proc_state(pid)
    return state is not None and state != 'Z'


if __name__ == '__main__':
    unittest.main()
