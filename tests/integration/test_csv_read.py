"""The reading side of ebb's CSV objects (encode/csv_read.c) and the COPY text form rows go
back in (pg/copy_text.c), end to end, through tests/tools/csv2copy: a table of every common
type and of nasty strings (a line that is exactly \\. inside a multi-line value, \\N as a
literal string, backslashes, tabs, CR, LF) is archived with ebb archive; each object
(decompressed with zstd -dc) goes through csv2copy into psql's \\copy ... FROM STDIN (text
format) into an empty copy of the table, which then holds exactly the original rows (EXCEPT
ALL both ways on each row's text form, and the counts). PostgreSQL 15's COPY FROM (FORMAT csv)
cannot load such objects; the text form can. An object the reader rejects fails csv2copy with
the reader's message."""

import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import archive_inputs as ai  # noqa: E402
import test_archive_types as types  # noqa: E402

DB = 'csvread'
TABLE = 'public.alltypes'
ORIGINAL = 'public.original'
RESTORED = 'public.restored'

# Values the COPY text form must escape, and the line \. that ends COPY csv data on PG 15.
NASTY = ['x\n\\.\ny', '\\.', '\\.\n', '\n\\.', 'a\r\n\\.\r\nb', '\\N', '\\', 'back\\slash\\',
         'tab\there\t', '\t', '\\t\\n', 'multi\nline\r\nvalue\rend', 'é 日本 😀', '', ' ']


def csv2copy():
    return (os.environ.get('EBB_CSV2COPY')
            or str(harness.REPO_ROOT / 'build-asan' / 'tests' / 'csv2copy'))


def setUpModule():
    global PG
    PG = harness.Cluster()
    PG.createdb(DB)
    PG.psql(types.TYPES_DDL, db=DB)


def tearDownModule():
    PG.stop()


def row_texts(table):
    """The rows' text form (row::text) with counts, for EXCEPT ALL over types without an
    equality operator (json, point)."""
    return 'SELECT t::text FROM %s t' % table


class CsvReadTest(unittest.TestCase):
    def make_table(self):
        """alltypes with the edge rows and the nasty strings of test_archive_types, plus
        NASTY in the text columns; a copy of it (ORIGINAL) and an empty one (RESTORED)."""
        sql, n = types.rows_sql(TABLE)
        text_col = harness.quote_ident('Mixed Case, "quoted" col')
        inserts = ['INSERT INTO %s (id, ts, c_text, %s, c_text_arr) VALUES (%d, '
                   "'2021-03-01 00:00+00'::timestamptz + %d * interval '7 min', %s, %s, ARRAY[%s]);"
                   % (TABLE, text_col, 1000 + i, i, harness.quote_literal(v),
                      harness.quote_literal(v[::-1]), harness.quote_literal(v))
                   for i, v in enumerate(NASTY)]
        PG.psql('DROP SCHEMA IF EXISTS ebb CASCADE; DROP TABLE IF EXISTS %s, %s, %s;'
                % (TABLE, ORIGINAL, RESTORED), db=DB)
        PG.psql(types.table_ddl(TABLE) + sql + '\n'.join(inserts) +
                'CREATE TABLE %s AS SELECT * FROM %s;'
                'CREATE TABLE %s (LIKE %s);' % (ORIGINAL, TABLE, RESTORED, TABLE), db=DB)
        n += len(NASTY)
        self.assertEqual(ai.count(PG, DB, TABLE), n)
        return n

    def to_copy_text(self, path):
        """The object's rows in COPY text form; its header goes to stderr, one name a line."""
        raw = subprocess.run(['zstd', '-dc', '--', path], capture_output=True, check=True).stdout
        proc = subprocess.run([csv2copy()], input=raw, capture_output=True)
        self.assertEqual(proc.returncode, 0, proc.stderr.decode(errors='replace'))
        self.assertEqual(proc.stderr.decode().split('\n')[:-1], types.NAMES)
        return raw, proc.stdout

    def test_objects_load_back_as_copy_text(self):
        n = self.make_table()
        dest = ai.new_dest(self)
        ai.assert_ok(self, ai.archive(PG, DB, dest, table=TABLE, time_column='ts'))
        self.assertEqual(ai.count(PG, DB, TABLE), 0)
        paths = ai.objects(dest)
        self.assertGreater(len(paths), 3)
        raws = b''
        for rel in paths:
            self.assertTrue(rel.endswith('.csv.zst'), rel)
            raw, text = self.to_copy_text(os.path.join(dest, rel))
            raws += raw
            PG._psql(['-c', '\\copy %s FROM STDIN' % RESTORED], DB, stdin=text)
        # the objects hold the cases that matter: a quoted value with a \. line, \N, tabs
        self.assertIn(b'"x\n\\.\ny"', raws)
        self.assertIn(b',\\N,', raws)
        self.assertIn(b'tab\there', raws)
        self.assertEqual(ai.count(PG, DB, RESTORED), n)
        for a, b in ((ORIGINAL, RESTORED), (RESTORED, ORIGINAL)):
            with self.subTest(missing_from=b):
                self.assertEqual(PG.query('%s EXCEPT ALL %s' % (row_texts(a), row_texts(b)), DB),
                                 [])
        got = PG.query('SELECT c_text FROM %s WHERE id >= 1000 ORDER BY id' % RESTORED, DB)
        self.assertEqual([v for (v,) in got], NASTY)

    def test_malformed_object_fails(self):
        cases = [(b'a,b\n1,2\n3\n', 'line 3 has 1 field, expected 2'),
                 (b'a,b\n1,"x\n\\.\n', 'the quoted field that starts on line 2 is not terminated'),
                 (b'a\n"a"b\n', 'line 2 has a character after the closing quote of a field')]
        for data, message in cases:
            with self.subTest(data=data):
                proc = subprocess.run([csv2copy()], input=data, capture_output=True)
                self.assertEqual(proc.returncode, 1)
                self.assertEqual(proc.stderr.decode().splitlines()[-1],
                                 'ebb: error: could not parse CSV object: ' + message)


if __name__ == '__main__':
    unittest.main()
