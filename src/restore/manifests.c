/* manifests.c: see manifests.h. */
#include "restore/manifests.h"

#include <stdlib.h>
#include <string.h>

#include "catalog/manifest.h"
#include "common/json.h"
#include "common/log.h"
#include "common/sink.h"
#include "pg/pg.h"
#include "store/small.h"

typedef struct Listed
{
	StrList manifests;
	StrList objects;
} Listed;

static bool
list_entry(void *arg, const StoreEntry *e, EbbError *err)
{
	Listed *l = arg;
	size_t n = strlen(e->key), m = strlen(CATALOG_MANIFEST_SUFFIX);

	(void) err;
	if (e->unexpected)
		return true;
	if (n > m && strcmp(e->key + n - m, CATALOG_MANIFEST_SUFFIX) == 0)
		strlist_add(&l->manifests, e->key);
	else
		strlist_add(&l->objects, e->key);
	return true;
}

/* A string member, kept in out->strings; NULL when absent. */
static const char *
member(RestoreManifests *out, const Buf *json, const char *key, EbbError *err)
{
	JsonValue v;
	Buf s;

	if (!json_find_member(json->data, json->len, key, &v, err))
		return NULL;
	buf_init(&s);
	if (!json_value_string(&v, &s))
	{
		buf_free(&s);
		return NULL;
	}
	strlist_add(&out->strings, buf_cstr(&s));
	buf_free(&s);
	return out->strings.items[out->strings.count - 1];
}

static int64_t
member_int(const Buf *json, const char *key)
{
	JsonValue v;
	EbbError ignored;
	int64_t n = -1;

	if (json_find_member(json->data, json->len, key, &v, &ignored))
		json_value_int(&v, &n);
	return n;
}

/* Does the manifest's window overlap [from, to)? */
static bool
in_range(PGconn *conn, const char *type, const char *ws, const char *we, const char *from,
		 const char *to, bool *in, int64_t window[2], EbbError *err)
{
	const char *params[5] = {ws, we, from, to, type};
	PGresult *res;

	/* The window in microseconds too, as the ledger would give it (UTC for timestamptz). */
	if (!pg_query(conn,
				  "SELECT CASE WHEN $5 = 'timestamp with time zone' THEN"
				  " ($3::text IS NULL OR $2::timestamptz > $3::timestamptz) AND"
				  " ($4::text IS NULL OR $1::timestamptz < $4::timestamptz) ELSE"
				  " ($3::text IS NULL OR $2::timestamp > $3::timestamp) AND"
				  " ($4::text IS NULL OR $1::timestamp < $4::timestamp) END,"
				  " CASE WHEN $5 = 'timestamp with time zone' THEN"
				  " extract(epoch FROM $1::timestamptz) ELSE extract(epoch FROM $1::timestamp)"
				  " END * 1000000, CASE WHEN $5 = 'timestamp with time zone' THEN"
				  " extract(epoch FROM $2::timestamptz) ELSE extract(epoch FROM $2::timestamp)"
				  " END * 1000000",
				  5, params, &res, err))
		return false;
	*in = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	for (int i = 0; i < 2; i++)
	{
		/* A partition's bound may be infinite. */
		double us = strtod(PQgetvalue(res, 0, 1 + i), NULL);
		window[i] = us >= 9.2e18 ? INT64_MAX : us <= -9.2e18 ? INT64_MIN : (int64_t) us;
	}
	PQclear(res);
	return true;
}

/* One manifest into an entry; *mine false when it is another table's (or unreadable, which
 * is reported). */
static bool
read_one(PGconn *conn, Store *store, const char *url, const char *mkey, const char *const id[3],
		 const char *from, const char *to, RestoreManifests *out, bool *mine, EbbError *err)
{
	Buf json;
	bool too_big;
	EbbError bad;
	CatalogLedgerEntry e = {0};

	*mine = false;
	buf_init(&json);
	error_init(&bad);
	if (!store_small_read(store, mkey, CATALOG_MANIFEST_MAX_BYTES, &json, &too_big, &bad))
	{
		buf_free(&json);
		*err = bad;
		return false;
	}
	if (too_big)
		error_set(&bad, EBB_ERR_VERIFY, "larger than %d bytes", CATALOG_MANIFEST_MAX_BYTES);
	const char *db = member(out, &json, "database", &bad);
	const char *schema = member(out, &json, "schema", &bad);
	const char *table = member(out, &json, "table", &bad);
	if (!db || !schema || !table || strcmp(db, id[0]) || strcmp(schema, id[1]) ||
		strcmp(table, id[2]))
	{
		if (bad.code != EBB_OK)
			log_warning("manifest \"%s\" cannot be read (%s): ignored", mkey, bad.message);
		buf_free(&json);
		return true;
	}
	/* A later object of the table names the objects it supersedes (catalog/manifest.h). */
	JsonValue sup;
	if (json_find_member(json.data, json.len, "supersedes", &sup, &bad) && sup.found)
		json_value_strings(&sup, &out->superseded);
	e.dest = url;
	e.schema = schema;
	e.table = table;
	e.partition_state = "";
	e.partition_name = e.partition_bound = e.partition_fingerprint = "";
	e.key = member(out, &json, "object", &bad);
	e.sha256 = member(out, &json, "sha256", &bad);
	e.format = member(out, &json, "format", &bad);
	e.compression = member(out, &json, "compression", &bad);
	e.run_id = member(out, &json, "run_id", &bad);
	e.time_column = member(out, &json, "time_column", &bad);
	const char *type = member(out, &json, "time_type", &bad);
	const char *ws = member(out, &json, "window_start", &bad);
	const char *we = member(out, &json, "window_end", &bad);
	int64_t rows = member_int(&json, "rows"), bytes = member_int(&json, "bytes");
	buf_free(&json);
	if (!e.key || !e.sha256 || !e.format || !e.compression || !type || !ws || !we || rows < 0 ||
		bytes < 0)
	{
		log_warning("manifest \"%s\" lacks what a restore needs: ignored", mkey);
		return true;
	}
	e.rows = (uint64_t) rows;
	e.bytes = (uint64_t) bytes;
	int64_t window[2];
	if (!in_range(conn, type, ws, we, from, to, mine, window, err))
		return false;
	e.window_start = window[0];
	e.window_end = window[1];
	if (*mine)
	{
		out->rows = realloc(out->rows, sizeof(CatalogLedgerEntry) * (size_t) (out->n + 1));
		if (!out->rows)
			abort();
		out->rows[out->n++] = e;
	}
	return true;
}

static int
compare_entries(const void *a, const void *b)
{
	return strcmp(((const CatalogLedgerEntry *) a)->key, ((const CatalogLedgerEntry *) b)->key);
}

static void
find_unmanifested(const Listed *l, RestoreManifests *out)
{
	const char *first = out->rows[0].key, *slash = strchr(first, '/');
	size_t dir =
		slash && strchr(slash + 1, '/') ? (size_t) (strchr(slash + 1, '/') - first) + 1 : 0;

	for (int i = 0; dir && i < l->objects.count; i++)
	{
		const char *key = l->objects.items[i];
		bool named = false;
		for (int k = 0; k < out->n && !named; k++)
			named = strcmp(out->rows[k].key, key) == 0;
		if (!named && strncmp(key, first, dir) == 0)
			strlist_add(&out->unmanifested, key);
	}
}

bool
restore_manifests_read(PGconn *conn, Store *store, const char *url, const char *database,
					   const char *schema, const char *table, const char *from, const char *to,
					   RestoreManifests *out, EbbError *err)
{
	const char *id[3] = {database, schema, table};
	Listed l;
	memset(&l, 0, sizeof(l));
	memset(out, 0, sizeof(*out));
	bool ok = store_list(store, "", list_entry, &l, err);

	for (int i = 0; ok && i < l.manifests.count; i++)
	{
		bool mine;
		ok = read_one(conn, store, url, l.manifests.items[i], id, from, to, out, &mine, err);
	}
	if (ok && out->n > 0)
		qsort(out->rows, (size_t) out->n, sizeof(CatalogLedgerEntry), compare_entries);
	for (int i = 0; ok && i < out->n; i++)
		for (int k = 0; k < out->superseded.count && !out->rows[i].superseded; k++)
			out->rows[i].superseded = strcmp(out->superseded.items[k], out->rows[i].key) == 0;
	/* The objects in this table's folder ("db/schema.table/") that no manifest names. */
	if (ok && out->n > 0)
		find_unmanifested(&l, out);
	strlist_clear(&l.manifests);
	strlist_clear(&l.objects);
	return ok;
}

void
restore_manifests_free(RestoreManifests *m)
{
	free(m->rows);
	strlist_clear(&m->strings);
	strlist_clear(&m->unmanifested);
	strlist_clear(&m->superseded);
	memset(m, 0, sizeof(*m));
}
