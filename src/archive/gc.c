/*
 * gc.c: orphans and unfinished multipart uploads under a table's key prefix, in each of its
 * destinations; with --gc (the caller holds the table's advisory lock) their removal.
 *
 * A prefix is one table's: <database>/<schema>.<table>/, with every '.' inside the names
 * encoded (object.c), so no two tables share one, and no table's is the start of another's (the
 * trailing '/'). A partitioned table's leaves write under their parent's prefix, under the
 * parent's lock, with the leaf's name in the key; a leaf archived as a table of its own has its
 * own prefix and lock. The lock taken here is therefore every lock of the writers of the prefix.
 *
 * An entry that is no object (a symbolic link, a FIFO... in a file:// destination) is reported
 * and never followed, read or removed.
 *
 * What is never removed: a key that any table's ledger in the database names, as object or as
 * manifest (checked against the ledger read under the lock, and once more, key by key, just
 * before the removal); anything younger than --older-than, which is never less than
 * verify_gc_floor_ms() below, or whose age the store does not say; and an orphan object that
 * has a manifest beside it, with that manifest: a manifest is written only after COMMIT, so
 * some ledger committed that object (another server's database of the same name archiving to
 * the same place, or a ledger that lost rows) and it may be the only copy of its rows.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "archive/verify.h"
#include "catalog/ledger.h"
#include "catalog/manifest.h"
#include "common/log.h"
#include "pg/pg.h"

typedef struct Listed
{
	char *key;
	char *upload_id; /* uploads only */
	uint64_t bytes;
	int64_t time_us;
	const char *unexpected; /* StoreEntry.unexpected (a static string) */
} Listed;

typedef struct Listing
{
	Listed *items;
	int count;
} Listing;

static void
listing_add(Listing *l, const char *key, const char *upload_id, uint64_t bytes, int64_t time_us)
{
	l->items = ebb_realloc(l->items, sizeof(Listed) * (size_t) (l->count + 1));
	l->items[l->count++] =
		(Listed){ebb_strdup(key), upload_id ? ebb_strdup(upload_id) : NULL, bytes, time_us, NULL};
}

static void
listing_free(Listing *l)
{
	for (int i = 0; i < l->count; i++)
	{
		free(l->items[i].key);
		free(l->items[i].upload_id);
	}
	free(l->items);
	memset(l, 0, sizeof(*l));
}

static bool
collect_entry(void *arg, const StoreEntry *e, EbbError *err)
{
	Listing *l = arg;

	listing_add(l, e->key, NULL, e->bytes, e->mtime_us);
	l->items[l->count - 1].unexpected = e->unexpected;
	return true;
}

/* Not an object at all (a symbolic link...): reported, named by the ledger or not, and left. */
static void
unexpected(VerifyTarget *t, const char *dest, const Listed *e)
{
	Finding f = {.kind = FINDING_UNEXPECTED,
				 .dest = dest,
				 .key = e->key,
				 .error = e->unexpected,
				 .action = GC_NONE};

	t->counts->unexpected++;
	verify_report(t, &f);
}

static bool
collect_upload(void *arg, const StoreUpload *u, EbbError *err)
{
	listing_add(arg, u->key, u->upload_id, 0, u->initiated_us);
	return true;
}

static int
compare_listed(const void *a, const void *b)
{
	return strcmp(((const Listed *) a)->key, ((const Listed *) b)->key);
}

static bool
listing_has(const Listing *l, const char *key)
{
	Listed probe = {.key = (char *) key};

	return l->count > 0 &&
		   bsearch(&probe, l->items, (size_t) l->count, sizeof(Listed), compare_listed) != NULL;
}

static bool
is_manifest_key(const char *key)
{
	size_t n = strlen(key), m = strlen(CATALOG_MANIFEST_SUFFIX);

	return n > m && strcmp(key + n - m, CATALOG_MANIFEST_SUFFIX) == 0;
}

/* An orphan object with its manifest beside it, or such a manifest (see the top). */
static bool
has_committed_pair(const Listing *l, const char *key)
{
	char *other;

	if (is_manifest_key(key))
	{
		other = ebb_strdup(key);
		other[strlen(key) - strlen(CATALOG_MANIFEST_SUFFIX)] = '\0';
	}
	else
		other = ebb_asprintf("%s" CATALOG_MANIFEST_SUFFIX, key);
	bool found = listing_has(l, other);
	free(other);
	return found;
}

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * The floor of --older-than: the longest an archive run's object may exist before the window
 * that wrote it commits or rolls back. Until then the object is in no ledger, yet the rows it
 * holds are deleted by a transaction that may still commit: removing it then loses them. The
 * table's lock keeps that from this table's own runs; the floor also covers a writer no lock
 * here can see (another server's database of the same name archiving to the same place).
 *
 * The window's transaction (piece.c), with the time of the object as the store gives it:
 *   1. COPY (DELETE ... RETURNING) streams the rows; the object is created during it (the file,
 *      or the multipart upload, whose time on S3 is when it was initiated): one statement,
 *      at most statement_timeout.
 *   2. The encoder and compressor finish, the last part is uploaded and the upload completed
 *      (S3), or the file synced and renamed, then read back: the session is idle in the
 *      transaction, at most idle_in_transaction_session_timeout.
 *   3. The ledger row is inserted: one statement, at most statement_timeout.
 *   4. Idle again until COMMIT is sent: at most idle_in_transaction_session_timeout.
 *   5. COMMIT: at most statement_timeout (a cancel of a synchronous-replication wait ends it
 *      with the commit done).
 * Past either limit the server ends the statement or the session, and the window rolls back:
 * so 3 x statement_timeout + 2 x idle_in_transaction_session_timeout bounds the time from the
 * object's timestamp to the end of its transaction. Both come from the settings the archive
 * runs use (the same options, [defaults] of a shared config file, the same derivation of the
 * idle timeout from --s3-timeout); the store's clock is taken to agree with this machine's.
 */
int64_t
verify_gc_floor_ms(const Settings *s)
{
	return 3 * s->statement_timeout_ms + 2 * s->idle_timeout_ms;
}

/* Old enough for --gc? The age is by the store's clock against this machine's. */
static GcAction
age_action(const VerifyTarget *t, int64_t time_us)
{
	if (time_us <= 0)
		return GC_KEPT_AGE;
	if (now_us() - time_us < t->settings->older_than_ms * 1000)
		return GC_KEPT_YOUNG;
	return GC_REMOVED;
}

/* The last check before a removal, against the ledger as it is now (under the lock). */
static bool
ledger_names(VerifyTarget *t, const char *key, bool *named, EbbError *err)
{
	char *object = ebb_strdup(key);

	if (is_manifest_key(key))
		object[strlen(key) - strlen(CATALOG_MANIFEST_SUFFIX)] = '\0';
	bool ok = catalog_ledger_names(t->conn, key, object, named, err);
	free(object);
	return ok;
}

static bool
orphan(VerifyTarget *t, Store *store, const char *dest, const Listing *l, const Listed *e,
	   EbbError *err)
{
	Finding f = {.kind = FINDING_ORPHAN,
				 .dest = dest,
				 .key = e->key,
				 .bytes = e->bytes,
				 .time_us = e->time_us,
				 .action = GC_NONE};
	bool named;

	if (t->gc)
		f.action = has_committed_pair(l, e->key) ? GC_KEPT_MANIFEST : age_action(t, e->time_us);
	if (f.action == GC_REMOVED)
	{
		if (!ledger_names(t, e->key, &named, err))
			return false;
		if (named)
			f.action = GC_KEPT_LEDGER;
		else if (!store_remove(store, e->key, err))
			return false;
	}
	t->counts->orphans++;
	t->counts->orphans_removed += f.action == GC_REMOVED;
	verify_report(t, &f);
	return true;
}

static bool
upload(VerifyTarget *t, Store *store, const char *dest, const Listed *u, EbbError *err)
{
	Finding f = {.kind = FINDING_UPLOAD,
				 .dest = dest,
				 .key = u->key,
				 .upload_id = u->upload_id,
				 .time_us = u->time_us,
				 .action = t->gc ? age_action(t, u->time_us) : GC_NONE};

	/* Aborting drops the uploaded parts; no object, committed or not, goes with them. */
	if (f.action == GC_REMOVED && !store_upload_abort(store, u->key, u->upload_id, err))
		return false;
	t->counts->uploads++;
	t->counts->uploads_aborted += f.action == GC_REMOVED;
	verify_report(t, &f);
	return true;
}

/* The unfinished uploads, where the server can list them: where it cannot (some S3-compatible
 * services), the objects are still checked, and the user told what was not. */
static bool
list_uploads(VerifyTarget *t, Store *store, const char *dest, Listing *uploads, EbbError *err)
{
	EbbError why;
	bool listed;

	error_init(&why);
	if (!store_uploads(store, t->prefix, collect_upload, uploads, &listed, &why))
	{
		*err = why;
		return false;
	}
	if (!listed)
	{
		log_warning("database \"%s\": destination \"%s\": could not list unfinished uploads: the "
					"server does not support it",
					t->dbname, dest);
		if (why.detail[0])
			log_detail("%s", why.detail);
		log_hint("Unfinished uploads are neither reported nor aborted here; a lifecycle rule "
				 "of the bucket (AbortIncompleteMultipartUpload) can remove them.");
	}
	return true;
}

/* Lists first, then removes: a listing is not walked while it changes. */
static bool
orphans_in(VerifyTarget *t, const char *dest, EbbError *err)
{
	Listing objects = {0}, uploads = {0};
	Store *store;

	if (!verify_store(t, dest, &store, err))
		return false;
	bool ok = store_list(store, t->prefix, collect_entry, &objects, err) &&
			  list_uploads(t, store, dest, &uploads, err);
	if (ok && objects.count > 0)
		qsort(objects.items, (size_t) objects.count, sizeof(Listed), compare_listed);
	if (ok && uploads.count > 0)
		qsort(uploads.items, (size_t) uploads.count, sizeof(Listed), compare_listed);
	for (int i = 0; ok && i < objects.count; i++)
		if (objects.items[i].unexpected)
			unexpected(t, dest, &objects.items[i]);
		else if (!verify_is_named(t, objects.items[i].key))
			ok = orphan(t, store, dest, &objects, &objects.items[i], err);
	for (int i = 0; ok && i < uploads.count; i++)
		ok = upload(t, store, dest, &uploads.items[i], err);
	if (!ok)
		error_prefix(err, "destination \"%s\": ", dest);
	listing_free(&objects);
	listing_free(&uploads);
	return ok;
}

bool
verify_orphans(VerifyTarget *t, EbbError *err)
{
	for (int i = 0; i < t->dests.count; i++)
		if (!orphans_in(t, t->dests.items[i], err))
			return false;
	return true;
}
