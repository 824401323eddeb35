"""Every common PostgreSQL type survives ebb archive's CSV: PostgreSQL loads
each object back with COPY FROM and renders it exactly as it rendered the
rows before (the oracle), with NULLs everywhere and edge values of each type.
Also: the header row names all columns in order (read with Python's csv
module), NULL and '' stay apart in the raw CSV, and extreme values of the
time column itself (-infinity, BC, pre-1970) are archived."""

import collections
import csv
import io
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import archive_inputs as ai  # noqa: E402

DB = 'types'
TABLE = 'public.alltypes'

TYPES_DDL = r"""
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy', 'we"ird, one');
CREATE DOMAIN posint AS int CHECK (VALUE > 0);
CREATE TYPE pair AS (n int, s text, t timestamptz);
"""

# (column name, type); the header row must list these names in this order.
COLUMNS = [
    ('id', 'int NOT NULL'),
    ('ts', 'timestamptz NOT NULL'),
    ('c_int2', 'int2'), ('c_int4', 'int4'), ('c_int8', 'int8'),
    ('c_numeric', 'numeric'), ('c_numeric_scaled', 'numeric(12,4)'),
    ('c_float4', 'float4'), ('c_float8', 'float8'),
    ('c_text', 'text'), ('c_varchar', 'varchar(20)'), ('c_char', 'char(5)'),
    ('c_bytea', 'bytea'), ('c_bool', 'bool'), ('c_date', 'date'),
    ('c_timestamp', 'timestamp'), ('c_timestamptz', 'timestamptz'),
    ('c_time', 'time'), ('c_timetz', 'timetz'), ('c_interval', 'interval'),
    ('c_uuid', 'uuid'), ('c_json', 'json'), ('c_jsonb', 'jsonb'),
    ('c_int_arr', 'int[]'), ('c_text_arr', 'text[]'), ('c_2d', 'int[][]'),
    ('c_enum', 'mood'), ('c_domain', 'posint'), ('c_inet', 'inet'), ('c_cidr', 'cidr'),
    ('c_composite', 'pair'), ('c_point', 'point'), ('c_macaddr', 'macaddr'),
    ('c_varbit', 'varbit'), ('c_int4range', 'int4range'), ('c_tstzrange', 'tstzrange'),
    ('c_oid', 'oid'),
    ('Mixed Case, "quoted" col', 'text'),  # the header must quote this name
]
NAMES = [c for c, _ in COLUMNS]

# Strings that break naive CSV writers and readers.
TEXTS = [
    'plain', '', ' ', 'he said "hi", then left', 'a,b', 'line1\nline2', 'cr\ronly',
    'crlf\r\nend', 'tab\there', 'back\\slash', '\\', '\\.', '\\N', 'NULL', 'null',
    '\n', '\r\n', '"', '""', ',', '\\.\n', 'emoji 😀🎉', 'CJK 日本語 中文 한국어',
    'combining e\u0301 a\u0308', 'trailing space ', '\u00a0nbsp', 'zero\u200bwidth',
    '=cmd|x', "it's",
]

# One row each: edge values; the column not named is NULL. SQL literals.
EDGE_ROWS = [
    {'c_int2': '32767', 'c_int4': '2147483647', 'c_int8': '9223372036854775807',
     'c_numeric': "'1e-30'", 'c_float4': "'NaN'", 'c_float8': "'NaN'",
     'c_numeric_scaled': "'12345678.9999'"},
    {'c_int2': '-32768', 'c_int4': '-2147483648', 'c_int8': '-9223372036854775808',
     'c_numeric': "(10::numeric ^ 300) + 0.5", 'c_float4': "'Infinity'",
     'c_float8': "'-Infinity'", 'c_numeric_scaled': "'-0.0001'"},
    {'c_int2': '0', 'c_int4': '0', 'c_int8': '0', 'c_numeric': "'NaN'",
     'c_float4': "'-0'", 'c_float8': "'-0'"},
    {'c_numeric': "'Infinity'", 'c_float4': "'-Infinity'", 'c_float8': "'1e-300'"},
    {'c_numeric': "'-Infinity'", 'c_float4': "'3.4028235e38'",
     'c_float8': "'1.7976931348623157e308'"},
    {'c_numeric': "'-0.000000000000000000000000000001234'", 'c_float4': "'1.17549435e-38'",
     'c_float8': "'5e-324'"},
    {'c_numeric': "'0.1'", 'c_float4': "'0.1'", 'c_float8': "'0.1'"},
    {'c_float4': "'1.4e-45'", 'c_float8': "'2.2250738585072014e-308'"},
    {'c_bytea': r"'\x00ff5c005c5c0d0a2c22'::bytea", 'c_bool': 'true',
     'c_varchar': "'twenty chars, \"q\",x!'", 'c_char': "'ab'"},
    {'c_bytea': "''::bytea", 'c_bool': 'false', 'c_varchar': "''", 'c_char': "''"},
    {'c_bytea': "'\\x00'::bytea", 'c_char': "'a,\"b'"},
    {'c_date': "'infinity'", 'c_timestamp': "'infinity'", 'c_timestamptz': "'infinity'",
     'c_time': "'24:00:00'", 'c_timetz': "'23:59:59.999999+15:59'",
     'c_interval': "'-1 year -2 months +3 days -04:05:06.789'"},
    {'c_date': "'-infinity'", 'c_timestamp': "'-infinity'", 'c_timestamptz': "'-infinity'",
     'c_time': "'00:00:00'", 'c_timetz': "'00:00:00-15:59'", 'c_interval': "'1 mon'"},
    {'c_date': "'4713-01-01 BC'", 'c_timestamp': "'4713-01-01 00:00:00 BC'",
     'c_timestamptz': "'4713-01-01 00:00:00+00 BC'", 'c_interval': "'-178000000 years'"},
    {'c_date': "'1900-02-28'", 'c_timestamp': "'1900-01-01 00:00:00.000001'",
     'c_timestamptz': "'1901-12-13 20:45:52.123456+00'", 'c_time': "'00:00:00.000001'",
     'c_interval': "'00:00:00.000001'"},
    {'c_date': "'1969-12-31'", 'c_timestamp': "'1969-12-31 23:59:59.999999'",
     'c_timestamptz': "'1969-12-31 23:59:59.999999+05:30'", 'c_interval': "'0'"},
    {'c_date': "'2038-01-19'", 'c_timestamp': "'2038-01-19 03:14:08'",
     'c_timestamptz': "'2100-06-15 12:34:56.789012-09:30'",
     'c_timetz': "'12:00:00+05:45'", 'c_interval': "'178000000 years 11 mons 30 days'"},
    {'c_date': "'5874897-12-31'", 'c_timestamp': "'294276-12-31 23:59:59.999999'",
     'c_timestamptz': "'294276-12-31 23:59:59.999999+00'"},
    {'c_uuid': "'00000000-0000-0000-0000-000000000000'",
     'c_json': """'{"a": 1,  "a" : [1, 2],\n "b":"x\\"y"}'""",
     'c_jsonb': """'{"b": "x\\"y", "a": null, "u": "\\u00e9 😀", "n": 1.50, "e": ""}'"""},
    {'c_uuid': "'ffffffff-ffff-ffff-ffff-ffffffffffff'", 'c_json': "'\"\"'",
     'c_jsonb': "'\"\"'"},
    {'c_json': "'null'", 'c_jsonb': "'null'", 'c_uuid': "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'"},
    {'c_json': "' [ ] '", 'c_jsonb': "'[1, \"a,b\", {\"k\": [null]}]'"},
    {'c_int_arr': "'{1,NULL,3}'", 'c_text_arr': """'{"a,b","c\\"d",NULL,"NULL","",x,"back\\\\slash","line\nbreak"}'""",
     'c_2d': "'{{1,2},{3,4}}'"},
    {'c_int_arr': "'{}'", 'c_text_arr': "'{}'", 'c_2d': "'[0:1][5:6]={{1,NULL},{NULL,4}}'"},
    {'c_int_arr': "'{NULL}'", 'c_text_arr': "'{\"\"}'", 'c_2d': "'{{NULL}}'"},
    {'c_enum': "'happy'", 'c_domain': '1', 'c_inet': "'192.168.1.5/24'",
     'c_cidr': "'10.0.0.0/8'", 'c_composite': "ROW(1, 'a,\"b\"', NULL)",
     'c_point': "'(1.5,-2)'"},
    {'c_enum': "'we\"ird, one'", 'c_domain': '2147483647', 'c_inet': "'::1'",
     'c_cidr': "'2001:db8::/32'", 'c_composite': "ROW(NULL, '', '2020-01-01 00:00+00')",
     'c_point': "'(NaN,-Infinity)'"},
    {'c_enum': "'sad'", 'c_composite': "ROW(NULL, NULL, NULL)", 'c_point': "'(0,-0)'",
     'c_inet': "'255.255.255.255'", 'c_cidr': "'0.0.0.0/0'"},
    {'c_macaddr': "'08:00:2b:01:02:03'", 'c_varbit': "B'101'", 'c_int4range': "'[1,5)'",
     'c_tstzrange': "'[2020-01-01 00:00+00,infinity)'", 'c_oid': '4294967295'},
    {'c_macaddr': "'ff:ff:ff:ff:ff:ff'", 'c_varbit': "B''", 'c_int4range': "'empty'",
     'c_tstzrange': "'(,)'", 'c_oid': '0'},
]


def table_ddl(table, columns=None):
    return 'CREATE TABLE %s (%s);\nCREATE INDEX ON %s (ts);\n' % (
        table, ', '.join('%s %s' % (harness.quote_ident(c), t) for c, t in columns or COLUMNS),
        table)


def rows_sql(table, edge_rows=None, more_text_columns=()):
    """INSERTs: the edge rows, one row per nasty string (in the text
    columns and in a text[]), and one all-NULL row; ids 1..n, every row
    older than two days, spread over several hours."""
    rows = [dict(r) for r in (EDGE_ROWS if edge_rows is None else edge_rows)]
    for s in TEXTS:
        lit = harness.quote_literal(s)
        rows.append(dict({'c_text': lit, 'Mixed Case, "quoted" col': lit,
                          'c_text_arr': 'ARRAY[%s, NULL]' % lit,
                          'c_jsonb': 'to_jsonb(%s::text)' % lit},
                         **{c: lit for c in more_text_columns}))
    rows.append({})  # NULL in every column but id and ts
    stmts = []
    for i, row in enumerate(rows, 1):
        cols = ['id', 'ts'] + list(row)
        vals = [str(i), "'2021-03-04 05:06:07.891234+00'::timestamptz + %d * interval '17 min'"
                % i] + list(row.values())
        stmts.append('INSERT INTO %s (%s) VALUES (%s);' % (
            table, ', '.join(harness.quote_ident(c) for c in cols), ', '.join(vals)))
    return '\n'.join(stmts), len(rows)


def setUpModule():
    global PG
    PG = harness.Cluster()
    PG.createdb(DB)
    PG.psql(TYPES_DDL, db=DB)


def tearDownModule():
    PG.stop()


class TypesTest(unittest.TestCase):
    def fresh_table(self, table=TABLE):
        PG.psql('DROP SCHEMA IF EXISTS ebb CASCADE; DROP TABLE IF EXISTS %s;' % table, db=DB)
        sql, n = rows_sql(table)
        PG.psql(table_ddl(table) + sql, db=DB)
        self.assertEqual(ai.count(PG, DB, table), n)
        return n

    def archive_all(self, dest, *extra, table=TABLE):
        proc = ai.archive(PG, DB, dest, *extra, table=table, time_column='ts')
        ai.assert_ok(self, proc)
        return proc

    def test_every_type_round_trips(self):
        """zstd, gzip and none: all rows archived, the oracle holds."""
        for method in ('zstd', 'gzip', 'none'):
            with self.subTest(compress=method):
                n = self.fresh_table()
                before = harness.table_rows_csv(PG, DB, TABLE)
                self.assertEqual(sum(before.values()), n)
                dest = ai.new_dest(self)
                self.archive_all(dest, '--compress', method)
                left, archived = harness.assert_oracle(self, before, PG, DB, TABLE)
                self.assertEqual(sum(left.values()), 0)
                self.assertEqual(sum(archived.values()), n)
                (fmt, comp), = PG.query('SELECT DISTINCT format, compression'
                                        ' FROM ebb.archive_ledger', DB)
                self.assertEqual((fmt, comp), ('csv', method))
                # rows spread over several hours: several objects
                self.assertGreater(len(ai.objects(dest)), 3)

    def test_header_and_null_vs_empty_in_raw_csv(self):
        """Python's csv module reads every object: the header names all
        columns in order; an empty string is "" and NULL is an empty field."""
        self.fresh_table()
        dest = ai.new_dest(self)
        self.archive_all(dest)
        texts = {}
        paths = ai.objects(dest)
        self.assertTrue(paths)
        for rel in paths:
            text = ai.read_object(os.path.join(dest, rel)).decode('utf-8')
            records = list(csv.reader(io.StringIO(text, newline='')))
            self.assertEqual(records[0], NAMES, rel)
            for rec in records[1:]:
                self.assertEqual(len(rec), len(NAMES), rel)
            # NULL (unquoted empty) and '' ("") apart: the harness' parser keeps them apart
            for rec in harness.parse_pg_csv(text)[1:]:
                texts[int(rec[0])] = rec[NAMES.index('c_text')]
        self.assertEqual(len(texts), len(EDGE_ROWS) + len(TEXTS) + 1)
        first_text = len(EDGE_ROWS) + 1
        for i, s in enumerate(TEXTS):
            self.assertEqual(texts[first_text + i], s)
        self.assertIsNone(texts[len(EDGE_ROWS) + len(TEXTS) + 1])
        self.assertIsNone(texts[1])
        # the raw bytes of the '' row: a quoted empty field
        empty_id = first_text + TEXTS.index('')
        raw = b''.join(ai.read_object(os.path.join(dest, rel)) for rel in paths).decode()
        self.assertRegex(raw, r'(?m)^%d,[^,]*,(,){7}"",' % empty_id)

    def archive_time_values(self, table, coltype, values):
        """A table whose time column holds `values` (SQL literals) plus one
        recent row and (for timestamptz) infinity: all of `values` are older
        than any cutoff and must be archived; the others stay."""
        rows = ', '.join('(%d, %s)' % (i, v) for i, v in enumerate(values, 1))
        PG.psql("""DROP SCHEMA IF EXISTS ebb CASCADE; DROP TABLE IF EXISTS %s;
            CREATE TABLE %s (id int, ts %s NOT NULL);
            CREATE INDEX ON %s (ts);
            INSERT INTO %s VALUES %s, (0, LOCALTIMESTAMP), (-1, 'infinity');
            """ % (table, table, coltype, table, table, rows), db=DB)
        before = harness.table_rows_csv(PG, DB, table)
        dest = ai.new_dest(self)
        self.archive_all(dest, table=table)
        left, archived = harness.assert_oracle(self, before, PG, DB, table)
        self.assertEqual(sorted(int(r[0]) for r in left), [-1, 0])
        self.assertEqual(sorted(int(r[0]) for r in archived), list(range(1, len(values) + 1)))
        return dest

    def test_time_column_before_and_on_the_epoch(self):
        for coltype in ('timestamptz', 'timestamp'):
            with self.subTest(coltype=coltype):
                dest = self.archive_time_values('public.epoch_' + coltype, coltype, [
                    "'0001-01-01 00:00:00'", "'1900-01-01 00:00:00.000001'",
                    "'1901-12-13 20:45:52'", "'1969-12-31 23:30:00'",
                    "'1969-12-31 23:59:59.999999'", "'1970-01-01 00:00:00'"])
                hours = sorted(m.group('date') + 'T' + m.group('hour') for m in
                               map(ai.KEY_RE.match, ai.objects(dest)))
                self.assertEqual(hours, ['0001-01-01T00', '1900-01-01T00', '1901-12-13T20',
                                         '1969-12-31T23', '1970-01-01T00'])

    def test_time_column_bc(self):
        """Years before 1 AD are valid timestamps; they are old."""
        for coltype in ('timestamptz', 'timestamp'):
            with self.subTest(coltype=coltype):
                self.archive_time_values('public.bc_' + coltype, coltype, [
                    "'4713-01-01 00:00:00 BC'", "'0044-03-15 12:00:00 BC'",
                    "'0001-12-31 23:59:59.999999 BC'"])

    def test_time_column_minus_infinity(self):
        """-infinity is older than any cutoff."""
        for coltype in ('timestamptz', 'timestamp'):
            with self.subTest(coltype=coltype):
                self.archive_time_values('public.ninf_' + coltype, coltype,
                                         ["'-infinity'", "'2020-01-01 00:00:00'"])

    def test_dropped_and_generated_columns(self):
        """A dropped column is not in the object (nor in its header), nor is a stored
        generated column: its value follows from the others, the manifest records its
        expression, and COPY FROM without a column list (which skips generated columns)
        loads the object back into the table as it is."""
        table = 'public.reshaped'
        PG.psql("""DROP SCHEMA IF EXISTS ebb CASCADE; DROP TABLE IF EXISTS %s;
            CREATE TABLE %s (id int, gone text, ts timestamptz NOT NULL, note text,
                             twice int GENERATED ALWAYS AS (id * 2) STORED);
            CREATE INDEX ON %s (ts);
            INSERT INTO %s (id, gone, ts, note)
              SELECT i, 'x', '2020-01-01'::timestamptz + i * interval '20 min', 'n' || i
              FROM generate_series(1, 10) i;
            ALTER TABLE %s DROP COLUMN gone;
            ALTER TABLE %s ADD COLUMN added text DEFAULT 'late, "added"';""" % ((table,) * 6),
                db=DB)
        before = harness.table_rows_csv(PG, DB, table)
        dest = ai.new_dest(self)
        self.archive_all(dest, table=table)
        left, archived = harness.assert_oracle(self, before, PG, DB, table, archived=10)
        for rel in ai.objects(dest):
            text = ai.read_object(os.path.join(dest, rel)).decode()
            records = list(csv.reader(io.StringIO(text, newline='')))
            self.assertEqual(records[0], ['id', 'ts', 'note', 'added'])
            for rec in records[1:]:
                self.assertEqual(rec[3], 'late, "added"')
            with open(os.path.join(dest, rel + '.manifest.json')) as f:
                m = json.load(f)
            self.assertEqual([c['name'] for c in m['columns']], ['id', 'ts', 'note', 'added'])
            self.assertEqual(m['generated_columns'],
                             [{'name': 'twice', 'type': 'integer', 'expression': '(id * 2)'}])
            # the README's way back: COPY t FROM STDIN (FORMAT csv, HEADER), no column list
            PG.copy_in('COPY %s FROM STDIN (FORMAT csv, HEADER)' % table, text.encode(), DB)
        self.assertEqual(harness.table_rows_csv(PG, DB, table), before)

    def test_partitioned_table(self):
        """Rows of every partition, through the partitioned parent: the expired
        partitions whole (then dropped), the DEFAULT's old rows row by row."""
        table = 'public.parted'
        PG.psql("""DROP SCHEMA IF EXISTS ebb CASCADE; DROP TABLE IF EXISTS %s;
            CREATE TABLE %s (id int, ts timestamptz NOT NULL, payload jsonb)
              PARTITION BY RANGE (ts);
            CREATE TABLE parted_2020 PARTITION OF %s
              FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
            CREATE TABLE parted_2021 PARTITION OF %s
              FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');
            CREATE TABLE parted_rest PARTITION OF %s DEFAULT;
            CREATE INDEX ON %s (ts);
            INSERT INTO %s SELECT i, '2020-12-31 22:00+00'::timestamptz + i * interval '1 hour',
              jsonb_build_object('i', i) FROM generate_series(0, 5) i;
            INSERT INTO %s VALUES (100, now(), '{}');""" % ((table,) * 8), db=DB)
        before = harness.table_rows_csv(PG, DB, table)
        dest = ai.new_dest(self)
        self.archive_all(dest, table=table)
        left, archived = harness.assert_oracle(self, before, PG, DB, table)
        self.assertEqual([r[0] for r in left], ['100'])
        self.assertEqual(sum(archived.values()), 6)
        self.assertEqual(PG.query("SELECT to_regclass('parted_2020'), to_regclass('parted_2021')",
                                  DB), [(None, None)])

    def test_backslash_dot_line_inside_a_quoted_field(self):
        """A value holding a line that is exactly \\. : RFC 4180 needs nothing
        special, and ebb writes it quoted. PostgreSQL 15's COPY FROM (csv)
        cannot load it (it takes the line as the end-of-data marker even
        inside quotes; PostgreSQL 18 fixed that), so this check reads the
        object with the harness' own CSV parser instead of the oracle."""
        table = 'public.bsdot'
        values = ['x\n\\.\ny', '\\.\n', '\n\\.', 'a\r\n\\.\r\nb']
        PG.psql("""DROP SCHEMA IF EXISTS ebb CASCADE; DROP TABLE IF EXISTS %s;
            CREATE TABLE %s (id int, ts timestamptz NOT NULL, note text);
            CREATE INDEX ON %s (ts);
            INSERT INTO %s VALUES %s;""" % (table, table, table, table, ', '.join(
            "(%d, '2020-01-01', %s)" % (i, harness.quote_literal(v))
            for i, v in enumerate(values, 1))), db=DB)
        before = harness.table_rows_csv(PG, DB, table)
        dest = ai.new_dest(self)
        self.archive_all(dest, table=table)
        self.assertEqual(ai.count(PG, DB, table), 0)
        paths = ai.objects(dest)
        self.assertEqual(len(paths), 1)
        rows = harness.parse_pg_csv(ai.read_object(os.path.join(dest, paths[0])).decode())
        self.assertEqual(rows[0], ('id', 'ts', 'note'))
        self.assertEqual(collections.Counter(rows[1:]), before)
        self.assertEqual(sorted(r[2] for r in rows[1:]), sorted(values))


if __name__ == '__main__':
    unittest.main()
