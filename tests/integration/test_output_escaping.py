"""Bytes that ebb prints but did not write itself (a column name from argv, a database's name, a
server's message, the names of files found in the store) never reach the terminal raw: control
bytes and invalid UTF-8 come out as \\xNN, in stderr and in stdout's lines, so that no value can
forge a line or send a terminal escape; and --json lines stay valid JSON (UTF-8). Output that
cannot be written (stdout on a full disk) fails the command (exit 1) instead of vanishing."""

import json
import os
import subprocess
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


ESC = '\x1b[2J'


class EscapingTest(unittest.TestCase):
    def setUp(self):
        self.db = pu.new_db(PG, 'esc')
        self.dest, self.path = pu.make_dest(self)
        pu.create_events(PG, self.db)
        pu.four_old_hours(PG, self.db)

    def assert_clean(self, text):
        self.assertNotIn('\x1b', text)
        self.assertNotIn('\r', text)

    def test_a_column_name_from_argv(self):
        proc = pu.archive(PG, self.db, self.dest, time_column='ts' + ESC)
        self.assertEqual(proc.rc, 2, proc.stderr)
        self.assert_clean(proc.stderr)
        self.assertIn('column "ts\\x1b[2J" of table "analytics.events" does not exist',
                      proc.stderr)

    def test_a_server_message(self):
        PG.psql("CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                " RAISE EXCEPTION E'boom \\x1b[31m red\\nforged: line'; END $$;"
                "CREATE TRIGGER b BEFORE DELETE ON analytics.events FOR EACH ROW"
                " EXECUTE FUNCTION boom()", self.db)
        proc = pu.archive(PG, self.db, self.dest, '--allow-delete-triggers')
        self.assertEqual(proc.rc, 1, proc.stderr)
        self.assert_clean(proc.stderr)
        self.assertIn('boom \\x1b[31m red\\x0aforged: line', proc.stderr)
        self.assertFalse(any(l.startswith('forged') for l in proc.stderr.splitlines()))

    def test_a_database_name(self):
        name = 'evil' + ESC + 'db'
        PG.psql('CREATE DATABASE %s' % harness.quote_ident(name))
        proc = harness.run_ebb(['archive', '--all-databases', '--include', 'evil*', '--table',
                                pu.TABLE, '--time-column', pu.TIME_COLUMN, '--dest', self.dest],
                               env=PG.env(self.db))
        self.assertEqual(proc.rc, 0, proc.stderr)
        self.assert_clean(proc.stdout + proc.stderr)
        self.assertEqual(proc.stdout, 'evil\\x1b[2Jdb: analytics.events: skipped: the table does'
                         ' not exist in this database\n')

    def test_file_names_found_by_verify(self):
        pu.assert_ok(self, pu.archive(PG, self.db, self.dest))
        folder = os.path.join(self.path, self.db, 'analytics.events')
        names = [b'evil\x1b[2J.csv.zst', b'fake\nx: analytics.events: all fine\n.csv.zst',
                 b'bad\xff\xfe.csv.zst']
        for n in names:
            with open(os.path.join(os.fsencode(folder), n), 'wb') as f:
                f.write(b'x')
        env = PG.env(self.db)
        proc = harness.run_ebb(['verify', '--table', pu.TABLE], env=env)
        self.assertEqual(proc.rc, 0, proc.stdout + proc.stderr)
        self.assert_clean(proc.stdout)
        lines = proc.stdout.splitlines()
        self.assertEqual(len(lines), 4, proc.stdout)  # three orphans and the summary
        self.assertIn('orphan object "%s/analytics.events/evil\\x1b[2J.csv.zst"' % self.db,
                      proc.stdout)
        self.assertIn('fake\\x0ax: analytics.events: all fine\\x0a.csv.zst', proc.stdout)
        self.assertIn('bad\\xff\\xfe.csv.zst', proc.stdout)
        proc = harness.run_ebb(['verify', '--table', pu.TABLE, '--json'], env=env)
        keys = {json.loads(l).get('key') for l in proc.stdout.splitlines()}
        self.assertIn('%s/analytics.events/evil\x1b[2J.csv.zst' % self.db, keys)
        self.assertIn('%s/analytics.events/bad\u00ff\u00fe.csv.zst' % self.db, keys)


    def test_stdout_on_a_full_disk(self):
        before = pu.snapshot(PG, self.db)
        with open('/dev/full', 'w') as full:
            proc = subprocess.run([harness.ebb_bin()] + pu.archive_args(self.dest),
                                  stdout=full, stderr=subprocess.PIPE, text=True,
                                  env=harness._clean_env(PG.env(self.db)), timeout=120)
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertEqual(proc.stderr, 'ebb: error: could not write to standard output\n')
        # the archive itself went through: only its report was lost
        harness.assert_oracle(self, before, PG, self.db, pu.TABLE, archived=20)


if __name__ == '__main__':
    unittest.main()
