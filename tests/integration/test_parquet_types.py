"""Every PostgreSQL type survives ebb archive --format parquet: the rows come back
through DuckDB (the row oracle: DuckDB reads each object, PostgreSQL loads and
renders the values as it rendered the originals) with NULLs everywhere, empty
strings, unicode, extreme values, pre-1970 and post-2038 times, DST-crossing
timestamptz, for every codec; the Parquet types DuckDB sees are the documented
ones; hyparquet, a second reader, reads the same values. The infinity policy:
an error by default (nothing deleted), NULL or DuckDB's infinity on request;
timestamps beyond Parquet's range always fail."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import archive_inputs as ai  # noqa: E402
import parquet_tools as pt  # noqa: E402
import test_archive_types as tat  # noqa: E402  (the CSV test's columns and edge rows)

DB = 'pqtypes'
TABLE = 'public.alltypes'

EXTRA_DDL = """
CREATE DOMAIN amount AS numeric(10,3);
CREATE DOMAIN amount2 AS amount;
"""

# Beyond the CSV test's columns: DECIMALs of every physical width, a domain over
# a domain over numeric(10,3), name and "char".
EXTRA_COLUMNS = [
    ('c_dec9', 'numeric(9,2)'), ('c_dec18', 'numeric(18,0)'), ('c_dec20', 'numeric(20,5)'),
    ('c_dec38', 'numeric(38,10)'), ('c_dec_frac', 'numeric(4,4)'), ('c_amount', 'amount2'),
    ('c_name', 'name'), ('c_qchar', '"char"'),
]
COLUMNS = tat.COLUMNS + EXTRA_COLUMNS

EXTRA_ROWS = [
    {'c_dec9': '9999999.99', 'c_dec18': '999999999999999999',
     'c_dec20': '-999999999999999.99999', 'c_dec38': "'9999999999999999999999999999.9999999999'",
     'c_dec_frac': '0.9999', 'c_amount': '9999999.999', 'c_name': "'a name'", 'c_qchar': "'x'"},
    {'c_dec9': '-9999999.99', 'c_dec18': '-999999999999999999', 'c_dec20': '0.00001',
     'c_dec38': "'-9999999999999999999999999999.9999999999'", 'c_dec_frac': '-0.0001',
     'c_amount': '-0.001', 'c_name': "''", 'c_qchar': "'\"'"},
    {'c_dec9': '0', 'c_dec18': '0', 'c_dec20': '-0.00001', 'c_dec38': "'0.0000000001'",
     'c_dec_frac': '0', 'c_amount': '0', 'c_name': "'ünïcødé 😀'"},
    {'c_dec9': '0.01', 'c_dec18': '-1', 'c_dec20': "'123456789012345.12345'",
     'c_dec38': "'-0.0000000001'", 'c_amount': '1.5'},
    # DST in Europe/Berlin: 2021-03-28 02:00 local does not exist; 2021-10-31 02:30 twice
    {'c_timestamptz': "'2021-03-28 01:59:59.999999+01'", 'c_timestamp': "'2021-03-28 02:30:00'"},
    {'c_timestamptz': "'2021-03-28 03:00:00+02'", 'c_timestamp': "'2021-10-31 02:30:00'"},
    {'c_timestamptz': "'2021-10-31 02:30:00+02'"},
    {'c_timestamptz': "'2021-10-31 02:30:00+01'"},
    {'c_timestamptz': "'2038-01-19 03:14:08+00'", 'c_date': "'2038-01-20'"},
    {'c_timestamptz': "'1969-12-31 23:59:59.999999+00'", 'c_date': "'1970-01-01'"},
]

# The one edge row Parquet cannot hold: timestamps past 294246 AD (see test_beyond_294246).
TOO_LATE = [r for r in tat.EDGE_ROWS if r.get('c_timestamp', '').startswith("'294276")]
# time '24:00:00' goes by the --parquet-infinity policy (test_time_24_00): in the rows that
# round-trip, the latest time Arrow-based readers take
EDGE_ROWS = [dict(r, c_time="'23:59:59.999999'") if r.get('c_time') == "'24:00:00'" else r
             for r in tat.EDGE_ROWS if r not in TOO_LATE] + EXTRA_ROWS

# (physical type, DuckDB type) of each column, as DuckDB's parquet_schema and DESCRIBE see them
TEXT = ('BYTE_ARRAY', 'VARCHAR')
EXPECTED_TYPES = {
    'id': ('INT32', 'INTEGER'), 'ts': ('INT64', 'TIMESTAMP WITH TIME ZONE'),
    'c_int2': ('INT32', 'SMALLINT'), 'c_int4': ('INT32', 'INTEGER'), 'c_int8': ('INT64', 'BIGINT'),
    'c_numeric': TEXT, 'c_numeric_scaled': ('INT64', 'DECIMAL(12,4)'),
    'c_float4': ('FLOAT', 'FLOAT'), 'c_float8': ('DOUBLE', 'DOUBLE'),
    'c_text': TEXT, 'c_varchar': TEXT, 'c_char': TEXT, 'c_bytea': ('BYTE_ARRAY', 'BLOB'),
    'c_bool': ('BOOLEAN', 'BOOLEAN'), 'c_date': ('INT32', 'DATE'),
    'c_timestamp': ('INT64', 'TIMESTAMP'), 'c_timestamptz': ('INT64', 'TIMESTAMP WITH TIME ZONE'),
    'c_time': ('INT64', 'TIME'), 'c_timetz': TEXT, 'c_interval': TEXT,
    'c_uuid': ('FIXED_LEN_BYTE_ARRAY', 'UUID'), 'c_json': ('BYTE_ARRAY', 'JSON'),
    'c_jsonb': ('BYTE_ARRAY', 'JSON'), 'c_int_arr': TEXT, 'c_text_arr': TEXT, 'c_2d': TEXT,
    'c_enum': TEXT, 'c_domain': ('INT32', 'INTEGER'), 'c_inet': TEXT, 'c_cidr': TEXT,
    'c_composite': TEXT, 'c_point': TEXT, 'c_macaddr': TEXT, 'c_varbit': TEXT,
    'c_int4range': TEXT, 'c_tstzrange': TEXT, 'c_oid': ('INT64', 'BIGINT'),
    'Mixed Case, "quoted" col': TEXT,
    'c_dec9': ('INT32', 'DECIMAL(9,2)'), 'c_dec18': ('INT64', 'DECIMAL(18,0)'),
    'c_dec20': ('FIXED_LEN_BYTE_ARRAY', 'DECIMAL(20,5)'),
    'c_dec38': ('FIXED_LEN_BYTE_ARRAY', 'DECIMAL(38,10)'),
    'c_dec_frac': ('INT32', 'DECIMAL(4,4)'), 'c_amount': ('INT64', 'DECIMAL(10,3)'),
    'c_name': TEXT, 'c_qchar': TEXT,
}


def table_ddl(table):
    return tat.table_ddl(table, COLUMNS)


def rows_sql(table, edge_rows=None):
    """The CSV test's rows (edge rows, nasty strings, an all-NULL row) with
    this module's edge rows and its name column."""
    return tat.rows_sql(table, EDGE_ROWS if edge_rows is None else edge_rows, ('c_name',))


def setUpModule():
    global PG
    PG = harness.Cluster()
    PG.createdb(DB)
    PG.psql(tat.TYPES_DDL + EXTRA_DDL, db=DB)


def tearDownModule():
    PG.stop()


def parquet_files(dest):
    return [ai.object_path(dest, rel) for rel in ai.objects(dest) if rel.endswith('.parquet')]


class ParquetTypesTest(unittest.TestCase):
    def fresh_table(self, table=TABLE, edge_rows=None):
        PG.psql('DROP SCHEMA IF EXISTS ebb CASCADE; DROP TABLE IF EXISTS %s;' % table, db=DB)
        sql, n = rows_sql(table, edge_rows)
        PG.psql(table_ddl(table) + sql, db=DB)
        return n

    def archive(self, dest, *extra, table=TABLE, time_column='ts'):
        return ai.archive(PG, DB, dest, '--format', 'parquet', *extra, table=table,
                          time_column=time_column)

    def test_every_type_round_trips_with_every_codec(self):
        for codec in ('zstd', 'snappy', 'gzip', 'none'):
            with self.subTest(codec=codec):
                n = self.fresh_table()
                before = harness.table_rows_csv(PG, DB, TABLE)
                dest = ai.new_dest(self)
                ai.assert_ok(self, self.archive(dest, '--compress', codec,
                                                '--parquet-infinity', 'sentinel'))
                left, archived = harness.assert_oracle(self, before, PG, DB, TABLE)
                self.assertEqual((sum(left.values()), sum(archived.values())), (0, n))
                self.assertEqual(PG.query('SELECT DISTINCT format, compression'
                                          ' FROM ebb.archive_ledger', DB), [('parquet', codec)])
                files = parquet_files(dest)
                self.assertGreater(len(files), 3)
                meta = pt.pq_meta(files[0])
                self.assertEqual({m['compression'] for m in meta['metadata']},
                                 {pt.PARQUET_CODECS[codec]})

    def test_parquet_and_duckdb_types(self):
        self.fresh_table()
        dest = ai.new_dest(self)
        ai.assert_ok(self, self.archive(dest, '--parquet-infinity', 'sentinel'))
        meta = pt.pq_meta(parquet_files(dest)[0])
        physical = {s['name']: s['type'] for s in meta['schema'][1:]}
        duck = {d['name']: d['type'] for d in meta['describe']}
        self.assertEqual(list(duck), [c for c, _ in COLUMNS])
        self.assertEqual({c: (physical[c], duck[c]) for c in duck}, EXPECTED_TYPES)
        self.assertEqual({s['repetition_type'] for s in meta['schema'][1:]}, {'OPTIONAL'})
        by_name = {s['name']: s for s in meta['schema'][1:]}
        self.assertEqual(by_name['c_dec20']['type_length'], '9')
        self.assertEqual(by_name['c_dec38']['type_length'], '16')
        self.assertEqual(by_name['c_uuid']['type_length'], '16')
        self.assertIn('isAdjustedToUTC=1', by_name['c_timestamptz']['logical_type'])
        self.assertIn('isAdjustedToUTC=0', by_name['c_timestamp']['logical_type'])
        self.assertIn('isAdjustedToUTC=0', by_name['c_time']['logical_type'])
        self.assertEqual(by_name['c_int2']['converted_type'], 'INT_16')

    def test_hyparquet_reads_the_same_values(self):
        """A second, independent reader: integers, strings, booleans, uuids,
        bytea and DECIMAL-free columns equal PostgreSQL's values."""
        n = self.fresh_table()
        cols = ['id', 'c_int2', 'c_int8', 'c_text', 'c_bool', 'c_uuid', 'c_bytea', 'c_name',
                'c_oid']
        expected = {}
        for row in PG.query('SELECT id, c_int2, c_int8, c_text, c_bool, c_uuid, '
                            "encode(c_bytea, 'hex'), c_name, c_oid FROM %s" % TABLE, DB):
            expected[int(row[0])] = row
        dest = ai.new_dest(self)
        ai.assert_ok(self, self.archive(dest, '--parquet-infinity', 'sentinel'))
        seen = 0
        for path in parquet_files(dest):
            for rec in pt.pq_hyparquet(path):
                want = expected[int(rec['id'])]
                got = tuple(None if rec[c] is None else
                            ('t' if rec[c] else 'f') if c == 'c_bool' else str(rec[c])
                            for c in cols)
                self.assertEqual(got, want, rec['id'])
                seen += 1
        self.assertEqual(seen, n)

    def test_infinity_is_an_error_by_default(self):
        for column, value in (('c_date', "'infinity'"), ('c_timestamp', "'-infinity'"),
                              ('c_timestamptz', "'infinity'"), ('c_numeric_scaled', "'NaN'")):
            with self.subTest(column=column):
                self.fresh_table(edge_rows=[{column: value}])
                before = harness.table_rows_csv(PG, DB, TABLE)
                dest = ai.new_dest(self)
                proc = self.archive(dest)
                what = 'NaN' if value == "'NaN'" else value.strip("'")
                self.assertEqual(proc.returncode, 1, proc.stderr)
                self.assertIn('could not encode column "%s" as Parquet: the value is %s'
                              % (column, what), proc.stderr)
                self.assertIn('ebb: hint: Use --parquet-infinity null to store NULL, or sentinel'
                              ' to store the type\'s extreme value (DuckDB reads it as'
                              ' infinity); or archive this table as CSV.', proc.stderr)
                # nothing deleted, no object left behind
                self.assertEqual(harness.table_rows_csv(PG, DB, TABLE), before)
                self.assertEqual([o for o in ai.objects(dest) if o.endswith('.parquet')], [])

    def test_infinity_as_null(self):
        n = self.fresh_table(edge_rows=[{'c_date': "'infinity'", 'c_timestamptz': "'-infinity'",
                                         'c_numeric_scaled': "'NaN'", 'c_int4': '7'}])
        dest = ai.new_dest(self)
        ai.assert_ok(self, self.archive(dest, '--parquet-infinity', 'null'))
        self.assertEqual(ai.count(PG, DB, TABLE), 0)
        archived = harness.archived_rows(PG, DB, TABLE)
        self.assertEqual(sum(archived.values()), n)
        names = [c for c, _ in COLUMNS]
        row = [r for r in archived if r[names.index('c_int4')] == '7']
        self.assertEqual(len(row), 1)
        for column in ('c_date', 'c_timestamptz', 'c_numeric_scaled'):
            self.assertIsNone(row[0][names.index(column)], column)

    def test_time_24_00(self):
        """time '24:00:00' (PostgreSQL's last) is past what Arrow-based readers take: an error
        by default, NULL or 23:59:59.999999 (with a warning) on request."""
        for policy, stored in (('error', None), ('null', None), ('sentinel', '23:59:59.999999')):
            with self.subTest(policy=policy):
                self.fresh_table(edge_rows=[{'c_time': "'24:00:00'", 'c_int4': '7'}])
                before = harness.table_rows_csv(PG, DB, TABLE)
                dest = ai.new_dest(self)
                proc = self.archive(dest, '--parquet-infinity', policy)
                if policy == 'error':
                    self.assertEqual(proc.returncode, 1, proc.stderr)
                    self.assertIn('could not encode column "c_time" as Parquet: the value is'
                                  ' 24:00:00', proc.stderr)
                    self.assertIn('ebb: hint: Use --parquet-infinity null to store NULL, or'
                                  ' sentinel to store 23:59:59.999999; or archive this table as'
                                  ' CSV.', proc.stderr)
                    self.assertEqual(harness.table_rows_csv(PG, DB, TABLE), before)
                    continue
                ai.assert_ok(self, proc)
                self.assertEqual('ebb: warning: column "c_time": time 24:00:00 stored as'
                                 ' 23:59:59.999999 in Parquet (--parquet-infinity sentinel)'
                                 in proc.stderr, policy == 'sentinel', proc.stderr)
                names = [c for c, _ in COLUMNS]
                row = [r for r in harness.archived_rows(PG, DB, TABLE)
                       if r[names.index('c_int4')] == '7']
                self.assertEqual(row[0][names.index('c_time')], stored)

    def test_beyond_294246(self):
        """PostgreSQL's last timestamps do not fit Parquet's int64 microseconds
        since 1970: a clear error whatever the infinity policy."""
        for policy in ('error', 'sentinel', 'null'):
            with self.subTest(policy=policy):
                self.fresh_table(edge_rows=TOO_LATE)
                before = harness.table_rows_csv(PG, DB, TABLE)
                dest = ai.new_dest(self)
                proc = self.archive(dest, '--parquet-infinity', policy)
                self.assertEqual(proc.returncode, 1, proc.stderr)
                self.assertIn('as Parquet: a timestamp beyond the year 294246', proc.stderr)
                self.assertIn('ebb: detail: Parquet timestamps count microseconds from 1970 in'
                              ' 64 bits.', proc.stderr)
                self.assertEqual(harness.table_rows_csv(PG, DB, TABLE), before)


if __name__ == '__main__':
    unittest.main()
