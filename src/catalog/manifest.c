/* manifest.c: the manifest's JSON. */
#include "catalog/manifest.h"

#include "common/json.h"
#include "common/time.h"

/* The stored generated columns left out of the object: what COPY FROM recomputes. */
static void
manifest_generated(const CatalogManifest *m, Buf *out)
{
	buf_append_str(out, ",\"generated_columns\":[");
	for (int i = 0; i < m->ngenerated; i++)
	{
		const GeneratedColumn *g = &m->generated[i];
		buf_append_str(out, i ? ",{" : "{");
		json_kv_str(out, "name", g->name);
		json_kv_str(out, "type", g->type_name);
		json_kv_str(out, "expression", g->expression);
		buf_append_char(out, '}');
	}
	buf_append_char(out, ']');
}

void
catalog_manifest_build(const CatalogManifest *m, Buf *out)
{
	char ws[64], we[64], ps[64], pe[64];
	bool utc = m->time_utc;

	time_format_iso(m->window_start, utc, ws, sizeof(ws));
	time_format_iso(m->window_end, utc, we, sizeof(we));
	time_format_iso(m->range_start, utc, ps, sizeof(ps));
	time_format_iso(m->range_end, utc, pe, sizeof(pe));
	buf_append_char(out, '{');
	json_kv_str(out, "ebb_version", EBB_VERSION);
	json_kv_str(out, "run_id", m->run_id);
	json_kv_str(out, "system_identifier", m->system_identifier);
	json_kv_str(out, "database", m->database);
	json_kv_str(out, "schema", m->schema);
	json_kv_str(out, "table", m->table);
	json_kv_str(out, "time_column", m->time_column);
	json_kv_str(out, "time_type", utc ? "timestamp with time zone" : "timestamp without time zone");
	json_kv_str(out, "window_start", ws);
	json_kv_str(out, "window_end", we);
	json_kv_str(out, "range_start", ps);
	json_kv_str(out, "range_end", pe);
	json_kv_str(out, "object", m->object);
	json_kv_str(out, "format", m->format);
	json_kv_str(out, "compression", m->compression);
	json_kv_str(out, "encoding", "UTF8");
	json_kv_int(out, "rows", (int64_t) m->rows);
	json_kv_int(out, "bytes", (int64_t) m->bytes);
	json_kv_str(out, "sha256", m->sha256);
	json_kv_raw(out, "columns", m->columns_json);
	manifest_generated(m, out);
	if (m->supersedes && m->supersedes->count > 0)
	{
		buf_append_str(out, ",\"supersedes\":[");
		for (int i = 0; i < m->supersedes->count; i++)
		{
			if (i)
				buf_append_char(out, ',');
			json_append_string(out, m->supersedes->items[i]);
		}
		buf_append_char(out, ']');
	}
	buf_append_str(out, "}\n");
}
