"""The harness itself, against a real PostgreSQL: quoting, NULL vs '', the
oracle (it passes on a faithful archive and fails on a damaged one), cleanup."""

import csv
import hashlib
import io
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

DB = 'we"ird'
TABLE = 'public."Events"'
NASTY = 'he said "hi", then\r\nleft,\n again ✓ 日本 ü'
VALUES = [NASTY, None, '', '\\.', '\n', '"', ' ', 'plain', 'NULL', '\\N']


def setUpModule():
    global PG
    PG = harness.Cluster()
    PG.createdb(DB)


def tearDownModule():
    PG.stop()


def lit(v):
    return 'NULL' if v is None else harness.quote_literal(v)


class HarnessTest(unittest.TestCase):
    def setUp(self):
        # 40 rows: ids 1..40, each note one of VALUES, ts one hour apart
        rows = ',\n'.join("(%d, '2024-01-01'::timestamptz + %d * interval '1 hour', %s)"
                          % (i, i, lit(VALUES[i % len(VALUES)])) for i in range(1, 41))
        PG.psql('DROP SCHEMA IF EXISTS ebb CASCADE;'
                'DROP SCHEMA IF EXISTS oracle CASCADE;'
                'DROP TABLE IF EXISTS %s;'
                'CREATE TABLE %s (id int, ts timestamptz, note text);'
                'INSERT INTO %s VALUES %s;' % (TABLE, TABLE, TABLE, rows), db=DB)
        self.dest = tempfile.mkdtemp(prefix='ebb-archive-')
        self.addCleanup(shutil.rmtree, self.dest, True)

    def test_query_and_dsn(self):
        self.assertEqual(PG.query('SELECT current_database(), NULL, %s' % lit(NASTY), db=DB),
                         [(DB, None, NASTY)])
        self.assertEqual(PG.query('SELECT 1 WHERE false'), [])
        self.assertIn('dbname=we"ird', PG.dsn(DB))
        self.assertEqual(PG.query("SELECT ''"), [('',)])
        # the TCP form of the DSN works too, and the server runs in UTC
        out = subprocess.run([str(PG.bindir / 'psql'), '-X', '-At', '-c', 'SHOW TimeZone',
                              PG.dsn(DB, tcp=True)], capture_output=True, text=True,
                             check=True).stdout
        self.assertEqual(out, 'UTC\n')

    def test_rows_keep_null_and_empty_apart(self):
        rows = harness.table_rows_csv(PG, DB, TABLE)
        self.assertEqual(sum(rows.values()), 40)
        notes = [r[2] for r in rows]
        self.assertIn(None, notes)
        self.assertIn('', notes)
        self.assertIn(NASTY, notes)  # CR/LF, quotes, commas and unicode round-trip
        self.assertEqual(rows[('10', '2024-01-01 10:00:00+00', NASTY)], 1)
        # the csv module agrees once NULL is flattened to ''
        text = PG._psql(['-c', harness._render_sql(TABLE)], DB)
        flat = [tuple('' if v is None else v for v in r) for r in harness.parse_pg_csv(text)]
        self.assertEqual(flat, [tuple(r) for r in csv.reader(io.StringIO(text, newline=''))])

    def archive_half(self):
        """Fake what ebb archive does: rows with id <= 20 into three objects
        (zstd, gzip, none) plus ledger rows, then delete them."""
        PG.psql("""
            CREATE SCHEMA ebb;
            CREATE TABLE ebb.archive_ledger (
                table_schema text, table_name text, dest text, object_key text,
                rows bigint, bytes bigint, sha256 text, format text, compression text,
                window_start timestamp, window_end timestamp, run_id text)""", db=DB)
        objects = {}
        for n, (compression, lo, hi) in enumerate([('zstd', 1, 8), ('gzip', 9, 15),
                                                     ('none', 16, 20)]):
            key = 'public.Events/dt=2024-01-01/hour=%02d/x_run1.csv%s' % (
                n, {'zstd': '.zst', 'gzip': '.gz', 'none': ''}[compression])
            path = Path(self.dest, key)
            path.parent.mkdir(parents=True)
            data = PG._psql(['-c', 'COPY (SELECT * FROM %s WHERE id BETWEEN %d AND %d)'
                             ' TO STDOUT (FORMAT csv, HEADER)' % (TABLE, lo, hi)], DB).encode()
            if compression != 'none':
                data = subprocess.run([compression, '-c'], input=data, check=True,
                                      capture_output=True).stdout
            path.write_bytes(data)
            PG.psql("INSERT INTO ebb.archive_ledger VALUES ('public', 'Events', %s, %s, %d, %d,"
                    " %s, 'csv', %s, '2024-01-01', '2024-01-02', 'run1')" % (
                        lit('file://' + self.dest), lit(key), hi - lo + 1, len(data),
                        lit(hashlib.sha256(data).hexdigest()), lit(compression)), db=DB)
            objects[compression] = path
        PG.psql('DELETE FROM %s WHERE id <= 20' % TABLE, db=DB)
        return objects

    def test_oracle_passes_on_faithful_archive(self):
        before = harness.table_rows_csv(PG, DB, TABLE)
        self.archive_half()
        left, archived = harness.assert_oracle(self, before, PG, DB, TABLE)
        self.assertEqual((sum(left.values()), sum(archived.values())), (20, 20))
        self.assertEqual(PG.query("SELECT count(*) FROM pg_tables WHERE schemaname = 'oracle'",
                                  db=DB), [('0',)])

    def test_oracle_fails_on_flipped_byte(self):
        before = harness.table_rows_csv(PG, DB, TABLE)
        path = self.archive_half()['zstd']
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0x01
        path.write_bytes(data)
        with self.assertRaisesRegex(AssertionError, 'sha256'):
            harness.assert_oracle(self, before, PG, DB, TABLE)

    def test_oracle_fails_on_dropped_row(self):
        before = harness.table_rows_csv(PG, DB, TABLE)
        path = self.archive_half()['none']  # ids 16..20; 20 holds NASTY
        data = path.read_bytes()
        data = data[:data.index(b'\n20,') + 1]  # drop the last record, CR/LF and all
        path.write_bytes(data)
        size, sha = len(data), hashlib.sha256(data).hexdigest()
        PG.psql("UPDATE ebb.archive_ledger SET bytes = %d, sha256 = '%s'"
                " WHERE compression = 'none'" % (size, sha), db=DB)
        # the ledger's checksum matches, its row count does not
        with self.assertRaisesRegex(AssertionError, '4 rows, ledger says 5'):
            harness.assert_oracle(self, before, PG, DB, TABLE)
        # and with a consistent ledger, the multiset comparison catches it
        PG.psql("UPDATE ebb.archive_ledger SET rows = 4 WHERE compression = 'none'", db=DB)
        with self.assertRaisesRegex(AssertionError, '1 missing, 0 extra'):
            harness.assert_oracle(self, before, PG, DB, TABLE)

    def test_oracle_fails_on_row_archived_but_not_deleted(self):
        before = harness.table_rows_csv(PG, DB, TABLE)
        self.archive_half()
        PG.psql('INSERT INTO %s VALUES (1, %s, %s)' % (
            TABLE, lit('2024-01-01 01:00:00+00'), lit(NASTY)), db=DB)
        with self.assertRaisesRegex(AssertionError, '0 missing, 1 extra'):
            harness.assert_oracle(self, before, PG, DB, TABLE)

    def test_run_ebb_env_and_assert_error(self):
        os.environ['EBB_BIN'], old = '/bin/sh', os.environ.get('EBB_BIN')
        try:
            os.environ['PGSERVICE'] = 'leak'
            proc = harness.run_ebb(['-c', 'echo "$PGPORT $PGSERVICE"; echo "ebb: error: x" >&2;'
                                    ' echo "DETAIL: y" >&2; exit 3'], env=PG.env())
        finally:
            del os.environ['PGSERVICE']
            os.environ.pop('EBB_BIN') if old is None else os.environ.update(EBB_BIN=old)
        self.assertEqual(proc.stdout, '%d \n' % PG.port)
        harness.assert_error(self, proc, 3, 'ebb: error: x')
        with self.assertRaises(AssertionError):
            harness.assert_error(self, proc, 3, 'ebb: error: y')
        with self.assertRaises(ValueError):
            harness.run_ebb(['--dsn', 'postgresql://u:secret@localhost/db'])


CHILD = """
import sys; sys.path.insert(0, %r)
import harness
c = harness.Cluster()
print(c.datadir, flush=True)
sys.stdin.read()
"""


class CleanupTest(unittest.TestCase):
    def test_signal_stops_server(self):
        for signum in (signal.SIGTERM, signal.SIGINT):
            with self.subTest(signal=signum.name):
                child = subprocess.Popen([sys.executable, '-c', CHILD % os.path.dirname(
                    os.path.abspath(__file__))], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL, text=True)
                datadir = child.stdout.readline().strip()
                pid = int(Path(datadir, 'postmaster.pid').read_text().split()[0])
                child.send_signal(signum)
                child.wait(timeout=30)
                child.stdin.close()
                child.stdout.close()
                self.assertFalse(os.path.exists(datadir))
                deadline = time.monotonic() + 10
                while alive(pid) and time.monotonic() < deadline:
                    time.sleep(0.01)  # polling for the exit to be reaped
                self.assertFalse(alive(pid), 'postmaster %d still running' % pid)


def alive(pid):
    """True unless the process is gone or a zombie (the postmaster's parent,
    pg_ctl, exited long ago; init reaps it when it gets to it)."""
    try:
        return Path('/proc/%d/stat' % pid).read_text().rsplit(')', 1)[1].split()[0] != 'Z'
    except FileNotFoundError:
        return False


if __name__ == '__main__':
    unittest.main()
