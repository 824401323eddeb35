"""ebb verify against file:// destinations: after a normal archive run every object reads back
as the ledger and its manifest say; a flipped byte, a truncated, deleted or unreadable object,
and a missing or wrong manifest are reported by key with exit status 1; orphans (planted
objects, temp files, the leftover of a kill -9) are reported with exit status 0, and
`--gc` removes them and aborts nothing else: every ledger object stays, verify passes after
it and the row oracle holds. `--gc` skips a table whose advisory lock another session holds
(exit 3). --from/--to choose the objects read; --json lines parse."""

import hashlib
import json
import os
import shutil
import signal
import stat
import subprocess
import tempfile
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import protocol_util as pu  # noqa: E402


def setUpModule():
    global PG
    PG = harness.Cluster()


def tearDownModule():
    PG.stop()


PENDING = 'not written yet; the next archive run writes it'
# --gc with the shortest --older-than that these session settings allow (3 x 1s + 2 x 1s)
GC = ('--gc', '--statement-timeout', '1s', '--idle-timeout', '1s', '--older-than', '5s')
ZSTD_CHECKSUM = 'could not decompress with zstd: Restored data doesn\'t match checksum'


def backdate(path, seconds=3600 * 2):
    """Sets a file's mtime into the past, so that --older-than sees an old orphan without the
    test waiting for one to age."""
    t = time.time() - seconds
    os.utime(path, (t, t))


class VerifyBase(unittest.TestCase):
    compression = 'zstd'

    def setUp(self):
        self.db = pu.new_db(PG)
        self.dest, self.path = pu.make_dest(self)
        pu.create_events(PG, self.db)
        pu.four_old_hours(PG, self.db)
        self.before = pu.snapshot(PG, self.db)
        pu.assert_ok(self, pu.archive(PG, self.db, self.dest, '--compress', self.compression))
        self.entries = pu.ledger(PG, self.db)
        self.assertEqual([e['rows'] for e in self.entries], [5, 5, 5, 5])
        self.bytes = sum(e['bytes'] for e in self.entries)

    def verify(self, *extra, table=pu.TABLE):
        return harness.run_ebb(['verify', '--table', table] + [str(a) for a in extra],
                               env=PG.env(self.db))

    def line(self, text):
        return '%s: analytics.events: %s' % (self.db, text)

    def summary(self, objects=4, rows=20, nbytes=None, missing=0, corrupt=0, orphans=0,
                removed=None, pending=0):
        text = 'checked %d objects (%d rows, %d bytes): %d missing, %d corrupt, %d orphans' % (
            objects, rows, self.bytes if nbytes is None else nbytes, missing, corrupt, orphans)
        if removed is not None:
            text += ' (%d removed)' % removed
        text += ', 0 unfinished uploads'
        if removed is not None:
            text += ' (0 aborted)'
        if pending:
            text += ', %d pending manifests' % pending
        return self.line(text)

    def assert_output(self, proc, rc, lines):
        self.assertEqual((proc.rc, proc.stdout.splitlines()), (rc, lines),
                         'stderr:\n' + proc.stderr)
        self.assertEqual(proc.stderr, '')

    def object_path(self, entry):
        return os.path.join(self.path, entry['object_key'])

    def manifest_path(self, entry):
        return self.object_path(entry) + '.manifest.json'

    def assert_ledger_intact(self):
        """Every ledger object and its manifest is in place and as the ledger says; the rows
        left plus the rows archived are the rows before."""
        entries = pu.ledger(PG, self.db)
        for e in entries:
            pu.assert_manifest_matches(self, self.path, e)
        harness.assert_oracle(self, self.before, PG, self.db, pu.TABLE)
        return entries


class VerifyObjectsTest(VerifyBase):
    def test_everything_ok(self):
        self.assert_output(self.verify(), 0, [self.summary()])
        # the default database of the session, named in full, and --dest adds nothing here
        self.assert_output(self.verify('--dest', self.dest, '--database', self.db), 0,
                           [self.summary()])

    def test_flipped_byte(self):
        e = self.entries[1]
        with open(self.object_path(e), 'r+b') as f:
            f.seek(-1, os.SEEK_END)  # in the frame's checksum: the error is always the same
            last = f.read(1)
            f.seek(-1, os.SEEK_END)
            f.write(bytes([last[0] ^ 0x20]))
        sha = pu.sha256_file(self.object_path(e))
        key = e['object_key']
        self.assert_output(self.verify(), 1, [
            self.line('corrupt object "%s": sha256 is %s, ledger says %s' % (key, sha, e['sha256'])),
            self.line('corrupt object "%s": %s' % (key, ZSTD_CHECKSUM)),
            self.summary(rows=15, corrupt=1)])

    def test_deleted_object(self):
        e = self.entries[0]
        os.unlink(self.object_path(e))
        self.assert_output(self.verify(), 1, [
            self.line('missing object "%s"' % e['object_key']),
            self.summary(objects=3, rows=15, nbytes=self.bytes - e['bytes'], missing=1)])

    def test_deleted_manifest(self):
        e = self.entries[2]
        os.unlink(self.manifest_path(e))
        self.assert_output(self.verify(), 1, [
            self.line('missing manifest "%s.manifest.json"' % e['object_key']),
            self.summary(missing=1)])

    def test_pending_manifest_is_no_damage(self):
        """A crash between COMMIT and the manifest: the ledger says it is not written yet."""
        e = self.entries[3]
        os.unlink(self.manifest_path(e))
        PG.psql("UPDATE ebb.archive_ledger SET manifest_written = false WHERE object_key = %s"
                % harness.quote_literal(e['object_key']), self.db)
        self.assert_output(self.verify(), 0, [
            self.line('pending manifest "%s.manifest.json": %s' % (e['object_key'], PENDING)),
            self.summary(pending=1)])
        # the next archive run writes it
        pu.assert_ok(self, pu.archive(PG, self.db, self.dest))
        self.assert_output(self.verify(), 0, [self.summary()])
        self.assert_ledger_intact()

    def test_truncated_object(self):
        e = self.entries[3]
        with open(self.object_path(e), 'r+b') as f:
            f.truncate(e['bytes'] // 2)
        sha = pu.sha256_file(self.object_path(e))
        key = e['object_key']
        self.assert_output(self.verify(), 1, [
            self.line('corrupt object "%s": bytes is %d, ledger says %d'
                      % (key, e['bytes'] // 2, e['bytes'])),
            self.line('corrupt object "%s": sha256 is %s, ledger says %s' % (key, sha, e['sha256'])),
            self.line('corrupt object "%s": could not decompress with zstd: unexpected end of data'
                      % key),
            self.summary(rows=15, nbytes=self.bytes - e['bytes'] + e['bytes'] // 2, corrupt=1)])

    def test_wrong_and_unreadable_manifests(self):
        a, b = self.entries[0], self.entries[1]
        m = pu.manifest(self.path, a['object_key'])
        m['rows'] = 6
        m['bytes'] = str(m['bytes'])
        m['sha256'] = 'ab' * 32
        del m['object']
        with open(self.manifest_path(a), 'w') as f:
            json.dump(m, f)
        with open(self.manifest_path(b), 'r+') as f:
            f.truncate(40)
        self.assert_output(self.verify(), 1, [
            self.line('corrupt manifest "%s.manifest.json": it has no "object"' % a['object_key']),
            self.line('corrupt manifest "%s.manifest.json": rows is 6, ledger says 5'
                      % a['object_key']),
            self.line('corrupt manifest "%s.manifest.json": its "bytes" is not a whole number'
                      % a['object_key']),
            self.line('corrupt manifest "%s.manifest.json": sha256 is %s, ledger says %s'
                      % (a['object_key'], 'ab' * 32, a['sha256'])),
            self.line('corrupt manifest "%s.manifest.json": could not read it: invalid JSON: '
                      'unterminated string at the end of the text' % b['object_key']),
            self.summary(corrupt=2)])

    def test_ledger_row_without_its_object_in_another_destination(self):
        """Each ledger row is read from its own destination."""
        e = self.entries[0]
        other, other_path = pu.make_dest(self)
        PG.psql("UPDATE ebb.archive_ledger SET dest = %s WHERE object_key = %s"
                % (harness.quote_literal(other), harness.quote_literal(e['object_key'])),
                self.db)
        # the object itself stays where it is: there it is no orphan, since the ledger names it
        self.assert_output(self.verify(), 1, [
            self.line('missing object "%s"' % e['object_key']),
            self.line('missing manifest "%s.manifest.json"' % e['object_key']),
            self.summary(objects=3, rows=15, nbytes=self.bytes - e['bytes'], missing=2)])

    def test_range(self):
        """--from/--to read only the objects whose window overlaps the range."""
        e = self.entries
        os.unlink(self.object_path(e[0]))
        os.unlink(self.object_path(e[3]))
        middle = e[1]['bytes'] + e[2]['bytes']
        # windows [h1, h2) and [h2, h3): ends after h1, starts before h3
        self.assert_output(self.verify('--from', e[1]['window_start'], '--to', e[2]['window_end']),
                           0, [self.summary(objects=2, rows=10, nbytes=middle)])
        # half an hour into the first and last windows takes them in
        proc = self.verify('--from', e[0]['window_start'][:14] + '30:00')
        self.assertEqual(proc.rc, 1)
        self.assertEqual(proc.stdout.splitlines()[-1],
                         self.summary(objects=2, rows=10, nbytes=middle, missing=2))
        self.assert_output(self.verify('--to', e[0]['window_end']), 1, [
            self.line('missing object "%s"' % e[0]['object_key']),
            self.summary(objects=0, rows=0, nbytes=0, missing=1)])
        self.assert_output(self.verify('--from', e[3]['window_end']), 0,
                           [self.summary(objects=0, rows=0, nbytes=0)])

    def test_bad_range_is_a_usage_error(self):
        proc = self.verify('--from', 'yesterday-ish')
        self.assertEqual((proc.rc, proc.stdout), (2, ''))
        self.assertEqual(proc.stderr.splitlines(), [
            'ebb: error: database "%s": invalid value "yesterday-ish" for option --from' % self.db,
            'ebb: detail: PostgreSQL could not read it: invalid input syntax for type timestamp'
            ' with time zone: "yesterday-ish".',
            'ebb: hint: Use a timestamp such as "2026-11-22 04:00:00".'])

    def test_json(self):
        e = self.entries[0]
        os.unlink(self.object_path(e))
        orphan = os.path.join(self.path, self.db, 'analytics.events', 'stray.csv.zst')
        with open(orphan, 'wb') as f:
            f.write(b'not ours')
        proc = self.verify('--json')
        self.assertEqual((proc.rc, proc.stderr), (1, ''))
        lines = [json.loads(line) for line in proc.stdout.splitlines()]
        head = {'database': self.db, 'schema': 'analytics', 'table': 'events'}
        self.assertEqual(lines[0], dict(head, event='missing_object', dest=self.dest,
                                        key=e['object_key']))
        self.assertEqual(lines[1]['modified'][-1], 'Z')
        self.assertEqual(lines[1], dict(head, event='orphan', dest=self.dest,
                                        key='%s/analytics.events/stray.csv.zst' % self.db,
                                        bytes=8, modified=lines[1]['modified'], action=None,
                                        reason=None))
        self.assertEqual(lines[2], dict(
            head, event='table', status='problems', objects=3, rows=15,
            bytes=self.bytes - e['bytes'], missing=1, corrupt=0, missing_objects=1,
            corrupt_objects=0, missing_manifests=0, corrupt_manifests=0, pending_manifests=0,
            orphans=1, orphans_removed=0, uploads=0, uploads_aborted=0, unexpected=0))
        self.assertEqual(len(lines), 3)

    def test_no_ledger_in_a_database(self):
        """A database where nothing was ever archived has nothing to check; orphans under its
        prefix are reported, but with no ledger to vouch for anything --gc removes nothing."""
        db = pu.new_db(PG)
        pu.create_events(PG, db)
        stray = os.path.join(self.path, db, 'analytics.events', 'x.csv.zst')
        os.makedirs(os.path.dirname(stray))
        with open(stray, 'w') as f:
            f.write('x')
        backdate(stray)
        proc = harness.run_ebb(['verify', '--table', pu.TABLE, '--dest', self.dest, '--gc'],
                               env=PG.env(db))
        self.assertEqual((proc.rc, proc.stdout.splitlines(), proc.stderr.splitlines()), (0, [
            '%s: analytics.events: orphan object "%s/analytics.events/x.csv.zst"' % (db, db),
            '%s: analytics.events: checked 0 objects (0 rows, 0 bytes): 0 missing, 0 corrupt,'
            ' 1 orphans (0 removed), 0 unfinished uploads (0 aborted)' % db], [
            'ebb: warning: database "%s": there is no ledger (ebb.archive_ledger): orphans are'
            ' reported, not removed' % db]))
        self.assertTrue(os.path.exists(stray))
        self.assertFalse(pu.has_ebb_schema(PG, db))  # verify creates nothing

    def test_missing_table(self):
        proc = self.verify(table='analytics.nothing')
        self.assertEqual((proc.rc, proc.stdout), (2, ''))
        self.assertEqual(proc.stderr.splitlines(),
                         ['ebb: error: database "%s": table "analytics.nothing" does not exist'
                          % self.db])
        proc = harness.run_ebb(['verify', '--table', 'analytics.nothing', '--all-databases',
                                '--include', self.db], env=PG.env())
        self.assertEqual((proc.rc, proc.stdout.splitlines(), proc.stderr), (0, [
            '%s: analytics.nothing: skipped: the table does not exist in this database'
            % self.db], ''))


class VerifyUncompressedTest(VerifyBase):
    compression = 'none'

    def test_rows_are_counted(self):
        self.assert_output(self.verify(), 0, [self.summary()])
        e = self.entries[2]
        with open(self.object_path(e), 'rb') as f:
            lines = f.read().split(b'\n')
        kept = b'\n'.join(lines[:3]) + b'\n'  # the header and two rows (no raw line ends inside)
        with open(self.object_path(e), 'wb') as f:
            f.write(kept)
        key = e['object_key']
        self.assert_output(self.verify(), 1, [
            self.line('corrupt object "%s": bytes is %d, ledger says %d'
                      % (key, len(kept), e['bytes'])),
            self.line('corrupt object "%s": sha256 is %s, ledger says %s'
                      % (key, hashlib.sha256(kept).hexdigest(), e['sha256'])),
            self.line('corrupt object "%s": rows is 2, ledger says 5' % key),
            self.summary(rows=17, nbytes=self.bytes - e['bytes'] + len(kept), corrupt=1)])


class VerifyGzipTest(VerifyBase):
    compression = 'gzip'

    def test_truncated(self):
        self.assert_output(self.verify(), 0, [self.summary()])
        e = self.entries[0]
        with open(self.object_path(e), 'r+b') as f:
            f.truncate(e['bytes'] - 4)  # without ISIZE
        sha = pu.sha256_file(self.object_path(e))
        key = e['object_key']
        self.assert_output(self.verify(), 1, [
            self.line('corrupt object "%s": bytes is %d, ledger says %d'
                      % (key, e['bytes'] - 4, e['bytes'])),
            self.line('corrupt object "%s": sha256 is %s, ledger says %s' % (key, sha, e['sha256'])),
            self.line('corrupt object "%s": could not decompress with gzip: unexpected end of data'
                      % key),
            self.summary(rows=15, nbytes=self.bytes - 4, corrupt=1)])


class VerifyOrphansTest(VerifyBase):
    def plant(self):
        """An orphan object, a temp file beside a ledger object, and the manifest of an object
        that was never committed; plus a file of another table, which is not this one's."""
        e = self.entries[0]
        prefix = '%s/analytics.events/' % self.db
        self.orphans = sorted([
            os.path.dirname(e['object_key']) + '/orphan_run.csv.zst',
            e['object_key'] + '.tmp4242',
            prefix + 'dt=2020-01-01/hour=00/20200101T000000_r.csv.zst.manifest.json'])
        for key in self.orphans:
            path = os.path.join(self.path, key)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, 'wb') as f:
                f.write(b'planted')
        self.other = os.path.join(self.path, self.db, 'analytics.events2', 'x.csv.zst')
        os.makedirs(os.path.dirname(self.other))
        with open(self.other, 'wb') as f:
            f.write(b'another table')

    def orphan_lines(self, suffix=''):
        return [self.line('orphan object "%s"%s' % (k, suffix)) for k in self.orphans]

    def test_reported_not_a_failure(self):
        self.plant()
        self.assert_output(self.verify(), 0, self.orphan_lines() + [self.summary(orphans=3)])
        self.assertTrue(all(os.path.exists(os.path.join(self.path, k)) for k in self.orphans))

    def test_gc_keeps_young_orphans(self):
        self.plant()
        self.assert_output(self.verify('--gc'), 0, self.orphan_lines(': kept, not older than 152min') +
                           [self.summary(orphans=3, removed=0)])
        self.assertTrue(all(os.path.exists(os.path.join(self.path, k)) for k in self.orphans))

    def test_gc_removes_orphans_and_nothing_else(self):
        self.plant()
        for key in self.orphans:
            backdate(os.path.join(self.path, key))
        backdate(self.other)
        self.assert_output(self.verify(*GC), 0,
                           self.orphan_lines(': removed') + [self.summary(orphans=3, removed=3)])
        self.assertFalse(any(os.path.exists(os.path.join(self.path, k)) for k in self.orphans))
        self.assertTrue(os.path.exists(self.other))
        entries = self.assert_ledger_intact()
        self.assertEqual(pu.leftovers(self.path, entries),
                         {os.path.relpath(self.other, self.path)})
        self.assert_output(self.verify(), 0, [self.summary()])

    def test_gc_keeps_an_orphan_with_a_manifest(self):
        """An object no ledger row names but with a manifest beside it was committed by some
        ledger (another server's database of the same name, say): it may be the only copy."""
        e = self.entries[1]
        key = os.path.dirname(e['object_key']) + '/20200101T000000_elsewhere.csv.zst'
        for src, dst in ((e['object_key'], key),
                         (e['object_key'] + '.manifest.json', key + '.manifest.json')):
            with open(os.path.join(self.path, src), 'rb') as f:
                data = f.read()
            with open(os.path.join(self.path, dst), 'wb') as f:
                f.write(data)
            backdate(os.path.join(self.path, dst))
        reason = ': kept, a manifest says it was committed'
        self.assert_output(self.verify(*GC), 0, [
            self.line('orphan object "%s"%s' % (key, reason)),
            self.line('orphan object "%s.manifest.json"%s' % (key, reason)),
            self.summary(orphans=2, removed=0)])
        self.assertTrue(os.path.exists(os.path.join(self.path, key)))

    def test_symlinks_and_other_entries_are_reported_never_followed_or_removed(self):
        """ebb writes regular files only: a symbolic link (to a file, to a directory of files
        that would be orphans) or a FIFO in the table's folder is reported as what it is, and
        neither verify nor --gc follows, reads or removes it."""
        outside = tempfile.mkdtemp(prefix='ebb-outside-', dir=os.path.dirname(self.path))
        self.addCleanup(shutil.rmtree, outside, True)
        with open(os.path.join(outside, 'precious.csv.zst'), 'wb') as f:
            f.write(b'not the archive\'s')
        folder = os.path.dirname(self.entries[0]['object_key'])
        links = {folder + '/link_to_file.csv.zst': os.path.join(outside, 'precious.csv.zst'),
                 folder + '/link_to_dir': outside}
        for key, target in links.items():
            os.symlink(target, os.path.join(self.path, key))
            os.utime(os.path.join(self.path, key), (0, 0), follow_symlinks=False)
        fifo = folder + '/fifo'
        os.mkfifo(os.path.join(self.path, fifo))
        backdate(os.path.join(self.path, fifo))
        found = [self.line('unexpected entry "%s": %s, left alone' % (key, what))
                 for key, what in sorted([(fifo, 'a FIFO')] + [
                     (k, 'a symbolic link') for k in links])]
        self.assert_output(self.verify(), 0, found + [self.summary() + ', 3 unexpected entries'])
        self.assert_output(self.verify(*GC), 0, found + [
            self.summary(removed=0) + ', 3 unexpected entries'])
        for key, target in links.items():
            self.assertEqual(os.readlink(os.path.join(self.path, key)), target)
        self.assertTrue(stat.S_ISFIFO(os.lstat(os.path.join(self.path, fifo)).st_mode))
        self.assertEqual(os.listdir(outside), ['precious.csv.zst'])
        proc = self.verify('--json')
        events = [json.loads(l) for l in proc.stdout.splitlines()]
        self.assertEqual(sorted((e['event'], e['key'], e['what']) for e in events[:-1]),
                         sorted([('unexpected_entry', k, 'a symbolic link') for k in links]
                                + [('unexpected_entry', fifo, 'a FIFO')]))
        self.assertEqual((events[-1]['unexpected'], events[-1]['orphans']), (3, 0))
        self.assert_ledger_intact()

    def test_gc_skips_a_locked_table(self):
        self.plant()
        for key in self.orphans:
            backdate(os.path.join(self.path, key))
        (oid_key,), = PG.query('SELECT (c.oid::int8 - CASE WHEN c.oid::int8 > 2147483647'
                               ' THEN 4294967296 ELSE 0 END)::int4 FROM pg_class c'
                               " WHERE c.oid = 'analytics.events'::regclass", self.db)
        holder = subprocess.Popen([str(PG.bindir / 'psql'), '-X', '-q', '-At', '-v',
                                   'ON_ERROR_STOP=1', '-d', PG.dsn(self.db)],
                                  stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                  env=harness._clean_env(), text=True)
        self.addCleanup(pu.kill_if_running, holder)
        holder.stdin.write('SELECT pg_advisory_lock(%d, %s);\n' % (pu.LOCK_CLASS, oid_key))
        holder.stdin.flush()
        pu.wait_until(lambda: PG.query(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = %d"
            " AND objsubid = 2 AND granted AND database = (SELECT oid FROM pg_database"
            " WHERE datname = current_database())" % pu.LOCK_CLASS, self.db) == [('1',)],
            'psql holds the lock')

        proc = self.verify(*GC)
        self.assertEqual((proc.rc, proc.stdout, proc.stderr.splitlines()), (3, '', [
            'ebb: warning: database "%s": table "analytics.events" is being archived by another'
            ' ebb' % self.db,
            'ebb: detail: Its advisory lock is held by another session (an archive run, a'
            ' restore, or ebb verify --gc); skipped.',
            'ebb: hint: verify --gc removes orphans only under the table\'s lock.']))
        self.assertTrue(all(os.path.exists(os.path.join(self.path, k)) for k in self.orphans))
        # without --gc verify takes no lock: it reads and reports as ever
        self.assert_output(self.verify(), 0, self.orphan_lines() + [self.summary(orphans=3)])

        holder.stdin.close()
        self.assertEqual(holder.wait(timeout=60), 0)
        pu.wait_backends_gone(PG, self.db)
        self.assert_output(self.verify(*GC), 0,
                           self.orphan_lines(': removed') + [self.summary(orphans=3, removed=3)])
        self.assert_ledger_intact()


class GcAgeFloorTest(VerifyBase):
    """--older-than never goes below the longest a window's object may wait for its COMMIT:
    3 x --statement-timeout + 2 x --idle-timeout, the settings the archive runs use."""

    def assert_stderr(self, proc, rc, first, rest):
        self.assertEqual((proc.rc, proc.stderr.splitlines()), (rc, [first] + rest), proc.stdout)

    def plant_old_orphan(self):
        key = os.path.dirname(self.entries[0]['object_key']) + '/orphan_run.csv.zst'
        with open(os.path.join(self.path, key), 'wb') as f:
            f.write(b'planted')
        backdate(os.path.join(self.path, key), 3600 * 24)
        return key

    def test_shorter_older_than_is_refused(self):
        key = self.plant_old_orphan()
        proc = self.verify('--gc', '--older-than', '1ms')
        self.assert_stderr(
            proc, 2, 'ebb: error: --older-than 1ms is shorter than an archive window may'
            ' stay open',
            ['ebb: detail: An archive run may write a window\'s object up to 152min before the'
             ' window commits (3 x --statement-timeout 30min + 2 x --idle-timeout 31min, which'
             ' is 3 x --s3-timeout 10min plus 1min); a younger orphan may be an object in'
             ' flight.',
             'ebb: hint: Use --older-than 152min or more, or give verify the --statement-timeout'
             ' and --idle-timeout that the archive runs use (in [defaults] of a shared config'
             ' file).'])
        self.assertEqual(proc.stdout, '')
        proc = self.verify('--gc', '--older-than', '4999ms', '--statement-timeout', '1s',
                           '--idle-timeout', '1s')
        self.assert_stderr(
            proc, 2, 'ebb: error: --older-than 4999ms is shorter than an archive window'
            ' may stay open',
            ['ebb: detail: An archive run may write a window\'s object up to 5s before the window'
             ' commits (3 x --statement-timeout 1s + 2 x --idle-timeout 1s); a younger orphan'
             ' may be an object in flight.',
             'ebb: hint: Use --older-than 5s or more, or give verify the --statement-timeout and'
             ' --idle-timeout that the archive runs use (in [defaults] of a shared config'
             ' file).'])
        self.assertTrue(os.path.exists(os.path.join(self.path, key)))
        self.assert_ledger_intact()

    def test_settings_from_a_shared_config_file(self):
        """archive and verify read the session settings from one [defaults]: the floor follows
        them (and --s3-timeout, from which an unset --idle-timeout is derived)."""
        key = self.plant_old_orphan()
        cfg = os.path.join(self.path, 'ebb.conf')
        with open(cfg, 'w') as f:
            f.write('[defaults]\nstatement-timeout = 2s\ns3-timeout = 1min\n')
        proc = self.verify('--config', cfg, '--gc', '--older-than', '10min')
        self.assert_stderr(
            proc, 2, 'ebb: error: --older-than 10min is shorter than an archive window'
            ' may stay open',
            ['ebb: detail: An archive run may write a window\'s object up to 606s before the'
             ' window commits (3 x --statement-timeout 2s + 2 x --idle-timeout 5min); a younger'
             ' orphan may be an object in flight.',
             'ebb: hint: Use --older-than 606s or more, or give verify the --statement-timeout'
             ' and --idle-timeout that the archive runs use (in [defaults] of a shared config'
             ' file).'])
        with open(cfg, 'a') as f:
            f.write('idle-timeout = 1s\n')
        self.assert_output(self.verify('--config', cfg, '--gc', '--older-than', '8s'), 0, [
            self.line('orphan object "%s": removed' % key), self.summary(orphans=1, removed=1)])
        self.assert_ledger_intact()

    def test_keys_that_another_tables_ledger_names_are_not_orphans(self):
        """A table renamed with its ledger rows leaves its objects under its old name's folder:
        the new table of that name sees them, but they are the other table's, never orphans,
        and --gc leaves them (only the real orphan beside them goes)."""
        PG.psql("ALTER TABLE analytics.events RENAME TO events_old;"
                " UPDATE ebb.archive_ledger SET table_name = 'events_old';", self.db)
        pu.create_events(PG, self.db)
        key = self.plant_old_orphan()
        for e in self.entries:
            backdate(self.object_path(e), 3600 * 24)
            backdate(self.manifest_path(e), 3600 * 24)
        line = '%s: analytics.events: ' % self.db
        done = 'checked 0 objects (0 rows, 0 bytes): 0 missing, 0 corrupt, 1 orphans'
        self.assert_output(self.verify('--dest', self.dest), 0, [
            line + 'orphan object "%s"' % key, line + done + ', 0 unfinished uploads'])
        self.assert_output(self.verify('--dest', self.dest, *GC), 0, [
            line + 'orphan object "%s": removed' % key,
            line + done + ' (1 removed), 0 unfinished uploads (0 aborted)'])
        self.assertEqual(pu.leftovers(self.path, self.entries), set())
        proc = self.verify(table='analytics.events_old')
        self.assertEqual((proc.rc, proc.stderr), (0, ''))
        self.assertIn('checked 4 objects (20 rows, %d bytes): 0 missing, 0 corrupt, 0 orphans'
                      % self.bytes, proc.stdout)
        harness.assert_oracle(self, self.before, PG, self.db, 'analytics.events_old',
                              archived=20)


class GcWindowInFlightTest(unittest.TestCase):
    """"public.analytics".events and public."analytics.events" once shared a folder: verify
    --gc of one removed the object of the other's window in flight, which then committed,
    and its rows were lost. Now each has its own folder, and gc of one never sees the other's
    objects, however old they look."""

    A = 'public."analytics.events"'
    B = '"public.analytics".events'

    def test_gc_of_one_table_leaves_the_others_window_in_flight(self):
        db = pu.new_db(PG)
        dest, path = pu.make_dest(self)
        PG.psql('CREATE SCHEMA "public.analytics";', db)
        for table in (self.A, self.B):
            pu.create_events(PG, db, table=table)
            pu.four_old_hours(PG, db, table=table)
        pu.assert_ok(self, pu.archive(PG, db, dest, table=self.B))
        before = pu.snapshot(PG, db, table=self.A)
        proc = pu.start_ebb(PG, db, dest, table=self.A,
                            env={'EBB_TEST_STOP_AT': 'before-commit'})
        self.addCleanup(pu.kill_if_running, proc)
        pu.wait_stopped(proc)
        # the first window's object is stored, its ledger row inserted, not committed
        committed = {k for (k,) in PG.query('SELECT object_key FROM ebb.archive_ledger', db)}
        (in_flight,) = {p for p in pu.files_under(path)
                        if not p.endswith('.manifest.json')} - committed
        self.assertTrue(in_flight.startswith(db + '/public.analytics%2Eevents/'), in_flight)
        backdate(os.path.join(path, in_flight), 3600 * 24 * 7)  # old by any --older-than

        gc = harness.run_ebb(['verify', '--table', self.B, '--json', '--gc'], env=PG.env(db))
        self.assertEqual((gc.rc, gc.stderr), (0, ''), gc.stdout)
        summary = json.loads(gc.stdout.splitlines()[-1])
        self.assertEqual([summary[k] for k in ('status', 'objects', 'orphans')], ['ok', 4, 0])
        self.assertTrue(os.path.exists(os.path.join(path, in_flight)))

        proc.send_signal(signal.SIGCONT)
        rc, out, err = pu.finish(proc)
        self.assertEqual(rc, 0, out + err)
        harness.assert_oracle(self, before, PG, db, self.A, archived=20)
        for table in (self.A, self.B):
            check = harness.run_ebb(['verify', '--table', table, '--json'], env=PG.env(db))
            self.assertEqual((check.rc, check.stderr), (0, ''), check.stdout)
            summary = json.loads(check.stdout.splitlines()[-1])
            self.assertEqual([summary[k] for k in ('status', 'objects', 'rows', 'orphans')],
                             ['ok', 4, 20, 0], table)


class VerifyTimestamptzTest(unittest.TestCase):
    """Windows of a timestamptz column are kept in UTC; --from and --to are read in the
    session TimeZone (--timezone) and compared in UTC."""

    def test_range_in_the_session_time_zone(self):
        db = pu.new_db(PG)
        dest, _ = pu.make_dest(self)
        PG.psql("CREATE SCHEMA analytics; CREATE TABLE analytics.events (id serial PRIMARY KEY,"
                " triggered_at timestamptz NOT NULL, v text);"
                " CREATE INDEX ON analytics.events (triggered_at);"
                " INSERT INTO analytics.events (triggered_at, v)"
                " SELECT date_trunc('hour', now()) - interval '5 days'"
                " + make_interval(mins => i * 12), 'v' || i FROM generate_series(0, 19) i", db)
        pu.assert_ok(self, pu.archive(PG, db, dest))
        entries = pu.ledger(PG, db)
        self.assertEqual(len(entries), 4)
        # the second window's start, as a wall clock in Tokyo (UTC+9, no DST)
        (tokyo,), = PG.query("SELECT (%s::timestamp AT TIME ZONE 'UTC') AT TIME ZONE"
                             " 'Asia/Tokyo'" % harness.quote_literal(entries[1]['window_start']),
                             db)
        nbytes = sum(e['bytes'] for e in entries[1:])
        proc = harness.run_ebb(['verify', '--table', pu.TABLE, '--timezone', 'Asia/Tokyo',
                                '--from', tokyo], env=PG.env(db))
        self.assertEqual((proc.rc, proc.stdout.splitlines(), proc.stderr), (0, [
            '%s: analytics.events: checked 3 objects (15 rows, %d bytes): 0 missing, 0 corrupt,'
            ' 0 orphans, 0 unfinished uploads' % (db, nbytes)], ''))
        proc = harness.run_ebb(['verify', '--table', pu.TABLE, '--from', tokyo + '+09'],
                               env=PG.env(db))
        self.assertIn('checked 3 objects (15 rows, ', proc.stdout)


class VerifyAfterCrashTest(unittest.TestCase):
    """What a kill -9 of ebb archive leaves (test_archive_crash.py) is found and removed."""

    def setUp(self):
        self.db = pu.new_db(PG)
        self.dest, self.path = pu.make_dest(self)
        pu.create_events(PG, self.db)
        pu.four_old_hours(PG, self.db)
        self.before = pu.snapshot(PG, self.db)

    def verify(self, *extra):
        return harness.run_ebb(['verify', '--table', pu.TABLE, '--dest', self.dest] + list(extra),
                               env=PG.env(self.db))

    def crash_then_gc(self, spec, leftover_re):
        proc = pu.start_ebb(PG, self.db, self.dest, env={'EBB_TEST_CRASH_AT': spec})
        self.addCleanup(pu.kill_if_running, proc)
        rc, out, err = pu.finish(proc)
        self.assertEqual(rc, -signal.SIGKILL, out + err)
        pu.wait_backends_gone(PG, self.db)
        entries = pu.ledger(PG, self.db)
        (leftover,) = pu.leftovers(self.path, entries)
        self.assertRegex(leftover, leftover_re)
        committed = len(entries)
        done = '%s: analytics.events: checked %d objects (%d rows, %d bytes): 0 missing,' \
            ' 0 corrupt, ' % (self.db, committed, 5 * committed, sum(e['bytes'] for e in entries))

        proc = self.verify()
        self.assertEqual((proc.rc, proc.stdout.splitlines(), proc.stderr), (0, [
            '%s: analytics.events: orphan object "%s"' % (self.db, leftover),
            done + '1 orphans, 0 unfinished uploads'], ''))
        backdate(os.path.join(self.path, leftover))
        proc = self.verify(*GC)
        self.assertEqual((proc.rc, proc.stdout.splitlines(), proc.stderr), (0, [
            '%s: analytics.events: orphan object "%s": removed' % (self.db, leftover),
            done + '1 orphans (1 removed), 0 unfinished uploads (0 aborted)'], ''))
        self.assertEqual(pu.leftovers(self.path, entries), set())

        # the re-run finishes the job; its objects and the earlier ones are intact
        pu.assert_ok(self, pu.archive(PG, self.db, self.dest))
        entries = pu.ledger(PG, self.db)
        self.assertEqual(len(entries), 4)
        proc = self.verify()
        self.assertEqual((proc.rc, proc.stdout.splitlines(), proc.stderr), (0, [
            '%s: analytics.events: checked 4 objects (20 rows, %d bytes): 0 missing, 0 corrupt,'
            ' 0 orphans, 0 unfinished uploads' % (self.db, sum(e['bytes'] for e in entries))],
            ''))
        harness.assert_oracle(self, self.before, PG, self.db, pu.TABLE)

    def test_object_written(self):
        # the second window's object is stored, not in the ledger
        self.crash_then_gc('object-written:2', r'/hour=\d\d/\d{8}T\d{6}_[^/]+\.csv\.zst$')

    def test_temp_file(self):
        # killed while streaming the third row of the first window: a temp file
        self.crash_then_gc('copy:3', r'\.csv\.zst\.tmp\d+$')


if __name__ == '__main__':
    unittest.main()
