"""S3 for the integration tests: a throwaway s3rver (the storage), behind sigcheck
(checks SigV4 signatures and payload hashes as S3 does, and answers the multipart
operations s3rver lacks), behind faults (a proxy that injects failures on demand).
The three are Node programs (tests/fixtures/s3/, tests/node/); this module is
standard library only.

    client ──> faults ──> sigcheck ──> s3rver ──> <storage>/<bucket>/...
               endpoint   direct_endpoint

Typical use in tests/integration/test_*.py:

    import s3_harness

    def setUpModule():
        global S3
        S3 = s3_harness.S3Server()      # started; stopped at exit at the latest

    def tearDownModule():
        S3.stop()                       # idempotent

    ... harness.run_ebb([...], env={**pg.env(), **S3.env()})
    ... S3.set_faults([{'match': 'part', 'fault': 'status', 'status': 503}])
    ... S3.get('events/2024/01/01.csv.zst')  # read back, past the faults

or, for one test:  `with s3_harness.S3Server() as s3: ...`

The helpers that read and plant objects (list, get, put, uploads, create_upload)
use the AWS SDK for JavaScript (s3get.js), an S3 client that shares nothing with
ebb, through direct_endpoint: fault plans never touch them, nor their counts.
Start servers from the main thread: each Node process is killed when the thread
that started it ends (so that none outlives a killed test run).
"""

import collections
import json
import os
import re
import secrets
import shutil
import signal
import ssl
import string
import subprocess
import tempfile
import threading
import urllib.error
import urllib.request
from pathlib import Path

import harness

FIXTURES = harness.REPO_ROOT / 'tests' / 'fixtures' / 's3'
NODE_MODULES = harness.REPO_ROOT / 'tests' / 'node' / 'node_modules'
S3RVER_BIN = NODE_MODULES / 's3rver' / 'bin' / 's3rver.js'
S3GET = FIXTURES / 's3get.js'
TEST_KEY = 'AKIAEBBTESTKEY0000001'
REGION = 'us-east-1'
SECRET_ALPHABET = string.ascii_letters + string.digits + '/+'  # as AWS's secrets
# s3rver keeps each unfinished multipart upload in a directory of its own
UPLOADS_DIR = '._S3rver_uploads'
OBJECT_SUFFIX = '._S3rver_object'

Upload = collections.namedtuple('Upload', 'upload_id key parts path')


def _node_env(extra=None):
    """os.environ without AWS_* (a developer's profile or session token must not
    reach a test) and without NODE_OPTIONS, plus `extra`."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith('AWS_') and k != 'NODE_OPTIONS'}
    env.update(extra or {})
    return env


class _NodeServer:
    """One Node server in a process group of its own, its output (stdout and
    stderr) copied to `log_path` by a thread. start() returns the port it
    announced ("NAME listening on 127.0.0.1:PORT", printed once it accepts
    connections); the kernel picks the port, so parallel tests never collide."""

    READY = re.compile(rb'listening on 127\.0\.0\.1:(\d+)')

    def __init__(self, name, args, log_path, env=None):
        self.name, self.args, self.log_path, self.env = name, args, log_path, env
        self.proc = self.port = None
        self._ready = threading.Event()

    def start(self, timeout=60):
        # --pdeathsig: killed with the thread that started it, even by SIGKILL
        cmd = ['setpriv', '--pdeathsig', 'KILL', '--', 'node'] + [str(a) for a in self.args]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, start_new_session=True,
                                     env=_node_env(self.env), cwd=str(FIXTURES))
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        # set by the reader on the announcement, or at end of output (the server died)
        self._ready.wait(timeout)
        if self.port is None:
            self.stop()
            raise RuntimeError('%s did not start (rc %s):\n%s' % (
                self.name, self.proc.returncode, self.log()))
        return self.port

    def _read(self):
        with open(self.log_path, 'ab') as log:
            for line in self.proc.stdout:
                log.write(line)
                log.flush()
                m = self.READY.search(line)
                if m and self.port is None:
                    self.port = int(m.group(1))
                    self._ready.set()
        self._ready.set()

    def log(self):
        try:
            return Path(self.log_path).read_text(errors='replace')
        except FileNotFoundError:
            return ''

    def stop(self):
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self._reader.join(timeout=10)
        self.proc.stdout.close()


class S3Server:
    """s3rver + sigcheck + faults on 127.0.0.1, one bucket, the key pair
    TEST_KEY / a random secret. Attributes: endpoint (through the faults proxy:
    what ebb uses), direct_endpoint (sigcheck, no faults), bucket, key, secret,
    region, storage (s3rver's directory), base (the temp dir holding it and the
    servers' logs)."""

    def __init__(self, bucket='ebb-test', min_part_size=5 * 1024 * 1024, start=True,
                 tls=False):
        self.tls = tls  # the faults proxy serves HTTPS with a certificate of a test CA
        self.ca_file = None
        self.bucket = bucket
        self.key = TEST_KEY
        self.secret = ''.join(secrets.choice(SECRET_ALPHABET) for _ in range(40))
        self.region = REGION
        self.min_part_size = min_part_size  # sigcheck's minimum for all parts but the last
        self.base = self.storage = self.endpoint = self.direct_endpoint = None
        self._servers = []
        if start:
            self.start()

    def __enter__(self):
        if self.endpoint is None:
            self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        harness._install_handlers()
        self.base = tempfile.mkdtemp(prefix='ebb-s3-', dir=harness._tmp_parent())
        self.storage = os.path.join(self.base, 'data')
        os.mkdir(self.storage)
        harness._live.add(self)  # from here on stop() cleans up, also at exit or on a signal
        try:
            s3rver = self._start('s3rver', [
                '--openssl-legacy-provider',  # else truncated listings are 500s on Node 20
                S3RVER_BIN, '--directory', self.storage, '--address', '127.0.0.1',
                '--port', '0', '--configure-bucket', self.bucket, '--no-vhost-buckets'])
            sigcheck = self._start('sigcheck', [
                FIXTURES / 'sigcheck.js', '--backend-port', s3rver, '--storage', self.storage,
                '--region', self.region, '--min-part-size', self.min_part_size],
                env={'EBB_TEST_KEY': self.key, 'EBB_TEST_SECRET': self.secret})
            tls_args = self._make_certificates() if self.tls else []
            faults = self._start('faults', [FIXTURES / 'faults.js', '--upstream-port', sigcheck]
                                 + tls_args)
        except BaseException:
            self.stop()
            raise
        self.direct_endpoint = 'http://127.0.0.1:%d' % sigcheck
        self.endpoint = '%s://127.0.0.1:%d' % ('https' if self.tls else 'http', faults)
        # the row oracle reads s3:// archives through this server's independent client
        harness.OBJECT_READERS['s3'] = self.read_objects
        return self

    def _make_certificates(self):
        """A throwaway CA (self.ca_file) and a certificate it signs for 127.0.0.1;
        returns the faults proxy's TLS arguments."""
        d = os.path.join(self.base, 'tls')
        os.mkdir(d)
        self.ca_file = os.path.join(d, 'ca.pem')
        run = lambda *a: subprocess.run(['openssl'] + list(a), check=True, capture_output=True)
        run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj',
            '/CN=ebb test CA', '-keyout', os.path.join(d, 'ca.key'), '-out', self.ca_file)
        run('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1',
            '-keyout', os.path.join(d, 'server.key'), '-out', os.path.join(d, 'server.csr'))
        ext = os.path.join(d, 'ext.cnf')
        Path(ext).write_text('subjectAltName = IP:127.0.0.1\n')
        run('x509', '-req', '-in', os.path.join(d, 'server.csr'), '-CA', self.ca_file,
            '-CAkey', os.path.join(d, 'ca.key'), '-CAcreateserial', '-days', '2',
            '-extfile', ext, '-out', os.path.join(d, 'server.pem'))
        return ['--tls-cert', os.path.join(d, 'server.pem'),
                '--tls-key', os.path.join(d, 'server.key')]

    def _start(self, name, args, env=None):
        server = _NodeServer(name, args, os.path.join(self.base, name + '.log'), env)
        self._servers.append(server)
        return server.start()

    def stop(self):
        """Stop the three servers, remove the storage; safe to call twice."""
        if self not in harness._live:
            return
        harness._live.discard(self)
        for server in reversed(self._servers):
            server.stop()
        self._servers = []
        shutil.rmtree(self.base, ignore_errors=True)
        self.endpoint = self.direct_endpoint = None

    def pids(self):
        """The servers' process ids (s3rver, sigcheck, faults)."""
        return [s.proc.pid for s in self._servers]

    def logs(self):
        """The three servers' output, for a failing test's message."""
        return ''.join('--- %s ---\n%s' % (s.name, s.log()) for s in self._servers)

    # --- for the program under test ---

    def env(self, direct=False):
        """Variables for a subprocess (ebb) that talks to this server."""
        return {'AWS_ACCESS_KEY_ID': self.key, 'AWS_SECRET_ACCESS_KEY': self.secret,
                'AWS_REGION': self.region,
                'AWS_ENDPOINT_URL': self.direct_endpoint if direct else self.endpoint}

    # --- the fault plan (see tests/fixtures/s3/faults.js) ---

    def _control(self, method, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.endpoint + '/__faults', data=data, method=method,
                                     headers={'Content-Type': 'application/json'})
        # no proxy from the environment for a loopback address
        handlers = [urllib.request.ProxyHandler({})]
        if self.tls:
            handlers.append(urllib.request.HTTPSHandler(
                context=ssl.create_default_context(cafile=self.ca_file)))
        opener = urllib.request.build_opener(*handlers)
        try:
            with opener.open(req, timeout=30) as resp:
                return json.loads(resp.read())
        except urllib.error.HTTPError as e:
            raise ValueError(e.read().decode(errors='replace').strip()) from None

    def set_faults(self, rules):
        """Replace the fault plan with `rules` (a list of dicts) and zero the counts."""
        return self._control('POST', list(rules))

    def clear_faults(self):
        return self._control('DELETE')

    def fault_counts(self):
        """{'rules': [each rule with 'matched' and 'fired'], 'seen': {kind: requests}}."""
        return self._control('GET')

    # --- reading and planting, with an independent client ---

    def s3get(self, *args, check=True, binary=False):
        proc = subprocess.run(['node', str(S3GET), '--endpoint', self.direct_endpoint] +
                              [str(a) for a in args], capture_output=True,
                              env=_node_env(self.env(direct=True)), timeout=120)
        if check and proc.returncode != 0:
            raise RuntimeError('s3get %s failed (rc %d): %s' % (
                ' '.join(map(str, args)), proc.returncode, proc.stderr.decode(errors='replace')))
        return proc if binary else proc.stdout.decode()

    def list(self, prefix=''):
        """[{'key', 'size', 'lastModified'}] of the objects under `prefix`, by key."""
        return [json.loads(line) for line in self.s3get('list', self.bucket, prefix).splitlines()]

    def get(self, key):
        """The object's bytes; KeyError if there is no such object."""
        proc = self.s3get('get', self.bucket, key, '-', check=False, binary=True)
        if proc.returncode == 3:
            raise KeyError(key)
        if proc.returncode != 0:
            raise RuntimeError('s3get get %s failed: %s' % (
                key, proc.stderr.decode(errors='replace')))
        return proc.stdout

    def get_many(self, keys):
        """The bytes of each key, in order, read by one s3get process."""
        with tempfile.TemporaryDirectory(prefix='ebb-s3-get-') as tmp:
            proc = subprocess.run(
                ['node', str(S3GET), '--endpoint', self.direct_endpoint, 'get-many',
                 self.bucket, tmp], input=''.join(k + '\n' for k in keys).encode(),
                capture_output=True, env=_node_env(self.env(direct=True)), timeout=600)
            if proc.returncode != 0:
                raise RuntimeError('s3get get-many failed: %s' % proc.stderr.decode(errors='replace'))
            return [Path(tmp, str(n)).read_bytes() for n in range(len(keys))]

    def url(self, prefix=''):
        """The destination URL of `prefix` in this server's bucket."""
        return 's3://%s/%s' % (self.bucket, prefix)

    def read_objects(self, dest, keys):
        """harness.OBJECT_READERS['s3']: the objects of `dest` (s3://bucket/prefix)."""
        bucket, _, prefix = dest[len('s3://'):].partition('/')
        if bucket != self.bucket:
            raise AssertionError('oracle: %r is not in bucket %r' % (dest, self.bucket))
        prefix = '/'.join(p for p in prefix.split('/') if p)
        return self.get_many([(prefix + '/' if prefix else '') + k for k in keys])

    def put(self, key, data):
        """Store `data` (bytes or str) as `key`; returns the ETag."""
        if isinstance(data, str):
            data = data.encode()
        with tempfile.NamedTemporaryFile(prefix='ebb-s3-put-') as f:
            f.write(data)
            f.flush()
            return self.s3get('put', self.bucket, key, f.name).strip()

    def delete(self, key):
        self.s3get('delete', self.bucket, key)

    def uploads(self, prefix=''):
        """[{'key', 'uploadId', 'initiated'}] of the unfinished multipart uploads,
        as ListMultipartUploads (answered by sigcheck) tells them."""
        return [json.loads(line)
                for line in self.s3get('uploads', self.bucket, prefix).splitlines()]

    def create_upload(self, key, parts=()):
        """Start a multipart upload of `key` (a stale one, for tests of the clean-up),
        upload `parts` (bytes each, numbered from 1) to it; returns its UploadId."""
        upload_id = self.s3get('create-upload', self.bucket, key).strip()
        for number, data in enumerate(parts, 1):
            with tempfile.NamedTemporaryFile(prefix='ebb-s3-part-') as f:
                f.write(data)
                f.flush()
                self.s3get('upload-part', self.bucket, key, upload_id, number, f.name)
        return upload_id

    # --- s3rver's storage, read directly ---

    def object_path(self, key):
        """Where s3rver keeps the bytes of `key`."""
        return os.path.join(self.storage, self.bucket, key + OBJECT_SUFFIX)

    def unfinished_upload_dirs(self):
        """[Upload(upload_id, key, parts, path)] for each unfinished multipart
        upload in s3rver's storage, by key then id; parts: sorted part numbers."""
        root = Path(self.storage, self.bucket, UPLOADS_DIR)
        found = []
        for d in (root.iterdir() if root.is_dir() else []):
            key = d / 'key'
            parts = sorted(int(p.name) for p in d.iterdir() if p.name.isdigit())
            found.append(Upload(d.name, key.read_text() if key.exists() else None, parts, str(d)))
        return sorted(found, key=lambda u: (u.key or '', u.upload_id))
