/*
 * verify.c: ebb verify for one table. Each committed object the ledger names in the range is
 * read through HashSink -> decompressor -> row counter, so one pass gives the bytes and SHA-256
 * as stored and the rows inside; then its manifest is read and compared with the ledger.
 * Nothing here writes: the ledger is only read (it may not exist), objects are only read.
 */
#include "archive/verify.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive/archive.h"
#include "archive/object.h"
#include "catalog/catalog.h"
#include "catalog/ledger.h"
#include "catalog/manifest.h"
#include "encode/decode.h"
#include "store/small.h"
#include "store/spool.h"
#include "common/json.h"
#include "common/log.h"
#include "pg/catalog.h"
#include "pg/pg.h"
#include "pg/time_range.h"
#include "pg/ident.h"

void
verify_report(VerifyTarget *t, const Finding *f)
{
	t->report(t->report_arg, f);
}

bool
verify_store(VerifyTarget *t, const char *url, Store **store, EbbError *err)
{
	Store opened;

	for (int i = 0; i < t->nstores; i++)
		if (strcmp(t->stores[i].url, url) == 0)
		{
			*store = &t->stores[i].store;
			return true;
		}
	if (!store_open(url, &t->settings->store, &opened, err))
	{
		store_close(&opened);
		error_prefix(err, "destination \"%s\": ", url);
		return false;
	}
	t->stores = ebb_realloc(t->stores, sizeof(VerifyStore) * (size_t) (t->nstores + 1));
	t->stores[t->nstores] = (VerifyStore){ebb_strdup(url), opened};
	*store = &t->stores[t->nstores++].store;
	return true;
}

static int
compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static bool
is_in(const StrList *sorted, const char *key)
{
	return sorted->count > 0 && bsearch(&key, sorted->items, (size_t) sorted->count, sizeof(char *),
										compare_strings) != NULL;
}

/* Named by the ledger: an object key of the table's, or the manifest of one. */
bool
verify_is_named(const VerifyTarget *t, const char *key)
{
	size_t n = strlen(key), m = strlen(CATALOG_MANIFEST_SUFFIX);

	if (is_in(&t->named, key))
		return true;
	if (n <= m || strcmp(key + n - m, CATALOG_MANIFEST_SUFFIX) != 0)
		return false;
	char *object = ebb_strdup(key);
	object[n - m] = '\0';
	bool named = is_in(&t->named, object);
	free(object);
	return named;
}

/* ---- the ledger ---- */

/* The ledger as catalog.h reads it: a view or foreign table under its name is refused; tables
 * newer than this ebb are read (their columns are a superset) but never trusted for --gc. */
static bool
ledger_present(VerifyTarget *t, bool *present, bool *trusted, EbbError *err)
{
	CatalogState st;

	if (!catalog_read(t->conn, &st, err))
		return false;
	*present = st.ledger;
	*trusted = st.version <= CATALOG_VERSION;
	if (!*trusted)
	{
		EbbError newer;
		error_init(&newer);
		catalog_newer_error(&st, &newer);
		log_warning("database \"%s\": %s; nothing is removed", t->dbname, newer.message);
	}
	return true;
}

/*
 * Every object key of the table (any destination, any time), and the destinations to list; and
 * the keys under the table's prefix that any other table's ledger rows name (a table renamed
 * with its ledger rows, or keys written before names' dots were encoded): never orphans.
 */
static void
named_key(void *arg, const char *key, const char *dest, bool own)
{
	VerifyTarget *t = arg;

	strlist_add(&t->named, key);
	if (own && !strlist_contains(&t->dests, dest))
		strlist_add(&t->dests, dest);
}

static bool
read_named(VerifyTarget *t, EbbError *err)
{
	if (!catalog_ledger_keys(t->conn, t->policy->schema, t->policy->table, t->prefix, named_key, t,
							 err))
		return false;
	if (t->named.count > 0)
		qsort(t->named.items, (size_t) t->named.count, sizeof(char *), compare_strings);
	return true;
}

/* ---- one object ---- */

/* Passes bytes on until the next stage fails, then keeps its error and swallows the rest, so
 * that the hash before it still sees every byte of a corrupt object. */
typedef struct LatchSink
{
	Sink base;
	Sink *next;
	bool failed;
	EbbError err;
} LatchSink;

static bool
latch_write(Sink *sink, const void *data, size_t len, EbbError *err)
{
	LatchSink *ls = (LatchSink *) sink;

	if (!ls->failed && !sink_write(ls->next, data, len, &ls->err))
		ls->failed = true;
	return true;
}

static const SinkOps latch_ops = {.write = latch_write};

static void
latch_finish(LatchSink *ls, Sink *stage)
{
	if (!ls->failed && !sink_finish(stage, &ls->err))
		ls->failed = true;
}

static void
report_corrupt(VerifyTarget *t, const CatalogLedgerEntry *o, FindingKind kind, const char *key,
			   const char *field, const char *found, const char *expected, const char *error)
{
	Finding f = {.kind = kind,
				 .dest = o->dest,
				 .key = key,
				 .field = field,
				 .found = found,
				 .expected = expected,
				 .error = error};

	verify_report(t, &f);
}

static void
report_number(VerifyTarget *t, const CatalogLedgerEntry *o, FindingKind kind, const char *key,
			  const char *field, uint64_t found, uint64_t expected)
{
	char a[32], b[32];

	snprintf(a, sizeof(a), "%" PRIu64, found);
	snprintf(b, sizeof(b), "%" PRIu64, expected);
	report_corrupt(t, o, kind, key, field, a, b, NULL);
}

/* Compares what was read with the ledger; decode_err is set when the content was unreadable. */
static void
compare_object(VerifyTarget *t, const CatalogLedgerEntry *o, uint64_t bytes, const char *sha256,
			   uint64_t rows, const EbbError *decode_err)
{
	bool bytes_differ = bytes != o->bytes;
	bool sha_differs = strcmp(sha256, o->sha256) != 0;
	bool rows_differ = !decode_err && rows != o->rows;

	if (bytes_differ)
		report_number(t, o, FINDING_CORRUPT_OBJECT, o->key, "bytes", bytes, o->bytes);
	if (sha_differs)
		report_corrupt(t, o, FINDING_CORRUPT_OBJECT, o->key, "sha256", sha256, o->sha256, NULL);
	if (decode_err)
		report_corrupt(t, o, FINDING_CORRUPT_OBJECT, o->key, NULL, NULL, NULL, decode_err->message);
	if (rows_differ)
		report_number(t, o, FINDING_CORRUPT_OBJECT, o->key, "rows", rows, o->rows);
	t->counts->objects++;
	t->counts->bytes += bytes;
	t->counts->rows += decode_err ? 0 : rows;
	t->counts->corrupt_objects += bytes_differ || sha_differs || decode_err || rows_differ;
}

/* --deep: the object's rows decoded one by one (encode/decode.h), from a local copy. */
static bool
read_object_deep(VerifyTarget *t, Store *store, const CatalogLedgerEntry *o, EbbError *err)
{
	DecodeCallbacks cb = {0};
	StoreSpool spool;
	EbbError bad;
	uint64_t rows = 0;

	if (!store_spool(store, o->key, &spool, err))
		return false;
	error_init(&bad);
	bool decoded = encode_decode_file(spool.path, o->format, o->compression, &cb, &rows, &bad);
	store_spool_remove(&spool);
	if (!decoded && bad.code != EBB_ERR_VERIFY && bad.code != EBB_ERR_DATA)
	{
		*err = bad;
		return false;
	}
	compare_object(t, o, spool.bytes, spool.sha256, rows, decoded ? NULL : &bad);
	return true;
}

/* Reads the object once: bytes and SHA-256 as stored, rows after decompression. */
static bool
read_object(VerifyTarget *t, Store *store, const CatalogLedgerEntry *o, const EncoderDriver *enc,
			const CompressorDriver *cmp, EbbError *err)
{
	if (t->settings->deep)
		return read_object_deep(t, store, o, err);
	Sink *counter = encoder_counter_create(enc);
	Sink *dec = decompressor_create(cmp, counter, err);
	LatchSink latch = {.base.ops = &latch_ops, .next = dec};
	HashSink hash;
	char sha256[65];

	if (!dec)
	{
		encoder_counter_destroy(enc, counter);
		return false;
	}
	error_init(&latch.err);
	hash_sink_init(&hash, &latch.base);
	bool ok = store_read(store, o->key, &hash.base, err);
	if (ok)
	{
		latch_finish(&latch, dec);
		latch_finish(&latch, counter);
		hash_sink_result(&hash, sha256);
		compare_object(t, o, hash.bytes, sha256, encoder_counter_rows(enc, counter),
					   latch.failed ? &latch.err : NULL);
	}
	else
		sha256_free(&hash.sha);
	decompressor_destroy(cmp, dec);
	encoder_counter_destroy(enc, counter);
	return ok;
}

/* ---- its manifest ---- */

/* A member that is absent, or not of the kind the ledger's value is. */
static void
report_member(VerifyTarget *t, const CatalogLedgerEntry *o, const char *mkey, const JsonValue *v,
			  const char *name, const char *kind)
{
	char problem[128];

	if (v->found)
		snprintf(problem, sizeof(problem), "its \"%s\" is not %s", name, kind);
	else
		snprintf(problem, sizeof(problem), "it has no \"%s\"", name);
	report_corrupt(t, o, FINDING_CORRUPT_MANIFEST, mkey, NULL, NULL, NULL, problem);
}

/* The manifest's string member against the ledger's value; the JSON was validated already. */
static bool
manifest_string(VerifyTarget *t, const CatalogLedgerEntry *o, const char *mkey, const Buf *json,
				const char *name, const char *expected)
{
	JsonValue v;
	Buf s;
	bool same = false;

	json_find_member(json->data, json->len, name, &v, &(EbbError){0});
	buf_init(&s);
	if (!json_value_string(&v, &s))
		report_member(t, o, mkey, &v, name, "a string");
	else if (!(same = strcmp(buf_cstr(&s), expected) == 0))
		report_corrupt(t, o, FINDING_CORRUPT_MANIFEST, mkey, name, buf_cstr(&s), expected, NULL);
	buf_free(&s);
	return same;
}

static bool
manifest_number(VerifyTarget *t, const CatalogLedgerEntry *o, const char *mkey, const Buf *json,
				const char *name, uint64_t expected)
{
	JsonValue v;
	int64_t n;

	json_find_member(json->data, json->len, name, &v, &(EbbError){0});
	if (!json_value_int(&v, &n) || n < 0)
	{
		report_member(t, o, mkey, &v, name, "a whole number");
		return false;
	}
	if ((uint64_t) n != expected)
		report_number(t, o, FINDING_CORRUPT_MANIFEST, mkey, name, (uint64_t) n, expected);
	return (uint64_t) n == expected;
}

static void
compare_manifest(VerifyTarget *t, const CatalogLedgerEntry *o, const char *mkey, const Buf *json,
				 bool too_big)
{
	JsonValue v;
	EbbError perr;
	char problem[sizeof(perr.message) + 32];
	bool ok;

	error_init(&perr);
	if (too_big)
	{
		snprintf(problem, sizeof(problem), "it is larger than %d bytes",
				 CATALOG_MANIFEST_MAX_BYTES);
		report_corrupt(t, o, FINDING_CORRUPT_MANIFEST, mkey, NULL, NULL, NULL, problem);
		ok = false;
	}
	else if (!json_find_member(json->data, json->len, "object", &v, &perr))
	{
		snprintf(problem, sizeof(problem), "could not read it: %s", perr.message);
		report_corrupt(t, o, FINDING_CORRUPT_MANIFEST, mkey, NULL, NULL, NULL, problem);
		ok = false;
	}
	else
	{
		ok = manifest_string(t, o, mkey, json, "object", o->key);
		ok = manifest_number(t, o, mkey, json, "rows", o->rows) && ok;
		ok = manifest_number(t, o, mkey, json, "bytes", o->bytes) && ok;
		ok = manifest_string(t, o, mkey, json, "sha256", o->sha256) && ok;
	}
	t->counts->corrupt_manifests += !ok;
}

static bool
check_manifest(VerifyTarget *t, Store *store, const CatalogLedgerEntry *o, EbbError *err)
{
	char *mkey = ebb_asprintf("%s" CATALOG_MANIFEST_SUFFIX, o->key);
	Buf json;
	bool exists, too_big;
	uint64_t size;

	buf_init(&json);
	bool ok = store_stat(store, mkey, &exists, &size, err);
	if (ok && !exists)
	{
		/* Written after COMMIT: until the flag says it was, its absence is no damage. */
		Finding f = {.kind =
						 o->manifest_written ? FINDING_MISSING_MANIFEST : FINDING_PENDING_MANIFEST,
					 .dest = o->dest,
					 .key = mkey};
		verify_report(t, &f);
		if (o->manifest_written)
			t->counts->missing_manifests++;
		else
			t->counts->pending_manifests++;
	}
	else if (ok)
	{
		too_big = size > CATALOG_MANIFEST_MAX_BYTES;
		ok = too_big ||
			 store_small_read(store, mkey, CATALOG_MANIFEST_MAX_BYTES, &json, &too_big, err);
		if (ok)
			compare_manifest(t, o, mkey, &json, too_big);
	}
	buf_free(&json);
	free(mkey);
	return ok;
}

static bool
check_object(VerifyTarget *t, const CatalogLedgerEntry *o, EbbError *err)
{
	const EncoderDriver *enc = encoder_find(o->format);
	const CompressorDriver *cmp = archive_object_compressor(enc, o->compression);
	Store *store;
	bool exists;
	uint64_t size;
	char problem[128];

	if (!verify_store(t, o->dest, &store, err) || !store_stat(store, o->key, &exists, &size, err))
		return false;
	if (!exists)
	{
		Finding f = {.kind = FINDING_MISSING_OBJECT, .dest = o->dest, .key = o->key};
		verify_report(t, &f);
		t->counts->missing_objects++;
	}
	else if (!enc || !cmp)
	{
		/* Written by a newer ebb, or a damaged ledger: this one cannot read it back. */
		snprintf(problem, sizeof(problem), "the ledger names an unknown %s \"%s\"",
				 enc ? "compression" : "format", enc ? o->compression : o->format);
		report_corrupt(t, o, FINDING_CORRUPT_OBJECT, o->key, NULL, NULL, NULL, problem);
		t->counts->corrupt_objects++;
	}
	else if (!read_object(t, store, o, enc, cmp, err))
		return false;
	return check_manifest(t, store, o, err);
}

static bool
check_objects(VerifyTarget *t, EbbError *err)
{
	CatalogLedgerFilter f = {.schema = t->policy->schema,
							 .table = t->policy->table,
							 .from = t->settings->from,
							 .to = t->settings->to,
							 .by_window = true};
	CatalogLedgerRows rows;

	if (!catalog_ledger_select(t->conn, &f, &rows, err))
		return false;
	bool ok = true;
	for (int i = 0; ok && i < rows.n && !cancel_requested; i++)
	{
		ok = check_object(t, &rows.rows[i], err);
		if (!ok)
			error_prefix(err, "object \"%s\": ", rows.rows[i].key);
	}
	catalog_ledger_rows_free(&rows);
	if (ok && cancel_requested)
		return error_set(err, EBB_ERR_CANCELED, "canceled by a signal");
	return ok;
}

/* ---- the table ---- */

/* The key prefix, what the ledger names, and where to look for orphans. */
static bool
prepare(VerifyTarget *t, EbbError *err)
{
	Buf prefix;
	bool ledger, trusted;

	buf_init(&prefix);
	archive_object_key_prefix(t->dbname, t->policy->schema, t->policy->table, &prefix);
	buf_append_char(&prefix, '/');
	t->prefix = ebb_strdup(buf_cstr(&prefix));
	buf_free(&prefix);
	if (!ledger_present(t, &ledger, &trusted, err) || (ledger && !read_named(t, err)))
		return false;
	if (t->policy->dest && !strlist_contains(&t->dests, t->policy->dest))
		strlist_add(&t->dests, t->policy->dest);
	if (!ledger && t->settings->gc)
		log_warning("database \"%s\": there is no ledger (ebb.archive_ledger): orphans are "
					"reported, not removed",
					t->dbname);
	t->has_ledger = ledger;
	t->gc = ledger && trusted && t->settings->gc;
	return true;
}

static void
target_free(VerifyTarget *t)
{
	for (int i = 0; i < t->nstores; i++)
	{
		store_close(&t->stores[i].store);
		free(t->stores[i].url);
	}
	free(t->stores);
	free(t->prefix);
	strlist_clear(&t->named);
	strlist_clear(&t->dests);
}

/* With --gc the table's lock is held throughout: no archive run can have an object in flight
 * (stored, not yet committed) while orphans are listed and removed. */
static void
verify_locked(VerifyTarget *t, uint32_t oid, VerifyOutcome *out)
{
	bool locked = false;

	if (t->settings->gc && !archive_lock_table(t->conn, oid, &locked, &out->err))
	{
		out->status = TABLE_FAILED;
		return;
	}
	if (t->settings->gc && !locked)
	{
		out->status = TABLE_BUSY;
		error_set(&out->err, EBB_ERR_BUSY, "table %s is being archived by another ebb",
				  pg_message_name(t->policy->schema, t->policy->table).s);
		error_detail(&out->err, "Its advisory lock is held by another session (an archive run, a "
								"restore, or ebb verify --gc); skipped.");
		error_hint(&out->err, "verify --gc removes orphans only under the table's lock.");
		return;
	}
	bool ok = prepare(t, &out->err) && (!t->has_ledger || check_objects(t, &out->err)) &&
			  verify_orphans(t, &out->err);
	if (locked)
		archive_unlock_table(t->conn, oid);
	out->status = ok ? TABLE_OK : TABLE_FAILED;
}

void
verify_table(PGconn *conn, const char *dbname, const Settings *settings, const Policy *policy,
			 bool skip_if_absent, FindingFn report, void *report_arg, VerifyOutcome *out)
{
	VerifyTarget t = {.conn = conn,
					  .dbname = dbname,
					  .settings = settings,
					  .policy = policy,
					  .report = report,
					  .report_arg = report_arg};
	bool exists;
	uint32_t oid;

	memset(out, 0, sizeof(*out));
	error_init(&out->err);
	t.counts = &out->counts;
	out->status = TABLE_FAILED;
	if (!pg_check_time_range(conn, settings->from, settings->to, &out->err) ||
		!pg_table_oid(conn, policy->schema, policy->table, &exists, &oid, &out->err))
		return;
	if (!exists && skip_if_absent)
	{
		out->status = TABLE_SKIPPED;
		out->skip_reason = "the table does not exist in this database";
		return;
	}
	if (!exists)
	{
		error_set(&out->err, EBB_ERR_CONFIG, "table %s does not exist",
				  pg_message_name(policy->schema, policy->table).s);
		return;
	}
	verify_locked(&t, oid, out);
	target_free(&t);
}
