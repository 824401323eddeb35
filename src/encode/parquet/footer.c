/* footer.c: column statistics and the FileMetaData that ends the file. */
#include <string.h>

#include "encode/parquet/writer.h"

/* "ebb version X.Y.Z (build SHA)": parquet-java ignores string statistics of writers whose
 * created_by does not parse in this form. */
#ifndef EBB_BUILD
#define EBB_BUILD "unknown"
#endif
#define PQ_CREATED_BY "ebb version " EBB_VERSION " (build " EBB_BUILD ")"

/* Signed orders also get the legacy min/max (fields 2 and 1), which old readers use. */
static bool
signed_order(const ParquetColumn *c)
{
	ParquetPhysical p = c->type.physical;

	return p == PQ_INT32 || p == PQ_INT64 || p == PQ_FLOAT || p == PQ_DOUBLE ||
		   c->type.kind == PQK_DECIMAL;
}

/* Float bounds: a zero minimum is -0.0 and a zero maximum +0.0 (readers may see either). */
static void
normalize_zero(const ParquetColumn *c, uint8_t *v, bool is_min)
{
	if (c->type.physical == PQ_FLOAT)
	{
		float f;
		memcpy(&f, v, 4);
		if (f == 0.0f)
			f = is_min ? -0.0f : 0.0f;
		memcpy(v, &f, 4);
	}
	else if (c->type.physical == PQ_DOUBLE)
	{
		double d;
		memcpy(&d, v, 8);
		if (d == 0.0)
			d = is_min ? -0.0 : 0.0;
		memcpy(v, &d, 8);
	}
}

/* min_value and max_value (5, 6), exact; strings longer than PQ_STAT_MAX are left out (a
 * truncated maximum would have to be rounded up; an omitted one is always safe). */
static void
write_bounds(ParquetThriftWriter *t, const ParquetColumn *c, const uint8_t *min, const uint8_t *max)
{
	const ParquetStats *s = &c->stats;
	bool fixed = c->width > 0;
	bool max_ok = fixed || s->maxb.len <= PQ_STAT_MAX, min_ok = fixed || s->minb.len <= PQ_STAT_MAX;

	if (max_ok)
		parquet_thrift_binary(t, 5, fixed ? max : (const uint8_t *) s->maxb.data,
							  fixed ? (size_t) c->width : s->maxb.len);
	if (min_ok)
		parquet_thrift_binary(t, 6, fixed ? min : (const uint8_t *) s->minb.data,
							  fixed ? (size_t) c->width : s->minb.len);
	if (max_ok)
		parquet_thrift_bool(t, 7, true);
	if (min_ok)
		parquet_thrift_bool(t, 8, true);
}

void
parquet_write_statistics(ParquetThriftWriter *t, const ParquetColumn *c)
{
	const ParquetStats *s = &c->stats;
	size_t n = (size_t) c->width;
	uint8_t min[16], max[16];

	parquet_thrift_struct_field(t, 12);
	if (s->has && n)
	{
		memcpy(min, s->min, n);
		memcpy(max, s->max, n);
		normalize_zero(c, min, true);
		normalize_zero(c, max, false);
	}
	if (s->has && signed_order(c))
	{
		parquet_thrift_binary(t, 1, max, n);
		parquet_thrift_binary(t, 2, min, n);
	}
	parquet_thrift_i64(t, 3, (int64_t) c->nulls);
	if (s->has)
		write_bounds(t, c, min, max);
	/* Without it a reader must assume a float column may hold NaN. */
	if (c->type.physical == PQ_FLOAT || c->type.physical == PQ_DOUBLE)
		parquet_thrift_i64(t, 9, (int64_t) s->nan_count);
	parquet_thrift_struct_end(t);
}

static void
write_schema(ParquetThriftWriter *t, const ParquetWriter *w)
{
	int n = w->shape->ncolumns;

	parquet_thrift_list_field(t, 2, TT_STRUCT, (uint32_t) n + 1);
	parquet_thrift_struct_begin(t); /* the root: a group of every column */
	parquet_thrift_string(t, 4, "schema");
	parquet_thrift_i32(t, 5, n);
	parquet_thrift_struct_end(t);
	for (int i = 0; i < n; i++)
		parquet_write_schema_leaf(t, &w->shape->columns[i], &w->cols[i].type);
}

static void
write_key_values(ParquetThriftWriter *t, const ParquetWriter *w)
{
	const StrList *kv = w->opts->metadata;
	int pairs = kv ? kv->count / 2 : 0;

	if (pairs == 0)
		return;
	parquet_thrift_list_field(t, 5, TT_STRUCT, (uint32_t) pairs);
	for (int i = 0; i < pairs; i++)
	{
		parquet_thrift_struct_begin(t);
		parquet_thrift_string(t, 1, kv->items[2 * i]);
		parquet_thrift_string(t, 2, kv->items[2 * i + 1]);
		parquet_thrift_struct_end(t);
	}
}

bool
parquet_write_footer(ParquetWriter *w, EbbError *err)
{
	Buf meta;
	ParquetThriftWriter t;
	int n = w->shape->ncolumns;

	buf_init(&meta);
	parquet_thrift_writer_init(&t, &meta);
	parquet_thrift_struct_begin(&t);
	parquet_thrift_i32(&t, 1, 1);
	write_schema(&t, w);
	parquet_thrift_i64(&t, 3, (int64_t) w->rows);
	parquet_thrift_list_field(&t, 4, TT_STRUCT, w->ngroups);
	if (w->ngroups > 0) /* zero rows: no groups, and no buffer to copy from */
		buf_append(&meta, w->groups.data, w->groups.len);
	write_key_values(&t, w);
	parquet_thrift_string(&t, 6, PQ_CREATED_BY);
	/* TYPE_ORDER for every leaf: without it Arrow ignores min_value/max_value. */
	parquet_thrift_list_field(&t, 7, TT_STRUCT, (uint32_t) n);
	for (int i = 0; i < n; i++)
	{
		parquet_thrift_struct_begin(&t);
		parquet_thrift_empty_struct(&t, 1);
		parquet_thrift_struct_end(&t);
	}
	parquet_thrift_struct_end(&t);
	uint32_t len = (uint32_t) meta.len;
	bool ok = parquet_write_out(w, meta.data, meta.len, err) &&
			  parquet_write_out(w, &len, 4, err) && parquet_write_out(w, "PAR1", 4, err);
	buf_free(&meta);
	return ok;
}
