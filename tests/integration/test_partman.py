"""ebb alongside pg_partman (Debian's postgresql-15-partman, 4.7.x: create_parent
with p_type 'native' and p_interval 'daily'): a table partitioned daily by
pg_partman, with premade future partitions and pg_partman's DEFAULT partition,
holding 30 days of rows in its real partitions (create_parent's p_start_partition
made the old ones) and a few very old rows in the DEFAULT. ebb archive
--keep-days 2 archives and drops every expired partition (a plain DETACH: the
parent has a DEFAULT) and the DEFAULT's old rows; the oracle holds; pg_partman's
part_config still describes the table, check_default() finds nothing, and
run_maintenance() (and run_maintenance_proc()) still succeeds, keeps the premade
partitions, premakes more when asked and recreates none of the dropped ones; a
second ebb run changes nothing. pg_partman's background worker is not needed:
maintenance is called directly, so the cluster needs no shared_preload_libraries."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import protocol_util as pu  # noqa: E402

PG = None
TABLE = 'public.ev'
PREMAKE = 4
CONTROL = '/usr/share/postgresql/15/extension/pg_partman.control'


def setUpModule():
    global PG
    if not os.path.exists(CONTROL):
        raise RuntimeError('pg_partman is not installed (%s); run scripts/setup.sh' % CONTROL)
    PG = harness.Cluster()


def tearDownModule():
    if PG:
        PG.stop()


def partman_table(db, days=30, every='10 min'):
    """ev(id, ts timestamptz, payload) partitioned daily by pg_partman from `days`
    days ago (p_start_partition) to PREMAKE days ahead, with its DEFAULT; a row
    every `every` over the last `days` days, all in real partitions, and 3 rows
    40 days old in the DEFAULT. No row lies within 5 minutes after the first
    run's cutoff (now() - 2 days): the cutoff moves while the test runs, and a
    second run must find nothing new."""
    PG.psql("""
        CREATE SCHEMA partman;
        CREATE EXTENSION pg_partman SCHEMA partman;
        CREATE TABLE ev (id bigserial, ts timestamptz NOT NULL, payload text)
          PARTITION BY RANGE (ts);
        CREATE INDEX ON ev (ts);
        SELECT partman.create_parent('public.ev', 'ts', 'native', 'daily', p_premake := %d,
          p_start_partition := to_char(now() - interval '%d days', 'YYYY-MM-DD'));
        INSERT INTO ev (ts, payload)
          SELECT g, repeat(md5(g::text), 4) FROM generate_series(
            date_trunc('hour', now()) - interval '%d days', now(), interval '%s') g
          WHERE g NOT BETWEEN now() - interval '2 days'
                          AND now() - interval '2 days' + interval '5 min';
        INSERT INTO ev (ts, payload)
          SELECT now() - interval '40 days' + make_interval(mins => i), 'old default'
          FROM generate_series(1, 3) i;
        ANALYZE ev;
        """ % (PREMAKE, days, days, every), db)


def partitions(db):
    """(name, lower bound, upper bound) of ev's non-DEFAULT partitions, from the catalog."""
    return PG.query(
        "SELECT c.relname,"
        " substring(pg_get_expr(c.relpartbound, c.oid) FROM 'FROM \\(''(.*)''\\) TO')::timestamptz,"
        " substring(pg_get_expr(c.relpartbound, c.oid) FROM 'TO \\(''(.*)''\\)')::timestamptz"
        " FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = 'ev'::regclass AND pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'"
        " ORDER BY 2", db)


def expired(db, keep_days=2):
    """Partitions whose upper bound is at or before the cutoff (from the catalog)."""
    return [r[0] for r in PG.query(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = 'ev'::regclass AND pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'"
        " AND substring(pg_get_expr(c.relpartbound, c.oid) FROM 'TO \\(''(.*)''\\)')::timestamptz"
        " <= now() - interval '%d days' ORDER BY 1" % keep_days, db)]


def ahead(db):
    """Partitions wholly in the future (lower bound after now()): the premade ones."""
    return [r[0] for r in PG.query(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = 'ev'::regclass AND pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'"
        " AND substring(pg_get_expr(c.relpartbound, c.oid) FROM 'FROM \\(''(.*)''\\) TO')"
        "::timestamptz > now() ORDER BY 1", db)]


def leaves(db):
    return [r[0] for r in PG.query(
        "SELECT c.relname FROM pg_partition_tree('ev') t JOIN pg_class c ON c.oid = t.relid"
        " WHERE t.isleaf ORDER BY 1", db)]


def shown(db):
    """pg_partman's view of the set: show_partitions() without the DEFAULT."""
    return sorted(r[0] for r in PG.query(
        "SELECT partition_tablename FROM partman.show_partitions('public.ev')", db))


class PartmanTest(unittest.TestCase):
    def setUp(self):
        self.db = pu.new_db(PG, 'partman')
        self.dest, self.root = pu.make_dest(self)

    def archive(self, *extra):
        return pu.archive(PG, self.db, self.dest, *extra, table=TABLE, time_column='ts')

    def ledger(self):
        return PG.query('SELECT object_key, rows, partition_name, partition_state'
                        ' FROM ebb.archive_ledger ORDER BY id', self.db)

    def config(self):
        return PG.query("SELECT parent_table, control, partition_type, partition_interval,"
                        " premake, automatic_maintenance FROM partman.part_config", self.db)

    def check_default(self):
        return PG.query('SELECT * FROM partman.check_default(true)', self.db)

    def assert_contiguous(self):
        """No gap and no overlap between the partitions left (DEFAULT aside)."""
        parts = partitions(self.db)
        for (_, _, upper), (name, lower, _) in zip(parts, parts[1:]):
            self.assertEqual(lower, upper, 'gap or overlap before %s' % name)

    def test_archive_then_partman_maintenance(self):
        partman_table(self.db)
        self.assertEqual(self.config(),
                         [('public.ev', 'ts', 'native', '1 day', str(PREMAKE), 'on')])
        self.assertEqual(len(self.check_default()), 1)  # the 3 rows 40 days old
        premade = ahead(self.db)
        self.assertEqual(len(premade), PREMAKE)
        gone = expired(self.db)
        self.assertGreaterEqual(len(gone), 27)
        self.assertTrue(all(g.startswith('ev_p') for g in gone), gone)
        before = harness.table_rows_csv(PG, self.db, TABLE)

        pu.assert_ok(self, self.archive())

        # every expired partition archived whole and dropped (not only detached)
        self.assertEqual(sorted(set(leaves(self.db)) & set(gone)), [])
        self.assertEqual(PG.query("SELECT relname FROM pg_class WHERE relname = ANY(%s)"
                                  % harness.quote_literal('{%s}' % ','.join(gone)), self.db), [])
        ledger = self.ledger()
        whole = [r for r in ledger if r[2]]
        self.assertEqual(sorted(r[2] for r in whole), sorted('public.' + g for g in gone))
        self.assertEqual({r[3] for r in whole}, {'dropped'})
        # the straddling partition's and the DEFAULT's old rows went row by row
        self.assertTrue([r for r in ledger if not r[2]])
        harness.assert_oracle(self, before, PG, self.db, TABLE)
        (old,), = PG.query("SELECT count(*) FROM ev WHERE ts < now() - interval '2 days'",
                           self.db)
        self.assertEqual(old, '0')
        self.assertIn('ev_default', leaves(self.db))

        # pg_partman still knows the set: its config unchanged, its view of the
        # partitions the catalog's, no data in the DEFAULT, no gap
        self.assertEqual(self.config(),
                         [('public.ev', 'ts', 'native', '1 day', str(PREMAKE), 'on')])
        left = sorted(set(leaves(self.db)) - {'ev_default'})
        self.assertEqual(shown(self.db), left)
        self.assertEqual(self.check_default(), [])
        self.assertEqual(ahead(self.db), premade)
        self.assert_contiguous()

        # maintenance succeeds, keeps the premade partitions, recreates no dropped one
        PG.psql('SELECT partman.run_maintenance()', self.db)
        PG.psql('CALL partman.run_maintenance_proc()', self.db)
        self.assertEqual(ahead(self.db), premade)
        self.assertEqual(sorted(set(leaves(self.db)) - {'ev_default'}), left)
        # and keeps premaking: asked for 2 more, it makes them after the last one
        PG.psql("UPDATE partman.part_config SET premake = %d WHERE parent_table = 'public.ev'"
                % (PREMAKE + 2), self.db)
        PG.psql("SELECT partman.run_maintenance('public.ev')", self.db)
        now_ahead = ahead(self.db)
        self.assertEqual(len(now_ahead), PREMAKE + 2, now_ahead)
        self.assertEqual(now_ahead[:PREMAKE], premade)
        self.assertEqual(sorted(set(leaves(self.db)) & set(gone)), [])
        self.assertEqual(shown(self.db), sorted(set(leaves(self.db)) - {'ev_default'}))
        self.assertEqual(self.check_default(), [])
        self.assert_contiguous()

        # a second ebb run: nothing new, and pg_partman's new partitions stay
        pu.assert_ok(self, self.archive())
        self.assertEqual(self.ledger(), ledger)
        self.assertEqual(ahead(self.db), now_ahead)
        harness.assert_oracle(self, before, PG, self.db, TABLE)


if __name__ == '__main__':
    unittest.main()
