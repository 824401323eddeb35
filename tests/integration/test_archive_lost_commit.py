"""A lost COMMIT reply is resolved from the ledger (DESIGN.md). A loopback proxy between ebb
and the server passes a window's COMMIT on, lets the server answer, and then drops the answer
and the connection: ebb cannot know from the session whether its window committed. It asks
the ledger on a new session, learns that it did, reports the lost session (exit 1), and keeps
the object. The rows are then in exactly one place (the oracle), and the next run writes the
manifest the lost session could not record."""

import os
import select
import socket
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import protocol_util as pu  # noqa: E402

# A simple-protocol Query message holding exactly "COMMIT", as libpq's PQexec sends it.
COMMIT_QUERY = b'Q\x00\x00\x00\x0bCOMMIT\x00'
# The server's answer: CommandComplete "COMMIT", then ReadyForQuery.
COMMIT_DONE = b'C\x00\x00\x00\x0bCOMMIT\x00'


def setUpModule():
    global PG
    PG = harness.Cluster()


def tearDownModule():
    PG.stop()


class ReplyDroppingProxy:
    """Forwards TCP connections to the server. The first connection whose client sends
    COMMIT_QUERY gets it through to the server; once the server's COMMIT_DONE has come back,
    the proxy closes both sides without passing it on. Every other byte and connection is
    passed through untouched."""

    def __init__(self, server_port):
        self.server_port = server_port
        self.listener = socket.socket()
        self.listener.bind(('127.0.0.1', 0))
        self.listener.listen(8)
        self.port = self.listener.getsockname()[1]
        self.dropped = threading.Event()
        self.lock = threading.Lock()
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(('127.0.0.1', self.server_port))
            threading.Thread(target=self.pump, args=(client, server), daemon=True).start()

    def pump(self, client, server):
        armed = False  # this connection sent COMMIT and its answer is being watched for
        seen = b''
        try:
            while True:
                readable, _, _ = select.select([client, server], [], [])
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    if sock is client:
                        with self.lock:
                            if COMMIT_QUERY in data and not self.dropped.is_set() and not armed:
                                armed = True
                        server.sendall(data)
                        continue
                    if armed:
                        seen += data
                        if COMMIT_DONE in seen:
                            self.dropped.set()
                            return  # the answer is dropped with the connection
                        continue
                    client.sendall(data)
        finally:
            client.close()
            server.close()

    def close(self):
        self.listener.close()


class LostCommitTest(unittest.TestCase):
    def setUp(self):
        self.db = pu.new_db(PG)
        self.dest, self.path = pu.make_dest(self)
        pu.create_events(PG, self.db)
        pu.four_old_hours(PG, self.db)
        self.before = pu.snapshot(PG, self.db)
        self.proxy = ReplyDroppingProxy(PG.port)
        self.addCleanup(self.proxy.close)

    def test_lost_commit_reply_resolved_from_the_ledger(self):
        # ebb's tables first, directly: the proxied run's first COMMIT is then its first
        # window's, not that of the migration that creates them
        pu.assert_ok(self, pu.archive(PG, self.db, self.dest, keep_days=7))
        dsn = 'host=127.0.0.1 port=%d user=postgres dbname=%s sslmode=disable' % (
            self.proxy.port, self.db)
        proc = harness.run_ebb(pu.archive_args(self.dest) + ['--dsn', dsn])
        self.assertTrue(self.proxy.dropped.is_set(), proc.stderr)
        self.assertEqual(proc.rc, 1, proc.stdout + proc.stderr)
        entries = pu.ledger(PG, self.db)
        self.assertEqual(len(entries), 1)  # the first window committed; nothing after it ran
        key = entries[0]['object_key']
        self.assertIn('ebb: error: database "%s": connection lost after COMMIT of "%s" (the'
                      ' ledger shows it committed)' % (self.db, key), proc.stderr.splitlines())
        self.assertIn('archived 5 rows in 1 objects before failing', proc.stdout)
        # the committed object stays, and its rows are in exactly one place
        pu.wait_backends_gone(PG, self.db)
        self.assertTrue(os.path.isfile(os.path.join(self.path, key)))
        left, archived = harness.assert_oracle(self, self.before, PG, self.db, pu.TABLE)
        self.assertEqual((pu.sum_counter(left), pu.sum_counter(archived)), (18, 5))

        # the next run (directly, no proxy) archives the rest and settles every manifest
        pu.assert_ok(self, pu.archive(PG, self.db, self.dest))
        entries = pu.ledger(PG, self.db)
        self.assertEqual(len(entries), 4)
        for entry in entries:
            self.assertTrue(entry['manifest_written'], entry)
            pu.assert_manifest_matches(self, self.path, entry)
        left, archived = harness.assert_oracle(self, self.before, PG, self.db, pu.TABLE)
        self.assertEqual((pu.sum_counter(left), pu.sum_counter(archived)), (3, 20))


if __name__ == '__main__':
    unittest.main()
