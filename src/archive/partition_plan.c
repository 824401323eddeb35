/* partition_plan.c: the leaves of a range-partitioned table and their time ranges
 * (partition_plan.h). */
#include "archive/partition_plan.h"

#include <stdlib.h>
#include <string.h>

#include "archive/target.h"
#include "common/time.h"
#include "pg/ident.h"
#include "pg/partitions.h"

/* What the plan adds to each relation of the tree while it is built (leaves are copied out at
 * the end): its effective time range, and the DEFAULTs. */
typedef struct Node
{
	int64_t lower, upper;
	bool is_default, has_default_child;
} Node;

/* The index of the node `oid` among the first n, or -1. */
static int
find_node(const PgPartTree *tree, int n, uint32_t oid)
{
	for (int i = 0; i < n; i++)
		if (tree->nodes[i].oid == oid)
			return i;
	return -1;
}

/* Narrows each node's range by its own bound where its parent partitions time by range. */
static void
compute_ranges(const PgPartTree *tree, Node *nodes)
{
	for (int i = 0; i < tree->n; i++)
	{
		const PgPartNode *rel = &tree->nodes[i];
		Node *nd = &nodes[i];
		int p = find_node(tree, i, rel->parent);
		Node *parent = p >= 0 ? &nodes[p] : NULL;

		nd->lower = parent ? parent->lower : TIME_NEG_INFINITY;
		nd->upper = parent ? parent->upper : TIME_POS_INFINITY;
		nd->is_default = parent && parent->is_default;
		if (parent && strcmp(rel->bound, "DEFAULT") == 0)
		{
			parent->has_default_child = true;
			nd->is_default |= rel->time_level;
		}
		if (!rel->time_level)
			continue;
		if (rel->has_lower)
			nd->lower = rel->lower > nd->lower ? rel->lower : nd->lower;
		if (rel->has_upper)
			nd->upper = rel->upper < nd->upper ? rel->upper : nd->upper;
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
add_leaf(PartPlan *plan, const PgPartTree *tree, const Node *nodes, int i)
{
	const PgPartNode *rel = &tree->nodes[i];
	int p = find_node(tree, tree->n, rel->parent);

	if (p < 0)
		return; /* the root itself, never a leaf of its own plan */
	PartLeaf *l = &plan->leaves[plan->n++];
	memset(l, 0, sizeof(*l));
	l->oid = rel->oid;
	l->schema = ebb_strdup(rel->schema);
	l->name = ebb_strdup(rel->name);
	l->qualified = qualified(l->schema, l->name);
	l->parent = qualified(tree->nodes[p].schema, tree->nodes[p].name);
	l->bound = ebb_strdup(rel->bound);
	l->lower = nodes[i].lower;
	l->upper = nodes[i].upper;
	l->is_default = nodes[i].is_default;
	l->parent_has_default = nodes[p].has_default_child;
	l->detach_pending = rel->detach_pending;
	l->bytes = rel->bytes;
	l->est_rows = rel->est_rows;
	l->pinned = rel->pinned;
}

static int
leaf_order(const void *a, const void *b)
{
	const PartLeaf *x = a, *y = b;

	return (x->lower > y->lower) - (x->lower < y->lower);
}

static bool
check_root(const PartTable *table, const PgPartTree *tree, EbbError *err)
{
	if (tree->n <= 1 || tree->nodes[1].time_level)
		return true; /* no partition yet: nothing to plan */
	error_set(err, EBB_ERR_CONFIG, "table %s is not range-partitioned by its time column \"%s\"",
			  pg_message_name(table->schema, table->table).s, table->time_column);
	error_detail(err, "ebb archives a partitioned table partition by partition, from the "
					  "partitions' time ranges.");
	error_hint(err,
			   "Archive its partitions as tables of their own, or partition it "
			   "BY RANGE (%s).",
			   table->time_column);
	return false;
}

static void
build_plan(const PgPartTree *tree, PartPlan *plan)
{
	Node *nodes = ebb_malloc(sizeof(Node) * (size_t) (tree->n ? tree->n : 1));

	memset(nodes, 0, sizeof(Node) * (size_t) (tree->n ? tree->n : 1));
	compute_ranges(tree, nodes);
	plan->leaves = ebb_malloc(sizeof(PartLeaf) * (size_t) (tree->n ? tree->n : 1));
	for (int i = 1; i < tree->n; i++)
		if (tree->nodes[i].relkind == 'r')
			add_leaf(plan, tree, nodes, i);
	qsort(plan->leaves, (size_t) plan->n, sizeof(PartLeaf), leaf_order);
	for (int i = 0; i < plan->n; i++)
		if (plan->leaves[i].is_default && !plan->default_leaf)
			plan->default_leaf = ebb_strdup(plan->leaves[i].qualified);
	free(nodes);
}

bool
archive_partition_plan(PGconn *conn, const PartTable *table, PartPlan *plan, EbbError *err)
{
	PgPartTree tree;

	memset(plan, 0, sizeof(*plan));
	if (!pg_partitions_tree(conn, table->oid, table->time_column, table->time_is_tz, &tree, err))
		return false;
	bool ok = check_root(table, &tree, err);
	if (ok)
		build_plan(&tree, plan);
	pg_partitions_tree_free(&tree);
	return ok;
}

PartTable
archive_partition_table_of(const ArchiveTarget *t)
{
	return (PartTable){t->info.oid, t->policy->schema, t->policy->table, t->policy->time_column,
					   t->info.time_is_tz};
}

void
archive_partition_plan_free(PartPlan *plan)
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
archive_partition_expired(const PartLeaf *leaf, int64_t cutoff)
{
	return !leaf->is_default && !leaf->pinned && leaf->upper != TIME_POS_INFINITY &&
		   leaf->upper <= cutoff;
}
