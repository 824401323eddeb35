"""TimescaleDB hypertables (real TimescaleDB 2.28.3, built from vendor/ by scripts/setup.sh).

Until ebb archives hypertables chunk by chunk (issue 13), a hypertable in a policy is refused
with a message that says what it is, found from TimescaleDB's own catalog (never from chunk
names): nothing is deleted, no object written. Before, it was refused as a table with
inheritance children, with the hint to archive each chunk as a table of its own, which would
have left TimescaleDB's catalog listing chunks whose rows were gone.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import protocol_util as pu  # noqa: E402

HYPERTABLE = """
CREATE EXTENSION timescaledb;
CREATE TABLE ev (ts timestamptz NOT NULL, v int);
SELECT create_hypertable('ev', 'ts', chunk_time_interval => interval '1 day');
INSERT INTO ev SELECT now() - g * interval '1 hour', g FROM generate_series(1, 240) g;
"""


def setUpModule():
    global PG
    PG = harness.Cluster(preload='timescaledb')


def tearDownModule():
    PG.stop()


class HypertableTest(unittest.TestCase):
    def test_a_hypertable_is_refused_and_nothing_is_deleted(self):
        db = pu.new_db(PG, 'ts')
        PG.psql(HYPERTABLE, db)
        chunks = int(PG.query("SELECT count(*) FROM timescaledb_information.chunks"
                              " WHERE hypertable_name = 'ev'", db)[0][0])
        self.assertGreater(chunks, 5)
        before = harness.table_rows_csv(PG, db, 'public.ev')
        dest, path = pu.make_dest(self)
        for extra in ([], ['--dry-run']):
            proc = pu.archive(PG, db, dest, *extra, table='public.ev', time_column='ts')
            harness.assert_error(self, proc, 2, 'ebb: error: database "%s": table "public.ev" is a'
                                 ' TimescaleDB hypertable' % db)
            self.assertIn('Do not archive its chunks as tables of their own', proc.stderr)
            self.assertEqual(harness.table_rows_csv(PG, db, 'public.ev'), before)
            self.assertEqual([f for _, _, files in os.walk(path) for f in files], [])
        # A plain table in the same database is archived as ever.
        PG.psql("CREATE TABLE plain (ts timestamptz NOT NULL); CREATE INDEX ON plain (ts);"
                "INSERT INTO plain SELECT now() - g * interval '1 hour'"
                " FROM generate_series(1, 100) g", db)
        plain = harness.table_rows_csv(PG, db, 'public.plain')
        pu.assert_ok(self, pu.archive(PG, db, dest, table='public.plain', time_column='ts'))
        harness.assert_oracle(self, plain, PG, db, 'public.plain')


if __name__ == '__main__':
    unittest.main()
