"""Azure Blob Storage for the integration tests: a throwaway Azurite (Microsoft's
emulator, from npm; it checks Shared Key and SAS signatures as Azure does) behind
faults (the S3 tests' fault-injecting proxy, which classifies Azure's requests too).
Both are Node programs (tests/node/, tests/fixtures/); this module is standard
library only.

    client ──> faults ──> azurite ──> <storage>/...
               endpoint   direct_endpoint

Azurite serves the account devstoreaccount1 path-style
(http://127.0.0.1:PORT/devstoreaccount1/container/blob); its key here is a random
one (AZURITE_ACCOUNTS), so that a test can tell it never leaks. The helpers that
read and plant blobs use the Azure SDK for JavaScript (tests/fixtures/azure/azblob.js),
a client that shares nothing with ebb, through direct_endpoint.

Azurite is required: when tests/node/node_modules has no azurite the server
does not start and the tests fail (they never skip), as CI must see.
"""

import base64
import json
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import harness
import s3_harness

NODE_MODULES = harness.REPO_ROOT / 'tests' / 'node' / 'node_modules'
AZURITE_BIN = NODE_MODULES / 'azurite' / 'dist' / 'src' / 'blob' / 'main.js'
AZBLOB = harness.REPO_ROOT / 'tests' / 'fixtures' / 'azure' / 'azblob.js'
FAULTS = harness.REPO_ROOT / 'tests' / 'fixtures' / 's3' / 'faults.js'
ACCOUNT = 'devstoreaccount1'


def _node_env(extra=None):
    """os.environ without AZURE_* and AWS_* (a developer's must not reach a test),
    without NODE_OPTIONS, plus `extra`."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(('AZURE_', 'AWS_', 'AZURITE_')) and k != 'NODE_OPTIONS'}
    env.update(extra or {})
    return env


class _Azurite(s3_harness._NodeServer):
    READY = re.compile(rb'successfully listens on http://127\.0\.0\.1:(\d+)')


class AzureServer:
    """Azurite + faults on 127.0.0.1, one container. Attributes: endpoint
    (through the faults proxy: what ebb uses), direct_endpoint (Azurite, no
    faults), account, key (base64), container, base (the temp dir holding the
    storage and the servers' logs)."""

    def __init__(self, container='ebb-test', start=True):
        self.account = ACCOUNT
        self.key = base64.b64encode(secrets.token_bytes(64)).decode()
        self.container = container
        self.base = self.endpoint = self.direct_endpoint = None
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
        if not AZURITE_BIN.exists():
            raise RuntimeError('azurite is not installed (%s is missing): run scripts/setup.sh'
                               ' check' % AZURITE_BIN)
        harness._install_handlers()
        self.base = tempfile.mkdtemp(prefix='ebb-azure-', dir=harness._tmp_parent())
        storage = os.path.join(self.base, 'data')
        os.mkdir(storage)
        harness._live.add(self)
        try:
            azurite = self._start(_Azurite, 'azurite', [
                AZURITE_BIN, '--blobHost', '127.0.0.1', '--blobPort', '0', '--location', storage,
                '--skipApiVersionCheck', '--disableTelemetry'],
                env={'AZURITE_ACCOUNTS': '%s:%s' % (self.account, self.key)})
            faults = self._start(s3_harness._NodeServer, 'faults',
                                 [FAULTS, '--upstream-port', azurite])
        except BaseException:
            self.stop()
            raise
        self.direct_endpoint = 'http://127.0.0.1:%d/%s' % (azurite, self.account)
        self.endpoint = 'http://127.0.0.1:%d/%s' % (faults, self.account)
        self._faults_root = 'http://127.0.0.1:%d' % faults
        self.azblob('create-container', self.container)
        harness.OBJECT_READERS['az'] = self.read_objects
        return self

    def _start(self, cls, name, args, env=None):
        server = cls(name, args, os.path.join(self.base, name + '.log'), env)
        self._servers.append(server)
        return server.start()

    def stop(self):
        """Stop both servers, remove the storage; safe to call twice."""
        if self not in harness._live:
            return
        harness._live.discard(self)
        for server in reversed(self._servers):
            server.stop()
        self._servers = []
        shutil.rmtree(self.base, ignore_errors=True)
        self.endpoint = self.direct_endpoint = None

    def logs(self):
        return ''.join('--- %s ---\n%s' % (s.name, s.log()) for s in self._servers)

    # --- for the program under test ---

    def env(self, direct=False, sas=None):
        """Variables for ebb: the account, the endpoint, and the key (or a SAS token)."""
        env = {'AZURE_STORAGE_ACCOUNT': self.account,
               'AZURE_STORAGE_BLOB_ENDPOINT': self.direct_endpoint if direct else self.endpoint}
        if sas is None:
            env['AZURE_STORAGE_KEY'] = self.key
        else:
            env['AZURE_STORAGE_SAS_TOKEN'] = sas
        return env

    def url(self, prefix=''):
        return 'az://%s/%s' % (self.container, prefix)

    # --- the fault plan (tests/fixtures/s3/faults.js), as s3_harness.S3Server's ---

    def _control(self, method, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self._faults_root + '/__faults', data=data, method=method,
                                     headers={'Content-Type': 'application/json'})
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(req, timeout=30) as resp:
                return json.loads(resp.read())
        except urllib.error.HTTPError as e:
            raise ValueError(e.read().decode(errors='replace').strip()) from None

    def set_faults(self, rules):
        return self._control('POST', list(rules))

    def clear_faults(self):
        return self._control('DELETE')

    def fault_counts(self):
        return self._control('GET')

    # --- reading and planting, with the Azure SDK ---

    def azblob(self, *args, check=True, binary=False, input=None):
        proc = subprocess.run(['node', str(AZBLOB), '--endpoint', self.direct_endpoint] +
                              [str(a) for a in args], capture_output=True, input=input,
                              env=_node_env({'AZURE_STORAGE_ACCOUNT': self.account,
                                             'AZURE_STORAGE_KEY': self.key}), timeout=300)
        if check and proc.returncode != 0:
            raise RuntimeError('azblob %s failed (rc %d): %s' % (
                ' '.join(map(str, args)), proc.returncode, proc.stderr.decode(errors='replace')))
        return proc if binary else proc.stdout.decode()

    def list(self, prefix=''):
        """[{'key', 'size', 'lastModified'}] of the committed blobs under `prefix`."""
        return [json.loads(l) for l in self.azblob('list', self.container, prefix).splitlines()]

    def uncommitted(self, prefix=''):
        """Names of the blobs under `prefix` that have only uncommitted blocks."""
        return [json.loads(l)['key'] for l in
                self.azblob('list-uncommitted', self.container, prefix).splitlines()]

    def get(self, key):
        proc = self.azblob('get', self.container, key, '-', check=False, binary=True)
        if proc.returncode == 3:
            raise KeyError(key)
        if proc.returncode != 0:
            raise RuntimeError('azblob get %s failed: %s' % (
                key, proc.stderr.decode(errors='replace')))
        return proc.stdout

    def get_many(self, keys):
        with tempfile.TemporaryDirectory(prefix='ebb-az-get-') as tmp:
            self.azblob('get-many', self.container, tmp,
                        input=''.join(k + '\n' for k in keys).encode())
            return [Path(tmp, str(n)).read_bytes() for n in range(len(keys))]

    def props(self, key):
        return json.loads(self.azblob('props', self.container, key))

    def blocks(self, key):
        return json.loads(self.azblob('blocks', self.container, key))

    def stage_block(self, key, block_id, data):
        with tempfile.NamedTemporaryFile(prefix='ebb-az-block-') as f:
            f.write(data)
            f.flush()
            self.azblob('stage-block', self.container, key,
                        base64.b64encode(block_id.encode()).decode(), f.name)

    def sas(self):
        """A container SAS token (racwdl, one hour), made by the SDK."""
        return self.azblob('sas', self.container).strip()

    def read_objects(self, dest, keys):
        """harness.OBJECT_READERS['az']: the blobs of `dest` (az://container/prefix)."""
        container, _, prefix = dest[len('az://'):].partition('/')
        if container != self.container:
            raise AssertionError('oracle: %r is not in container %r' % (dest, self.container))
        prefix = '/'.join(p for p in prefix.split('/') if p)
        return self.get_many([(prefix + '/' if prefix else '') + k for k in keys])
