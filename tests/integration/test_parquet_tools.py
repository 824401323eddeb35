"""The Parquet readers of the oracle are sound, without ebb: DuckDB writes
Parquet files of a PostgreSQL table full of edge values (its own writer, fed
from PostgreSQL's export), pqread's DuckDB reader turns them into CSV, and
PostgreSQL loads that CSV into a copy of the table and renders every row
exactly as it rendered the original. Also: harness.archived_rows() on a
hand-made ledger of Parquet objects (four codecs, an empty object, a CSV
object, keys under dt=/hour= directories), its size/sha256/row-count checks,
hyparquet's rows and metadata, and pqread's errors."""

import collections
import hashlib
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import parquet_tools as pt  # noqa: E402

DUCKDB_SQL = harness.REPO_ROOT / 'tests' / 'fixtures' / 'parquet' / 'duckdb_sql.mjs'
DB = 'pq'
TABLE = 'public.src'
WEIRD = 'Mixed Case, "quoted" col'  # the CSV header must quote this name

# Timestamps, dates: PostgreSQL exports epoch microseconds (days), DuckDB builds
# its values from those integers, so the input side shares nothing with the
# rendering under test (date parts of DuckDB values).
EPOCH_US = ("CASE WHEN isfinite({c}) THEN (extract(epoch FROM {c}) * 1000000)::bigint::text"
            " ELSE {c}::text END")
INF = "{v} IN ('infinity', '-infinity')"

# (column, PostgreSQL type, PostgreSQL export expression of column {c} (None:
# its text), DuckDB expression building the Parquet column from that text {v})
COLUMNS = [
    ('id', 'int NOT NULL', None, 'CAST({v} AS INTEGER)'),
    ('c_bool', 'bool', None, 'CAST({v} AS BOOLEAN)'),
    ('c_int2', 'int2', None, 'CAST({v} AS SMALLINT)'),
    ('c_int4', 'int4', None, 'CAST({v} AS INTEGER)'),
    ('c_int8', 'int8', None, 'CAST({v} AS BIGINT)'),
    ('c_float4', 'float4', None, 'CAST({v} AS FLOAT)'),
    ('c_float8', 'float8', None, 'CAST({v} AS DOUBLE)'),
    ('c_num9_2', 'numeric(9,2)', None, 'CAST({v} AS DECIMAL(9,2))'),
    ('c_num18_4', 'numeric(18,4)', None, 'CAST({v} AS DECIMAL(18,4))'),
    ('c_num38_0', 'numeric(38,0)', None, 'CAST({v} AS DECIMAL(38,0))'),
    ('c_num38_10', 'numeric(38,10)', None, 'CAST({v} AS DECIMAL(38,10))'),
    ('c_num38_38', 'numeric(38,38)', None, 'CAST({v} AS DECIMAL(38,38))'),
    ('c_text', 'text', None, '{v}'),
    ('c_varchar', 'varchar(20)', None, '{v}'),
    ('c_char', 'char(5)', None, '{v}'),
    ('c_bytea', 'bytea', "encode({c}, 'hex')", 'unhex({v})'),
    ('c_date', 'date',
     "CASE WHEN isfinite({c}) THEN ({c} - DATE '1970-01-01')::text ELSE {c}::text END",
     "CASE WHEN %s THEN CAST({v} AS DATE) ELSE DATE '1970-01-01' + CAST({v} AS INTEGER) END"
     % INF),
    ('c_timestamp', 'timestamp', EPOCH_US,
     "CASE WHEN %s THEN CAST({v} AS TIMESTAMP) ELSE make_timestamp(CAST({v} AS BIGINT)) END"
     % INF),
    ('c_timestamptz', 'timestamptz', EPOCH_US,
     # not timezone('UTC', ...): ICU's conversion fails near DuckDB's last timestamp
     "CASE WHEN %s THEN CAST({v} AS TIMESTAMPTZ) ELSE CAST(CAST(make_timestamp("
     "CAST({v} AS BIGINT)) AS VARCHAR) || '+00' AS TIMESTAMPTZ) END" % INF),
    ('c_time', 'time', None, 'CAST({v} AS TIME)'),
    ('c_uuid', 'uuid', None, 'CAST({v} AS UUID)'),
    ('c_json', 'json', None, 'CAST({v} AS JSON)'),
    ('c_jsonb', 'jsonb', None, 'CAST({v} AS JSON)'),
    # what ebb stores as its text: VARCHAR in Parquet, passed through
    ('c_numeric', 'numeric', None, '{v}'),
    ('c_interval', 'interval', None, '{v}'),  # exported with IntervalStyle iso_8601
    ('c_timetz', 'timetz', None, '{v}'),
    ('c_int_arr', 'int[]', None, '{v}'),
    ('c_2d', 'text[][]', None, '{v}'),
    ('c_enum', 'mood', None, '{v}'),
    ('c_inet', 'inet', None, '{v}'),
    ('c_range', 'tstzrange', None, '{v}'),
    # DuckDB's own INTERVAL and TIMETZ, with values Parquet holds (months, days,
    # milliseconds, none negative; a UTC time)
    ('c_interval_pq', 'interval',
     "(extract(year FROM {c}) * 12 + extract(month FROM {c}))::bigint || '|'"
     " || extract(day FROM {c})::bigint || '|' || (extract(hour FROM {c}) * 3600000000"
     " + extract(minute FROM {c}) * 60000000 + extract(microseconds FROM {c}))::bigint",
     "to_months(CAST(split_part({v}, '|', 1) AS INTEGER))"
     " + to_days(CAST(split_part({v}, '|', 2) AS INTEGER))"
     " + to_microseconds(CAST(split_part({v}, '|', 3) AS BIGINT))"),
    ('c_timetz_pq', 'timetz', None, 'CAST({v} AS TIMETZ)'),
    (WEIRD, 'text', None, '{v}'),
]
NAMES = [c[0] for c in COLUMNS]

TEXTS = [
    'plain', '', ' ', 'he said "hi", then left', 'a,b', 'line1\nline2', 'cr\ronly',
    'crlf\r\nend', 'tab\there', 'back\\slash', '\\', '\\.', '\\N', 'NULL', 'null', '\n',
    '\r\n', '"', '""', ',', '\\.\n', 'emoji 😀🎉', 'CJK 日本語 中文 한국어',
    'combining e\u0301 a\u0308', 'trailing space ', '\u00a0nbsp', 'zero\u200bwidth', "it's",
]


def lit(value):
    return harness.quote_literal(value)


# One row each: edge values as SQL literals; the columns not named are NULL.
EDGE_ROWS = [
    {'c_int2': '32767', 'c_int4': '2147483647', 'c_int8': '9223372036854775807',
     'c_float4': "'NaN'", 'c_float8': "'NaN'", 'c_bool': 'true',
     'c_num9_2': "'9999999.99'", 'c_num18_4': "'99999999999999.9999'",
     'c_num38_0': "'%s'" % ('9' * 38), 'c_num38_10': "'%s.%s'" % ('9' * 28, '9' * 10),
     'c_num38_38': "'0.%s'" % ('9' * 38)},
    {'c_int2': '-32768', 'c_int4': '-2147483648', 'c_int8': '-9223372036854775808',
     'c_float4': "'Infinity'", 'c_float8': "'-Infinity'", 'c_bool': 'false',
     'c_num9_2': "'-9999999.99'", 'c_num18_4': "'-99999999999999.9999'",
     'c_num38_0': "'-%s'" % ('9' * 38), 'c_num38_10': "'-%s.%s'" % ('9' * 28, '9' * 10),
     'c_num38_38': "'-0.%s'" % ('9' * 38)},
    {'c_int2': '0', 'c_int4': '0', 'c_int8': '0', 'c_float4': "'-0'", 'c_float8': "'-0'",
     'c_num9_2': "'0'", 'c_num18_4': "'-0.0001'", 'c_num38_0': "'0'",
     'c_num38_10': "'-0.0000000001'", 'c_num38_38': "'-0.%s1'" % ('0' * 37)},
    {'c_float4': "'-Infinity'", 'c_float8': "'Infinity'", 'c_num9_2': "'0.01'",
     'c_num38_38': "'0.%s1'" % ('0' * 37)},
    {'c_float4': "'3.4028235e38'", 'c_float8': "'1.7976931348623157e308'"},
    {'c_float4': "'-3.4028235e38'", 'c_float8': "'-1.7976931348623157e308'"},
    {'c_float4': "'1.17549435e-38'", 'c_float8': "'2.2250738585072014e-308'"},
    {'c_float4': "'1.4e-45'", 'c_float8': "'5e-324'"},
    {'c_float4': "'0.1'", 'c_float8': "'0.1'"},
    {'c_float4': "'16777217'", 'c_float8': "'9007199254740993'"},
    {'c_float4': "'0'", 'c_float8': "'0'"},
    {'c_float4': "'123456.79'", 'c_float8': "'1e22'"},
    {'c_bytea': r"'\x00'::bytea", 'c_char': "'a,\"b'", 'c_varchar': "''"},
    {'c_bytea': "''::bytea", 'c_char': "''", 'c_varchar': "'twenty chars, \"q\",x!'"},
    {'c_bytea': r"'\x00ff5c005c5c0d0a2c22'::bytea", 'c_char': "'ab'"},
    {'c_bytea': "decode(repeat('00ab5c', 700), 'hex')"},
    # dates and times: PostgreSQL's and DuckDB's ends, BC, pre-1970, post-2038
    {'c_date': "'4714-11-24 BC'", 'c_timestamp': "'4714-11-24 00:00:00 BC'",
     'c_timestamptz': "'4714-11-24 00:00:00+00 BC'", 'c_time': "'00:00:00'"},
    {'c_date': "'0044-03-15 BC'", 'c_timestamp': "'0044-03-15 12:34:56.789012 BC'",
     'c_timestamptz': "'0044-03-15 12:34:56.789012+00 BC'", 'c_time': "'24:00:00'"},
    {'c_date': "'0001-12-31 BC'", 'c_timestamp': "'0001-12-31 23:59:59.999999 BC'",
     'c_timestamptz': "'0001-12-31 23:59:59.999999+00 BC'", 'c_time': "'23:59:59.999999'"},
    {'c_date': "'0001-01-01'", 'c_timestamp': "'0001-01-01 00:00:00'",
     'c_timestamptz': "'0001-01-01 00:00:00+00'", 'c_time': "'12:34:56.000001'"},
    {'c_date': "'1900-02-28'", 'c_timestamp': "'1900-02-28 23:59:59.5'",
     'c_timestamptz': "'1901-12-13 20:45:51.999999+05:30'"},
    {'c_date': "'1969-12-31'", 'c_timestamp': "'1969-12-31 23:59:59.999999'",
     'c_timestamptz': "'1969-12-31 23:59:59.999999-08'"},
    {'c_date': "'1970-01-01'", 'c_timestamp': "'1970-01-01 00:00:00'",
     'c_timestamptz': "'1970-01-01 00:00:00+00'"},
    {'c_date': "'2000-01-01'", 'c_timestamp': "'2000-01-01 00:00:00.000001'",
     'c_timestamptz': "'2000-01-01 00:00:00+00'"},
    {'c_date': "'2038-01-20'", 'c_timestamp': "'2038-01-19 03:14:08.000001'",
     'c_timestamptz': "'2038-01-19 03:14:08.000001+00'"},
    {'c_date': "'9999-12-31'", 'c_timestamp': "'10000-01-01 00:00:00'",
     'c_timestamptz': "'12345-06-07 08:09:10.111213+00'"},
    # DuckDB's last timestamp (PostgreSQL's go on to 294276 AD, see parquet_tools)
    {'c_date': "'5874897-12-31'", 'c_timestamp': "'294247-01-10 04:00:54.775806'",
     'c_timestamptz': "'294247-01-10 04:00:54.775806+00'"},
    {'c_date': "'infinity'", 'c_timestamp': "'infinity'", 'c_timestamptz': "'infinity'"},
    {'c_date': "'-infinity'", 'c_timestamp': "'-infinity'", 'c_timestamptz': "'-infinity'"},
    {'c_uuid': "'00000000-0000-0000-0000-000000000000'",
     'c_json': lit('{"a" :  1,  "b":[1, 2]}'), 'c_jsonb': lit('{"b": 2, "a": [1, {"c": null}]}')},
    {'c_uuid': "'ffffffff-ffff-ffff-ffff-ffffffffffff'", 'c_json': "'null'",
     'c_jsonb': "'null'"},
    {'c_uuid': "'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'",
     'c_json': lit('{"k": "\u00e9\\u00e9 \\"q\\" ,\\n", "n": 123.4500}'),
     'c_jsonb': lit('"\\u00e9, \\"x\\"\\n"')},
    {'c_json': "'[]'", 'c_jsonb': "'[]'"},
    {'c_json': lit('"it\'s"'), 'c_jsonb': "'{}'"},
    {'c_numeric': "'NaN'", 'c_interval': "'-1 year -2 mons +3 days -04:05:06.000007'",
     'c_timetz': "'23:59:59.999999+15:59'", 'c_int_arr': "'{1,NULL,3}'",
     'c_2d': "'{{a,\"b,c\"},{NULL,\"\"}}'", 'c_enum': "'we\"ird, one'",
     'c_inet': "'::1/128'", 'c_range': "'[2020-01-01 00:00:00+00,infinity)'",
     'c_interval_pq': "'1 year 2 mons 3 days 04:05:06.789'",
     'c_timetz_pq': "'12:34:56.123456+00'"},
    {'c_numeric': "'-Infinity'", 'c_interval': "'178000000 years'",
     'c_timetz': "'00:00:00-15:59'", 'c_int_arr': "'{}'", 'c_2d': "'{}'",
     'c_enum': "'sad'", 'c_inet': "'192.168.0.1/24'", 'c_range': "'empty'",
     'c_interval_pq': "'0'", 'c_timetz_pq': "'00:00:00+00'"},
    {'c_numeric': "(10::numeric ^ 300) + 0.5", 'c_interval': "'0'",
     'c_interval_pq': "'100 hours'", 'c_timetz_pq': "'23:59:59.999+00'"},
    {'c_numeric': "'-0.000000000000000000000000000001234'", 'c_interval_pq': "'35 days'"},
]


def random_float_rows(rng, n):
    """float4 and float8 values of random bit patterns, as exact literals."""
    rows = []
    for _ in range(n):
        f8 = struct.unpack('<d', rng.getrandbits(64).to_bytes(8, 'little'))[0]
        f4 = struct.unpack('<f', rng.getrandbits(32).to_bytes(4, 'little'))[0]
        # repr is exact for the double; a float4 is exactly a double, and
        # float4in (strtof) reads that double's repr back to the same float4
        rows.append({'c_float8': lit(repr(f8)), 'c_float4': lit(repr(f4))})
    return rows


RANDOM_TEMPORAL = """
SELECT setseed(0.25);
INSERT INTO src (id, c_date, c_timestamp, c_timestamptz, c_time)
SELECT 100000 + g,
       DATE '4714-11-24 BC' + floor(random() * 2147000000)::int,
       TIMESTAMP '4714-11-24 00:00:00 BC' + make_interval(days => floor(random() * 108000000)::int)
         + floor(random() * 86400000000)::bigint * INTERVAL '1 microsecond',
       TIMESTAMPTZ '4714-11-24 00:00:00+00 BC'
         + make_interval(days => floor(random() * 108000000)::int)
         + floor(random() * 86400000000)::bigint * INTERVAL '1 microsecond',
       TIME '00:00:00' + floor(random() * 86400000000)::bigint * INTERVAL '1 microsecond'
FROM generate_series(1, 2000) g;
"""


def float_bits(value):
    """A float's identity: its bits, one for every NaN; None stays None. hyparquet's
    JSON has numbers and 'NaN', 'Infinity', '-Infinity', '-0'; PostgreSQL's text
    is 'NaN', 'Infinity', '-Infinity', '-0' or a number."""
    if value is None:
        return None
    value = float(value)
    return 'NaN' if value != value else struct.pack('<d', value)


def duckdb_sql(script):
    proc = subprocess.run(['node', str(DUCKDB_SQL)], input=script.encode(),
                             capture_output=True, env=pt._node_env(), timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.decode(errors='replace'))
    return json.loads(proc.stdout)


def sql_string(s):
    return "'" + str(s).replace("'", "''") + "'"


def load_csv(csv_bytes, table):
    """A LIKE copy of src holding the CSV's rows; returns its rows as rendered."""
    PG.psql('DROP TABLE IF EXISTS %s; CREATE TABLE %s (LIKE %s)' % (table, table, TABLE), DB)
    PG.copy_in('COPY %s FROM STDIN (FORMAT csv, HEADER match)' % table, csv_bytes, DB)
    return harness.table_rows_csv(PG, DB, table)


def setUpModule():
    global PG, TMP, ORIGINAL, FILES
    PG = harness.Cluster()
    TMP = tempfile.mkdtemp(prefix='ebb-pqtools-', dir=harness._tmp_parent())
    PG.createdb(DB)
    ddl = ["CREATE TYPE mood AS ENUM ('sad', 'ok', 'we\"ird, one');",
           'CREATE TABLE src (%s);' % ', '.join(
               '%s %s' % (harness.quote_ident(n), t) for n, t, _, _ in COLUMNS)]
    rows = [{}] + EDGE_ROWS + [{'c_text': lit(t), WEIRD: lit(t[::-1])} for t in TEXTS]
    rows += random_float_rows(random.Random(20240101), 1000)
    for i, row in enumerate(rows, 1):
        row = dict(row, id=str(i))
        ddl.append('INSERT INTO src (%s) VALUES (%s);' % (
            ', '.join(harness.quote_ident(c) for c in row), ', '.join(row.values())))
    PG.psql('\n'.join(ddl) + RANDOM_TEMPORAL, DB)
    ORIGINAL = harness.table_rows_csv(PG, DB, TABLE)

    # PostgreSQL exports, DuckDB writes Parquet files with explicit column types
    export = 'COPY (SELECT %s FROM src) TO STDOUT (FORMAT csv, HEADER)' % ', '.join(
        '%s AS %s' % ((exp or '{c}').format(c=harness.quote_ident(n)),
                              harness.quote_ident(n)) for n, _, exp, _ in COLUMNS)
    csv_path = os.path.join(TMP, 'export.csv')
    Path(csv_path).write_text(PG._psql(['-c', 'SET IntervalStyle = iso_8601', '-c', export],
                                       DB), encoding='utf-8')
    columns = '{%s}' % ', '.join('%s: \'VARCHAR\'' % sql_string(n) for n in NAMES)
    select = ', '.join('%s AS %s' % (expr.format(v=harness.quote_ident(n)),
                                     harness.quote_ident(n)) for n, _, _, expr in COLUMNS)
    FILES = {'all': os.path.join(TMP, 'all.parquet')}
    script = ["CREATE TABLE t AS SELECT %s FROM read_csv(%s, auto_detect = false, header = true,"
              " delim = ',', quote = '\"', escape = '\"', allow_quoted_nulls = false,"
              " columns = %s);" % (select, sql_string(csv_path), columns),
              "COPY (SELECT * FROM t ORDER BY id) TO %s (FORMAT parquet, COMPRESSION zstd,"
              " ROW_GROUP_SIZE 2048, KV_METADATA {origin: 'test_parquet_tools'});"
              % sql_string(FILES['all'])]
    # the ledger's objects: four codecs, and an empty one; under Hive-like keys
    for n, codec in enumerate(['zstd', 'snappy', 'gzip', 'uncompressed', 'empty']):
        where = 'false' if codec == 'empty' else 'id %% 4 = %d' % n
        FILES[codec] = os.path.join(TMP, 'dest', 'public', 'src', 'dt=2024-01-0%d' % (n + 1),
                                    'hour=0%d' % n, '%s.parquet' % codec)
        os.makedirs(os.path.dirname(FILES[codec]))
        script.append("COPY (SELECT * FROM t WHERE %s) TO %s (FORMAT parquet, COMPRESSION %s);"
                      % (where, sql_string(FILES[codec]),
                         'zstd' if codec == 'empty' else codec))
    FILES['list'] = os.path.join(TMP, 'list.parquet')
    script.append("COPY (SELECT 1 AS id, [1, 2] AS l) TO %s (FORMAT parquet);"
                  % sql_string(FILES['list']))
    script.append('SELECT count(*) AS n FROM t;')
    assert duckdb_sql('\n'.join(script)) == [{'n': str(len(rows) + 2000)}]


def tearDownModule():
    PG.stop()
    shutil.rmtree(TMP, ignore_errors=True)


class DuckdbCsvTest(unittest.TestCase):

    def test_rows_round_trip(self):
        """Every row of the table, read from DuckDB's Parquet by pqread, loads
        into PostgreSQL and renders exactly as before."""
        csv, = pt.pq_csv([FILES['all']])
        self.assertEqual(len(ORIGINAL), sum(ORIGINAL.values()))  # the rows are distinct
        loaded = load_csv(csv, 'copy_all')
        self.assertEqual(loaded - ORIGINAL, collections.Counter())
        self.assertEqual(ORIGINAL - loaded, collections.Counter())
        self.assertEqual(loaded, ORIGINAL)

    def test_header_and_null(self):
        csv, = pt.pq_csv([FILES['all']])
        header, first = csv.decode().split('\n')[:2]
        self.assertEqual(harness.parse_pg_csv(header)[0], tuple(NAMES))
        self.assertIn('"Mixed Case, ""quoted"" col"', header)
        self.assertEqual(first, '"1"' + ',' * (len(NAMES) - 1))  # row 1: all NULL
        self.assertIn(b',"",', csv)  # '' is quoted

    def test_many_files_one_process(self):
        """pq_csv of several files (one of them empty, keys with dt=/hour=
        directories, which must not become columns) gives one CSV each."""
        parts = ['zstd', 'snappy', 'gzip', 'uncompressed', 'empty']
        csvs = pt.pq_csv([FILES[p] for p in parts])
        self.assertEqual(len(csvs), len(parts))
        self.assertEqual(csvs[-1].count(b'\n'), 1)  # only the header
        total = collections.Counter()
        for csv in csvs:
            self.assertEqual(harness.parse_pg_csv(csv.decode().split('\n')[0])[0], tuple(NAMES))
            total += load_csv(csv, 'copy_part')
        self.assertEqual(total, ORIGINAL)

    def test_csv_command_on_stdout(self):
        proc = subprocess.run(['node', str(pt.PQREAD), 'csv', FILES['empty'], FILES['empty']],
                                 capture_output=True, env=pt._node_env())
        self.assertEqual(proc.returncode, 0, proc.stderr)
        header = pt.pq_csv([FILES['empty']])[0]
        self.assertEqual(proc.stdout, header * 2)

    def test_unreadable_files(self):
        garbage = os.path.join(TMP, 'garbage.parquet')
        Path(garbage).write_bytes(b'PAR1 this is not a parquet file PAR1')
        truncated = os.path.join(TMP, 'truncated.parquet')
        Path(truncated).write_bytes(Path(FILES['all']).read_bytes()[:-100])
        missing = os.path.join(TMP, 'missing.parquet')
        for path in (garbage, truncated, missing):
            for reader in (lambda p: pt.pq_csv([FILES['zstd'], p]), pt.pq_meta,
                           pt.pq_hyparquet):
                with self.subTest(path=os.path.basename(path), reader=reader):
                    with self.assertRaises(pt.PqreadError) as cm:
                        reader(path)
                    self.assertIn(path, str(cm.exception))

    def test_unrenderable_type_is_an_error(self):
        with self.assertRaisesRegex(pt.PqreadError, r'"l": DuckDB type INTEGER\[\] has no'):
            pt.pq_csv([FILES['list']])


class OracleTest(unittest.TestCase):
    """harness.archived_rows() over a ledger of Parquet (and one CSV) objects."""

    @classmethod
    def setUpClass(cls):
        dest = 'file://' + os.path.join(TMP, 'dest')
        csv_key = 'public/src/plain.csv'
        # a CSV object too (as after an archive run with --format csv): rows 1-3
        Path(TMP, 'dest', csv_key).write_bytes(PG._psql(
            ['-c', 'COPY (SELECT * FROM src WHERE id <= 3) TO STDOUT (FORMAT csv, HEADER)'],
            DB).encode())
        objects = [(csv_key, 3, 'csv', 'none')]
        for codec, compression in [('zstd', 'zstd'), ('snappy', 'snappy'), ('gzip', 'gzip'),
                                   ('uncompressed', 'none'), ('empty', 'zstd')]:
            meta = pt.pq_meta(FILES[codec])
            rows = int(meta['file_metadata'][0]['num_rows'])
            key = os.path.relpath(FILES[codec], os.path.join(TMP, 'dest'))
            objects.append((key, rows, 'parquet', compression))
        values = []
        for key, rows, fmt, compression in objects:
            raw = Path(TMP, 'dest', key).read_bytes()
            values.append('(%s)' % ', '.join(map(lit, [
                'public', 'src', dest, key, str(rows), str(len(raw)),
                hashlib.sha256(raw).hexdigest(), fmt, compression])))
        cls.ledger_sql = ('DROP SCHEMA IF EXISTS ebb CASCADE; CREATE SCHEMA ebb;'
                          ' CREATE TABLE ebb.archive_ledger (table_schema text, table_name text,'
                          ' dest text, object_key text, rows bigint, bytes bigint, sha256 text,'
                          ' format text, compression text);'
                          ' INSERT INTO ebb.archive_ledger VALUES %s;' % ', '.join(values))

    def setUp(self):
        PG.psql(self.ledger_sql, DB)

    def tearDown(self):
        PG.psql('DROP SCHEMA ebb CASCADE', DB)

    def test_archived_rows(self):
        first3 = harness.parse_pg_csv(PG._psql(['-c', harness._render_sql(
            '(SELECT * FROM src WHERE id <= 3) s')], DB))
        self.assertEqual(len(first3), 3)
        self.assertEqual(harness.archived_rows(PG, DB, TABLE),
                         ORIGINAL + collections.Counter(first3))

    def test_ledger_mismatches(self):
        for column, value, message in [
                ('rows', 'rows + 1', r'gzip\.parquet: \d+ rows, ledger says \d+'),
                ('bytes', 'bytes - 1', r'gzip\.parquet: \d+ bytes, ledger says \d+'),
                ('sha256', "repeat('0', 64)",
                 r'gzip\.parquet: sha256 [0-9a-f]{64}, ledger says 0+'),
                ('compression', "'lz4'", r"gzip\.parquet: unknown Parquet compression 'lz4'")]:
            with self.subTest(column=column):
                PG.psql("UPDATE ebb.archive_ledger SET %s = %s WHERE object_key LIKE '%%gzip%%'"
                        % (column, value), DB)
                with self.assertRaisesRegex(AssertionError, message):
                    harness.archived_rows(PG, DB, TABLE)
                self.setUp()


class MetaTest(unittest.TestCase):

    def test_duckdb_meta(self):
        meta = pt.pq_meta(FILES['all'])
        types = {c['name']: c['type'] for c in meta['describe']}
        self.assertEqual(list(types), NAMES)
        self.assertEqual(types['c_timestamptz'], 'TIMESTAMP WITH TIME ZONE')
        self.assertEqual(types['c_num38_38'], 'DECIMAL(38,38)')
        self.assertEqual(types['c_bytea'], 'BLOB')
        self.assertEqual(types['c_json'], 'JSON')
        fm, = meta['file_metadata']
        self.assertEqual(fm['num_rows'], str(sum(ORIGINAL.values())))
        self.assertGreater(int(fm['num_row_groups']), 1)
        self.assertEqual({r['compression'] for r in meta['metadata']}, {'ZSTD'})
        self.assertEqual(len(meta['metadata']), int(fm['num_row_groups']) * len(NAMES))
        schema = {r['name']: r for r in meta['schema']}
        self.assertEqual((schema['c_uuid']['type'], schema['c_uuid']['type_length']),
                         ('FIXED_LEN_BYTE_ARRAY', '16'))
        self.assertIn({'file_name': FILES['all'], 'key': 'origin', 'value': 'test_parquet_tools',
                       'value_hex': b'test_parquet_tools'.hex()}, meta['kv_metadata'])

    def test_codecs(self):
        for name, compression in [('zstd', 'zstd'), ('snappy', 'snappy'), ('gzip', 'gzip'),
                                  ('uncompressed', 'none')]:
            meta = pt.pq_meta(FILES[name])
            self.assertEqual({r['compression'] for r in meta['metadata']},
                             {pt.PARQUET_CODECS[compression]}, name)

    def test_hyparquet_meta(self):
        meta = pt.pq_hyparquet_meta(FILES['all'])
        self.assertEqual(meta['num_rows'], str(sum(ORIGINAL.values())))
        self.assertEqual([s['name'] for s in meta['schema'][1:]], NAMES)
        self.assertGreater(len(meta['row_groups']), 1)
        self.assertIn({'key': 'origin', 'value': 'test_parquet_tools'},
                      meta['key_value_metadata'])


class HyparquetTest(unittest.TestCase):
    """hyparquet, a second reader, agrees with PostgreSQL on the values it can
    return exactly."""

    @classmethod
    def setUpClass(cls):
        cls.rows = {int(r['id']): r for r in pt.pq_hyparquet(FILES['all'])}
        cols = ['id', 'c_bool', 'c_int2', 'c_int4', 'c_int8', 'c_float4::float8::text',
                'c_float8', 'c_text', 'c_char', 'c_uuid', "encode(c_bytea, 'hex')", 'c_json',
                'c_numeric', WEIRD]
        cls.pg = {int(r[0]): r for r in PG.query('SELECT %s FROM src' % ', '.join(
            c if c != WEIRD else harness.quote_ident(c) for c in cols), DB)}

    def test_all_rows(self):
        self.assertEqual(set(self.rows), set(self.pg))
        self.assertEqual(list(self.rows[1]), NAMES)

    def test_values(self):
        for id_, (_, b, i2, i4, i8, f4, f8, text, char, uuid, hexa, js, num, weird) in \
                self.pg.items():
            row = self.rows[id_]
            got = (row['c_bool'], row['c_int2'], row['c_int4'], row['c_int8'], row['c_text'],
                   row['c_char'], row['c_uuid'], row['c_bytea'], row['c_json'], row['c_numeric'],
                   row[WEIRD])
            want = (None if b is None else b == 't', None if i2 is None else int(i2),
                    None if i4 is None else int(i4), i8, text, char, uuid, hexa, js, num, weird)
            self.assertEqual(got, want, 'row %d' % id_)
            # a float4 is exactly its float8; PostgreSQL's text of a float8 is exact
            for name, pg_text in (('c_float4', f4), ('c_float8', f8)):
                self.assertEqual(float_bits(row[name]), float_bits(pg_text),
                                 'row %d %s: %r, PostgreSQL %r' % (id_, name, row[name], pg_text))

    def test_temporal(self):
        by_id = {i + 2: row for i, row in enumerate(EDGE_ROWS)}  # row 1 is all NULL
        want = {
            "'0044-03-15 BC'": ('-000043-03-15', '-000043-03-15T12:34:56.789012Z'),
            "'1969-12-31'": ('1969-12-31', '1969-12-31T23:59:59.999999Z'),
            "'5874897-12-31'": ('+5874897-12-31', '+294247-01-10T04:00:54.775806Z'),
        }
        seen = 0
        for id_, edge in by_id.items():
            if edge.get('c_date') in want:
                self.assertEqual((self.rows[id_]['c_date'], self.rows[id_]['c_timestamp']),
                                 want[edge['c_date']])
                seen += 1
        self.assertEqual(seen, len(want))


if __name__ == '__main__':
    unittest.main()
