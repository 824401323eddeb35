/* manifest.c: the JSON beside each committed object, written after COMMIT. */
#include <stdio.h>
#include <string.h>

#include "archive/archive.h"
#include "common/json.h"
#include "common/time.h"

/* The stored generated columns left out of the object: what COPY FROM recomputes. */
static void
manifest_generated(const ArchiveTarget *t, Buf *out)
{
	buf_append_str(out, ",\"generated_columns\":[");
	for (int i = 0; i < t->info.ngenerated; i++)
	{
		const GeneratedColumn *g = &t->info.generated[i];
		buf_append_str(out, i ? ",{" : "{");
		json_kv_str(out, "name", g->name);
		json_kv_str(out, "type", g->type_name);
		json_kv_str(out, "expression", g->expression);
		buf_append_char(out, '}');
	}
	buf_append_char(out, ']');
}

void
manifest_build(const ArchiveTarget *t, const ArchivedObject *obj, Buf *out)
{
	char ws[64], we[64], ps[64], pe[64];
	bool utc = t->info.time_is_tz;

	time_format_iso(obj->window.start, utc, ws, sizeof(ws));
	time_format_iso(obj->window.end, utc, we, sizeof(we));
	time_format_iso(obj->piece.start, utc, ps, sizeof(ps));
	time_format_iso(obj->piece.end, utc, pe, sizeof(pe));
	buf_append_char(out, '{');
	json_kv_str(out, "ebb_version", EBB_VERSION);
	json_kv_str(out, "run_id", obj->run_id);
	json_kv_str(out, "system_identifier", t->sysid);
	json_kv_str(out, "database", t->dbname);
	json_kv_str(out, "schema", t->policy->schema);
	json_kv_str(out, "table", t->policy->table);
	json_kv_str(out, "time_column", t->policy->time_column);
	json_kv_str(out, "time_type", utc ? "timestamp with time zone" : "timestamp without time zone");
	json_kv_str(out, "window_start", ws);
	json_kv_str(out, "window_end", we);
	json_kv_str(out, "range_start", ps);
	json_kv_str(out, "range_end", pe);
	json_kv_str(out, "object", obj->key);
	json_kv_str(out, "format", t->policy->format);
	json_kv_str(out, "compression", t->policy->compress);
	json_kv_str(out, "encoding", "UTF8");
	json_kv_int(out, "rows", (int64_t) obj->rows);
	json_kv_int(out, "bytes", (int64_t) obj->bytes);
	json_kv_str(out, "sha256", obj->sha256);
	json_kv_raw(out, "columns", obj->columns_json);
	manifest_generated(t, out);
	buf_append_str(out, "}\n");
}

bool
manifest_put(ArchiveTarget *t, const ArchivedObject *obj, EbbError *err)
{
	Buf json;
	char key[1100];

	buf_init(&json);
	manifest_build(t, obj, &json);
	snprintf(key, sizeof(key), "%s.manifest.json", obj->key);
	bool ok = store_put(&t->store, key, json.data, json.len, err);
	buf_free(&json);
	return ok;
}

bool
manifest_write(ArchiveTarget *t, const ArchivedObject *obj, EbbError *err)
{
	return manifest_put(t, obj, err) && ledger_mark_manifest(t->conn, obj->key, err);
}
