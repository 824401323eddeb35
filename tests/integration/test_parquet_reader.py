"""ebb's Parquet reader (tests/tools/pqcat, the reader of a future ebb restore)
reads back what ebb archived, for every type and codec, as exactly the text
PostgreSQL's own COPY TO prints for a copy of the table taken before the
archive (session TimeZone UTC, so timestamptz comes back with '+00'); and it
reads files DuckDB writes (v1 and v2 pages, DuckDB's DELTA and
BYTE_STREAM_SPLIT encodings) with the same values as PostgreSQL's.

DuckDB's file covers the columns with a DuckDB type of the same values; it
leaves out interval (Parquet's INTERVAL holds no negative parts nor
microseconds) and the types DuckDB has no equivalent for (they are text in
ebb's own files, covered by the first test)."""

import collections
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import archive_inputs as ai  # noqa: E402
import parquet_tools as pt  # noqa: E402
import test_archive_types as tat  # noqa: E402
import test_parquet_types as tpt  # noqa: E402

DB = 'pqreader'
TABLE = tpt.TABLE
ORACLE = 'public.before_archive'


def pqcat_bin():
    path = os.environ.get('EBB_PQCAT')
    if not path:
        path = str(harness.REPO_ROOT / 'build-asan' / 'tests' / 'pqcat')
    return path


def pqcat(*paths):
    proc = subprocess.run([pqcat_bin()] + [str(p) for p in paths], capture_output=True,
                          timeout=300)
    if proc.returncode != 0:
        raise AssertionError('pqcat failed: %s' % proc.stderr.decode(errors='replace'))
    return proc.stdout


def lines(data):
    """COPY text rows as a multiset (each row ends with a newline; no field holds
    an unescaped one)."""
    return collections.Counter(data.decode().split('\n')[:-1])


def copy_out(sql):
    """PostgreSQL's own COPY TO text output of a query."""
    return PG._psql(['-c', 'COPY (%s) TO STDOUT' % sql], DB).encode()


def setUpModule():
    global PG
    PG = harness.Cluster()
    PG.createdb(DB)
    PG.psql(tat.TYPES_DDL + tpt.EXTRA_DDL, db=DB)


def tearDownModule():
    PG.stop()


def assert_multiset_equal(testcase, got, want):
    if got != want:
        missing, extra = want - got, got - want
        testcase.fail('rows differ: %d missing, %d unexpected\nmissing: %r\nunexpected: %r' % (
            sum(missing.values()), sum(extra.values()), list(missing)[:3], list(extra)[:3]))


# The oracle as ebb stores it: inet goes through the server's inet::text cast (ebb's writer
# stores types it does not map as their ::text), which always shows the mask (::1/128) where
# inet's output function leaves a host's full mask out (::1). Same value; another spelling.
ORACLE_AS_STORED = 'SELECT %s FROM %s' % (', '.join(
    harness.quote_ident(c) + ('::text' if c == 'c_inet' else '') for c, _ in tpt.COLUMNS),
    ORACLE)


# DuckDB columns: (name, DuckDB type, what PostgreSQL exports for DuckDB to cast). Dates and
# times go as integers from the epoch (DuckDB does not read PostgreSQL's 'BC' text);
# infinities by name; bytea as hex; char(n) with its padding; '' quoted (not NULL).
def _epoch_us(col):
    return ("CASE WHEN isfinite(%s) THEN (extract(epoch FROM %s) * 1000000)::bigint::text"
            " ELSE %s::text END" % (col, col, col))


DUCK_COLUMNS = [
    ('id', 'INTEGER', 'id', '{x}'),
    ('c_int2', 'SMALLINT', 'c_int2', '{x}'),
    ('c_int4', 'INTEGER', 'c_int4', '{x}'),
    ('c_int8', 'BIGINT', 'c_int8', '{x}'),
    ('c_numeric_scaled', 'DECIMAL(12,4)', 'c_numeric_scaled', '{x}'),
    ('c_dec9', 'DECIMAL(9,2)', 'c_dec9', '{x}'),
    ('c_dec18', 'DECIMAL(18,0)', 'c_dec18', '{x}'),
    ('c_dec20', 'DECIMAL(20,5)', 'c_dec20', '{x}'),
    ('c_dec38', 'DECIMAL(38,10)', 'c_dec38', '{x}'),
    ('c_float4', 'FLOAT', 'c_float4', '{x}'),
    ('c_float8', 'DOUBLE', 'c_float8', '{x}'),
    ('c_text', 'VARCHAR', 'c_text', '{x}'),
    ('c_char', 'VARCHAR', "CASE WHEN c_char IS NOT NULL THEN format('%s', c_char) END", '{x}'),
    ('c_bool', 'BOOLEAN', 'c_bool', '{x}'),
    ('c_uuid', 'UUID', 'c_uuid', '{x}'),
    ('c_bytea', 'BLOB', "encode(c_bytea, 'hex')", 'unhex({x})'),
    ('c_json', 'JSON', 'c_json', '{x}'),
    ('c_oid', 'BIGINT', 'c_oid', '{x}'),
    ('c_date', 'DATE', "CASE WHEN isfinite(c_date) THEN (c_date - DATE '1970-01-01')::text"
     " ELSE c_date::text END",
     "CASE WHEN {x} LIKE '%infinity' THEN CAST({x} AS DATE)"
     " ELSE DATE '1970-01-01' + CAST({x} AS INTEGER) END"),
    ('c_timestamp', 'TIMESTAMP', _epoch_us('c_timestamp'),
     "CASE WHEN {x} LIKE '%infinity' THEN CAST({x} AS TIMESTAMP) ELSE make_timestamp(CAST({x} AS BIGINT)) END"),
    ('c_timestamptz', 'TIMESTAMPTZ', _epoch_us('c_timestamptz'),
     "CASE WHEN {x} LIKE '%infinity' THEN CAST({x} AS TIMESTAMPTZ)"
     " ELSE CAST(make_timestamp(CAST({x} AS BIGINT)) AS TIMESTAMPTZ) END"),
    ('c_time', 'TIME', "(extract(epoch FROM c_time) * 1000000)::bigint",
     "CAST(TIME '00:00:00' + to_microseconds(CAST({x} AS BIGINT)) AS TIME)"),
]


class ParquetReaderTest(unittest.TestCase):
    def fresh_table(self):
        PG.psql('DROP SCHEMA IF EXISTS ebb CASCADE; DROP TABLE IF EXISTS %s, %s;'
                % (TABLE, ORACLE), db=DB)
        sql, n = tpt.rows_sql(TABLE)
        PG.psql(tpt.table_ddl(TABLE) + sql, db=DB)
        PG.psql('CREATE TABLE %s AS SELECT * FROM %s' % (ORACLE, TABLE), db=DB)
        return n

    def test_ebb_objects_read_back_as_postgresql_prints_them(self):
        for codec in ('zstd', 'snappy', 'gzip', 'none'):
            with self.subTest(codec=codec):
                n = self.fresh_table()
                dest = ai.new_dest(self)
                ai.assert_ok(self, ai.archive(PG, DB, dest, '--format', 'parquet', '--compress',
                                              codec, '--parquet-infinity', 'sentinel',
                                              table=TABLE, time_column='ts'))
                files = tpt.parquet_files(dest)
                self.assertGreater(len(files), 3)
                got = lines(pqcat(*files))
                self.assertEqual(sum(got.values()), n)
                assert_multiset_equal(self, got, lines(copy_out(ORACLE_AS_STORED)))

    def duckdb_file(self, path, version):
        csv = os.path.join(os.path.dirname(path), 'export.csv')
        exports = ', '.join('(%s)::text AS %s' % (pg, harness.quote_ident(name))
                            for name, _, pg, _ in DUCK_COLUMNS)
        data = PG._psql(['-c', 'COPY (SELECT %s FROM %s) TO STDOUT (FORMAT csv, HEADER)'
                         % (exports, ORACLE)], DB)
        with open(csv, 'w', encoding='utf-8') as f:
            f.write(data)
        casts = ', '.join('CAST(%s AS %s) AS %s' % (
            cast.format(x='"%s"' % name), typ, name)
            for name, typ, _, cast in DUCK_COLUMNS)
        pt.duckdb_query("COPY (SELECT %s FROM read_csv(%s, header=true, all_varchar=true,"
                        " allow_quoted_nulls=false)) TO %s"
                        " (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 100,"
                        " PARQUET_VERSION '%s');\nSELECT 1 AS done"
                        % (casts, pt.sql_string(csv), pt.sql_string(path), version))

    def test_duckdb_files_read_back_as_postgresql_prints_them(self):
        n = self.fresh_table()
        want = lines(copy_out('SELECT %s FROM %s' % (
            ', '.join(harness.quote_ident(c) for c, _, _, _ in DUCK_COLUMNS), ORACLE)))
        for version in ('V1', 'V2'):
            with self.subTest(version=version):
                path = os.path.join(ai.new_dest(self), 'duck.parquet')
                self.duckdb_file(path, version)
                got = lines(pqcat(path))
                self.assertEqual(sum(got.values()), n)
                assert_multiset_equal(self, got, want)


if __name__ == '__main__':
    unittest.main()
