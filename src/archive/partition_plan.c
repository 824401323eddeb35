/* partition_plan.c: the leaves of a range-partitioned table and their time ranges. */
#include <stdlib.h>
#include <string.h>

#include "archive/partition.h"
#include "common/time.h"
#include "pg/ident.h"

/*
 * The partition tree in level order, each relation with its parent, its bound, whether the
 * parent is range-partitioned on the time column (then the bound limits time), and the bound's
 * FROM and TO values converted to microseconds (NULL for MINVALUE/MAXVALUE or another kind of
 * bound). The bound's text comes from pg_get_expr in this session, so it parses back exactly.
 */
static void
tree_sql(const ArchiveTarget *t, Buf *sql)
{
	const char *type = t->info.time_is_tz ? "pg_catalog.timestamptz" : "pg_catalog.timestamp";
	char lo[96], hi[96];

	snprintf(lo, sizeof(lo), "pg_catalog.btrim(r.lo, '''')::%s", type);
	snprintf(hi, sizeof(hi), "pg_catalog.btrim(r.hi, '''')::%s", type);
	buf_append_str(sql, "WITH RECURSIVE tree(oid, parent, level) AS ("
						" SELECT $1::oid, 0::oid, 0 UNION ALL"
						" SELECT i.inhrelid, i.inhparent, t.level + 1 FROM tree t"
						" JOIN pg_catalog.pg_inherits i ON i.inhparent = t.oid) "
						"SELECT t.oid, t.parent, n.nspname, c.relname, c.relkind, b.expr,"
						" coalesce(i.inhdetachpending, false),"
						" coalesce(pt.partstrat = 'r' AND pt.partnatts = 1 AND a.attname = $2,"
						" false), pg_catalog.pg_total_relation_size(c.oid), c.reltuples,"
						" CASE WHEN r.lo IS NOT NULL AND r.lo <> 'MINVALUE' THEN ");
	archive_epoch_us_sql(lo, sql);
	buf_append_str(sql, " END, CASE WHEN r.hi IS NOT NULL AND r.hi <> 'MAXVALUE' THEN ");
	archive_epoch_us_sql(hi, sql);
	/* Pinned: a foreign key references it (the clone of one that references the parent too:
	 * DETACH would fail on a referenced row) or a view reads it (DROP would fail). */
	buf_append_str(sql, " END, EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k"
						" WHERE k.contype = 'f' AND k.confrelid = c.oid)"
						" OR EXISTS (SELECT 1 FROM pg_catalog.pg_depend d"
						" JOIN pg_catalog.pg_rewrite w ON w.oid = d.objid"
						" WHERE d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass"
						" AND d.refobjid = c.oid AND w.ev_class <> c.oid)");
	buf_append_str(sql, " FROM tree t JOIN pg_catalog.pg_class c ON c.oid = t.oid"
						" JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
						" CROSS JOIN LATERAL (SELECT pg_catalog.pg_get_expr(c.relpartbound, c.oid)"
						" AS expr) b"
						" CROSS JOIN LATERAL (SELECT"
						" substring(b.expr FROM '^FOR VALUES FROM \\((.*)\\) TO \\(') AS lo,"
						" substring(b.expr FROM '\\) TO \\((.*)\\)$') AS hi) r"
						" LEFT JOIN pg_catalog.pg_inherits i ON i.inhrelid = t.oid"
						" AND i.inhparent = t.parent"
						" LEFT JOIN pg_catalog.pg_partitioned_table pt ON pt.partrelid = t.parent"
						" LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = t.parent"
						" AND a.attnum = pt.partattrs[0]"
						" ORDER BY t.level, t.oid");
}

/* One relation of the tree while the plan is built (leaves are copied out at the end). */
typedef struct Node
{
	uint32_t oid, parent;
	char relkind;
	int64_t lower, upper;
	bool is_default, has_default_child;
	int row;
} Node;

static Node *
find_node(Node *nodes, int n, uint32_t oid)
{
	for (int i = 0; i < n; i++)
		if (nodes[i].oid == oid)
			return &nodes[i];
	return NULL;
}

/* Narrows each node's range by its own bound where its parent partitions time by range. */
static void
compute_ranges(PGresult *res, Node *nodes, int n)
{
	for (int i = 0; i < n; i++)
	{
		Node *nd = &nodes[i];
		Node *parent = find_node(nodes, i, nd->parent);
		bool time_level = strcmp(PQgetvalue(res, i, 7), "t") == 0;
		const char *bound = PQgetvalue(res, i, 5);

		nd->lower = parent ? parent->lower : TIME_NEG_INFINITY;
		nd->upper = parent ? parent->upper : TIME_POS_INFINITY;
		nd->is_default = parent && parent->is_default;
		if (parent && strcmp(bound, "DEFAULT") == 0)
		{
			parent->has_default_child = true;
			nd->is_default |= time_level;
		}
		if (!time_level)
			continue;
		if (!PQgetisnull(res, i, 10))
		{
			int64_t lo = strtoll(PQgetvalue(res, i, 10), NULL, 10);
			nd->lower = lo > nd->lower ? lo : nd->lower;
		}
		if (!PQgetisnull(res, i, 11))
		{
			int64_t hi = strtoll(PQgetvalue(res, i, 11), NULL, 10);
			nd->upper = hi < nd->upper ? hi : nd->upper;
		}
	}
}

static char *
qualified(const char *schema, const char *name)
{
	Buf b;

	buf_init(&b);
	pg_quote_qualified(&b, schema, name);
	buf_cstr(&b);
	return b.data;
}

static void
add_leaf(PartPlan *plan, PGresult *res, const Node *nodes, int n, int i)
{
	const Node *nd = &nodes[i];
	const Node *parent = find_node((Node *) nodes, n, nd->parent);

	if (!parent)
		return; /* the root itself, never a leaf of its own plan */
	PartLeaf *l = &plan->leaves[plan->n++];
	memset(l, 0, sizeof(*l));
	l->oid = nd->oid;
	l->schema = ebb_strdup(PQgetvalue(res, i, 2));
	l->name = ebb_strdup(PQgetvalue(res, i, 3));
	l->qualified = qualified(l->schema, l->name);
	l->parent = qualified(PQgetvalue(res, parent->row, 2), PQgetvalue(res, parent->row, 3));
	l->bound = ebb_strdup(PQgetvalue(res, i, 5));
	l->lower = nd->lower;
	l->upper = nd->upper;
	l->is_default = nd->is_default;
	l->parent_has_default = parent->has_default_child;
	l->detach_pending = strcmp(PQgetvalue(res, i, 6), "t") == 0;
	l->bytes = strtoll(PQgetvalue(res, i, 8), NULL, 10);
	l->est_rows = atof(PQgetvalue(res, i, 9));
	l->pinned = strcmp(PQgetvalue(res, i, 12), "t") == 0;
}

static int
leaf_order(const void *a, const void *b)
{
	const PartLeaf *x = a, *y = b;

	return (x->lower > y->lower) - (x->lower < y->lower);
}

static bool
check_root(const ArchiveTarget *t, PGresult *res, EbbError *err)
{
	int n = PQntuples(res);
	bool by_time = n > 1 && strcmp(PQgetvalue(res, 1, 7), "t") == 0;

	if (n <= 1 || by_time)
		return true; /* no partition yet: nothing to plan */
	error_set(err, EBB_ERR_CONFIG, "table %s is not range-partitioned by its time column \"%s\"",
			  pg_message_name(t->policy->schema, t->policy->table).s, t->policy->time_column);
	error_detail(err, "ebb archives a partitioned table partition by partition, from the "
					  "partitions' time ranges.");
	error_hint(err,
			   "Archive its partitions as tables of their own, or partition it "
			   "BY RANGE (%s).",
			   t->policy->time_column);
	return false;
}

bool
partition_plan(ArchiveTarget *t, PartPlan *plan, EbbError *err)
{
	const char *params[2] = {t->info.oid_text, t->policy->time_column};
	PGresult *res;
	Buf sql;

	memset(plan, 0, sizeof(*plan));
	buf_init(&sql);
	tree_sql(t, &sql);
	bool ok = pg_query(t->conn, buf_cstr(&sql), 2, params, &res, err);
	buf_free(&sql);
	if (!ok)
		return false;
	int n = PQntuples(res);
	Node *nodes = ebb_malloc(sizeof(Node) * (size_t) (n ? n : 1));
	for (int i = 0; i < n; i++)
		nodes[i] = (Node){(uint32_t) strtoul(PQgetvalue(res, i, 0), NULL, 10),
						  (uint32_t) strtoul(PQgetvalue(res, i, 1), NULL, 10),
						  PQgetvalue(res, i, 4)[0],
						  0,
						  0,
						  false,
						  false,
						  i};
	ok = check_root(t, res, err);
	if (ok)
	{
		compute_ranges(res, nodes, n);
		plan->leaves = ebb_malloc(sizeof(PartLeaf) * (size_t) (n ? n : 1));
		for (int i = 1; i < n; i++)
			if (nodes[i].relkind == 'r')
				add_leaf(plan, res, nodes, n, i);
		qsort(plan->leaves, (size_t) plan->n, sizeof(PartLeaf), leaf_order);
		for (int i = 0; i < plan->n; i++)
			if (plan->leaves[i].is_default && !plan->default_leaf)
				plan->default_leaf = ebb_strdup(plan->leaves[i].qualified);
	}
	free(nodes);
	PQclear(res);
	return ok;
}

void
partition_plan_free(PartPlan *plan)
{
	for (int i = 0; i < plan->n; i++)
	{
		PartLeaf *l = &plan->leaves[i];
		free(l->schema);
		free(l->name);
		free(l->qualified);
		free(l->parent);
		free(l->bound);
	}
	free(plan->leaves);
	free(plan->default_leaf);
	memset(plan, 0, sizeof(*plan));
}

bool
partition_expired(const ArchiveTarget *t, const PartLeaf *leaf)
{
	return !leaf->is_default && !leaf->pinned && leaf->upper != TIME_POS_INFINITY &&
		   leaf->upper <= t->cutoff;
}
