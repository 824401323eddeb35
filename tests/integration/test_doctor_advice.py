"""ebb doctor's advice, bloat and rights (real PostgreSQL, pgstattuple from contrib).

- BRIN advice appears for an append-only table (rows in time order) and not for a randomly
  ordered one; --fix --brin builds the BRIN index CONCURRENTLY, measures it, and drops it.
- An index never scanned is named with its size; unique ones and the time index are not.
- The plan of a window's DELETE: a sequential scan before --fix builds the time index, an
  index scan after.
- Bloat: estimated from the catalog, measured with pgstattuple when installed; autovacuum off
  is said.
- Rights: a role missing each right gets the finding and the GRANT; once granted, it is gone.
"""

import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import protocol_util as pu  # noqa: E402

TABLE = 'public.ev'
# 30 MB: over the 8 MB below which no BRIN advice is given.
DDL = """
CREATE TABLE ev (id bigserial PRIMARY KEY, ts timestamptz NOT NULL, payload text, k int);
INSERT INTO ev (ts, payload, k)
  SELECT now() - (200000 - g) * interval '10 seconds', repeat('p', 100), g %% 7
  FROM generate_series(1, 200000) g ORDER BY %s;
CREATE INDEX ev_k ON ev (k);
"""


def setUpModule():
    global PG
    PG = harness.Cluster()


def tearDownModule():
    PG.stop()


class AdviceBase(unittest.TestCase):
    ORDER = 'g'

    def setUp(self):
        self.db = pu.new_db(PG, 'adv')
        PG.psql(DDL % self.ORDER, self.db)
        PG.psql('ANALYZE ev', self.db)

    def doctor(self, *extra, env=None):
        return harness.run_ebb(['doctor', '--table', TABLE, '--time-column', 'ts', '--json']
                               + list(extra), env=dict(PG.env(self.db), **(env or {})))

    def findings(self, proc, check=None):
        events = [json.loads(line) for line in proc.stdout.splitlines()]
        self.assertEqual(events[-1]['event'], 'doctor_table', proc.stdout + proc.stderr)
        return [e for e in events[:-1] if check is None or e['check'] == check]


class AppendOnlyTest(AdviceBase):
    def test_brin_is_advised_and_measured(self):
        proc = self.doctor()
        self.assertEqual(proc.rc, 1, proc.stderr)  # the time index is missing
        [advice] = self.findings(proc, 'index_advice')
        self.assertEqual(advice['severity'], 'note')
        self.assertRegex(advice['message'],
                         r'^rows are stored in time order \(correlation 1\.000\): a BRIN index on '
                         r'"ts" would serve archive\'s windows at \d+ kB \(estimated\) instead of '
                         r'the btree\'s \d+ kB \(estimated\) \(table \d+ MB, ')
        self.assertEqual(advice['fix'], 'CREATE INDEX CONCURRENTLY ON "public"."ev" USING brin '
                                        '("ts")')
        proc = self.doctor('--fix', '--brin')
        pu.assert_ok(self, proc)
        [advice] = self.findings(proc, 'index_advice')
        self.assertIn('kB (measured) instead of the btree\'s', advice['message'])
        # The btree now exists: its size is measured, not estimated.
        btree = int(PG.query("SELECT pg_relation_size('ev_ts_idx')", self.db)[0][0])
        self.assertIn("instead of the btree's %d kB (table" % (btree // 1024), advice['message'])
        # The BRIN index was built, measured and dropped: only the btree is left on ts.
        self.assertEqual(PG.query("SELECT indexrelid::regclass::text FROM pg_index"
                                  " WHERE indrelid = 'ev'::regclass ORDER BY 1", self.db),
                         [('ev_k',), ('ev_pkey',), ('ev_ts_idx',)])

    def test_a_partitioned_table_gets_a_statement_it_can_run(self):
        PG.psql("CREATE TABLE pev (LIKE ev) PARTITION BY RANGE (ts);"
                "CREATE TABLE pev_all PARTITION OF pev FOR VALUES FROM ('-infinity')"
                " TO ('infinity'); INSERT INTO pev SELECT * FROM ev ORDER BY ts; ANALYZE pev",
                self.db)
        proc = harness.run_ebb(['doctor', '--table', 'public.pev', '--time-column', 'ts',
                                '--json', '--fix', '--brin'], env=PG.env(self.db))
        [advice] = self.findings(proc, 'index_advice')
        self.assertIn('(estimated: --brin measures a plain table only)', advice['message'])
        self.assertIn("a partitioned table's index cannot be built CONCURRENTLY",
                      advice['message'])
        self.assertEqual(advice['fix'], 'CREATE INDEX ON "public"."pev" USING brin ("ts")')
        PG.psql(advice['fix'], self.db)  # it runs
        [av] = self.findings(proc, 'autovacuum')
        self.assertIn('autovacuum vacuums the partitions, not the partitioned table',
                      av['message'])

    def test_the_window_plan_before_and_after_the_time_index(self):
        proc = self.doctor('--fix')
        pu.assert_ok(self, proc)
        plans = [f['message'] for f in self.findings(proc, 'window_plan')]
        self.assertEqual(len(plans), 2, plans)
        self.assertRegex(plans[0], r"^plan of a window's DELETE \(before --fix\): Delete on ev .*"
                                   r" / Seq Scan on ev ")
        self.assertRegex(plans[1], r"^plan of a window's DELETE \(after --fix\): Delete on ev .*"
                                   r" / Index Scan using ev_ts_idx on ev ")

    def test_unused_indexes_are_named(self):
        # An exclusion constraint's index is neither unique nor scanned: not advised away.
        PG.psql('ALTER TABLE ev ADD COLUMN r int4range;'
                'ALTER TABLE ev ADD CONSTRAINT ev_r_excl EXCLUDE USING gist (r WITH &&)', self.db)
        proc = self.doctor()
        unused = self.findings(proc, 'unused_index')
        self.assertEqual([u['subject'] for u in unused], ['public.ev_k'])  # not ev_pkey
        size = int(PG.query("SELECT pg_relation_size('ev_k')", self.db)[0][0])
        self.assertIn('index public.ev_k has not been scanned since the statistics began (never '
                      'reset): %d kB that every write maintains' % (size // 1024),
                      unused[0]['message'])
        self.assertEqual(unused[0]['fix'], 'DROP INDEX CONCURRENTLY public.ev_k')
        # Once scanned, it is used.
        PG.psql('SET enable_seqscan = off; SELECT count(*) FROM ev WHERE k = 3', self.db)
        pu.wait_until(lambda: PG.query("SELECT idx_scan FROM pg_stat_user_indexes"
                                       " WHERE indexrelname = 'ev_k'", self.db)[0][0] != '0',
                      'the scan is counted')
        self.assertEqual(self.findings(self.doctor(), 'unused_index'), [])

    def test_bloat_estimated_then_measured_and_autovacuum_off(self):
        PG.psql('ALTER TABLE ev SET (autovacuum_enabled = off)', self.db)
        PG.psql('DELETE FROM ev WHERE id <= 150000', self.db)
        proc = self.doctor()
        [bloat] = self.findings(proc, 'bloat')
        self.assertEqual(bloat['severity'], 'note', bloat)
        self.assertRegex(bloat['message'], r'^\d+ MB of the table\'s \d+ MB \((\d+)%\) is free or '
                                           r'dead space \(estimated from the catalog; ')
        self.assertGreaterEqual(int(bloat['message'].split('(')[1].split('%')[0]), 50)
        self.assertEqual(bloat['fix'], 'ebb reclaim --online --database %s --table public.ev'
                         % self.db)
        [av] = self.findings(proc, 'autovacuum')
        self.assertEqual(av['severity'], 'note')
        self.assertIn('autovacuum is off for the table (150000 dead rows; last vacuum never)',
                      av['message'])
        PG.psql('CREATE EXTENSION pgstattuple', self.db)
        [bloat] = self.findings(self.doctor(), 'bloat')
        self.assertIn('is free or dead space (pgstattuple_approx): ebb reclaim --online or --full'
                      ' gives it back', bloat['message'])
        self.assertGreaterEqual(int(bloat['message'].split('(')[1].split('%')[0]), 50)
        # After VACUUM FULL nothing is wasted.
        PG.psql('VACUUM FULL ev', self.db)
        [bloat] = self.findings(self.doctor(), 'bloat')
        self.assertEqual(bloat['severity'], 'ok', bloat)


class RandomOrderTest(AdviceBase):
    ORDER = 'random()'

    def test_no_brin_advice(self):
        proc = self.doctor()
        [advice] = self.findings(proc, 'index_advice')
        self.assertEqual(advice['severity'], 'ok')
        self.assertRegex(advice['message'], r'^no BRIN advice: rows are not stored in time order: '
                                            r'a btree index suits \(correlation of column "ts" '
                                            r'with the rows\' order -?0\.0\d\d\)')
        self.assertIsNone(advice['fix'])


class RightsTest(AdviceBase):
    def setUp(self):
        super().setUp()
        self.role = 'weak_' + self.db  # roles are the cluster's, databases the test's

    def rights(self, proc):
        return [(f['severity'], f['message'], f['fix']) for f in self.findings(proc, 'rights')]

    def test_a_role_missing_each_right(self):
        PG.psql('CREATE ROLE %s LOGIN; GRANT USAGE ON SCHEMA public TO %s' % (self.role, self.role), self.db)
        PG.psql('CREATE SCHEMA ebb', self.db)  # as archive makes it, owned by another role
        weak = {'PGUSER': self.role}
        proc = self.doctor(env=weak)
        self.assertEqual(proc.rc, 1, proc.stderr)
        self.assertEqual(self.rights(proc), [
            ('problem', 'the role may not SELECT from the table: archive reads the rows it moves',
             'GRANT SELECT ON "public"."ev" TO "%s"' % self.role),
            ('problem', 'the role may not DELETE from the table: archive deletes the rows it '
                        'archived', 'GRANT DELETE ON "public"."ev" TO "%s"' % self.role),
            ('note', 'the role may not INSERT into the table: ebb restore into it needs that',
             'GRANT INSERT ON "public"."ev" TO "%s"' % self.role),
            ('problem', "the role may not use ebb's own tables (schema ebb): archive records "
                        'each object there',
             'GRANT USAGE ON SCHEMA ebb TO "{0}"; GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN'
             ' SCHEMA ebb TO "{0}"; GRANT USAGE ON ALL SEQUENCES IN SCHEMA ebb TO "{0}"'
             .format(self.role))])
        # Each GRANT doctor gave makes its finding go.
        for severity, _, grant in self.rights(proc):
            PG.psql(grant, self.db)
        proc = self.doctor(env=weak)
        self.assertEqual(self.rights(proc), [
            ('ok', "the role has the rights the table's jobs need", None)])

    def test_schema_usage_ebb_tables_one_by_one_and_no_ebb_schema_yet(self):
        PG.psql('CREATE SCHEMA "My.Sch"; ALTER TABLE ev SET SCHEMA "My.Sch";'
                'CREATE INDEX ON "My.Sch".ev (ts);'
                'CREATE ROLE {0} LOGIN; GRANT SELECT, INSERT, DELETE ON "My.Sch".ev TO {0}'
                .format(self.role), self.db)
        env = {'PGUSER': self.role}
        # No schema ebb yet: the right to make it.
        proc = harness.run_ebb(['doctor', '--table', '"My.Sch".ev', '--time-column', 'ts',
                                '--json'], env=dict(PG.env(self.db), **env))
        self.assertEqual(self.rights(proc), [
            ('problem', "the role may not use the table's schema: every job names the table in "
                        'it', 'GRANT USAGE ON SCHEMA "My.Sch" TO "%s"' % self.role),
            ('problem', "the role may not create ebb's own tables (schema ebb, made by the first "
                        'archive run): archive records each object there',
             'GRANT CREATE ON DATABASE "%s" TO "%s"' % (self.db, self.role))])
        for _, _, grant in self.rights(proc):
            PG.psql(grant, self.db)
        # ebb's tables made by an archive run; the role may only read them.
        dest, _ = pu.make_dest(self)
        pu.assert_ok(self, pu.archive(PG, self.db, dest, table='"My.Sch".ev', time_column='ts'))
        PG.psql('GRANT USAGE ON SCHEMA ebb TO {0}; GRANT SELECT ON ALL TABLES IN SCHEMA ebb'
                ' TO {0}'.format(self.role), self.db)
        proc = harness.run_ebb(['doctor', '--table', '"My.Sch".ev', '--time-column', 'ts',
                                '--json'], env=dict(PG.env(self.db), **env))
        self.assertEqual([r[1] for r in self.rights(proc)],
                         ["the role may not use ebb's own tables (schema ebb): archive records "
                          'each object there'])
        PG.psql(self.rights(proc)[0][2], self.db)
        proc = harness.run_ebb(['doctor', '--table', '"My.Sch".ev', '--time-column', 'ts',
                                '--json'], env=dict(PG.env(self.db), **env))
        self.assertEqual(self.rights(proc), [
            ('ok', "the role has the rights the table's jobs need", None)])
        # The role archives (the proof that the rights suffice), and doctor reads its runs.
        PG.psql('INSERT INTO "My.Sch".ev (ts, payload, k) SELECT now() - interval \'30 days\','
                " 'old', 1 FROM generate_series(1, 10)", self.db)
        proc = pu.archive(PG, self.db, dest, table='"My.Sch".ev', time_column='ts', env=env)
        pu.assert_ok(self, proc)
        proc = harness.run_ebb(['doctor', '--table', '"My.Sch".ev', '--time-column', 'ts',
                                '--json'], env=PG.env(self.db))
        [av] = self.findings(proc, 'autovacuum')
        self.assertIn('archive deletes about', av['message'])

    def test_partitions_and_lag_checks(self):
        PG.psql("CREATE ROLE {0} LOGIN; CREATE TABLE pev (ts timestamptz NOT NULL)"
                " PARTITION BY RANGE (ts); CREATE TABLE pev_all PARTITION OF pev"
                " FOR VALUES FROM ('-infinity') TO ('infinity');"
                "GRANT USAGE ON SCHEMA public TO {0}; GRANT SELECT, INSERT, DELETE ON pev TO {0};"
                "REVOKE CREATE ON SCHEMA public FROM PUBLIC; GRANT CREATE ON DATABASE {1} TO {0}"
                .format(self.role, harness.quote_ident(self.db)), self.db)
        conf = os.path.join(tempfile.mkdtemp(dir=harness._tmp_parent()), 'ebb.conf')
        with open(conf, 'w') as f:
            f.write('[table public.pev]\ntime_column = ts\nmax_replica_lag = 64MB\n')
        proc = harness.run_ebb(['doctor', '--config', conf, '--json'],
                               env=dict(PG.env(self.db), PGUSER=self.role))
        self.assertEqual(proc.rc, 1, proc.stderr)
        self.assertEqual(self.rights(proc), [
            ('note', "the role may not CREATE in the table's schema: ebb partition and restore "
                     'create partitions there', 'GRANT CREATE ON SCHEMA "public" TO "%s"' % self.role),
            ('problem', 'the role does not own the partitioned table and each of its partitions:'
                        ' archive detaches and drops archived partitions, which only their owner'
                        ' may', 'ALTER TABLE "public"."pev" OWNER TO "%s" (and each partition)'
             % self.role),
            ('problem', 'the role may not read standbys\' replay positions: max_replica_lag needs'
                        ' pg_read_all_stats (or pg_monitor)',
             'GRANT pg_read_all_stats TO "%s"' % self.role)])


if __name__ == '__main__':
    unittest.main()
