"""ebb archive --format parquet as a whole: the predictable data set and
realistic generated rows archived with the row oracle (objects read back by
DuckDB), the whole archive of a table read by DuckDB through its Hive layout
(partition columns included), the file's provenance (created_by, key-value
metadata), statistics equal to the real min/max/null count of every row group,
several row groups and pages (walked by the tests' own Thrift reader), the
dictionary and its fallback, a zero-row file, ebb verify on Parquet objects,
and the archive to S3."""

import os
import re
import struct
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import parquet_tools as pt  # noqa: E402
import protocol_util as pu  # noqa: E402
import s3_harness  # noqa: E402

PG = S3 = None


def setUpModule():
    global PG, S3
    PG = harness.Cluster()
    S3 = s3_harness.S3Server()


def tearDownModule():
    S3.stop()
    PG.stop()


def parquet_paths(root):
    return sorted(os.path.join(root, p) for p in pu.files_under(root) if p.endswith('.parquet'))


STATS_DDL = """
CREATE TABLE public.t (id int, ts timestamptz NOT NULL, n int8, f float8, f4 float4, t text,
  d date, tsl timestamp, dec numeric(10,2), dec38 numeric(38,4), b bool, u uuid, low text,
  tm time, allnull int);
CREATE INDEX ON public.t (ts);
INSERT INTO public.t SELECT i, '2020-01-01'::timestamptz + i * interval '1 s',
  CASE WHEN i % 7 = 0 THEN NULL ELSE i * 1000000000::int8 * (1 - 2 * (i % 2)) END,
  CASE WHEN i % 97 = 0 THEN 'NaN'::float8 WHEN i % 89 = 0 THEN '-0'::float8
       WHEN i = 12345 THEN '-Infinity' ELSE i / 7.0 END,
  (i / 3.0)::float4,
  CASE WHEN i % 10 = 0 THEN NULL ELSE md5(i::text) || repeat('x', 20) END,
  '1999-12-25'::date + i, '1969-07-20 20:17:40'::timestamp + i * interval '1 min',
  i * 1.25 - 500, i * 123456789.1234 - 1e12, i % 3 = 0, md5(i::text)::uuid,
  (ARRAY['web', 'ios', 'android', NULL])[1 + i % 4], time '00:00' + i * interval '1 s', NULL
FROM generate_series(1, 50000) i;
"""

# DuckDB's min/max over a row group's rows, as text (NaN is never a bound)
STATS_COLUMNS = ['id', 'ts', 'n', 'f', 'f4', 't', 'd', 'tsl', 'dec', 'dec38', 'b', 'u', 'low',
                 'tm', 'allnull']
FLOATS = ('f', 'f4')


class ParquetArchiveTest(unittest.TestCase):
    def setUp(self):
        self.db = pu.new_db(PG, 'pq')
        self.dest, self.root = pu.make_dest(self)

    def archive(self, *extra, **kw):
        return pu.archive(PG, self.db, self.dest, '--format', 'parquet', *extra, **kw)

    def test_predictable_set_and_the_hive_layout(self):
        pu.predictable_events(PG, self.db)
        before = pu.snapshot(PG, self.db)
        pu.assert_ok(self, self.archive())
        left, archived = harness.assert_oracle(self, before, PG, self.db, pu.TABLE)
        self.assertEqual((sum(left.values()), sum(archived.values())), (48, 672))
        paths = parquet_paths(self.root)
        self.assertEqual(len(paths), 672)
        # every object a one-row file
        meta = pt.pq_meta(paths[0])
        (fm,) = meta['file_metadata']
        self.assertEqual((fm['num_rows'], fm['num_row_groups']), ('1', '1'))
        # the whole archive of the table through DuckDB's Hive partitioning: the
        # partition columns hold each row's UTC date and hour
        glob = '%s/%s/analytics.events/**/*.parquet' % (self.root, self.db)
        (res,) = pt.duckdb_query(
            "SELECT count(*) AS n, count(*) FILTER (WHERE dt::VARCHAR = strftime(triggered_at,"
            " '%%Y-%%m-%%d') AND hour::INT = hour(triggered_at)) AS placed,"
            " count(DISTINCT dt) AS days FROM read_parquet(%s, hive_partitioning = true)"
            % pt.sql_string(glob))
        self.assertEqual((res['n'], res['placed']), ('672', '672'))
        days = {e['object_key'].split('/dt=')[1][:10] for e in pu.ledger(PG, self.db)}
        self.assertEqual(res['days'], str(len(days)))

    def test_provenance(self):
        pu.predictable_events(PG, self.db)
        pu.assert_ok(self, self.archive())
        entry = pu.ledger(PG, self.db)[0]
        path = os.path.join(self.root, entry['object_key'])
        meta = pt.pq_meta(path)
        build = subprocess.run(['git', 'rev-parse', '--short=12', 'HEAD'], capture_output=True,
                               text=True, cwd=harness.REPO_ROOT).stdout.strip() or 'unknown'
        created_by = meta['file_metadata'][0]['created_by']
        # the form parquet-java parses: "<app> version <semver> (build <hash>)"
        self.assertRegex(created_by, r'^ebb version \d+\.\d+\.\d+ \(build [0-9a-f]{12}\)$'
                         if build != 'unknown' else r'^ebb version \d+\.\d+\.\d+ \(build unknown\)$')
        kv = {m['key']: m['value'] for m in meta['kv_metadata']}
        self.assertEqual(kv['ebb.database'], self.db)
        self.assertEqual((kv['ebb.schema'], kv['ebb.table'], kv['ebb.time_column']),
                         ('analytics', 'events', 'triggered_at'))
        self.assertEqual(kv['ebb.run_id'], entry['run_id'])
        self.assertRegex(kv['ebb.range_start'], r'^\d{4}-\d\d-\d\dT\d\d:00:00')
        self.assertEqual(set(kv), {'ebb.version', 'ebb.database', 'ebb.schema', 'ebb.table',
                                   'ebb.time_column', 'ebb.range_start', 'ebb.range_end',
                                   'ebb.run_id'})
        self.assertEqual(kv['ebb.version'], re.match(r'ebb version (\S+)', created_by).group(1))
        # hyparquet decodes the same footer
        hm = pt.pq_hyparquet_meta(path)
        self.assertEqual(hm['created_by'], created_by)
        self.assertEqual(str(hm['num_rows']), '1')

    def test_realistic_rows_round_trip(self):
        subprocess.run([harness.ebb_bin(), 'generate', '--database', self.db, '--rows', '3000',
                        '--days', '5'], env=PG.env(), check=True, capture_output=True)
        before = pu.snapshot(PG, self.db)
        pu.assert_ok(self, self.archive('--window', '6h'))
        left, archived = harness.assert_oracle(self, before, PG, self.db, pu.TABLE)
        self.assertGreater(sum(archived.values()), 1000)

    def stats_file(self):
        PG.psql(STATS_DDL, self.db)
        before = harness.table_rows_csv(PG, self.db, 'public.t')
        pu.assert_ok(self, self.archive('--window', '1d', '--row-group-size', '30000',
                                        table='public.t', time_column='ts'))
        harness.assert_oracle(self, before, PG, self.db, 'public.t')
        (path,) = parquet_paths(self.root)
        return path

    def test_statistics_row_groups_pages_and_dictionary(self):
        path = self.stats_file()
        meta = pt.pq_meta(path)
        chunks = {(int(m['row_group_id']), m['path_in_schema']): m for m in meta['metadata']}
        self.assertEqual(sorted({g for g, _ in chunks}), [0, 1])
        # the real bounds of each row group, computed by DuckDB over its rows
        aggs = ', '.join(
            "min(%s) FILTER (WHERE NOT isnan(%s))::VARCHAR AS \"min_%s\","
            " max(%s) FILTER (WHERE NOT isnan(%s))::VARCHAR AS \"max_%s\","
            " (count(*) - count(%s))::VARCHAR AS \"nulls_%s\"" % ((c,) * 8) if c in FLOATS else
            "min(%s)::VARCHAR AS \"min_%s\", max(%s)::VARCHAR AS \"max_%s\","
            " (count(*) - count(%s))::VARCHAR AS \"nulls_%s\"" % ((c,) * 6)
            for c in STATS_COLUMNS)
        real = pt.duckdb_query(
            'SELECT file_row_number // 30000 AS rg, %s FROM read_parquet(%s,'
            ' file_row_number = true, hive_partitioning = false) GROUP BY 1 ORDER BY 1'
            % (aggs, pt.sql_string(path)))
        self.assertEqual(len(real), 2)
        # DuckDB does not show an infinite float bound; hyparquet shows every bound
        hyp = {(g, c['meta_data']['path_in_schema'][0]): c['meta_data']['statistics']
               for g, group in enumerate(pt.pq_hyparquet_meta(path)['row_groups'])
               for c in group['columns']}
        for rg in real:
            g = int(rg['rg'])
            for c in STATS_COLUMNS:
                m = chunks[(g, c)]
                with self.subTest(row_group=g, column=c):
                    self.assertEqual(m['stats_null_count'], rg['nulls_' + c])
                    got = (m['stats_min_value'], m['stats_max_value'])
                    want = (rg['min_' + c], rg['max_' + c])
                    if c in FLOATS:
                        h = hyp[(g, c)]
                        got = (float(h['min_value']), float(h['max_value']))
                        want = tuple(map(float, want))
                        if c == 'f4':  # both as float32
                            got, want = (tuple(struct.unpack('<2f', struct.pack('<2f', *v)))
                                         for v in (got, want))
                    self.assertEqual(got, want)
        # no bounds at all for a column of NULLs; NaN is never a bound
        self.assertIsNone(chunks[(0, 'allnull')]['stats_min_value'])
        self.assertEqual(hyp[(0, 'f')]['min_value'], '-Infinity')
        self.assertEqual(hyp[(1, 'f')]['min_value'], '-0')
        # low cardinality: a dictionary page first; distinct md5 strings (over 1 MiB of
        # dictionary in 30000 rows) fall back to PLAIN
        low, text = chunks[(0, 'low')], chunks[(0, 't')]
        self.assertIn('RLE_DICTIONARY', low['encodings'])
        self.assertIsNotNone(low['dictionary_page_offset'])
        self.assertNotIn('RLE_DICTIONARY', text['encodings'])
        self.assertIsNone(text['dictionary_page_offset'])

    def test_pages_tile_each_chunk(self):
        """The tests' own Thrift reader walks every page header: pages tile each
        column chunk exactly, data pages' value counts add up to the chunk's,
        a dictionary page comes first when there is one, and a 30000-row row
        group is split into pages of at most 20000 rows."""
        path = self.stats_file()
        meta = pt.pq_meta(path)
        for m in meta['metadata']:
            dict_off = m['dictionary_page_offset']
            start = int(dict_off) if dict_off is not None else int(m['data_page_offset'])
            pages = pt.page_headers(path, start, int(m['total_compressed_size']))
            data = [p for p in pages if p['type'] == 0]
            with self.subTest(row_group=m['row_group_id'], column=m['path_in_schema']):
                self.assertEqual(sum(p['num_values'] for p in data), int(m['num_values']))
                self.assertEqual([p['type'] for p in pages[:1]], [2] if dict_off else [0])
                self.assertTrue(all(p['num_values'] <= 20000 for p in data))
                if m['row_group_id'] == '0':
                    self.assertGreaterEqual(len(data), 2)

    def test_row_group_byte_budget(self):
        """--row-group-bytes ends a row group before --row-group-size does."""
        PG.psql(STATS_DDL, self.db)
        pu.assert_ok(self, self.archive('--window', '1d', '--row-group-bytes', '1MiB',
                                        table='public.t', time_column='ts'))
        (path,) = parquet_paths(self.root)
        (fm,) = pt.pq_meta(path)['file_metadata']
        self.assertEqual(fm['num_rows'], '50000')
        self.assertGreater(int(fm['num_row_groups']), 5)

    def test_zero_row_file(self):
        """The archive never stores an empty window; the writer's zero-row file
        (through tests/tools/pqwrite) is still a valid Parquet file."""
        pqwrite = os.environ.get('EBB_PQWRITE') or str(harness.REPO_ROOT / 'build' / 'tests' /
                                                      'pqwrite')
        PG.psql('CREATE TABLE z (a int, b text, c timestamptz)', self.db)
        copy = subprocess.run(
            [os.path.join(harness._bindir(), 'psql'), '-X', '-q', '-d', PG.dsn(self.db), '-c',
             'COPY (SELECT * FROM z) TO STDOUT (FORMAT binary)'],
            capture_output=True, check=True, env=PG.env()).stdout
        out = os.path.join(self.root, 'zero.parquet')
        subprocess.run([pqwrite, out, 'zstd', '100', 'a:23:-1', 'b:25:-1', 'c:1184:-1'],
                       input=copy, check=True)
        meta = pt.pq_meta(out)
        (fm,) = meta['file_metadata']
        self.assertEqual((fm['num_rows'], fm['num_row_groups']), ('0', '0'))
        self.assertEqual([(d['name'], d['type']) for d in meta['describe']],
                         [('a', 'INTEGER'), ('b', 'VARCHAR'), ('c', 'TIMESTAMP WITH TIME ZONE')])
        self.assertEqual(pt.pq_hyparquet(out), [])


class ParquetVerifyTest(unittest.TestCase):
    def setUp(self):
        self.db = pu.new_db(PG, 'pqv')
        self.dest, self.root = pu.make_dest(self)
        pu.create_events(PG, self.db)
        pu.four_old_hours(PG, self.db)
        pu.assert_ok(self, pu.archive(PG, self.db, self.dest, '--format', 'parquet'))
        self.entries = pu.ledger(PG, self.db)

    def verify(self):
        return harness.run_ebb(['verify', '--database', self.db, '--table', pu.TABLE],
                               env=PG.env())

    def test_clean(self):
        proc = self.verify()
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn('checked %d objects (%d rows' % (
            len(self.entries), sum(e['rows'] for e in self.entries)), proc.stdout)
        self.assertIn('0 missing, 0 corrupt', proc.stdout)

    def test_row_count_from_the_footer(self):
        """A ledger that claims another row count: the footer says otherwise."""
        PG.psql("UPDATE ebb.archive_ledger SET rows = rows + 1 WHERE object_key = %s"
                % harness.quote_literal(self.entries[0]['object_key']), self.db)
        proc = self.verify()
        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
        self.assertIn('%s: analytics.events: corrupt object "%s": rows is %d, ledger says %d\n'
                      % (self.db, self.entries[0]['object_key'], self.entries[0]['rows'],
                         self.entries[0]['rows'] + 1), proc.stdout)

    def test_truncated_object(self):
        path = os.path.join(self.root, self.entries[0]['object_key'])
        with open(path, 'r+b') as f:
            f.truncate(os.path.getsize(path) - 9)
        proc = self.verify()
        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
        self.assertIn('1 corrupt', proc.stdout)


class ParquetS3Test(unittest.TestCase):
    def test_archive_to_s3(self):
        db = pu.new_db(PG, 'pqs3')
        pu.predictable_events(PG, db)
        before = pu.snapshot(PG, db)
        proc = pu.archive(PG, db, S3.url('pq/' + db), '--format', 'parquet', '--compress',
                          'snappy', env=S3.env())
        pu.assert_ok(self, proc)
        left, archived = harness.assert_oracle(self, before, PG, db, pu.TABLE)
        self.assertEqual((sum(left.values()), sum(archived.values())), (48, 672))
        keys = [o['key'] for o in S3.list('pq/%s/' % db)]
        self.assertEqual(len([k for k in keys if k.endswith('.parquet')]), 672)
        proc = harness.run_ebb(['verify', '--database', db, '--table', pu.TABLE],
                               env=dict(PG.env(), **S3.env()))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn('checked 672 objects (672 rows', proc.stdout)


if __name__ == '__main__':
    unittest.main()
