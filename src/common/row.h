/*
 * row.h: the row model shared by the stages. pg/ decodes COPY data into Rows; encode/
 * consumes them; neither knows the other. A Row's fields point into memory owned by whoever
 * produced the Row and stay valid only until the next row is produced.
 */
#ifndef EBB_COMMON_ROW_H
#define EBB_COMMON_ROW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ColumnDesc
{
	char *name;        /* attname */
	uint32_t type_oid; /* atttypid, domains resolved to their base type */
	char *type_name;   /* format_type(): "character varying(255)", "jsonb", ... */
} ColumnDesc;

typedef struct TableShape
{
	int ncolumns;
	ColumnDesc *columns;
} TableShape;

/* One field in PostgreSQL's text output form (the type's output function), already unescaped. */
typedef struct RowField
{
	const char *data;
	size_t len;
	bool isnull;
} RowField;

typedef struct Row
{
	int nfields;
	RowField *fields;
} Row;

void table_shape_free(TableShape *shape);

#endif
