"""What a window's DELETE touches besides the rows it archives. A table referenced by a foreign
key ON DELETE CASCADE, SET NULL or SET DEFAULT (also through a partition, also by itself), a
table with a rule or a trigger ON DELETE, and a table with inheritance children are refused
before anything is deleted (exit 2, the dependent named, a hint); --dry-run refuses the same
way. With NO ACTION or RESTRICT (immediate or deferred) a window whose rows are still
referenced fails in its own transaction: exit 1, the constraint named, nothing of that window
deleted, no object left behind. Every statement reads and deletes ONLY the table: a child
created while a run is under way keeps its rows and columns. --allow-delete-triggers archives
a table with a DELETE trigger, which then fires once per archived row."""

import json
import os
import signal
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import protocol_util as pu  # noqa: E402


def setUpModule():
    global PG
    PG = harness.Cluster()


def tearDownModule():
    PG.stop()


ORDERS = 'public.orders'

# Ten orders, one a day for the last ten days (an hour younger than g days, whatever the time
# of day, so that keep-days 2, a cutoff of now() - 2 days, archives the eight oldest, each in
# its own window).
ORDERS_DDL = """
CREATE TABLE orders (id int PRIMARY KEY, ts timestamptz NOT NULL, note text);
CREATE INDEX ON orders (ts);
INSERT INTO orders SELECT g, now() - g * interval '1 day' + interval '1 hour',
  'order ' || g FROM generate_series(1, 10) g;
"""


class DependentsBase(unittest.TestCase):
    def setUp(self):
        self.db = pu.new_db(PG, 'dep')
        self.dest, self.path = pu.make_dest(self)
        PG.psql(ORDERS_DDL, self.db)

    def archive(self, *extra, table=ORDERS, **kw):
        return pu.archive(PG, self.db, self.dest, *extra, table=table, time_column='ts', **kw)

    def items(self):
        return PG.query('SELECT id, order_id, item FROM order_items ORDER BY id', self.db)

    def assert_refused(self, first_line, detail=None, hint=None, table=ORDERS):
        """Refused by archive and by --dry-run alike; nothing deleted, no ledger, no object."""
        before = harness.table_rows_csv(PG, self.db, table)
        for extra in ((), ('--dry-run',)):
            proc = self.archive(*extra, table=table)
            harness.assert_error(self, proc, 2, first_line)
            if detail:
                self.assertIn('ebb: detail: ' + detail, proc.stderr)
            if hint:
                self.assertIn('ebb: hint: ' + hint, proc.stderr)
        self.assertEqual(harness.table_rows_csv(PG, self.db, table), before)
        self.assertEqual(pu.ledger(PG, self.db, table=table) if pu.has_ebb_schema(PG, self.db)
                         else [], [])
        self.assertEqual(pu.files_under(self.path) if os.path.exists(self.path) else set(),
                         set())



class DependentsTest(DependentsBase):
    def test_cascading_foreign_key_is_refused(self):
        PG.psql("CREATE TABLE order_items (id serial, order_id int REFERENCES orders (id)"
                " ON DELETE CASCADE, item text);"
                "INSERT INTO order_items (order_id, item) SELECT g, 'item' || g"
                " FROM generate_series(1, 10) g", self.db)
        items = self.items()
        self.assert_refused(
            'ebb: error: database "%s": table "public.orders" is referenced by foreign key'
            ' "order_items_order_id_fkey" of table public.order_items with ON DELETE CASCADE' % self.db,
            'Deleting archived rows would delete or change rows of the referencing table, which'
            ' no archive object holds.',
            'Archive the referencing table first, or make the constraint ON DELETE NO ACTION: a'
            ' window whose rows are still referenced then fails, deleting nothing.')
        self.assertEqual(self.items(), items)

    def test_status_shows_the_refusal(self):
        PG.psql("CREATE TABLE order_items (order_id int REFERENCES orders (id)"
                " ON DELETE CASCADE)", self.db)
        message = ('table "public.orders" is referenced by foreign key'
                   ' "order_items_order_id_fkey" of table public.order_items with ON DELETE'
                   ' CASCADE')
        args = ['status', '--table', ORDERS, '--time-column', 'ts']
        proc = harness.run_ebb(args + ['--json'], env=PG.env(self.db))
        self.assertEqual(proc.rc, 0, proc.stderr)
        report = json.loads(proc.stdout)
        self.assertEqual((report['refused'], report['rows_behind']), (message, 8))
        proc = harness.run_ebb(args, env=PG.env(self.db))
        self.assertIn('  refused:          %s\n' % message, proc.stdout)
        PG.psql('DROP TABLE order_items', self.db)
        proc = harness.run_ebb(args + ['--json'], env=PG.env(self.db))
        self.assertIsNone(json.loads(proc.stdout)['refused'])

    def test_set_null_and_set_default_are_refused_and_all_listed(self):
        PG.psql("CREATE SCHEMA shop;"
                "CREATE TABLE shop.notes (id serial, order_id int DEFAULT 1"
                " REFERENCES orders (id) ON DELETE SET DEFAULT);"
                "CREATE TABLE shop.tags (id serial, order_id int"
                " REFERENCES orders (id) ON DELETE SET NULL)", self.db)
        self.assert_refused(
            'ebb: error: database "%s": table "public.orders" is referenced by foreign key'
            ' "notes_order_id_fkey" of table shop.notes with ON DELETE SET DEFAULT' % self.db,
            'Deleting archived rows would delete or change rows of the referencing table, which'
            ' no archive object holds. Also: "tags_order_id_fkey" on shop.tags'
            ' (ON DELETE SET NULL).')

    def test_self_reference_with_cascade_is_refused(self):
        PG.psql("ALTER TABLE orders ADD parent int REFERENCES orders (id) ON DELETE CASCADE",
                self.db)
        self.assert_refused(
            'ebb: error: database "%s": table "public.orders" is referenced by foreign key'
            ' "orders_parent_fkey" of table public.orders with ON DELETE CASCADE' % self.db)

    def test_cascade_into_a_partitioned_table_is_refused(self):
        """The foreign key references the partitioned parent; PostgreSQL clones it onto each
        partition. The referencing table is partitioned as well."""
        PG.psql("CREATE TABLE ev (id int, ts timestamptz NOT NULL, PRIMARY KEY (id, ts))"
                " PARTITION BY RANGE (ts);"
                "CREATE TABLE ev_old PARTITION OF ev FOR VALUES FROM (MINVALUE) TO ('2000-01-01');"
                "CREATE TABLE ev_new PARTITION OF ev DEFAULT;"
                "CREATE INDEX ON ev (ts);"
                "CREATE TABLE ev_ref (id int, ev_id int, ev_ts timestamptz,"
                " FOREIGN KEY (ev_id, ev_ts) REFERENCES ev ON DELETE CASCADE)"
                " PARTITION BY HASH (id);"
                "CREATE TABLE ev_ref_0 PARTITION OF ev_ref FOR VALUES WITH (MODULUS 1, REMAINDER 0);"
                "INSERT INTO ev SELECT g, now() - g * interval '1 day' FROM generate_series(1, 5) g",
                self.db)
        self.assert_refused(
            'ebb: error: database "%s": table "public.ev" is referenced by foreign key'
            ' "ev_ref_ev_id_ev_ts_fkey" of table public.ev_ref with ON DELETE CASCADE' % self.db,
            table='public.ev')

    def test_cascade_into_one_partition_is_refused(self):
        PG.psql("CREATE TABLE ev (id int PRIMARY KEY, ts timestamptz NOT NULL)"
                " PARTITION BY LIST (id);"
                "CREATE TABLE ev_1 PARTITION OF ev FOR VALUES IN (1);"
                "CREATE TABLE ev_d PARTITION OF ev DEFAULT;"
                "CREATE INDEX ON ev (ts);"
                "CREATE TABLE ev_ref (ev_id int REFERENCES ev_1 (id) ON DELETE CASCADE)", self.db)
        proc = self.archive(table='public.ev')
        # refused for the cascade, before the table's partitioning is looked at
        harness.assert_error(
            self, proc, 2,
            'ebb: error: database "%s": table "public.ev" is referenced by foreign key'
            ' "ev_ref_ev_id_fkey" of table public.ev_ref with ON DELETE CASCADE' % self.db)

    def fk_violation(self, constraint_sql):
        """Order 5 (5 days old) is still referenced: the windows of orders 10..6 are archived,
        the run stops at order 5's window, which deletes nothing."""
        PG.psql("CREATE TABLE order_items (id serial, order_id int, item text);"
                "INSERT INTO order_items (order_id, item) VALUES (5, 'still here');"
                "ALTER TABLE order_items ADD CONSTRAINT items_order_fk FOREIGN KEY (order_id)"
                " REFERENCES orders (id) " + constraint_sql, self.db)
        before = harness.table_rows_csv(PG, self.db, ORDERS)
        proc = self.archive()
        self.assertEqual(proc.rc, 1, proc.stderr)
        self.assertIn('update or delete on table "orders" violates foreign key constraint'
                      ' "items_order_fk" on table "order_items"', proc.stderr.splitlines()[0])
        self.assertIn('ebb: detail: Key (id)=(5) is still referenced from table "order_items".',
                      proc.stderr)
        self.assertIn('ebb: hint: The window was rolled back: nothing was deleted. Archive the'
                      ' rows that reference it first', proc.stderr)
        left, archived = harness.assert_oracle(self, before, PG, self.db, ORDERS, archived=5)
        self.assertEqual(sorted(int(r[0]) for r in left), [1, 2, 3, 4, 5])
        self.assertEqual(self.items(), [('1', '5', 'still here')])
        # the failed window's object is gone with its transaction: no orphan
        check = harness.run_ebb(['verify', '--table', ORDERS], env=PG.env(self.db))
        self.assertEqual(check.rc, 0, check.stdout + check.stderr)
        self.assertIn(': checked 5 objects (5 rows,', check.stdout)
        self.assertIn(' 0 missing, 0 corrupt, 0 orphans', check.stdout)
        return proc

    def test_no_action_stops_at_a_referenced_window(self):
        proc = self.fk_violation('')
        self.assertRegex(proc.stderr.splitlines()[0], r'^ebb: error: database "%s": COPY failed'
                         % self.db)

    def test_restrict_stops_at_a_referenced_window(self):
        self.fk_violation('ON DELETE RESTRICT')

    def test_deferred_check_fails_at_commit(self):
        proc = self.fk_violation('DEFERRABLE INITIALLY DEFERRED')
        self.assertRegex(proc.stderr.splitlines()[0],
                         r'^ebb: error: database "%s": could not commit' % self.db)

    def test_unreferenced_rows_of_a_referenced_table_are_archived(self):
        PG.psql("CREATE TABLE order_items (order_id int REFERENCES orders (id));"
                "INSERT INTO order_items VALUES (1), (2)", self.db)
        before = harness.table_rows_csv(PG, self.db, ORDERS)
        pu.assert_ok(self, self.archive(keep_days=3))
        left, archived = harness.assert_oracle(self, before, PG, self.db, ORDERS, archived=7)
        self.assertEqual(sorted(int(r[0]) for r in left), [1, 2, 3])

    def test_inheritance_children_are_refused(self):
        PG.psql("CREATE TABLE ev_child (extra text NOT NULL) INHERITS (orders);"
                "INSERT INTO ev_child SELECT g + 100, now() - g * interval '1 day', 'c',"
                " 'precious' || g FROM generate_series(1, 5) g", self.db)
        children = PG.query('SELECT * FROM ev_child ORDER BY id', self.db)
        self.assert_refused(
            'ebb: error: database "%s": table "public.orders" has inheritance children' % self.db,
            'Children: public.ev_child. Their rows, with their own columns, are not the table\'s own'
            ' rows; ebb does not archive a table with inheritance children.',
            'Archive each child as its own table (--table public.ev_child).')
        self.assertEqual(PG.query('SELECT * FROM ev_child ORDER BY id', self.db), children)
        # each child on its own: archived with its own columns
        before = harness.table_rows_csv(PG, self.db, 'public.ev_child')
        pu.assert_ok(self, self.archive('--allow-seqscan', table='public.ev_child'))
        harness.assert_oracle(self, before, PG, self.db, 'public.ev_child', archived=4)

    def test_a_child_created_during_a_run_keeps_its_rows(self):
        """Statements use ONLY: a child that appears after the checks (while the run is stopped
        with the table locked) is neither deleted from nor read."""
        before = harness.table_rows_csv(PG, self.db, 'ONLY ' + ORDERS)
        proc = pu.start_ebb(PG, self.db, self.dest, table=ORDERS, time_column='ts',
                            env={'EBB_TEST_STOP_AT': 'locked'})
        try:
            pu.wait_stopped(proc)
            PG.psql("CREATE TABLE late_child (extra text NOT NULL) INHERITS (orders);"
                    "INSERT INTO late_child SELECT g + 100, now() - g * interval '1 day', 'c',"
                    " 'precious' || g FROM generate_series(1, 5) g", self.db)
            child = PG.query('SELECT * FROM late_child ORDER BY id', self.db)
            os.kill(proc.pid, signal.SIGCONT)
            rc, out, err = pu.finish(proc)
        finally:
            pu.kill_if_running(proc)
        self.assertEqual(rc, 0, err)
        self.assertEqual(PG.query('SELECT * FROM late_child ORDER BY id', self.db), child)
        left = harness.table_rows_csv(PG, self.db, 'ONLY ' + ORDERS)
        archived = harness.archived_rows(PG, self.db, ORDERS)
        self.assertEqual(left + archived, before)
        self.assertEqual(sum(archived.values()), 8)

    def test_delete_rule_is_refused(self):
        PG.psql("CREATE TABLE audit (id int);"
                "CREATE RULE keep_audit AS ON DELETE TO orders DO ALSO INSERT INTO audit"
                " VALUES (old.id)", self.db)
        self.assert_refused(
            'ebb: error: database "%s": table "public.orders" has a rule on DELETE ("keep_audit"'
            ' on public.orders)' % self.db,
            'A rule rewrites ebb\'s DELETE: the rows it removes, or what else it changes, would'
            ' not be the rows archived.',
            'Drop the rule, or disable it while archiving (ALTER TABLE ... DISABLE RULE).')

    def create_trigger(self, level='ROW'):
        PG.psql("CREATE TABLE audit (id int, at text);"
                "CREATE FUNCTION audit_delete() RETURNS trigger LANGUAGE plpgsql AS $$"
                " BEGIN INSERT INTO public.audit VALUES (%s, TG_LEVEL); RETURN NULL; END $$;"
                "CREATE TRIGGER orders_audit AFTER DELETE ON orders FOR EACH %s"
                " EXECUTE FUNCTION audit_delete()" % ('old.id' if level == 'ROW' else '0', level),
                self.db)

    def test_delete_trigger_is_refused_without_the_flag(self):
        self.create_trigger()
        self.assert_refused(
            'ebb: error: database "%s": table "public.orders" has a trigger on DELETE'
            ' ("orders_audit" on public.orders)' % self.db,
            'A trigger may delete or write rows elsewhere, which no archive object would hold.',
            'If it is safe to fire for every archived row, pass --allow-delete-triggers.')

    def test_statement_level_delete_trigger_is_refused(self):
        self.create_trigger('STATEMENT')
        self.assert_refused(
            'ebb: error: database "%s": table "public.orders" has a trigger on DELETE'
            ' ("orders_audit" on public.orders)' % self.db)

    def test_allowed_delete_trigger_fires_per_archived_row(self):
        self.create_trigger()
        before = harness.table_rows_csv(PG, self.db, ORDERS)
        pu.assert_ok(self, self.archive('--allow-delete-triggers'))
        left, archived = harness.assert_oracle(self, before, PG, self.db, ORDERS, archived=8)
        self.assertEqual(sorted(int(r[0]) for r in PG.query('SELECT id FROM audit', self.db)),
                         sorted(int(r[0]) for r in archived))

    def test_trigger_with_unqualified_names_fails_safely(self):
        """ebb's session has an empty search_path (as PostgreSQL's own tools): a trigger whose
        function names tables without their schema fails, and its window rolls back."""
        self.create_trigger()
        PG.psql("CREATE OR REPLACE FUNCTION audit_delete() RETURNS trigger LANGUAGE plpgsql AS $$"
                " BEGIN INSERT INTO audit VALUES (old.id, TG_LEVEL); RETURN NULL; END $$", self.db)
        before = harness.table_rows_csv(PG, self.db, ORDERS)
        proc = self.archive('--allow-delete-triggers')
        self.assertEqual(proc.rc, 1, proc.stderr)
        self.assertIn('relation "audit" does not exist', proc.stderr.splitlines()[0])
        harness.assert_oracle(self, before, PG, self.db, ORDERS, archived=0)
        # with its own search_path the same function works
        PG.psql("ALTER FUNCTION audit_delete() SET search_path = public", self.db)
        pu.assert_ok(self, self.archive('--allow-delete-triggers'))
        harness.assert_oracle(self, before, PG, self.db, ORDERS, archived=8)
        self.assertEqual(PG.query('SELECT count(*) FROM audit', self.db), [('8',)])

    def test_disabled_and_replica_triggers_do_not_count(self):
        self.create_trigger()
        PG.psql('ALTER TABLE orders DISABLE TRIGGER orders_audit', self.db)
        before = harness.table_rows_csv(PG, self.db, ORDERS)
        pu.assert_ok(self, self.archive(keep_days=6))
        harness.assert_oracle(self, before, PG, self.db, ORDERS, archived=4)
        PG.psql('ALTER TABLE orders ENABLE REPLICA TRIGGER orders_audit', self.db)
        pu.assert_ok(self, self.archive())
        harness.assert_oracle(self, before, PG, self.db, ORDERS, archived=8)
        self.assertEqual(PG.query('SELECT count(*) FROM audit', self.db), [('0',)])


# Three daily partitions ten, five and zero days back (two expired under keep-days 2), 5 rows each.
PARTED_DDL = """
CREATE TABLE ev (id int, ts timestamptz NOT NULL, PRIMARY KEY (id, ts)) PARTITION BY RANGE (ts);
CREATE INDEX ON ev (ts);
SELECT date_trunc('day', now(), 'UTC') AS d0 \gset
CREATE TABLE ev_a PARTITION OF ev FOR VALUES FROM (:'d0'::timestamptz - interval '10 days')
  TO (:'d0'::timestamptz - interval '9 days');
CREATE TABLE ev_b PARTITION OF ev FOR VALUES FROM (:'d0'::timestamptz - interval '5 days')
  TO (:'d0'::timestamptz - interval '4 days');
CREATE TABLE ev_new PARTITION OF ev FOR VALUES FROM (:'d0'::timestamptz - interval '1 day')
  TO (MAXVALUE);
INSERT INTO ev SELECT g, :'d0'::timestamptz - interval '10 days' + g * interval '1 hour'
  FROM generate_series(1, 5) g;
INSERT INTO ev SELECT g + 10, :'d0'::timestamptz - interval '5 days' + g * interval '1 hour'
  FROM generate_series(1, 5) g;
INSERT INTO ev SELECT g + 20, now() - g * interval '1 minute' FROM generate_series(1, 5) g;
"""
EV = 'public.ev'


class ChangesDuringARunTest(DependentsBase):
    """What the checks found must hold for every window: each window's transaction locks the
    table, then compares its fingerprint (columns, foreign keys, triggers, rules) with the one
    taken when the checks passed. A change between two windows fails the next window, which
    deletes nothing; the next run checks anew."""

    def run_with_change(self, sql, stage='after-commit:1', table=ORDERS, extra=()):
        proc = pu.start_ebb(PG, self.db, self.dest, *extra, table=table, time_column='ts',
                            env={'EBB_TEST_STOP_AT': stage})
        try:
            pu.wait_stopped(proc)
            PG.psql(sql, self.db)
            os.kill(proc.pid, signal.SIGCONT)
            return pu.finish(proc)
        finally:
            pu.kill_if_running(proc)

    def assert_changed(self, rc, err, table='public.orders'):
        self.assertEqual(rc, 1, err)
        self.assertIn('ebb: error: database "%s": table "%s" changed during the run'
                      % (self.db, table), err)
        self.assertIn('This window was rolled back: nothing of it was deleted.', err)

    def test_cascading_foreign_key_added_between_windows(self):
        PG.psql("CREATE TABLE items (t_id int); INSERT INTO items SELECT id FROM orders", self.db)
        before = harness.table_rows_csv(PG, self.db, ORDERS)
        rc, out, err = self.run_with_change(
            'DELETE FROM items WHERE t_id NOT IN (SELECT id FROM orders);'
            'ALTER TABLE items ADD FOREIGN KEY (t_id) REFERENCES orders ON DELETE CASCADE')
        self.assert_changed(rc, err)
        harness.assert_oracle(self, before, PG, self.db, ORDERS, archived=1)
        # the items of every order left are there
        self.assertEqual(PG.query('SELECT count(*) FROM items', self.db), [('9',)])
        harness.assert_error(
            self, self.archive(), 2,
            'ebb: error: database "%s": table "public.orders" is referenced by foreign key'
            ' "items_t_id_fkey" of table public.items with ON DELETE CASCADE' % self.db)

    def test_delete_trigger_added_between_windows(self):
        PG.psql("CREATE TABLE other (id int); INSERT INTO other SELECT id FROM orders", self.db)
        before = harness.table_rows_csv(PG, self.db, ORDERS)
        rc, out, err = self.run_with_change(
            "CREATE FUNCTION del_other() RETURNS trigger LANGUAGE plpgsql AS $$"
            " BEGIN DELETE FROM public.other WHERE id = old.id; RETURN NULL; END $$;"
            "CREATE TRIGGER t_del AFTER DELETE ON orders FOR EACH ROW"
            " EXECUTE FUNCTION del_other()")
        self.assert_changed(rc, err)
        harness.assert_oracle(self, before, PG, self.db, ORDERS, archived=1)
        self.assertEqual(PG.query('SELECT count(*) FROM other', self.db), [('10',)])

    def test_column_added_between_windows(self):
        rc, out, err = self.run_with_change(
            "ALTER TABLE orders ADD COLUMN extra text; UPDATE orders SET extra = 'x' || id")
        self.assert_changed(rc, err)
        # the first window's object holds the old columns; every other row keeps its value
        self.assertEqual(len(pu.ledger(PG, self.db, table=ORDERS)), 1)
        self.assertEqual(PG.query("SELECT count(*) FROM orders WHERE extra = 'x' || id",
                                  self.db), [('9',)])
        # the next run archives them with the new column
        before = harness.table_rows_csv(PG, self.db, ORDERS)
        PG.psql('TRUNCATE ebb.archive_ledger', self.db)  # the oracle reads one shape
        pu.assert_ok(self, self.archive())
        harness.assert_oracle(self, before, PG, self.db, ORDERS, archived=7)

    def test_column_added_after_a_partition_was_archived(self):
        """T1 archived ev_a without the column; the column and its values appear before the
        detach: the partition is archived again with them (the fingerprint covers columns),
        never dropped with only its first object."""
        PG.psql(PARTED_DDL, self.db)
        rc, out, err = self.run_with_change(
            "ALTER TABLE ev ADD COLUMN extra text; UPDATE ev SET extra = 'x' || id",
            stage='partition-archived:1', table=EV)
        self.assertEqual(rc, 1, err)
        self.assertIn('table "public.ev" changed during the run', err)
        # ev_a is detached (its rows changed after T1: archived again, which the changed
        # columns stopped), not dropped: its rows are still there
        self.assertEqual(PG.query("SELECT count(*) FROM ev_a WHERE extra = 'x' || id", self.db),
                         [('5',)])
        before = harness.table_rows_csv(PG, self.db, EV) + harness.table_rows_csv(
            PG, self.db, 'public.ev_a')
        pu.assert_ok(self, self.archive(table=EV))
        harness.assert_oracle(self, before, PG, self.db, EV, archived=10)
        self.assertEqual(PG.query("SELECT relname FROM pg_class WHERE relname IN"
                                  " ('ev_a', 'ev_b')", self.db), [])

    def test_partition_renamed_before_its_detach_is_still_dropped(self):
        """Renamed while attached (between T1 and the detach), it is still this table's: ebb
        detaches it, checks its rows and drops it; it was 'released' with its rows detached
        from the table and in an object too."""
        PG.psql(PARTED_DDL, self.db)
        before = harness.table_rows_csv(PG, self.db, EV)
        rc, out, err = self.run_with_change('ALTER TABLE ev_a RENAME TO renamed_a',
                                            stage='partition-archived:1', table=EV)
        self.assertEqual(rc, 0, err)
        self.assertNotIn('left alone', err)
        harness.assert_oracle(self, before, PG, self.db, EV, archived=10)
        self.assertEqual(PG.query("SELECT to_regclass('public.renamed_a')", self.db), [(None,)])
        self.assertEqual(PG.query('SELECT DISTINCT partition_state FROM ebb.archive_ledger',
                                  self.db), [('dropped',)])


class PartitionsTest(DependentsBase):
    def test_archiving_a_partition_sees_its_parents_foreign_keys(self):
        PG.psql(PARTED_DDL + "CREATE TABLE ev_ref (ev_id int, ev_ts timestamptz,"
                " FOREIGN KEY (ev_id, ev_ts) REFERENCES ev ON DELETE CASCADE)", self.db)
        self.assert_refused(
            'ebb: error: database "%s": table "public.ev_a" is referenced by foreign key'
            ' "ev_ref_ev_id_ev_ts_fkey1" of table public.ev_ref with ON DELETE CASCADE' % self.db,
            table='public.ev_a')

    def test_trigger_disabled_on_the_parent_enabled_on_a_partition(self):
        PG.psql(PARTED_DDL + "CREATE TABLE other (id int);"
                "CREATE FUNCTION del_other() RETURNS trigger LANGUAGE plpgsql AS $$"
                " BEGIN DELETE FROM public.other WHERE id = old.id; RETURN NULL; END $$;"
                "CREATE TRIGGER ev_del AFTER DELETE ON ev FOR EACH ROW"
                " EXECUTE FUNCTION del_other();"
                "ALTER TABLE ev DISABLE TRIGGER ev_del;"
                "ALTER TABLE ev_new DISABLE TRIGGER ev_del;"
                "ALTER TABLE ev_b ENABLE TRIGGER ev_del", self.db)
        self.assert_refused(
            'ebb: error: database "%s": table "public.ev" has a trigger on DELETE ("ev_del" on'
            ' public.ev_b)' % self.db, table=EV)

    def test_row_trigger_enabled_only_on_the_parent_entry_is_not_refused(self):
        """A row trigger's entry on a partitioned table never fires: its clones do."""
        PG.psql(PARTED_DDL + "CREATE TABLE other (id int);"
                "CREATE FUNCTION del_other() RETURNS trigger LANGUAGE plpgsql AS $$"
                " BEGIN DELETE FROM public.other WHERE id = old.id; RETURN NULL; END $$;"
                "CREATE TRIGGER ev_del AFTER DELETE ON ev FOR EACH ROW"
                " EXECUTE FUNCTION del_other();"
                "ALTER TABLE ev_a DISABLE TRIGGER ev_del; ALTER TABLE ev_b DISABLE TRIGGER ev_del;"
                "ALTER TABLE ev_new DISABLE TRIGGER ev_del", self.db)
        before = harness.table_rows_csv(PG, self.db, EV)
        pu.assert_ok(self, self.archive(table=EV))
        harness.assert_oracle(self, before, PG, self.db, EV, archived=10)

    def test_a_referenced_partition_is_archived_row_by_row_not_detached(self):
        """A foreign key (NO ACTION) references the partitioned table: DETACH would fail on a
        referenced row after the partition was archived, blocking the table. Its partitions
        are archived row by row instead; the referenced row's window stops the run."""
        PG.psql(PARTED_DDL + "CREATE TABLE ev_ref (ev_id int, ev_ts timestamptz,"
                " FOREIGN KEY (ev_id, ev_ts) REFERENCES ev);"
                "INSERT INTO ev_ref SELECT id, ts FROM ev WHERE id = 13", self.db)
        before = harness.table_rows_csv(PG, self.db, EV)
        proc = self.archive(table=EV)
        self.assertEqual(proc.rc, 1, proc.stderr)
        self.assertIn('ebb: warning: partition public.ev_a is referenced by a foreign key or'
                      ' read by a view: it is not detached; its rows are archived row by row',
                      proc.stderr)
        self.assertIn('violates foreign key constraint', proc.stderr)
        harness.assert_oracle(self, before, PG, self.db, EV, archived=7)
        self.assertEqual(sorted(r[0] for r in PG.query(
            "SELECT relname FROM pg_class WHERE relname LIKE 'ev\\_%' AND relkind = 'r'",
            self.db)), ['ev_a', 'ev_b', 'ev_new', 'ev_ref'])

    def test_a_partition_read_by_a_view_is_not_dropped(self):
        PG.psql(PARTED_DDL + "CREATE VIEW ev_a_view AS SELECT * FROM ev_a", self.db)
        before = harness.table_rows_csv(PG, self.db, EV)
        proc = self.archive(table=EV)
        pu.assert_ok(self, proc)
        self.assertIn('partition public.ev_a is referenced by a foreign key or read by a view',
                      proc.stderr)
        harness.assert_oracle(self, before, PG, self.db, EV, archived=10)
        self.assertEqual(PG.query("SELECT count(*) FROM ev_a_view", self.db), [('0',)])
        self.assertEqual(PG.query("SELECT to_regclass('public.ev_b')", self.db), [(None,)])

    def test_archived_partition_referenced_later_is_withdrawn(self):
        """ev_a archived (ledger 'archived'), then killed before the detach; a foreign key
        added meanwhile references one of its rows: the next run withdraws its object (the
        rows are still in the table) instead of failing at DETACH every run."""
        PG.psql(PARTED_DDL, self.db)
        proc = self.archive(table=EV, env={'EBB_TEST_CRASH_AT': 'partition-archived'})
        self.assertEqual(proc.rc, -9, proc.stderr)
        pu.wait_backends_gone(PG, self.db)
        first = pu.ledger(PG, self.db, table=EV)
        self.assertEqual(len(first), 1)
        PG.psql("CREATE TABLE ev_ref (ev_id int, ev_ts timestamptz,"
                " FOREIGN KEY (ev_id, ev_ts) REFERENCES ev);"
                "INSERT INTO ev_ref SELECT id, ts FROM ev WHERE id = 3", self.db)
        before = harness.table_rows_csv(PG, self.db, EV)
        proc = self.archive(table=EV)
        self.assertEqual(proc.rc, 1, proc.stderr)
        self.assertIn('ebb: warning: partition public.ev_a cannot be detached', proc.stderr)
        self.assertIn('its archived copy is withdrawn', proc.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.path, first[0]['object_key'])))
        harness.assert_oracle(self, before, PG, self.db, EV, archived=2)
        check = harness.run_ebb(['verify', '--table', EV], env=PG.env(self.db))
        self.assertIn(' 0 missing, 0 corrupt, 0 orphans', check.stdout)

    def test_foreign_table_partition_is_refused(self):
        # no unique index: a foreign partition cannot have one
        PG.psql("CREATE TABLE ev (id int, ts timestamptz NOT NULL) PARTITION BY RANGE (ts);"
                "CREATE INDEX ON ev (ts);"
                "CREATE TABLE ev_new PARTITION OF ev FOR VALUES FROM ('2000-01-01') TO (MAXVALUE);"
                "CREATE EXTENSION postgres_fdw;"
                "CREATE SERVER elsewhere FOREIGN DATA WRAPPER postgres_fdw"
                " OPTIONS (dbname 'nowhere');"
                "CREATE FOREIGN TABLE ev_far PARTITION OF ev FOR VALUES FROM ('1990-01-01')"
                " TO ('1991-01-01') SERVER elsewhere", self.db)
        before = harness.table_rows_csv(PG, self.db, 'public.ev_new')
        for extra in ((), ('--dry-run',)):
            harness.assert_error(
                self, self.archive(*extra, table=EV, env={}), 2,
                'ebb: error: database "%s": table "public.ev" has a foreign table as a partition'
                ' (public.ev_far)' % self.db)
        self.assertEqual(harness.table_rows_csv(PG, self.db, 'public.ev_new'), before)


class SessionTest(DependentsBase):
    def test_row_level_security_never_hides_rows(self):
        """A policy that would hide rows from ebb's role (here the owner, forced) makes ebb's
        queries fail (row_security off), never archive a partition's visible rows only and
        drop the others with it."""
        PG.psql("DROP ROLE IF EXISTS app; CREATE ROLE app LOGIN;"
                "GRANT CREATE ON DATABASE %s TO app; GRANT CREATE ON SCHEMA public TO app;"
                % self.db, self.db)
        PG.psql("SET ROLE app;" + PARTED_DDL.replace(
                    'PRIMARY KEY (id, ts))', "tenant text DEFAULT 'a', PRIMARY KEY (id, ts))") +
                "ALTER TABLE ev_a ENABLE ROW LEVEL SECURITY; ALTER TABLE ev_a FORCE ROW LEVEL"
                " SECURITY; CREATE POLICY p ON ev_a USING (tenant = 'b')", self.db)
        before = harness.table_rows_csv(PG, self.db, 'public.ev_b') + harness.table_rows_csv(
            PG, self.db, 'public.ev_new')
        proc = pu.archive(PG, self.db, self.dest, table=EV, time_column='ts',
                          env={'PGUSER': 'app'})
        self.assertEqual(proc.rc, 1, proc.stderr)
        self.assertIn('row-level security', proc.stderr)
        self.assertEqual(PG.query('SELECT count(*) FROM ev_a', self.db), [('5',)])
        self.assertEqual(harness.table_rows_csv(PG, self.db, 'public.ev_b')
                         + harness.table_rows_csv(PG, self.db, 'public.ev_new'), before)

    def test_replica_session_role_is_reset_to_origin(self):
        """A role default of session_replication_role = replica would keep foreign keys from
        firing: ebb's session runs as origin, so a referenced window still fails."""
        PG.psql("CREATE TABLE items (t_id int REFERENCES orders);"
                "INSERT INTO items VALUES (5);"
                "ALTER ROLE postgres IN DATABASE %s SET session_replication_role = replica"
                % self.db, self.db)
        try:
            before = harness.table_rows_csv(PG, self.db, ORDERS)
            proc = self.archive()
            self.assertEqual(proc.rc, 1, proc.stderr)
            self.assertIn('violates foreign key constraint', proc.stderr)
            harness.assert_oracle(self, before, PG, self.db, ORDERS, archived=5)
        finally:
            PG.psql("ALTER ROLE postgres IN DATABASE %s RESET session_replication_role"
                    % self.db, self.db)


if __name__ == '__main__':
    unittest.main()
