"""Tenants: ebb archive over several databases (--database repeated,
--all-databases with --include/--exclude, -j N), a broken tenant that does
not stop the others, and names that need quoting (databases, schemas,
tables, columns). Every archive is checked with the row oracle."""

import json
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import archive_inputs as ai  # noqa: E402

ROWS = 60  # every 10 minutes from 10 days ago: all old, 10 objects per database
STEP = "interval '10 minutes'"


def setUpModule():
    global PG
    PG = harness.Cluster()


def tearDownModule():
    PG.stop()


def recreate_db(name, with_table=True, rows=ROWS):
    PG.psql('DROP DATABASE IF EXISTS %s' % harness.quote_ident(name))
    PG.createdb(name)
    if with_table:
        ai.create_events(PG, name, rows=rows, step=STEP)


def stdout_databases(stdout):
    """{database: line} from ebb's per-table report lines on stdout."""
    out = {}
    for line in stdout.splitlines():
        m = re.match(r'^(.*): analytics\.events: ', line)
        if m:
            out[m.group(1)] = line
    return out


class TenantsTest(unittest.TestCase):
    def snapshot(self, dbs):
        return {db: harness.table_rows_csv(PG, db, ai.EVENTS) for db in dbs}

    def assert_archived(self, before, dest=None):
        """The oracle for each database; every row was old, so all archived.
        With `dest`, the objects of each database lie under <dest>/<db>/."""
        for db, rows in before.items():
            left, archived = harness.assert_oracle(self, rows, PG, db, ai.EVENTS)
            self.assertEqual(sum(left.values()), 0, db)
            self.assertEqual(sum(archived.values()), ROWS, db)
            keys = [k for _, _, k, _ in ai.ledger(PG, db)]
            self.assertTrue(keys)
            for key in keys:
                self.assertTrue(key.startswith(db + '/analytics.events/dt='), key)
                if dest:
                    self.assertTrue(os.path.isfile(os.path.join(dest, key)), key)

    def assert_untouched(self, db, rows=ROWS):
        self.assertEqual(ai.count(PG, db), rows, db)
        self.assertFalse(ai.schema_exists(PG, db, 'ebb'), db)

    def test_broken_tenant_does_not_stop_the_others(self):
        for db in ('a', 'b'):
            recreate_db(db)
        recreate_db('broken', with_table=False)
        before = self.snapshot(['a', 'b'])
        dest = ai.new_dest(self)
        proc = harness.run_ebb(ai.archive_args(None, dest) + [
            '--database', 'a', '--database', 'b', '--database', 'broken'], env=PG.env())
        harness.assert_error(self, proc, 1,
                             'ebb: error: database "broken": table "analytics.events" does not exist')
        self.assertEqual(len(proc.stderr.splitlines()), 1, proc.stderr)
        self.assertEqual(sorted(stdout_databases(proc.stdout)), ['a', 'b'])
        self.assertIn('archived %d rows' % ROWS, stdout_databases(proc.stdout)['a'])
        self.assert_archived(before, dest)
        self.assertFalse(ai.schema_exists(PG, 'broken', 'ebb'))
        self.assertEqual(sorted(os.listdir(dest)), ['a', 'b'])

    def test_broken_tenant_first(self):
        """The order does not matter: a broken database listed first."""
        recreate_db('a')
        recreate_db('broken', with_table=False)
        before = self.snapshot(['a'])
        dest = ai.new_dest(self)
        proc = harness.run_ebb(ai.archive_args(None, dest) + [
            '--database', 'broken', '--database', 'a'], env=PG.env())
        harness.assert_error(self, proc, 1,
                             'ebb: error: database "broken": table "analytics.events" does not exist')
        self.assert_archived(before, dest)

    def test_only_broken_tenant_is_a_config_error(self):
        recreate_db('broken', with_table=False)
        proc = harness.run_ebb(ai.archive_args('broken', ai.new_dest(self)), env=PG.env())
        harness.assert_error(self, proc, 2,
                             'ebb: error: database "broken": table "analytics.events" does not exist')
        self.assertFalse(ai.schema_exists(PG, 'broken', 'ebb'))

    def test_missing_database_is_reported_and_others_run(self):
        recreate_db('a')
        before = self.snapshot(['a'])
        proc = harness.run_ebb(ai.archive_args(None, ai.new_dest(self)) + [
            '--database', 'a', '--database', 'no_such_db'], env=PG.env())
        self.assertEqual(proc.rc, 1, proc.stderr)
        first = proc.stderr.splitlines()[0]
        self.assertTrue(first.startswith(
            'ebb: error: could not connect to database "no_such_db": '), first)
        self.assertIn('database "no_such_db" does not exist', proc.stderr)
        self.assert_archived(before)

    def all_databases_setup(self):
        """tenant_a/b/c and other hold the table; postgres does not; template1
        and a database that refuses connections hold old rows too."""
        for db in ('tenant_a', 'tenant_b', 'tenant_c', 'other'):
            recreate_db(db)
        PG.psql("DROP DATABASE IF EXISTS noconn")
        PG.createdb('noconn')
        ai.create_events(PG, 'noconn', rows=ROWS, step=STEP)
        PG.psql("ALTER DATABASE noconn ALLOW_CONNECTIONS false")
        self.addCleanup(PG.psql, "ALTER DATABASE noconn ALLOW_CONNECTIONS true")
        # a template that accepts connections (template1 does): not a tenant
        PG.psql("DROP DATABASE IF EXISTS tmpl_tenant")
        PG.createdb('tmpl_tenant')
        ai.create_events(PG, 'tmpl_tenant', rows=ROWS, step=STEP)
        PG.psql("ALTER DATABASE tmpl_tenant IS_TEMPLATE true")
        self.addCleanup(PG.psql, "ALTER DATABASE tmpl_tenant IS_TEMPLATE false")
        self.assertEqual(PG.query("SELECT datallowconn FROM pg_database"
                                  " WHERE datname = 'tmpl_tenant'"), [('t',)])

    def all_databases_check_untouched(self):
        PG.psql("ALTER DATABASE noconn ALLOW_CONNECTIONS true")
        self.assert_untouched('noconn')
        self.assert_untouched('tmpl_tenant')
        self.assertFalse(ai.schema_exists(PG, 'template1', 'ebb'))

    def test_all_databases(self):
        self.all_databases_setup()
        tenants = ['other', 'tenant_a', 'tenant_b', 'tenant_c']
        before = self.snapshot(tenants)
        dest = ai.new_dest(self)
        proc = harness.run_ebb(ai.archive_args(None, dest) + ['--all-databases'], env=PG.env())
        ai.assert_ok(self, proc)
        self.assertEqual(proc.stderr, '')
        lines = stdout_databases(proc.stdout)
        self.assertEqual(sorted(lines), ['other', 'postgres'] + tenants[1:])
        self.assertEqual(lines['postgres'], 'postgres: analytics.events: skipped: '
                         'the table does not exist in this database')
        self.assertFalse(ai.schema_exists(PG, 'postgres', 'ebb'))
        self.assert_archived(before, dest)
        self.all_databases_check_untouched()

    def test_all_databases_include_exclude(self):
        self.all_databases_setup()
        before = self.snapshot(['tenant_a', 'tenant_c'])
        dest = ai.new_dest(self)
        proc = harness.run_ebb(ai.archive_args(None, dest) + [
            '--all-databases', '--include', 'tenant_*', '--exclude', 'tenant_b'], env=PG.env())
        ai.assert_ok(self, proc)
        self.assertEqual(sorted(stdout_databases(proc.stdout)), ['tenant_a', 'tenant_c'])
        self.assert_archived(before, dest)
        for db in ('tenant_b', 'other'):
            self.assert_untouched(db)
        self.assertFalse(ai.schema_exists(PG, 'postgres', 'ebb'))
        self.assertEqual(sorted(os.listdir(dest)), ['tenant_a', 'tenant_c'])
        self.all_databases_check_untouched()

    def test_all_databases_repeated_include_and_glob_classes(self):
        self.all_databases_setup()
        before = self.snapshot(['tenant_b', 'other'])
        proc = harness.run_ebb(ai.archive_args(None, ai.new_dest(self)) + [
            '--all-databases', '--include', 'tenant_[b-z]', '--include', 'oth?r',
            '--exclude', '*_c'], env=PG.env())
        ai.assert_ok(self, proc)
        self.assertEqual(sorted(stdout_databases(proc.stdout)), ['other', 'tenant_b'])
        self.assert_archived(before)
        for db in ('tenant_a', 'tenant_c'):
            self.assert_untouched(db)

    def test_parallel_jobs(self):
        tenants = ['par_1', 'par_2', 'par_3']
        for db in tenants:
            recreate_db(db)
        before = self.snapshot(tenants)
        dest = ai.new_dest(self)
        proc = harness.run_ebb(ai.archive_args(None, dest) + [
            '-j', '2', '--all-databases', '--include', 'par_*'], env=PG.env())
        ai.assert_ok(self, proc)
        self.assertEqual(proc.stderr, '')
        lines = stdout_databases(proc.stdout)
        self.assertEqual(sorted(lines), tenants)
        for db in tenants:
            self.assertIn('archived %d rows' % ROWS, lines[db])
        self.assert_archived(before, dest)
        # one run id shared by all workers
        runs = {m.group('run') for m in map(ai.KEY_RE.match, ai.objects(dest))}
        self.assertEqual(len(runs), 1, runs)

    def test_parallel_jobs_with_a_broken_tenant(self):
        for db in ('par_1', 'par_2'):
            recreate_db(db)
        recreate_db('par_broken', with_table=False)
        before = self.snapshot(['par_1', 'par_2'])
        proc = harness.run_ebb(ai.archive_args(None, ai.new_dest(self)) + [
            '--jobs', '3', '--database', 'par_1', '--database', 'par_broken',
            '--database', 'par_2'], env=PG.env())
        harness.assert_error(
            self, proc, 1,
            'ebb: error: database "par_broken": table "analytics.events" does not exist')
        self.assert_archived(before)

    def test_weird_database_name(self):
        db = 'we"ird db'
        recreate_db(db)
        before = self.snapshot([db])
        dest = ai.new_dest(self)
        proc = ai.archive(PG, db, dest)
        ai.assert_ok(self, proc)
        self.assertIn(db + ': analytics.events: archived %d rows' % ROWS, proc.stdout)
        self.assert_archived(before, dest)
        self.assertEqual(os.listdir(dest), [db])

    def test_weird_database_name_via_all_databases(self):
        db = 'we"ird db'
        recreate_db(db)
        before = self.snapshot([db])
        proc = harness.run_ebb(ai.archive_args(None, ai.new_dest(self)) + [
            '--all-databases', '--include', 'we"ird*'], env=PG.env())
        ai.assert_ok(self, proc)
        self.assert_archived(before)

    def test_tables_needing_quotes(self):
        """Schema "Analytics", table we"ird, time column "Triggered At";
        a table "Events" next to analytics.events (case kept); a table
        whose name holds a dot (encoded in its folder's name as %2E)."""
        db = 'names'
        recreate_db(db)  # analytics.events: must stay untouched
        PG.psql('''
            CREATE SCHEMA "Analytics";
            CREATE TABLE "Analytics"."we""ird" (id int, "Triggered At" timestamptz NOT NULL,
                                               "Note, with ""quotes""" text);
            CREATE INDEX ON "Analytics"."we""ird" ("Triggered At");
            INSERT INTO "Analytics"."we""ird"
              SELECT i, now() - i * interval '3 hours' + interval '1 hour', 'n' || i FROM generate_series(1, 40) i;
            CREATE TABLE analytics."Events" (LIKE analytics.events INCLUDING ALL);
            INSERT INTO analytics."Events" SELECT * FROM analytics.events;
            CREATE TABLE analytics."events.v2" (LIKE analytics.events INCLUDING ALL);
            INSERT INTO analytics."events.v2" SELECT * FROM analytics.events;
            ''', db=db)
        cases = [
            ('"Analytics"."we""ird"', 'Analytics.we"ird', 'Triggered At', 'Analytics.we"ird'),
            ('analytics."Events"', 'analytics.Events', 'triggered_at', 'analytics.Events'),
            ('analytics."events.v2"', 'analytics."events.v2"', 'triggered_at',
             'analytics.events%2Ev2'),
        ]
        untouched = harness.table_rows_csv(PG, db, ai.EVENTS)
        for qualified, arg, time_col, path_part in cases:
            with self.subTest(table=arg):
                before = harness.table_rows_csv(PG, db, qualified)
                # rows of "we""ird" are 3 hours apart from now: 16 of 40 stay
                expected_left = int(PG.query(
                    "SELECT count(*) FROM %s WHERE %s >= now() - interval '2 days'"
                    % (qualified, harness.quote_ident(time_col)), db)[0][0])
                dest = ai.new_dest(self)
                proc = ai.archive(PG, db, dest, table=arg, time_column=time_col)
                ai.assert_ok(self, proc)
                left, archived = harness.assert_oracle(self, before, PG, db, qualified)
                self.assertEqual(sum(left.values()), expected_left)
                self.assertGreater(sum(archived.values()), 0)
                paths = ai.objects(dest)
                self.assertTrue(paths)
                for p in paths:
                    self.assertTrue(p.startswith('%s/%s/dt=' % (db, path_part)), p)
                schema = PG.query('SELECT DISTINCT table_schema, table_name, time_column'
                                  ' FROM ebb.archive_ledger WHERE object_key LIKE %s'
                                  % harness.quote_literal(db + '/' + path_part + '/%'), db)
                self.assertEqual(len(schema), 1)
        self.assertEqual(harness.table_rows_csv(PG, db, ai.EVENTS), untouched)

    # Pairs of tables whose names differ only in where a dot or a percent sign sits:
    # (SQL name, --table argument, folder of its objects). Under the keys of ebb before dots
    # were encoded, the first two pairs shared one folder ("x.a.b", "x..b").
    COLLIDING_NAMES = [
        ('"x.a".b', '"x.a".b', 'x%2Ea.b'),
        ('x."a.b"', 'x."a.b"', 'x.a%2Eb'),
        ('"x.".b', '"x.".b', 'x%2E.b'),
        ('x.".b"', 'x.".b"', 'x.%2Eb'),
        ('x."a%2Eb"', 'x.a%2Eb', 'x.a%252Eb'),
        ('"x%2Ea".b', 'x%2Ea.b', 'x%252Ea.b'),
    ]

    def test_names_that_differ_only_where_a_dot_or_percent_sits(self):
        """Each table of the pairs gets a folder of its own in one destination: its rows are
        archived (oracle), and verify finds its objects and no other's (no orphans)."""
        db = 'dots'
        recreate_db(db)
        PG.psql('CREATE SCHEMA x; CREATE SCHEMA "x.a"; CREATE SCHEMA "x."; CREATE SCHEMA "x%2Ea";'
                + ''.join('CREATE TABLE %s (LIKE analytics.events INCLUDING ALL);'
                          ' INSERT INTO %s SELECT * FROM analytics.events;' % (q, q)
                          for q, _, _ in self.COLLIDING_NAMES), db=db)
        dest = ai.new_dest(self)
        nkeys = {}
        for qualified, arg, folder in self.COLLIDING_NAMES:
            before = harness.table_rows_csv(PG, db, qualified)
            ai.assert_ok(self, ai.archive(PG, db, dest, table=arg))
            harness.assert_oracle(self, before, PG, db, qualified, archived=ROWS)
            keys = PG.query('SELECT object_key FROM ebb.archive_ledger l WHERE'
                            ' pg_catalog.format(\'%%I.%%I\', table_schema, table_name)::regclass'
                            ' = %s::regclass' % harness.quote_literal(qualified), db)
            self.assertTrue(keys, qualified)
            nkeys[qualified] = len(keys)
            for (key,) in keys:
                self.assertTrue(key.startswith('%s/%s/dt=' % (db, folder)), key)
        self.assertEqual(sorted(os.listdir(os.path.join(dest, db))),
                         sorted(f for _, _, f in self.COLLIDING_NAMES))
        for qualified, arg, _ in self.COLLIDING_NAMES:
            with self.subTest(table=arg):
                proc = harness.run_ebb(['verify', '--table', arg, '--json'], env=PG.env(db))
                self.assertEqual((proc.rc, proc.stderr), (0, ''), proc.stdout)
                summary = json.loads(proc.stdout.splitlines()[-1])
                self.assertEqual(
                    [summary[k] for k in ('event', 'status', 'objects', 'rows', 'orphans')],
                    ['table', 'ok', nkeys[qualified], ROWS, 0], proc.stdout)
        self.assertEqual(ai.count(PG, db), ROWS)  # analytics.events, the source, untouched

    def test_unqualified_table_means_public(self):
        db = 'pub'
        recreate_db(db, with_table=False)
        PG.psql('''CREATE TABLE public."Events" (id int, ts timestamptz NOT NULL);
                   CREATE INDEX ON public."Events" (ts);
                   INSERT INTO public."Events" SELECT i, '2020-01-01'::timestamptz
                     + i * interval '1 hour' FROM generate_series(1, 5) i;''', db=db)
        before = harness.table_rows_csv(PG, db, 'public."Events"')
        dest = ai.new_dest(self)
        proc = ai.archive(PG, db, dest, table='Events', time_column='ts')
        ai.assert_ok(self, proc)
        left, archived = harness.assert_oracle(self, before, PG, db, 'public."Events"')
        self.assertEqual(sum(archived.values()), 5)
        self.assertTrue(all(p.startswith('pub/public.Events/') for p in ai.objects(dest)))


if __name__ == '__main__':
    unittest.main()
