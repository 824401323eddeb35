"""ebb archive --config: an INI file with [defaults] and [table ...]
sections; each table runs with its own policy (cutoff, window,
compression), command-line flags win over the file, --table picks one
section, and the file may carry the DSN (with a password, which is never
echoed). Cutoffs are checked by the rows left; every run by the oracle."""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import archive_inputs as ai  # noqa: E402

DB = 'cfg'
ROWS = 12 * 8  # one every 3 hours over the last 12 days
TABLES = ('analytics.events', 'analytics.clicks', 'analytics.views')


def setUpModule():
    global PG
    PG = harness.Cluster()
    PG.createdb(DB)


def tearDownModule():
    PG.stop()


def fill_tables():
    """Each table: row i (0 <= i < ROWS) at LOCALTIMESTAMP - 3 i hours - 30 min.
    With keep-days N exactly the rows with i < 8 N stay (kept(N)): the nearest
    row is 30 minutes from any cutoff taken in the next minutes."""
    sql = ['DROP SCHEMA IF EXISTS ebb CASCADE; DROP SCHEMA IF EXISTS analytics CASCADE;',
           ai.EVENTS_DDL, 'CREATE INDEX ON analytics.events (triggered_at);']
    for t in TABLES[1:]:
        sql.append('CREATE TABLE %s (LIKE analytics.events INCLUDING ALL);' % t)
    for t in TABLES:
        sql.append("""INSERT INTO %s (triggered_at, name, data)
            SELECT LOCALTIMESTAMP - i * interval '3 hours' - interval '30 min', 'e' || i,
                   jsonb_build_object('i', i)
            FROM generate_series(0, %d) i;""" % (t, ROWS - 1))
    PG.psql('\n'.join(sql), db=DB)


def kept(days):
    return 8 * days


def ledger_windows(table):
    """(set of compressions, [(window start, end) in epoch seconds]) of the
    table's ledger rows."""
    schema, name = table.split('.')
    rows = PG.query(
        "SELECT compression, extract(epoch FROM window_start)::int8,"
        " extract(epoch FROM window_end)::int8 FROM ebb.archive_ledger"
        " WHERE table_schema = %s AND table_name = %s ORDER BY window_start"
        % (harness.quote_literal(schema), harness.quote_literal(name)), DB)
    return {r[0] for r in rows}, [(int(r[1]), int(r[2])) for r in rows]


class ConfigTest(unittest.TestCase):
    def setUp(self):
        fill_tables()
        self.before = {t: harness.table_rows_csv(PG, DB, t) for t in TABLES}
        self.dest = ai.new_dest(self)

    def write_config(self, text):
        path = os.path.join(ai.new_dest(self), 'ebb.conf')
        with open(path, 'w') as f:
            f.write(text)
        return path

    def config(self, extra_defaults=''):
        return self.write_config("""; ebb test configuration
[defaults]
dest = file://%s
keep-days = 3
compress = gzip
time-column = triggered_at
%s
[table analytics.events]
max-rows-per-txn = 1000

# the clicks table keeps more and archives in smaller windows
[table analytics.clicks]
keep-days = 10
window = 15min
""" % (self.dest, extra_defaults))

    def assert_kept(self, expected_days):
        """Per table: the rows of the last N days stayed (None: untouched),
        and the oracle holds."""
        for table in TABLES:
            days = expected_days.get(table)
            expect = 0 if days is None else ROWS - kept(days)
            left, archived = harness.assert_oracle(self, self.before[table], PG, DB, table,
                                                   archived=expect)
            if days is None:
                self.assertEqual(sum(archived.values()), 0, table)
                self.assertEqual(sum(left.values()), ROWS, table)
            else:
                self.assertEqual(sum(left.values()), kept(days), table)
                self.assertEqual(sum(archived.values()), ROWS - kept(days), table)

    def assert_windows(self, table, minutes, compression):
        """Every window of the table starts on a multiple of `minutes` and
        lasts `minutes`, except the newest, which the cutoff may clip."""
        compressions, windows = ledger_windows(table)
        self.assertEqual(compressions, {compression}, table)
        self.assertTrue(windows, table)
        width = minutes * 60
        for start, end in windows:
            self.assertEqual(start % width, 0, (table, start, end))
        self.assertTrue(all(end - start == width for start, end in windows[:-1]), table)
        self.assertTrue(0 < windows[-1][1] - windows[-1][0] <= width, table)

    def stdout_tables(self, proc):
        return sorted(re.findall(r'^cfg: (analytics\.\w+): archived', proc.stdout, re.M))

    def test_each_table_its_policy(self):
        proc = harness.run_ebb(['archive', '--database', DB, '--config', self.config()],
                               env=PG.env())
        ai.assert_ok(self, proc)
        self.assertEqual(self.stdout_tables(proc), ['analytics.clicks', 'analytics.events'])
        self.assert_kept({'analytics.events': 3, 'analytics.clicks': 10})
        self.assert_windows('analytics.events', 60, 'gzip')
        self.assert_windows('analytics.clicks', 15, 'gzip')
        keys = ai.objects(self.dest)
        self.assertTrue(all(k.endswith('.csv.gz') for k in keys), keys)
        # object names start with the window's start: quarter hours for clicks
        clicks = [ai.KEY_RE.match(k) for k in keys if '/analytics.clicks/' in k]
        self.assertEqual(len(clicks), ROWS - kept(10))  # one row per object
        self.assertEqual({m.group('start')[11:13] for m in clicks} - {'00', '15', '30', '45'},
                         set())
        events = [ai.KEY_RE.match(k) for k in keys if '/analytics.events/' in k]
        self.assertEqual(len(events), ROWS - kept(3))
        self.assertEqual({m.group('start')[11:15] for m in events}, {'0000'})

    def test_flag_wins_over_file(self):
        proc = harness.run_ebb(['archive', '--database', DB, '--config', self.config(),
                                '--keep-days', '5', '--compress', 'zstd'], env=PG.env())
        ai.assert_ok(self, proc)
        self.assert_kept({'analytics.events': 5, 'analytics.clicks': 5})
        # the window still comes from the file, the compression from the flag
        self.assert_windows('analytics.events', 60, 'zstd')
        self.assert_windows('analytics.clicks', 15, 'zstd')

    def test_flag_window_wins_over_table_section(self):
        proc = harness.run_ebb(['archive', '--database', DB, '--config', self.config(),
                                '--window', '6h'], env=PG.env())
        ai.assert_ok(self, proc)
        self.assert_kept({'analytics.events': 3, 'analytics.clicks': 10})
        self.assert_windows('analytics.events', 360, 'gzip')
        self.assert_windows('analytics.clicks', 360, 'gzip')

    def test_table_picks_one_section(self):
        proc = harness.run_ebb(['archive', '--database', DB, '--config', self.config(),
                                '--table', 'analytics.clicks'], env=PG.env())
        ai.assert_ok(self, proc)
        self.assertEqual(self.stdout_tables(proc), ['analytics.clicks'])
        self.assert_kept({'analytics.clicks': 10})
        self.assert_windows('analytics.clicks', 15, 'gzip')

    def test_table_without_section_uses_defaults(self):
        proc = harness.run_ebb(['archive', '--database', DB, '--config', self.config(),
                                '--table', 'analytics.views'], env=PG.env())
        ai.assert_ok(self, proc)
        self.assert_kept({'analytics.views': 3})
        self.assert_windows('analytics.views', 60, 'gzip')

    def test_empty_table_section_is_a_policy(self):
        """A [table] section with no keys of its own: the table is archived
        with the defaults (libinih reports no key for it; ebb must not lose it)."""
        path = self.write_config('[defaults]\ndest = file://%s\ntime-column = triggered_at\n'
                                 '\n[table analytics.views]\n' % self.dest)
        proc = harness.run_ebb(['archive', '--database', DB, '--config', path], env=PG.env())
        ai.assert_ok(self, proc)
        self.assertEqual(self.stdout_tables(proc), ['analytics.views'])
        self.assert_kept({'analytics.views': 2})

    def test_keep_days_minus_one_in_section_skips(self):
        path = self.write_config("""[defaults]
dest = file://%s
time-column = triggered_at
[table analytics.events]
keep-days = -1
[table analytics.views]
keep-days = 11
""" % self.dest)
        proc = harness.run_ebb(['archive', '--database', DB, '--config', path], env=PG.env())
        ai.assert_ok(self, proc)
        self.assertIn('cfg: analytics.events: skipped: keep-days is -1: everything is kept',
                      proc.stdout.splitlines())
        self.assert_kept({'analytics.views': 11})
        self.assert_windows('analytics.views', 60, 'zstd')

    def test_quoted_table_section(self):
        PG.psql('CREATE TABLE analytics."Odd.Name" (LIKE analytics.events INCLUDING ALL);'
                'INSERT INTO analytics."Odd.Name" SELECT * FROM analytics.events;', db=DB)
        before = harness.table_rows_csv(PG, DB, 'analytics."Odd.Name"')
        path = self.write_config("""[defaults]
dest = file://%s
time-column = triggered_at
[table analytics."Odd.Name"]
keep-days = 7
""" % self.dest)
        proc = harness.run_ebb(['archive', '--database', DB, '--config', path], env=PG.env())
        ai.assert_ok(self, proc)
        left, archived = harness.assert_oracle(self, before, PG, DB, 'analytics."Odd.Name"')
        self.assertEqual(sum(left.values()), kept(7))
        self.assertEqual(ai.count(PG, DB), ROWS)

    def test_connection_from_the_file(self):
        """dsn, database list and settings in [defaults]; no PG* variables.
        The file may hold a password (trust auth ignores it): never echoed."""
        dsn = 'host=%s port=%d user=postgres password=s3cr3tpw' % (PG.sockdir, PG.port)
        path = self.config('dsn = %s\ndatabase = %s\njobs = 2\nlock-timeout = 2s\n' % (dsn, DB))
        proc = harness.run_ebb(['archive', '--config', path, '-v'], env={})
        ai.assert_ok(self, proc)
        self.assertNotIn('s3cr3tpw', proc.stdout + proc.stderr)
        self.assert_kept({'analytics.events': 3, 'analytics.clicks': 10})

    def test_password_in_file_not_echoed_on_failure(self):
        dsn = 'host=127.0.0.1 port=1 user=postgres password=s3cr3tpw'
        path = self.config('dsn = %s\ndatabase = %s\n' % (dsn, DB))
        proc = harness.run_ebb(['archive', '--config', path, '-v', '-v'], env={})
        self.assertEqual(proc.rc, 1, proc.stderr)
        self.assertNotIn('s3cr3tpw', proc.stdout + proc.stderr)
        self.assert_kept({})

    def test_all_databases_from_the_file(self):
        PG.psql('DROP DATABASE IF EXISTS cfg_other')
        PG.createdb('cfg_other')
        path = self.config('all-databases = true\ninclude = cfg\n')
        proc = harness.run_ebb(['archive', '--config', path], env=PG.env())
        ai.assert_ok(self, proc)
        self.assert_kept({'analytics.events': 3, 'analytics.clicks': 10})
        self.assertEqual(sorted(os.listdir(self.dest)), ['cfg'])

    def test_boolean_in_file(self):
        PG.psql('DROP INDEX analytics.views_triggered_at_idx', db=DB)
        path = self.write_config("""[defaults]
dest = file://%s
time-column = triggered_at
[table analytics.views]
allow-seqscan = yes
keep-days = 4
""" % self.dest)
        proc = harness.run_ebb(['archive', '--database', DB, '--config', path], env=PG.env())
        ai.assert_ok(self, proc)
        self.assert_kept({'analytics.views': 4})

    def test_underscore_keys_and_flags(self):
        """time_column, keep_days... (as other tools write them) work in the
        file and as flags, and a flag still wins over the file."""
        path = self.write_config("""[defaults]
dest = file://%s
time_column = triggered_at
keep_days = 3
max_rows_per_txn = 1000
[table analytics.events]
[table analytics.clicks]
keep_days = 10
window = 15min
""" % self.dest)
        proc = harness.run_ebb(['archive', '--database', DB, '--config', path,
                                '--keep_days', '5', '--compress', 'gzip'], env=PG.env())
        ai.assert_ok(self, proc)
        self.assertEqual(self.stdout_tables(proc), ['analytics.clicks', 'analytics.events'])
        self.assert_kept({'analytics.events': 5, 'analytics.clicks': 5})
        self.assert_windows('analytics.events', 60, 'gzip')
        self.assert_windows('analytics.clicks', 15, 'gzip')

    def test_underscore_key_messages_name_the_canonical_key(self):
        path = self.write_config('[defaults]\ndest = file://%s\ntime_column = triggered_at\n'
                                 'keep_days = soon\n[table analytics.events]\n' % self.dest)
        proc = harness.run_ebb(['archive', '--database', DB, '--config', path], env=PG.env())
        harness.assert_error(self, proc, 2, 'ebb: error: invalid value "soon" for parameter'
                             ' "keep-days" in file "%s" line 4' % path)
        self.assert_kept({})

    def test_percent_encoded_destination(self):
        """file:///.../pct%20dir is the directory "pct dir", as any URL reader
        takes it (a directory literally named "pct%20dir" was made)."""
        proc = harness.run_ebb(['archive', '--database', DB, '--table', 'analytics.views',
                                '--time-column', 'triggered_at', '--keep-days', '4',
                                '--dest', 'file://%s/pct%%20dir/caf%%C3%%A9' % self.dest],
                               env=PG.env())
        ai.assert_ok(self, proc)
        self.assertEqual(os.listdir(self.dest), ['pct dir'])
        self.assertEqual(os.listdir(os.path.join(self.dest, 'pct dir')), ['caf\u00e9'])
        keys = ai.objects(os.path.join(self.dest, 'pct dir', 'caf\u00e9'))
        self.assertEqual(len(keys), ROWS - kept(4))
        self.assert_kept({'analytics.views': 4})


if __name__ == '__main__':
    unittest.main()
