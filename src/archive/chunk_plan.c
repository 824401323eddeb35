/* chunk_plan.c: a hypertable's chunks as a plan (chunk_plan.h). */
#include "archive/chunk_plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/time.h"
#include "pg/ident.h"
#include "pg/pg.h"

int64_t
archive_chunk_us(int64_t value, int64_t unit_ns, bool up)
{
	if (unit_ns >= 1000)
	{
		int64_t per = unit_ns / 1000;
		if (value > INT64_MAX / per)
			return TIME_POS_INFINITY;
		if (value < INT64_MIN / per)
			return TIME_NEG_INFINITY;
		return value * per;
	}
	/* nanoseconds: floor or ceiling of value / 1000 */
	int64_t q = value / 1000, r = value % 1000;
	if (r < 0 && !up)
		q--;
	else if (r > 0 && up)
		q++;
	return q;
}

bool
archive_chunk_same_slice(const PartLeaf *a, const PartLeaf *b)
{
	return a->lower == b->lower && a->upper == b->upper;
}

/* "[2026-11-01 00:00:00+00, 2026-11-02 00:00:00+00)", or the integers of an integer slice. */
static char *
slice_text(const ChunkTable *table, const PgChunk *c)
{
	char lo[64], hi[64];

	if (table->ht->integer)
		return ebb_asprintf("slice [%lld, %lld)", (long long) c->lower, (long long) c->upper);
	time_format_sql(c->lower, table->time_is_tz, lo, sizeof(lo));
	time_format_sql(c->upper, table->time_is_tz, hi, sizeof(hi));
	return ebb_asprintf("slice [%s, %s)", lo, hi);
}

static void
add_chunk(PartPlan *plan, const ChunkTable *table, const PgChunk *c, const char *parent)
{
	PartLeaf *l = &plan->leaves[plan->n++];

	memset(l, 0, sizeof(*l));
	l->oid = c->oid;
	l->schema = ebb_strdup(c->schema);
	l->name = ebb_strdup(c->name);
	l->qualified = ebb_strdup(c->qualified);
	l->parent = ebb_strdup(parent);
	l->bound = slice_text(table, c);
	l->lower = table->ht->integer ? archive_chunk_us(c->lower, table->unit_ns, false) : c->lower;
	l->upper = table->ht->integer ? archive_chunk_us(c->upper, table->unit_ns, true) : c->upper;
	l->compressed = c->compressed;
	l->bytes = c->bytes;
	l->est_rows = c->est_rows;
}

bool
archive_chunk_plan(PGconn *conn, const ChunkTable *table, PartPlan *plan, EbbError *err)
{
	PgChunkList chunks;
	Buf parent;

	memset(plan, 0, sizeof(*plan));
	if (table->ht->integer && !table->unit_ns)
	{
		error_set(err, EBB_ERR_CONFIG,
				  "hypertable %s has an integer time dimension and no --time-unit",
				  pg_message_name(table->schema, table->table).s);
		error_detail(err,
					 "Column \"%s\" is of type %s: ebb cannot tell which of its values are "
					 "older than the cutoff.",
					 table->ht->time_column, table->ht->time_type);
		error_hint(err, "Pass --time-unit s, ms, us or ns if it counts time since the Unix "
						"epoch.");
		return false;
	}
	if (!pg_hypertable_chunks(conn, table->ht, table->schema, table->table, &chunks, err))
		return false;
	buf_init(&parent);
	pg_quote_qualified(&parent, table->schema, table->table);
	plan->leaves = ebb_malloc(sizeof(PartLeaf) * (size_t) (chunks.n ? chunks.n : 1));
	for (int i = 0; i < chunks.n; i++)
		add_chunk(plan, table, &chunks.items[i], buf_cstr(&parent));
	buf_free(&parent);
	pg_chunk_list_free(&chunks);
	return true;
}
