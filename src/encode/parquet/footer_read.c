/* footer_read.c: FileMetaData, SchemaElement, RowGroup and ColumnMetaData (parquet.thrift). */
#include "encode/parquet/footer_read.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "encode/parquet/thrift.h"

static bool
damaged(EbbError *err, const char *what)
{
	return error_set(err, EBB_ERR_VERIFY, "%s", what);
}

/* The next field of the open struct (TT_STOP at its end). */
static bool
next_field(ParquetThriftReader *r, int16_t *id, uint8_t *type, EbbError *err)
{
	return parquet_thrift_read_field(r, id, type) || damaged(err, "truncated footer");
}

static bool
read_i64(ParquetThriftReader *r, uint8_t type, int64_t *v, EbbError *err)
{
	return parquet_thrift_read_int(r, type, v) || damaged(err, "truncated footer");
}

static bool
read_i32(ParquetThriftReader *r, uint8_t type, int *v, EbbError *err)
{
	int64_t x;

	if (!read_i64(r, type, &x, err))
		return false;
	if (x < INT32_MIN || x > INT32_MAX)
		return damaged(err, "an out-of-range integer in the footer");
	*v = (int) x;
	return true;
}

static bool
read_string(ParquetThriftReader *r, uint8_t type, char **out, EbbError *err)
{
	const uint8_t *d;
	size_t len;

	if (type != TT_BINARY || !parquet_thrift_read_binary(r, &d, &len))
		return damaged(err, "truncated footer");
	free(*out);
	*out = ebb_malloc(len + 1);
	memcpy(*out, d, len);
	(*out)[len] = '\0';
	return true;
}

static bool
skip(ParquetThriftReader *r, uint8_t type, EbbError *err)
{
	return parquet_thrift_skip(r, type) || damaged(err, "truncated footer");
}

static bool
begin_struct(ParquetThriftReader *r, uint8_t type, EbbError *err)
{
	return (type == TT_STRUCT && parquet_thrift_read_struct_begin(r)) ||
		   damaged(err, "truncated footer");
}

/* A list of structs whose count the remaining bytes can hold (each takes a byte at least). */
static bool
begin_list(ParquetThriftReader *r, uint8_t type, uint32_t *n, EbbError *err)
{
	uint8_t et;

	if (type != TT_LIST || !parquet_thrift_read_list(r, &et, n) || (*n > 0 && et != TT_STRUCT) ||
		*n > (uint64_t) (r->end - r->p))
		return damaged(err, "truncated footer");
	return true;
}

/* TimeUnit: the union's one member is the unit. */
static bool
parse_unit(ParquetThriftReader *r, uint8_t type, ParquetLeaf *e, EbbError *err)
{
	int16_t id;
	uint8_t t;

	if (!begin_struct(r, type, err))
		return false;
	for (;;)
	{
		if (!next_field(r, &id, &t, err))
			return false;
		if (t == TT_STOP)
			return true;
		e->unit = id;
		if (!skip(r, t, err))
			return false;
	}
}

/* One member of LogicalType: DECIMAL, TIME, TIMESTAMP and INTEGER carry fields ebb reads. */
static bool
parse_logical_member(ParquetThriftReader *r, int16_t member, ParquetLeaf *e, EbbError *err)
{
	int16_t id;
	uint8_t t;
	int64_t v;

	e->logical = member;
	for (;;)
	{
		if (!next_field(r, &id, &t, err))
			return false;
		if (t == TT_STOP)
			return true;
		bool ok;
		if (member == 5 && (id == 1 || id == 2))
			ok = read_i32(r, t, id == 1 ? &e->lt_scale : &e->lt_precision, err);
		else if ((member == 7 || member == 8) && id == 1 && (t == TT_TRUE || t == TT_FALSE))
			ok = (e->utc = t == TT_TRUE, true);
		else if ((member == 7 || member == 8) && id == 2)
			ok = parse_unit(r, t, e, err);
		else if (member == 10 && id == 1)
			ok = read_i64(r, t, &v, err) && ((e->bit_width = (int) v), true);
		else if (member == 10 && id == 2 && (t == TT_TRUE || t == TT_FALSE))
			ok = (e->is_signed = t == TT_TRUE, true);
		else
			ok = skip(r, t, err);
		if (!ok)
			return false;
	}
}

static bool
parse_logical(ParquetThriftReader *r, uint8_t type, ParquetLeaf *e, EbbError *err)
{
	int16_t id;
	uint8_t t;

	if (!begin_struct(r, type, err))
		return false;
	for (;;)
	{
		if (!next_field(r, &id, &t, err))
			return false;
		if (t == TT_STOP)
			return true;
		if (!begin_struct(r, t, err) || !parse_logical_member(r, id, e, err))
			return false;
	}
}

static bool
parse_schema_element(ParquetThriftReader *r, ParquetLeaf *e, int *children, EbbError *err)
{
	int16_t id;
	uint8_t t;

	memset(e, 0, sizeof(*e));
	e->physical = e->converted = -1;
	*children = 0;
	if (!parquet_thrift_read_struct_begin(r))
		return damaged(err, "truncated footer");
	for (;;)
	{
		if (!next_field(r, &id, &t, err))
			return false;
		if (t == TT_STOP)
			return true;
		bool ok = id == 1    ? read_i32(r, t, &e->physical, err)
				  : id == 2  ? read_i32(r, t, &e->type_length, err)
				  : id == 3  ? read_i32(r, t, &e->repetition, err)
				  : id == 4  ? read_string(r, t, &e->name, err)
				  : id == 5  ? read_i32(r, t, children, err)
				  : id == 6  ? read_i32(r, t, &e->converted, err)
				  : id == 7  ? read_i32(r, t, &e->scale, err)
				  : id == 8  ? read_i32(r, t, &e->precision, err)
				  : id == 10 ? parse_logical(r, t, e, err)
							 : skip(r, t, err);
		if (!ok)
			return false;
	}
}

static bool
unsupported_schema(EbbError *err, const char *name, const char *what)
{
	error_set(err, EBB_ERR_DATA, "column \"%s\" is %s", name ? name : "?", what);
	error_detail(err, "ebb reads flat schemas only: one level of REQUIRED or OPTIONAL columns.");
	return false;
}

/* The root, then its leaves: a flat schema only. */
static bool
parse_schema(ParquetThriftReader *r, uint8_t type, ParquetFileMeta *m, EbbError *err)
{
	uint32_t n;
	int children;
	ParquetLeaf root;

	if (!begin_list(r, type, &n, err))
		return false;
	if (n == 0)
		return damaged(err, "an empty schema");
	bool ok = parse_schema_element(r, &root, &children, err);
	free(root.name);
	if (!ok)
		return false;
	int root_children = children;
	m->leaves = ebb_malloc(sizeof(ParquetLeaf) * (n - 1 ? n - 1 : 1));
	for (uint32_t i = 1; i < n; i++)
	{
		ParquetLeaf *e = &m->leaves[m->nleaves++];
		if (!parse_schema_element(r, e, &children, err))
			return false;
		if (children > 0 || e->physical < 0)
			return unsupported_schema(err, e->name, "a nested group");
		if (e->repetition != 0 && e->repetition != 1)
			return unsupported_schema(err, e->name, "REPEATED");
		if (e->physical > 7 || (e->physical == 7 && e->type_length <= 0))
			return damaged(err, "a column of an unknown physical type");
		if (!e->name)
			return damaged(err, "a column without a name");
	}
	if (root_children != (int) n - 1)
		return damaged(err, "a schema whose root does not hold every column");
	return true;
}

static bool
parse_column_meta(ParquetThriftReader *r, uint8_t type, ParquetChunkMeta *c, EbbError *err)
{
	int16_t id;
	uint8_t t;

	if (!begin_struct(r, type, err))
		return false;
	for (;;)
	{
		if (!next_field(r, &id, &t, err))
			return false;
		if (t == TT_STOP)
			return true;
		bool ok = id == 1    ? read_i32(r, t, &c->physical, err)
				  : id == 4  ? read_i32(r, t, &c->codec, err)
				  : id == 5  ? read_i64(r, t, &c->num_values, err)
				  : id == 7  ? read_i64(r, t, &c->total_compressed, err)
				  : id == 9  ? read_i64(r, t, &c->data_offset, err)
				  : id == 11 ? read_i64(r, t, &c->dict_offset, err)
							 : skip(r, t, err);
		if (!ok)
			return false;
	}
}

static bool
parse_column_chunk(ParquetThriftReader *r, ParquetChunkMeta *c, EbbError *err)
{
	int16_t id;
	uint8_t t;

	memset(c, 0, sizeof(*c));
	c->physical = c->data_offset = c->total_compressed = -1;
	if (!parquet_thrift_read_struct_begin(r))
		return damaged(err, "truncated footer");
	for (;;)
	{
		if (!next_field(r, &id, &t, err))
			return false;
		if (t == TT_STOP)
			return true;
		if (id == 1)
			return error_set(err, EBB_ERR_DATA, "a column chunk in another file (file_path)");
		if (!(id == 3 ? parse_column_meta(r, t, c, err) : skip(r, t, err)))
			return false;
	}
}

static bool
parse_row_group(ParquetThriftReader *r, ParquetRowGroupMeta *g, EbbError *err)
{
	int16_t id;
	uint8_t t;
	uint32_t n;

	g->num_rows = -1;
	if (!parquet_thrift_read_struct_begin(r))
		return damaged(err, "truncated footer");
	for (;;)
	{
		if (!next_field(r, &id, &t, err))
			return false;
		if (t == TT_STOP)
			return true;
		if (id == 1 && g->cols == NULL)
		{
			if (!begin_list(r, t, &n, err))
				return false;
			g->cols = ebb_malloc(sizeof(ParquetChunkMeta) * (n ? n : 1));
			for (uint32_t i = 0; i < n; i++, g->ncols++)
				if (!parse_column_chunk(r, &g->cols[i], err))
					return false;
		}
		else if (!(id == 3 ? read_i64(r, t, &g->num_rows, err) : skip(r, t, err)))
			return false;
	}
}

static bool
parse_row_groups(ParquetThriftReader *r, uint8_t type, ParquetFileMeta *m, EbbError *err)
{
	uint32_t n;

	if (m->groups || !begin_list(r, type, &n, err))
		return m->groups ? damaged(err, "two row group lists") : false;
	m->groups = calloc(n ? n : 1, sizeof(ParquetRowGroupMeta));
	if (!m->groups)
		abort();
	for (uint32_t i = 0; i < n; i++, m->ngroups++)
		if (!parse_row_group(r, &m->groups[i], err))
		{
			m->ngroups++; /* freed with the others */
			return false;
		}
	return true;
}

/* KeyValue {1: key, 2: value} */
static bool
parse_key_values(ParquetThriftReader *r, uint8_t type, ParquetFileMeta *m, EbbError *err)
{
	uint32_t n;
	int16_t id;
	uint8_t t;

	if (m->kv || !begin_list(r, type, &n, err))
		return m->kv ? damaged(err, "two key/value lists") : false;
	m->kv = calloc(2 * (size_t) n + 1, sizeof(char *));
	if (!m->kv)
		abort();
	for (uint32_t i = 0; i < n; i++)
	{
		m->nkv++;
		if (!parquet_thrift_read_struct_begin(r))
			return damaged(err, "truncated footer");
		for (;;)
		{
			if (!next_field(r, &id, &t, err))
				return false;
			if (t == TT_STOP)
				break;
			bool ok = id == 1   ? read_string(r, t, &m->kv[2 * i], err)
					  : id == 2 ? read_string(r, t, &m->kv[2 * i + 1], err)
								: skip(r, t, err);
			if (!ok)
				return false;
		}
		if (!m->kv[2 * i])
			return damaged(err, "a key/value pair without a key");
	}
	return true;
}

static bool
parse_file_meta(ParquetThriftReader *r, ParquetFileMeta *m, EbbError *err)
{
	int16_t id;
	uint8_t t;
	bool schema = false, rows = false;

	if (!parquet_thrift_read_struct_begin(r))
		return damaged(err, "truncated footer");
	for (;;)
	{
		if (!next_field(r, &id, &t, err))
			return false;
		if (t == TT_STOP)
			break;
		bool ok = id == 2 && !schema ? (schema = true, parse_schema(r, t, m, err))
				  : id == 3          ? (rows = true, read_i64(r, t, &m->num_rows, err))
				  : id == 4          ? parse_row_groups(r, t, m, err)
				  : id == 5          ? parse_key_values(r, t, m, err)
									 : skip(r, t, err);
		if (!ok)
			return false;
	}
	if (!schema || !rows || !m->groups)
		return damaged(err, "a footer without its schema, row count or row groups");
	return true;
}

static const char *
codec_name(int codec)
{
	static const char *const names[] = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO",
										"BROTLI",       "LZ4",    "ZSTD", "LZ4_RAW"};
	return codec >= 0 && codec < 8 ? names[codec] : "unknown";
}

static bool
check_chunk(const ParquetChunkMeta *c, const ParquetLeaf *leaf, uint64_t data_end, EbbError *err)
{
	int64_t start =
		c->dict_offset > 0 && c->dict_offset < c->data_offset ? c->dict_offset : c->data_offset;

	if (c->physical != leaf->physical)
		return damaged(err, "a column chunk of another type than its column");
	if (c->codec != 0 && c->codec != 1 && c->codec != 2 && c->codec != 6)
		return error_set(err, EBB_ERR_DATA, "column \"%s\" is compressed with %s (codec %d)",
						 leaf->name, codec_name(c->codec), c->codec);
	if (start < 4 || c->total_compressed <= 0 || c->num_values < 0 ||
		(uint64_t) c->total_compressed > data_end - (uint64_t) start)
		return damaged(err, "a column chunk outside the file's data");
	return true;
}

/* Every row group has a chunk per leaf, inside the data; the row counts add up. */
static bool
check_groups(const ParquetFileMeta *m, uint64_t data_end, EbbError *err)
{
	int64_t sum = 0;

	if (m->num_rows < 0)
		return damaged(err, "a negative row count");
	for (int g = 0; g < m->ngroups; g++)
	{
		const ParquetRowGroupMeta *rg = &m->groups[g];
		if (rg->num_rows < 0 || rg->num_rows > m->num_rows - sum)
			return damaged(err, "the row count of the footer and its row groups differ");
		sum += rg->num_rows;
		if (rg->ncols != m->nleaves)
			return damaged(err, "a row group without a chunk for every column");
		for (int i = 0; i < rg->ncols; i++)
			if (!check_chunk(&rg->cols[i], &m->leaves[i], data_end, err))
				return false;
	}
	if (sum != m->num_rows)
		return damaged(err, "the row count of the footer and its row groups differ");
	return true;
}

bool
parquet_footer_read_parse(const uint8_t *data, size_t len, uint64_t data_end, ParquetFileMeta *m,
						  EbbError *err)
{
	ParquetThriftReader r;

	memset(m, 0, sizeof(*m));
	parquet_thrift_reader_init(&r, data, len);
	if (parse_file_meta(&r, m, err) && check_groups(m, data_end, err))
		return true;
	parquet_footer_read_free(m);
	return false;
}

void
parquet_footer_read_free(ParquetFileMeta *m)
{
	for (int i = 0; i < m->nleaves; i++)
		free(m->leaves[i].name);
	free(m->leaves);
	for (int g = 0; g < m->ngroups; g++)
		free(m->groups[g].cols);
	free(m->groups);
	for (int i = 0; i < 2 * m->nkv; i++)
		free(m->kv[i]);
	free(m->kv);
	memset(m, 0, sizeof(*m));
}
