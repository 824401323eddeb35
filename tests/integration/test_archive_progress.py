"""The progress line: on a terminal, one line rewritten in place ("\\r", erase line) with the
rows so far and how far through the time range; cleared at the end. Not on a pipe, not with
--json: machine output stays clean."""

import os
import pty
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


class ProgressTest(unittest.TestCase):
    def setUp(self):
        self.db = pu.new_db(PG)
        self.dest, self.path = pu.make_dest(self)
        pu.predictable_events(PG, self.db)

    def run_on_terminal(self, *extra):
        """ebb with its stderr on a pseudo-terminal; returns (rc, stdout, terminal bytes)."""
        master, slave = pty.openpty()
        args = [harness.ebb_bin()] + pu.archive_args(self.dest, *extra)
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=slave, env=harness._clean_env(PG.env(self.db)))
        os.close(slave)
        out = proc.stdout.read()
        proc.stdout.close()
        seen = b''
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the terminal's last writer is gone
                break
            if not chunk:
                break
            seen += chunk
        os.close(master)
        return proc.wait(timeout=120), out.decode(), seen

    def test_progress_on_a_terminal(self):
        rc, out, seen = self.run_on_terminal()
        self.assertEqual(rc, 0, out + seen.decode(errors='replace'))
        updates = [u for u in seen.split(b'\r\x1b[K') if u]
        self.assertGreaterEqual(len(updates), 1, seen)
        first = updates[0].decode()
        self.assertRegex(first, r'^%s analytics\.events: \d+ rows, at \d{4}-\d\d-\d\d '
                         r'\d\d:\d\d:\d\d \(\d+%%\)$' % self.db)
        self.assertTrue(seen.endswith(b'\r\x1b[K'), seen[-80:])  # cleared at the end
        self.assertIn('archived 672 rows in 672 objects', out)

    def test_no_progress_with_json_or_on_a_pipe(self):
        rc, out, seen = self.run_on_terminal('--json')
        self.assertEqual(rc, 0, out)
        self.assertEqual(seen, b'')
        proc = pu.archive(PG, self.db, self.dest)  # stderr is a pipe: nothing to report
        pu.assert_ok(self, proc)
        self.assertEqual(proc.stderr, '')


if __name__ == '__main__':
    unittest.main()
