"""ebb archive's errors: for each, the exact first line of stderr (and the
DETAIL/HINT lines where they carry the point), the exit status (2 usage or
config, 1 runtime), and that nothing was deleted: the table's rows, the
ledger and the run log are exactly as before, and no object was written."""

import os
import shutil
import socket
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import archive_inputs as ai  # noqa: E402

DB = 'errs'
OLD_ROWS = 48  # every row of analytics.events is old: any run that works deletes them all


def setUpModule():
    global PG, BEFORE, LEDGER_BEFORE
    PG = harness.Cluster()
    PG.createdb(DB)
    ai.create_events(PG, DB, rows=OLD_ROWS)
    # A table without an index on its time column, and one whose only index
    # has the time column second: neither can find windows fast.
    PG.psql("""
        CREATE TABLE analytics.noidx (LIKE analytics.events);
        INSERT INTO analytics.noidx SELECT * FROM analytics.events;
        CREATE TABLE analytics.second (LIKE analytics.events);
        INSERT INTO analytics.second SELECT * FROM analytics.events;
        CREATE INDEX ON analytics.second (id, triggered_at);
        CREATE TABLE analytics.partial (LIKE analytics.events);
        INSERT INTO analytics.partial SELECT * FROM analytics.events;
        CREATE INDEX ON analytics.partial (triggered_at) WHERE id > 0;
        CREATE TABLE analytics.warmup (id int, ts timestamptz NOT NULL);
        CREATE INDEX ON analytics.warmup (ts);
        INSERT INTO analytics.warmup VALUES (1, '2020-01-01'), (2, '2020-01-02');
        CREATE VIEW analytics.events_view AS SELECT * FROM analytics.events;
        """, db=DB)
    # A first, successful run: the ledger exists and holds rows, so "unchanged" means something.
    global WARMUP_DEST
    WARMUP_DEST = tempfile.mkdtemp(prefix='ebb-dest-', dir=harness._tmp_parent())
    proc = ai.archive(PG, DB, WARMUP_DEST, table='analytics.warmup', time_column='ts')
    assert proc.rc == 0, proc.stderr
    BEFORE = state()
    LEDGER_BEFORE = BEFORE[1]
    assert LEDGER_BEFORE, 'the warm-up run wrote no ledger row'


def tearDownModule():
    PG.stop()
    shutil.rmtree(WARMUP_DEST, ignore_errors=True)


def state():
    """What no failed run may change."""
    counts = tuple(ai.count(PG, DB, t) for t in (
        ai.EVENTS, 'analytics.noidx', 'analytics.second', 'analytics.partial'))
    ledger = ai.ledger(PG, DB)
    runs = PG.query('SELECT run_id, table_schema, table_name, status FROM ebb.archive_run'
                    ' ORDER BY 1, 2, 3', DB)
    return counts, ledger, runs


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class ErrorsTest(unittest.TestCase):
    def setUp(self):
        self.dest = ai.new_dest(self)

    def args(self, db=DB, table=ai.EVENTS, time_column='triggered_at', dest=True):
        return ai.archive_args(db, self.dest if dest else None, table, time_column)

    def check(self, args, rc, first_line, more=(), env=None, unchecked=False):
        """Run ebb; assert the exit status, the first stderr line, that the
        lines in `more` follow it, and that nothing changed."""
        env = PG.env() if env is None else env
        proc = (ai.run_unchecked if unchecked else harness.run_ebb)(args, env=env)
        harness.assert_error(self, proc, rc, first_line)
        lines = proc.stderr.splitlines()
        for line in more:
            self.assertIn(line, lines, proc.stderr)
        self.assertEqual(state(), BEFORE)
        self.assertEqual(ai.objects(self.dest), [])
        return proc

    # --- connection ---

    def test_bad_dsn_syntax(self):
        self.check(['archive', '--dsn', 'host=x port'] + self.args()[1:], 2,
                   'ebb: error: invalid connection string: missing "=" after "port" in'
                   ' connection info string',
                   ['ebb: hint: Use a libpq key=value string or a postgresql:// URI.'])

    def test_bad_dsn_uri(self):
        self.check(['archive', '--dsn', 'postgresql://localhost/db?nosuchparam=1']
                   + self.args()[1:], 2,
                   'ebb: error: invalid connection string: invalid URI query parameter:'
                   ' "nosuchparam"')

    def test_password_in_dsn_refused(self):
        host = 'host=%s port=%d' % (PG.sockdir, PG.port)
        uri = 'postgresql://127.0.0.1:%d/%s' % (PG.port, DB)
        for dsn in ('%s password=s3cr3tpw' % host,
                    'postgresql://postgres:s3cr3tpw@127.0.0.1:%d/%s' % (PG.port, DB),
                    '%s?password=s3cr3tpw' % uri,
                    # libpq keeps the last of repeated keys: the first must not slip through
                    '%s password=s3cr3tpw password=' % host,
                    '%s password = \'s3cr3tpw\' password=\'\'' % host,
                    'password=s3cr3tpw %s' % host,
                    '%s?password=s3cr3tpw&password=' % uri,
                    '%s?pass%%77ord=s3cr3tpw' % uri,
                    '%s?sslmode=disable&PASSWORD=s3cr3tpw' % uri,
                    'postgresql://postgres:s3cr3tpw%%zz@127.0.0.1/%s' % DB,
                    '%s sslpassword=s3cr3tpw' % host):
            with self.subTest(dsn=dsn):
                proc = self.check(['archive', '--dsn', dsn] + self.args()[1:], 2,
                                  'ebb: error: the connection string given on the command'
                                  ' line holds a password', unchecked=True)
                self.assertNotIn('s3cr3tpw', proc.stderr + proc.stdout)
                self.assertIn('ebb: hint: Use PGPASSWORD, a password file (~/.pgpass or'
                              ' PGPASSFILE), or the dsn parameter of the config file.',
                              proc.stderr.splitlines())

    def test_password_in_dsn_with_verbose_not_echoed(self):
        proc = ai.run_unchecked(['archive', '-v', '-v', '--dsn',
                                 'host=%s port=%d password=s3cr3tpw' % (PG.sockdir, PG.port)]
                                + self.args()[1:], env=PG.env())
        self.assertEqual(proc.rc, 2)
        self.assertNotIn('s3cr3tpw', proc.stderr + proc.stdout)

    def test_connection_refused(self):
        port = free_port()
        proc = self.check(['archive', '--dsn', 'host=127.0.0.1 port=%d user=postgres' % port]
                          + self.args()[1:], 1,
                          'ebb: error: could not connect to database "%s": connection to server'
                          ' at "127.0.0.1", port %d failed: Connection refused' % (DB, port),
                          env={})
        # libpq's continuation line, without its leading tab
        self.assertEqual(proc.stderr.splitlines()[1], 'ebb: detail: Is the server running on'
                         ' that host and accepting TCP/IP connections?')

    def test_connection_refused_password_from_environment_not_echoed(self):
        port = free_port()
        proc = harness.run_ebb(['archive', '--dsn', 'host=127.0.0.1 port=%d' % port]
                               + self.args()[1:], env={'PGPASSWORD': 's3cr3tpw'})
        self.assertEqual(proc.rc, 1)
        self.assertNotIn('s3cr3tpw', proc.stderr + proc.stdout)

    def test_missing_database(self):
        self.check(self.args(db='no_such_db'), 1,
                   'ebb: error: could not connect to database "no_such_db": connection to'
                   ' server on socket "%s/.s.PGSQL.%d" failed: FATAL:  database "no_such_db"'
                   ' does not exist' % (PG.sockdir, PG.port))

    # --- the table and its time column ---

    def test_missing_table(self):
        self.check(self.args(table='analytics.nope'), 2,
                   'ebb: error: database "errs": table "analytics.nope" does not exist')

    def test_missing_table_case_matters(self):
        self.check(self.args(table='analytics.EVENTS'), 2,
                   'ebb: error: database "errs": table analytics."EVENTS" does not exist')

    def test_missing_schema_default_public(self):
        self.check(self.args(table='events'), 2,
                   'ebb: error: database "errs": table "public.events" does not exist')

    def test_view_is_not_a_table(self):
        self.check(self.args(table='analytics.events_view'), 2,
                   'ebb: error: database "errs": "analytics.events_view" is not a table',
                   ['ebb: hint: ebb archives rows of ordinary and partitioned tables only.'])

    def test_missing_column(self):
        self.check(self.args(time_column='created_at'), 2,
                   'ebb: error: database "errs": column "created_at" of table'
                   ' "analytics.events" does not exist')

    def test_non_time_column(self):
        for column, type_name in (('name', 'character varying(255)'), ('id', 'integer'),
                                  ('data', 'jsonb')):
            with self.subTest(column=column):
                self.check(self.args(time_column=column), 2,
                           'ebb: error: database "errs": column "%s" of table'
                           ' "analytics.events" is not a timestamp column' % column,
                           ['ebb: detail: Its type is %s.' % type_name,
                            'ebb: hint: ebb ages rows by a column of type timestamp or'
                            ' timestamp with time zone.'])

    def test_no_index_on_time_column(self):
        for table in ('noidx', 'second', 'partial'):
            with self.subTest(table=table):
                self.check(self.args(table='analytics.' + table), 2,
                           'ebb: error: database "errs": table "analytics.%s" has no index on'
                           ' column "triggered_at"' % table,
                           ['ebb: hint: Create one with: CREATE INDEX CONCURRENTLY ON'
                            ' "analytics"."%s" ("triggered_at"); Or pass --allow-seqscan.'
                            % table])

    def test_no_index_hint_on_events(self):
        """The statement in the hint is the one for analytics.events, and works."""
        db = 'noindex'
        PG.psql('DROP DATABASE IF EXISTS %s' % db)
        PG.createdb(db)
        ai.create_events(PG, db, rows=10, index=False)
        proc = harness.run_ebb(self.args(db=db), env=PG.env())
        harness.assert_error(self, proc, 2, 'ebb: error: database "noindex": table'
                             ' "analytics.events" has no index on column "triggered_at"')
        hint = [line for line in proc.stderr.splitlines() if line.startswith('ebb: hint: ')]
        self.assertEqual(hint, ['ebb: hint: Create one with: CREATE INDEX CONCURRENTLY ON'
                                ' "analytics"."events" ("triggered_at"); Or pass'
                                ' --allow-seqscan.'])
        self.assertEqual(ai.count(PG, db), 10)
        self.assertFalse(ai.schema_exists(PG, db))
        # run the hinted statement; then the same command works
        stmt = hint[0].split('Create one with: ')[1].split(' Or pass')[0]
        PG.psql(stmt, db=db)
        before = harness.table_rows_csv(PG, db, ai.EVENTS)
        ai.assert_ok(self, harness.run_ebb(self.args(db=db), env=PG.env()))
        left, archived = harness.assert_oracle(self, before, PG, db, ai.EVENTS)
        self.assertEqual(sum(archived.values()), 10)

    def test_allow_seqscan(self):
        db = 'seqscan'
        PG.psql('DROP DATABASE IF EXISTS %s' % db)
        PG.createdb(db)
        ai.create_events(PG, db, rows=30, index=False,
                         start="LOCALTIMESTAMP - interval '3 days' + interval '30 min'")
        before = harness.table_rows_csv(PG, db, ai.EVENTS)
        proc = harness.run_ebb(self.args(db=db) + ['--allow-seqscan'], env=PG.env())
        ai.assert_ok(self, proc)
        left, archived = harness.assert_oracle(self, before, PG, db, ai.EVENTS)
        # rows at 3 days - 30 min, then one an hour: 24 are older than 2 days
        self.assertEqual((sum(left.values()), sum(archived.values())), (6, 24))

    # --- options ---

    def test_unknown_option(self):
        for opt in ('--frobnicate', '-x', '--keep_dayz=3', '--keep__days=3'):
            with self.subTest(opt=opt):
                self.check(self.args() + [opt], 2, 'ebb: error: unrecognized option "%s"' % opt,
                           ['ebb: hint: Try "ebb archive --help" for more information.'])

    def test_option_missing_its_argument(self):
        self.check(self.args() + ['--window'], 2,
                   'ebb: error: option "--window" requires an argument',
                   ['ebb: hint: Try "ebb archive --help" for more information.'])
        self.check(self.args() + ['-k'], 2, 'ebb: error: option "-k" requires an argument',
                   ['ebb: hint: Try "ebb archive --help" for more information.'])

    def test_stray_argument(self):
        self.check(self.args() + ['extra'], 2,
                   'ebb: error: too many command-line arguments (first is "extra")',
                   ['ebb: hint: Try "ebb archive --help" for more information.'])

    def test_unknown_command(self):
        self.check(['archiv'] + self.args()[1:], 2, 'ebb: error: unrecognized command "archiv"',
                   ['ebb: hint: Try "ebb --help" for the list of commands.'])

    def test_bad_window(self):
        for window in ('7min', 'abc', '0', '2d', '30s', '-1h', '1h30'):
            with self.subTest(window=window):
                self.check(self.args() + ['--window', window], 2,
                           'ebb: error: invalid window "%s" for option --window' % window,
                           ['ebb: detail: A window must be at least one minute and divide a'
                            ' day evenly.',
                            'ebb: hint: Use a value such as "15min", "1h", "6h" or "1d".'])

    def test_unknown_compression(self):
        self.check(self.args() + ['--compress', 'lz4'], 2,
                   'ebb: error: invalid compression method "lz4" for option --compress',
                   ['ebb: hint: Supported methods: zstd, gzip, none.'])

    def test_bad_compression_level(self):
        self.check(self.args() + ['--compress-level', '20'], 2,
                   'ebb: error: invalid value "20" for option --compress-level',
                   ['ebb: hint: Use a whole number from 1 to 19.'])
        self.check(self.args() + ['--compress', 'gzip', '--compress-level', '10'], 2,
                   'ebb: error: invalid value "10" for option --compress-level',
                   ['ebb: hint: Use a whole number from 1 to 9.'])

    def test_method_without_levels_takes_no_level(self):
        """The hint was "Use a whole number from 0 to 0": say that the method has no levels."""
        for extra, method in ((['-Z', 'none'], 'none'),
                              (['--format', 'parquet', '-Z', 'none'], 'none')):
            with self.subTest(method=method, extra=extra):
                self.check(self.args() + extra + ['--compress-level', '5'], 2,
                           'ebb: error: invalid value "5" for option --compress-level',
                           ['ebb: detail: Compression method "%s" takes no level.' % method,
                            'ebb: hint: Remove the level, or choose a method that has levels'
                            ' (zstd or gzip).'])

    def test_repeated_option_refused(self):
        """-t A -t B archived only B; now no value option may be given twice,
        in whatever spelling."""
        hint = ('ebb: hint: Give each option once; only --database, --include and --exclude'
                ' may be repeated.')
        for extra, name in ((['-t', 'analytics.noidx'], 'table'),
                            (['--table=analytics.events'], 'table'),
                            (['--keep-days', '0', '--keep_days', '0'], 'keep-days'),
                            (['--dest', 'file://' + self.dest], 'dest'),
                            (['--time_column', 'triggered_at'], 'time-column')):
            with self.subTest(extra=extra):
                self.check(self.args() + extra, 2,
                           'ebb: error: option --%s specified more than once' % name, [hint])

    def test_user_bytes_escaped_in_messages(self):
        """A control character from argv or the file reaches stderr as \\xNN,
        never raw (an escape sequence would drive the terminal)."""
        proc = self.check(self.args() + ['--window', '1h\x1b[2J\x07'], 2,
                          'ebb: error: invalid window "1h\\x1b[2J\\x07" for option --window')
        self.assertNotIn('\x1b', proc.stderr)
        path = self.write_config('[defaults]\ndest = file://%s\nkeep\x1b[31mdays = 3\n'
                                 % self.dest)
        proc = self.check(['archive', '--database', DB, '--table', ai.EVENTS, '--config', path],
                          2, 'ebb: error: unrecognized configuration parameter'
                          ' "keep\\x1b[31mdays" in file "%s" line 3' % path)
        self.assertNotIn('\x1b', proc.stderr)

    def test_unknown_format(self):
        self.check(self.args() + ['--format', 'xlsx'], 2,
                   'ebb: error: invalid format "xlsx" for option --format',
                   ['ebb: hint: Supported formats: csv, parquet.'])

    def test_parquet_options(self):
        pq = self.args() + ['--format', 'parquet']
        self.check(pq + ['--compress', 'lz4'], 2,
                   'ebb: error: invalid compression method "lz4" for option --compress',
                   ['ebb: hint: Supported methods with --format parquet: zstd, snappy, gzip,'
                    ' none.'])
        self.check(pq + ['--compress', 'gzip', '--compress-level', '10'], 2,
                   'ebb: error: invalid value "10" for option --compress-level',
                   ['ebb: hint: Use a whole number from 1 to 9.'])
        self.check(pq + ['--compress', 'snappy', '--compress-level', '3'], 2,
                   'ebb: error: invalid value "3" for option --compress-level',
                   ['ebb: detail: Compression method "snappy" takes no level.',
                    'ebb: hint: Remove the level, or choose a method that has levels (zstd or'
                    ' gzip).'])
        # snappy exists only inside Parquet
        self.check(self.args() + ['--compress', 'snappy'], 2,
                   'ebb: error: invalid compression method "snappy" for option --compress',
                   ['ebb: hint: Supported methods: zstd, gzip, none.'])
        self.check(pq + ['--parquet-infinity', 'clamp'], 2,
                   'ebb: error: invalid value "clamp" for option --parquet-infinity',
                   ['ebb: hint: Use "error", "null" or "sentinel".'])
        self.check(pq + ['--row-group-size', '0'], 2,
                   'ebb: error: invalid value "0" for option --row-group-size',
                   ['ebb: hint: Use a whole number from 1 to 2147483648.'])
        self.check(pq + ['--row-group-bytes', '100kB'], 2,
                   'ebb: error: invalid value "100kB" for option --row-group-bytes',
                   ['ebb: detail: A row group\'s byte budget must be at least 1MiB.'])

    def test_partition_options(self):
        self.check(self.args() + ['--retention-schema', 'old'], 2,
                   'ebb: error: option --retention-schema requires --keep-detached',
                   ['ebb: hint: Add --keep-detached to keep archived partitions in that schema'
                    ' instead of dropping them.'])
        self.check(self.args() + ['--detach-timeout', 'soon'], 2,
                   'ebb: error: invalid value "soon" for option --detach-timeout',
                   ['ebb: hint: Use a duration of at least 1ms, such as "500ms" or "2s".'])

    def test_keep_days_out_of_range(self):
        for value in ('-2', '36501', '99999999999999999999', 'abc', '', '3days', '1.5'):
            with self.subTest(value=value):
                self.check(self.args() + ['--keep-days', value], 2,
                           'ebb: error: invalid value "%s" for option --keep-days' % value,
                           ['ebb: hint: Use a whole number from -1 to 36500.'])

    def test_bad_jobs(self):
        for value in ('0', '65', 'many'):
            with self.subTest(value=value):
                self.check(['archive', '-j', value, '--all-databases'] + self.args(db=None)[1:],
                           2, 'ebb: error: invalid value "%s" for option --jobs' % value,
                           ['ebb: hint: Use a whole number from 1 to 64.'])

    def test_bad_duration_settings(self):
        for opt in ('--lock-timeout', '--statement-timeout', '--idle-timeout'):
            with self.subTest(opt=opt):
                self.check(self.args() + [opt, 'soon'], 2,
                           'ebb: error: invalid value "soon" for option %s' % opt,
                           ['ebb: hint: Use a whole number and a unit, such as "500ms", "5s", "10min"'
                            ' or "1h".'])

    def test_bad_timezone(self):
        """A time zone the server does not know is a usage error."""
        self.check(self.args() + ['--timezone', 'Mars/Olympus_Mons'], 2,
                   'ebb: error: invalid value "Mars/Olympus_Mons" for option --timezone')

    def test_conflicting_tenant_options(self):
        self.check(self.args() + ['--all-databases'], 2,
                   'ebb: error: options --all-databases and --database cannot be used together')
        self.check(self.args() + ['--include', 'tenant_*'], 2,
                   'ebb: error: options --include and --exclude require --all-databases')
        self.check(self.args() + ['--exclude', 'tenant_*'], 2,
                   'ebb: error: options --include and --exclude require --all-databases')

    def test_required_options(self):
        self.check(self.args(table=None), 2, 'ebb: error: no table given',
                   ['ebb: hint: Use --table schema.name, or --config with [table schema.name]'
                    ' sections.'])
        self.check(self.args(time_column=None), 2,
                   'ebb: error: no time-column given for table "analytics.events"')
        self.check(self.args(dest=False), 2,
                   'ebb: error: no dest given for table "analytics.events"')

    def test_bad_table_names(self):
        for name in ('a.b.c', '"unterminated', 'analytics.', '.events', ''):
            with self.subTest(name=name):
                self.check(self.args(table=name), 2, 'ebb: error: invalid table name "%s"' % name,
                           ['ebb: hint: Write schema.table; double-quote a part that holds a'
                            ' dot, such as analytics."events.v2".'])

    # --- the destination ---

    def test_unwritable_destination(self):
        """As root permissions do not stop ebb: a path below a regular file."""
        parent = ai.new_dest(self)
        afile = os.path.join(parent, 'afile')
        open(afile, 'w').close()
        proc = self.check(ai.archive_args(DB, afile + '/sub'), 1,
                          'ebb: error: database "errs": could not create directory "%s":'
                          ' Not a directory' % afile)
        self.assertEqual(os.listdir(parent), ['afile'])
        self.assertEqual(os.path.getsize(afile), 0)
        self.assertEqual(len(proc.stderr.splitlines()), 1)

    def test_destination_is_a_file(self):
        afile = os.path.join(ai.new_dest(self), 'afile')
        open(afile, 'w').close()
        self.check(ai.archive_args(DB, afile), 1,
                   'ebb: error: database "errs": could not create directory "%s":'
                   ' Not a directory' % afile)

    def test_relative_destination(self):
        """A usage error found before any database is touched: reported once,
        not once per database."""
        for url in ('file://relative', 'file://relative/path', 'file://'):
            with self.subTest(url=url):
                proc = self.check(['archive', '--database', DB, '--database', 'postgres',
                                   '--table', ai.EVENTS, '--time-column', 'triggered_at',
                                   '--dest', url], 2,
                                  'ebb: error: invalid destination "%s"' % url,
                                  ['ebb: detail: A file destination needs an absolute path.',
                                   'ebb: hint: Write it with three slashes, such as'
                                   ' file:///var/lib/ebb/archive.'])
                self.assertEqual(proc.stderr.count('invalid destination'), 1)

    def test_destination_bad_percent_escape(self):
        """file:// paths are percent-decoded: a '%' that starts no escape, or
        %00, is refused before anything runs."""
        hint = 'ebb: hint: Write a byte as % and two hex digits, a percent sign itself as %25.'
        for path, detail in (('/a/%zz', '"%zz" is not a percent-encoded byte.'),
                             ('/a/100%', '"%" is not a percent-encoded byte.'),
                             ('/a/%00b', '%00 would put a NUL byte in the path.')):
            with self.subTest(path=path):
                url = 'file://' + self.dest + path
                self.check(self.args(dest=False) + ['--dest', url], 2,
                           'ebb: error: invalid destination "%s"' % url,
                           ['ebb: detail: ' + detail, hint])
                self.assertEqual(os.listdir(self.dest), [])

    def test_unsupported_destination(self):
        for url in ('/var/lib/ebb', 'ftp://host/x', 'File:///tmp/x'):
            with self.subTest(url=url):
                self.check(self.args(dest=False) + ['--dest', url], 2,
                           'ebb: error: unsupported destination "%s"' % url,
                           ['ebb: hint: Use a URL such as file:///var/lib/ebb/archive, s3://bucket/prefix or'
                            ' az://container/prefix.'])

    # --- the config file ---

    def write_config(self, text):
        path = os.path.join(ai.new_dest(self), 'ebb.conf')
        with open(path, 'w') as f:
            f.write(text)
        return path

    def test_config_unknown_key(self):
        path = self.write_config('[defaults]\ndest = file://%s\n\n[table analytics.events]\n'
                                 'time-column = triggered_at\nkeep-dayz = 3\n' % self.dest)
        self.check(['archive', '--database', DB, '--config', path], 2,
                   'ebb: error: unrecognized configuration parameter "keep-dayz" in file "%s"'
                   ' line 6' % path,
                   ['ebb: hint: See "ebb archive --help" for the parameters and where they'
                    ' apply.'])

    def test_config_key_in_wrong_section(self):
        path = self.write_config('[defaults]\ndest = file://%s\n[table analytics.events]\n'
                                 'time-column = triggered_at\njobs = 2\n' % self.dest)
        self.check(['archive', '--database', DB, '--config', path], 2,
                   'ebb: error: unrecognized configuration parameter "jobs" in file "%s"'
                   ' line 5' % path,
                   ['ebb: detail: "jobs" is not allowed in a [table] section.'])
        path = self.write_config('[defaults]\ntable = analytics.events\n')
        self.check(['archive', '--database', DB, '--config', path], 2,
                   'ebb: error: unrecognized configuration parameter "table" in file "%s"'
                   ' line 2' % path,
                   ['ebb: detail: "table" is not allowed in a [defaults] section.'])

    def test_config_bad_section(self):
        for section in ('tables analytics.events', 'table', 'default', 'Defaults'):
            with self.subTest(section=section):
                path = self.write_config('[defaults]\ndest = file://%s\n\n[%s]\n'
                                         'time-column = triggered_at\n' % (self.dest, section))
                # the section's own line (4), not its first key's
                self.check(['archive', '--database', DB, '--config', path], 2,
                           'ebb: error: invalid section "[%s]" in file "%s" line 4'
                           % (section, path),
                           ['ebb: hint: Sections are [defaults] and [table schema.name].'])

    def test_config_bad_value(self):
        path = self.write_config('[defaults]\nkeep-days = many\n[table analytics.events]\n'
                                 'time-column = triggered_at\ndest = file://%s\n' % self.dest)
        self.check(['archive', '--database', DB, '--config', path], 2,
                   'ebb: error: invalid value "many" for parameter "keep-days" in file "%s"'
                   ' line 2' % path)
        path = self.write_config('[table analytics.events]\ntime-column = triggered_at\n'
                                 'dest = file://%s\nwindow = 7min\n' % self.dest)
        self.check(['archive', '--database', DB, '--config', path], 2,
                   'ebb: error: invalid window "7min" for parameter "window" in file "%s"'
                   ' line 4' % path)

    def test_config_syntax_error(self):
        path = self.write_config('[defaults]\nthis line has no equals sign\n')
        self.check(['archive', '--database', DB, '--config', path], 2,
                   'ebb: error: syntax error in file "%s" line 2' % path)

    def test_config_nul_byte(self):
        """A NUL byte ended libinih's line early: "keep-days = 3\\0" + "65" read as 3."""
        path = self.write_config('[table analytics.events]\ntime-column = triggered_at\n'
                                 'dest = file://%s\nkeep-days = 3\x0065\n' % self.dest)
        self.check(['archive', '--database', DB, '--config', path], 2,
                   'ebb: error: invalid byte in file "%s" line 4' % path,
                   ['ebb: detail: The file holds a NUL byte; a config file is text (UTF-8).'])

    def test_config_two_sections_of_one_table(self):
        """They made two policies of one table (the second run failed on a duplicate key)."""
        for first, second in (('public.x', 'x'), ('a.b', '"a".b')):
            with self.subTest(first=first, second=second):
                path = self.write_config('[table %s]\ntime-column = t\ndest = file://%s\n\n'
                                         '[table %s]\nkeep-days = 3\n'
                                         % (first, self.dest, second))
                for extra in ([], ['--table', first]):
                    self.check(['archive', '--database', DB, '--config', path] + extra, 2,
                               'ebb: error: table "%s" has two sections in file "%s", lines 1'
                               ' and 5' % ('public.x' if first == 'public.x' else 'a.b', path),
                               ['ebb: hint: Merge them into one [table] section.'])

    def test_config_missing_file(self):
        path = os.path.join(self.dest, 'missing.conf')
        self.check(['archive', '--database', DB, '--config', path], 2,
                   'ebb: error: could not open config file "%s": No such file or'
                   ' directory' % path)

    def test_config_not_a_regular_file(self):
        """A directory read as an empty file; /dev/zero and a FIFO hung. Only a
        regular file is read (a hang here fails by the run's timeout)."""
        fifo = os.path.join(ai.new_dest(self), 'fifo.conf')
        os.mkfifo(fifo)
        detail = ('ebb: detail: A config file must be a regular file, not a FIFO, a device or a'
                  ' socket.')
        for path, reason, more in ((self.dest, 'Is a directory', []),
                                   ('/dev/zero', 'not a regular file', [detail]),
                                   (fifo, 'not a regular file', [detail])):
            with self.subTest(path=path):
                self.check(['archive', '--database', DB, '--table', ai.EVENTS, '--config', path],
                           2, 'ebb: error: could not read config file "%s": %s' % (path, reason),
                           more)

    def test_config_too_large(self):
        path = self.write_config('[defaults]\nkeep-days = 0\n' + '#' * (1024 * 1024) + '\n')
        self.check(['archive', '--database', DB, '--table', ai.EVENTS, '--config', path], 2,
                   'ebb: error: config file "%s" is too large' % path,
                   ['ebb: detail: A config file may hold at most 1MiB (1048576 bytes).'])

    def test_config_key_given_twice(self):
        """Which of two lines was meant is unknown: both are named, nothing runs."""
        path = self.write_config('[defaults]\ndest = file://%s\n[table analytics.events]\n'
                                 'time-column = triggered_at\nkeep-days = 0\nkeep_days = 0\n'
                                 % self.dest)
        self.check(['archive', '--database', DB, '--config', path], 2,
                   'ebb: error: parameter "keep-days" specified more than once in file "%s"'
                   ' line 6' % path,
                   ['ebb: detail: Line 5 of the same section sets it too.',
                    'ebb: hint: Keep one of the two lines.'])

    def test_config_bad_table_section_name(self):
        path = self.write_config('[table a.b.c]\ntime-column = triggered_at\n'
                                 'dest = file://%s\n' % self.dest)
        self.check(['archive', '--database', DB, '--config', path], 2,
                   'ebb: error: in file "%s": invalid table name "a.b.c"' % path)


if __name__ == '__main__':
    unittest.main()
