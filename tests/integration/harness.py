"""Integration-test harness for ebb: throwaway PostgreSQL clusters, running
ebb, and the row oracle (rows before == rows left + rows in archive objects).

Standard library only; the server is reached through the `psql` binary.

Typical use in tests/integration/test_*.py:

    import harness

    def setUpModule():
        global PG
        PG = harness.Cluster()          # started; stopped at exit at the latest

    def tearDownModule():
        PG.stop()                       # idempotent

or, for one test:  `with harness.Cluster(timezone='Asia/Tokyo') as pg: ...`

Environment: EBB_BIN (ebb binary, default <repo>/build-asan/ebb: the build with the test
hooks, which the crash and stop tests need; ctest sets it), EBB_TEST_TMP
(parent of the clusters' temp dirs, default /dev/shm if roomy, else /tmp).
"""

import atexit
import collections
import functools
import hashlib
import itertools
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import urllib.parse
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PG_BINDIR = Path('/usr/lib/postgresql/15/bin')
NULL_SENTINEL = '\x1dNULL\x1d'  # what query() asks psql to print for NULL
FIELD_SEP, RECORD_SEP = '\x1f', '\x1e'


def quote_ident(name):
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value):
    # standard_conforming_strings is on (the default), so only ' needs doubling
    return "'" + value.replace("'", "''") + "'"


def _conninfo_value(value):
    value = str(value)
    if value and not any(c in value for c in " '\\\t\n"):
        return value
    return "'" + value.replace('\\', '\\\\').replace("'", "\\'") + "'"


def _clean_env(extra=None):
    """os.environ without PG* and AWS_* variables (a developer's PGSERVICE,
    PGPASSWORD, AWS_PROFILE or AWS_SESSION_TOKEN must not leak into a test),
    plus `extra`."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith('PG') and not k.startswith('AWS_')}
    env.update(extra or {})
    return env


# --- running the server's programs as its owner -----------------------------

_AS_ROOT = os.geteuid() == 0


def _owner_cmd(cmd):
    """initdb and postgres refuse to run as root: as root, run them as
    `postgres` (setpriv is a plain exec, no PAM session unlike runuser)."""
    if not _AS_ROOT:
        return cmd
    return ['setpriv', '--reuid=postgres', '--regid=postgres', '--init-groups', '--'] + cmd


def _tmp_parent():
    """$EBB_TEST_TMP, else /dev/shm when it has room, else /tmp. Measured on
    the dev VM: copying a fresh cluster (39 MB, ~1000 files) takes 0.05 s on
    tmpfs but 0.5-0.9 s on the ext4 root disk; initdb 0.6 s vs 1.3 s."""
    if os.environ.get('EBB_TEST_TMP'):
        return os.environ['EBB_TEST_TMP']
    try:
        st = os.statvfs('/dev/shm')
        if st.f_bavail * st.f_frsize >= 2 << 30 and os.access('/dev/shm', os.W_OK | os.X_OK):
            return '/dev/shm'
    except OSError:
        pass
    return '/tmp'


def _make_owned_tmpdir(prefix):
    parent = _tmp_parent()
    os.makedirs(parent, exist_ok=True)
    path = tempfile.mkdtemp(prefix=prefix, dir=parent)
    if _AS_ROOT:
        pw = pwd.getpwnam('postgres')
        os.chown(path, pw.pw_uid, pw.pw_gid)
    return path


def _run_owner(cmd, cwd, check=True):
    # cwd: the postgres user may not be allowed into the caller's directory
    proc = subprocess.run(_owner_cmd(cmd), cwd=cwd, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, env=_clean_env({'LC_ALL': 'C'}))
    if check and proc.returncode != 0:
        raise RuntimeError('%s failed (rc %d):\n%s%s' % (
            ' '.join(cmd), proc.returncode, proc.stdout, proc.stderr))
    return proc


@functools.lru_cache(maxsize=None)
def _bindir():
    """PostgreSQL 15's programs: pg_config's bindir if it is a 15, else Debian's."""
    candidates = [PG_BINDIR]
    try:
        out = subprocess.run(['pg_config', '--bindir'], capture_output=True, text=True)
        candidates.insert(0, Path(out.stdout.strip()))
    except OSError:
        pass
    for bindir in candidates:
        try:
            version = subprocess.run([str(bindir / 'postgres'), '-V'], capture_output=True,
                                     text=True).stdout
        except OSError:
            continue
        if version.split()[-1:] and version.split()[-1].startswith('15.'):
            return bindir
    raise RuntimeError('PostgreSQL 15 not found (tried %s); run scripts/setup.sh'
                       % ', '.join(map(str, candidates)))


# Settings of every test cluster. fsync=off only risks data on an OS crash,
# which no test simulates; synchronous_commit stays at its default.
_BASE_CONF = """
# --- ebb test harness ---
listen_addresses = '127.0.0.1'
max_connections = 50
fsync = off
log_min_messages = warning
include 'ebb_cluster.conf'
"""

_template_lock = threading.Lock()
_template_dir = None


def _template():
    """initdb once per process (~0.6 s); each cluster copies the result (~0.15 s)."""
    global _template_dir
    with _template_lock:
        if _template_dir is None:
            base = _make_owned_tmpdir('ebb-pg-template-')
            _cleanup_paths.append(base)
            data = os.path.join(base, 'data')
            _run_owner([str(_bindir() / 'initdb'), '-D', data, '-U', 'postgres',
                        '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8',
                        '--no-sync', '--no-instructions'], cwd=base)
            with open(os.path.join(data, 'postgresql.conf'), 'a') as f:
                f.write(_BASE_CONF)
            _template_dir = data
        return _template_dir


# --- cleanup: atexit and SIGTERM/SIGINT --------------------------------------

_live = set()          # started clusters
_cleanup_paths = []    # template dirs
_owner_pid = os.getpid()
_handlers_installed = False


def _stop_all():
    if os.getpid() != _owner_pid:  # a forked child must not stop our servers
        return
    for cluster in list(_live):
        cluster.stop()
    for path in _cleanup_paths:
        shutil.rmtree(path, ignore_errors=True)
    global _template_dir
    _template_dir = None


def _on_signal(signum, frame):
    _stop_all()
    previous = _previous_handlers.get(signum)
    if callable(previous):
        previous(signum, frame)  # SIGINT: default_int_handler raises KeyboardInterrupt
    elif previous != signal.SIG_IGN:
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)


_previous_handlers = {}


def _install_handlers():
    global _handlers_installed
    if _handlers_installed or threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGTERM, signal.SIGINT):
        _previous_handlers[signum] = signal.signal(signum, _on_signal)
    _handlers_installed = True


atexit.register(_stop_all)


# --- the cluster -------------------------------------------------------------

class PsqlError(RuntimeError):
    pass


class Cluster:
    """A throwaway PostgreSQL 15 server on 127.0.0.1:<free port> and a unix
    socket in its temp dir; superuser `postgres`, trust auth."""

    def __init__(self, timezone='UTC', start=True, preload=None):
        self.timezone = timezone
        self.preload = preload  # shared_preload_libraries, e.g. 'timescaledb'

        self.bindir = _bindir()
        self.base = self.datadir = self.sockdir = self.port = None
        if start:
            self.start()

    def __enter__(self):
        if self.port is None:
            self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        _install_handlers()
        self.base = _make_owned_tmpdir('ebb-pg-')
        self.datadir = os.path.join(self.base, 'data')
        # unix socket paths are limited to ~107 bytes
        self.sockdir = self.base if len(self.base) < 80 else _make_owned_tmpdir('ebb-s-')
        self.logfile = os.path.join(self.base, 'server.log')
        _live.add(self)  # from here on stop() cleans up
        _run_owner(['cp', '-a', _template(), self.datadir], cwd=self.base)
        for attempt in range(10):
            self.port = _free_port()
            self._write_conf()
            proc = _run_owner([str(self.bindir / 'pg_ctl'), '-D', self.datadir, '-l',
                               self.logfile, '-w', '-t', '60', 'start'],
                              cwd=self.base, check=False)
            if proc.returncode == 0:
                return self
            log = Path(self.logfile).read_text(errors='replace') if os.path.exists(
                self.logfile) else ''
            # another process took the port between _free_port() and bind()
            if 'Address already in use' not in log:
                break
        self.stop()
        raise RuntimeError('could not start PostgreSQL:\n%s%s\n--- server log ---\n%s' % (
            proc.stdout, proc.stderr, log))

    def _write_conf(self):
        conf = "port = %d\nunix_socket_directories = %s\nTimeZone = %s\n" % (
            self.port, quote_literal(self.sockdir), quote_literal(self.timezone))
        if self.preload:
            conf += "shared_preload_libraries = %s\ntimescaledb.telemetry_level = off\n" % (
                quote_literal(self.preload)) if self.preload == 'timescaledb' else (
                "shared_preload_libraries = %s\n" % quote_literal(self.preload))
        path = os.path.join(self.datadir, 'ebb_cluster.conf')
        with open(path, 'w') as f:
            f.write(conf)
        if os.path.exists(self.logfile):
            os.unlink(self.logfile)

    def stop(self):
        """Immediate shutdown and removal of the directory; safe to call twice."""
        if self not in _live:
            return
        _live.discard(self)
        if os.path.exists(os.path.join(self.datadir, 'postmaster.pid')):
            _run_owner([str(self.bindir / 'pg_ctl'), '-D', self.datadir, '-m', 'immediate',
                        '-w', 'stop'], cwd=self.base, check=False)
        for path in {self.base, self.sockdir}:
            shutil.rmtree(path, ignore_errors=True)
        self.port = None

    # --- connecting ---

    def dsn(self, db='postgres', tcp=False):
        host = '127.0.0.1' if tcp else self.sockdir
        return 'host=%s port=%d user=postgres dbname=%s' % (
            _conninfo_value(host), self.port, _conninfo_value(db))

    def env(self, db=None):
        """PG* variables for running ebb without --dsn."""
        env = {'PGHOST': self.sockdir, 'PGPORT': str(self.port), 'PGUSER': 'postgres'}
        if db is not None:
            env['PGDATABASE'] = db
        return env

    def _psql(self, args, db, stdin=None, check=True):
        # the bindir's psql: /usr/bin/psql is Debian's Perl wrapper (+25 ms a call)
        cmd = [str(self.bindir / 'psql'), '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1',
               '-d', self.dsn(db)] + args
        if isinstance(stdin, str):
            stdin = stdin.encode()
        proc = subprocess.run(cmd, input=stdin, capture_output=True,
                              env=_clean_env({'PGCLIENTENCODING': 'UTF8'}))
        if check and proc.returncode != 0:
            raise PsqlError('psql failed (rc %d) on %s: %s' % (
                proc.returncode, args, proc.stderr.decode(errors='replace')))
        return proc.stdout.decode()

    def psql(self, sql, db='postgres', check=True):
        """Run an SQL script (statements run one by one, as psql -f would);
        return stdout."""
        return self._psql(['-f', '-'], db, stdin=sql, check=check)

    def copy_in(self, copy_sql, data, db='postgres'):
        """Run `COPY ... FROM STDIN ...` with `data` (bytes or str) as the input."""
        return self._psql(['-c', copy_sql], db, stdin=data)

    def query(self, sql, db='postgres'):
        """One statement's rows as tuples of str, NULL as None. Control-character
        separators let values hold commas, tabs and newlines."""
        out = self._psql(['-F', FIELD_SEP, '-R', RECORD_SEP, '-P', 'null=' + NULL_SENTINEL,
                          '-c', sql], db)
        if out == '':  # no rows; otherwise psql ends the output with \n
            return []
        return [tuple(None if v == NULL_SENTINEL else v for v in rec.split(FIELD_SEP))
                for rec in out[:-1].split(RECORD_SEP)]

    def createdb(self, name):
        self.psql('CREATE DATABASE %s' % quote_ident(name))
        return name


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


# --- running ebb ---------------------------------------------------------------

class Result(subprocess.CompletedProcess):
    rc = property(lambda self: self.returncode)


def ebb_bin():
    return os.environ.get('EBB_BIN') or str(REPO_ROOT / 'build-asan' / 'ebb')


def run_ebb(args, env=None, input=None, timeout=120):
    """Run ebb with `args`; connection settings go in `env` (cluster.env()),
    never on the command line. PG* variables of the caller are dropped."""
    args = [str(a) for a in args]
    for a in args:
        if 'password=' in a.lower() or re.search(r'://[^/@\s]*:[^/@\s]*@', a):
            raise ValueError('run_ebb: no secrets on argv (%r); use PGPASSWORD in env' % a)
    if isinstance(input, str):
        input = input.encode()
    proc = subprocess.run([ebb_bin()] + args, input=input, capture_output=True,
                          env=_clean_env(env), timeout=timeout)
    return Result(proc.args, proc.returncode,
                  proc.stdout.decode(errors='replace'), proc.stderr.decode(errors='replace'))


def assert_error(testcase, proc, rc, first_line):
    """ebb exited with `rc` and the first line of stderr is exactly `first_line`."""
    lines = proc.stderr.splitlines()
    testcase.assertEqual((proc.rc, lines[0] if lines else ''), (rc, first_line),
                         'stderr was:\n' + proc.stderr)


# --- the row oracle --------------------------------------------------------------

_QUOTED = re.compile(r'"([^"]*(?:""[^"]*)*)"')
_PLAIN = re.compile(r'(?:[^,\r\n"]|\r(?!\n))+')


def parse_pg_csv(text):
    """Records of PostgreSQL CSV as tuples, an unquoted empty field as None.
    Python's csv module (before 3.12's QUOTE_NOTNULL) cannot tell NULL (an
    unquoted empty field) from '' (""), which the oracle must keep apart."""
    rows, row, field, i, n = [], [], None, 0, len(text)
    while i < n:
        if text[i] == ',':
            row.append(field)
            field, i = None, i + 1
        elif text[i] == '\n' or text.startswith('\r\n', i):
            row.append(field)
            rows.append(tuple(row))
            row, field, i = [], None, i + (1 if text[i] == '\n' else 2)
        else:
            quoted = text[i] == '"'
            m = (_QUOTED if quoted else _PLAIN).match(text, i)
            if not m:
                raise ValueError('unterminated quoted CSV field at offset %d' % i)
            field = (field or '') + (m.group(1).replace('""', '"') if quoted else m.group())
            i = m.end()
    if row or field is not None:  # last record without a line end
        row.append(field)
        rows.append(tuple(row))
    return rows


def _render_sql(table):
    return 'COPY (SELECT * FROM %s) TO STDOUT (FORMAT csv)' % table


def table_rows_csv(cluster, db, qualified_table):
    """Counter of the table's rows, each rendered by PostgreSQL's COPY ... csv."""
    out = cluster._psql(['-c', _render_sql(qualified_table)], db)
    return collections.Counter(parse_pg_csv(out))


_scratch_ids = itertools.count(1)


def _ledger(cluster, db, qualified_table):
    if cluster.query("SELECT to_regclass('ebb.archive_ledger') IS NULL", db) == [('t',)]:
        return []
    (schema, name), = cluster.query(
        'SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n'
        ' ON n.oid = c.relnamespace WHERE c.oid = %s::regclass'
        % quote_literal(qualified_table), db)
    return cluster.query(
        'SELECT dest, object_key, rows, bytes, sha256, format, compression'
        ' FROM ebb.archive_ledger WHERE table_schema = %s AND table_name = %s'
        ' ORDER BY object_key' % (quote_literal(schema), quote_literal(name)), db)


def _read_files(dest, keys):
    # A file:// URL's path is percent-decoded, as ebb decodes it (file:///a%20b is "/a b").
    root = urllib.parse.unquote(dest[len('file://'):]).rstrip('/')
    return [Path(root + '/' + key).read_bytes() for key in keys]


# Readers of archive objects by URL scheme: fn(dest_url, [key]) -> [bytes], in
# one go (an S3 client costs a process start). s3_harness.S3Server registers
# 's3' with an independent client (the AWS SDK for JavaScript).
OBJECT_READERS = {'file': _read_files}


def _fetch_objects(ledger):
    """{(dest, key): bytes} of every ledger row, one reader call per destination."""
    by_dest = collections.defaultdict(list)
    for dest, key, *_ in ledger:
        by_dest[dest].append(key)
    out = {}
    for dest, keys in by_dest.items():
        scheme = dest.split('://', 1)[0]
        if scheme not in OBJECT_READERS:
            raise NotImplementedError('oracle: no reader for %r' % dest)
        out.update(((dest, k), data) for k, data in zip(keys, OBJECT_READERS[scheme](dest, keys)))
    return out


def _check_object(dest, key, raw, size, sha256, compression, fmt='csv'):
    path = dest.rstrip('/') + '/' + key
    if len(raw) != int(size):
        raise AssertionError('%s: %d bytes, ledger says %s' % (path, len(raw), size))
    digest = hashlib.sha256(raw).hexdigest()
    if digest != sha256:
        raise AssertionError('%s: sha256 %s, ledger says %s' % (path, digest, sha256))
    if fmt == 'parquet':
        # compressed inside, page by page: `compression` names the Parquet codec
        if compression not in ('zstd', 'snappy', 'gzip', 'none'):
            raise AssertionError('%s: unknown Parquet compression %r' % (path, compression))
        return raw
    # decompress with the stock tools, not with anything ebb shares code with
    tools = {'zstd': ['zstd', '-dc'], 'gzip': ['gzip', '-dc']}
    if compression == 'none':
        return raw
    if compression not in tools:
        raise AssertionError('%s: unknown compression %r' % (path, compression))
    proc = subprocess.run(tools[compression], input=raw, capture_output=True)
    if proc.returncode != 0:
        raise AssertionError('%s: %s' % (path, proc.stderr.decode(errors='replace')))
    return proc.stdout


def _parquet_to_csv(pairs):
    """Parquet objects to PostgreSQL CSV by DuckDB, all in one reader process
    (parquet_tools, imported here: it is Node-based and most tests need no Parquet)."""
    import parquet_tools
    try:
        csvs = parquet_tools.pq_csv([pq for _, pq in pairs])
    except parquet_tools.PqreadError as e:
        raise AssertionError('could not read the Parquet objects: %s' % e) from None
    for (path, _), data in zip(pairs, csvs):
        Path(path).write_bytes(data)


def archived_rows(cluster, db, qualified_table, scratch_schema='oracle'):
    """Counter of the rows in the table's committed archive objects (those in
    ebb.archive_ledger), loaded by PostgreSQL itself into a scratch copy of the
    table and rendered like table_rows_csv(). Checks each object's size,
    sha256 and row count against the ledger (AssertionError on mismatch).
    All objects load in one psql session (\\copy from decompressed files), so
    that hundreds of objects cost one server round of start-up, not hundreds.
    Parquet objects (format 'parquet') are not decompressed (their codec works
    page by page inside): DuckDB turns them into CSV first (parquet_tools.pq_csv,
    one reader process for all of them)."""
    ledger = _ledger(cluster, db, qualified_table)
    if not ledger:
        return collections.Counter()
    scratch = '%s.scratch_%d' % (quote_ident(scratch_schema), next(_scratch_ids))
    script = ['CREATE SCHEMA IF NOT EXISTS %s;' % quote_ident(scratch_schema),
              'DROP TABLE IF EXISTS %s;' % scratch,
              # generated columns stay generated: objects leave them out, COPY recomputes them
              'CREATE TABLE %s (LIKE %s INCLUDING GENERATED);' % (scratch, qualified_table)]
    objects = _fetch_objects(ledger)
    with tempfile.TemporaryDirectory(prefix='ebb-oracle-') as tmp:
        parquet = []  # (csv path, parquet path)
        for n, (dest, key, rows, size, sha256, fmt, compression) in enumerate(ledger):
            if fmt not in ('csv', 'parquet'):
                raise NotImplementedError('oracle: format %r (%s)' % (fmt, key))
            data = _check_object(dest, key, objects[(dest, key)], size, sha256, compression,
                                 fmt)
            path = os.path.join(tmp, '%d.csv' % n)
            if fmt == 'parquet':
                parquet.append((path, os.path.join(tmp, '%d.parquet' % n)))
                Path(parquet[-1][1]).write_bytes(data)
            else:
                Path(path).write_bytes(data)
            # HEADER MATCH also checks that the header names the table's columns
            script.append("\\copy %s FROM '%s' (FORMAT csv, HEADER match)" % (scratch, path))
            script.append('SELECT count(*) FROM %s;' % scratch)
        if parquet:
            _parquet_to_csv(parquet)
        try:
            counts = cluster._psql([], db, stdin='\n'.join(script).encode()).split()
        except PsqlError as e:
            cluster.psql('DROP TABLE IF EXISTS %s' % scratch, db)
            raise AssertionError('could not load the archive objects: %s' % e) from None
    previous = 0
    for (dest, key, rows, *_), cumulative in zip(ledger, counts):
        if int(cumulative) - previous != int(rows):
            cluster.psql('DROP TABLE %s' % scratch, db)
            raise AssertionError('%s: %d rows, ledger says %s' % (
                key, int(cumulative) - previous, rows))
        previous = int(cumulative)
    out = cluster._psql(['-c', _render_sql(scratch), '-c', 'DROP TABLE %s' % scratch], db)
    return collections.Counter(parse_pg_csv(out))


def _examples(counter, limit=5):
    return ''.join('\n    %dx %r' % (n, row)
                   for row, n in itertools.islice(counter.items(), limit))


AT_LEAST_ONE = object()


def assert_oracle(testcase, before, cluster, db, table, archived=AT_LEAST_ONE):
    """The multiset of rows `before` equals the rows left plus the archived ones,
    and the archive holds `archived` rows: an exact count, or by default at least
    one (an archiver that archives nothing must not pass an oracle check)."""
    left = table_rows_csv(cluster, db, table)
    got = archived_rows(cluster, db, table)
    after = left + got
    if after != before:
        missing, extra = before - after, after - before
        testcase.fail('oracle: %s in %r: %d rows before, %d left + %d archived;'
                      ' %d missing, %d extra\n  missing:%s\n  extra:%s' % (
                          table, db, sum(before.values()), sum(left.values()),
                          sum(got.values()), sum(missing.values()),
                          sum(extra.values()), _examples(missing), _examples(extra)))
    n = sum(got.values())
    if archived is AT_LEAST_ONE:
        if n == 0:
            testcase.fail('oracle: %s in %r: nothing archived (%d rows left)' % (
                table, db, sum(left.values())))
    elif n != archived:
        testcase.fail('oracle: %s in %r: %d rows archived, expected %d' % (
            table, db, n, archived))
    return left, got
