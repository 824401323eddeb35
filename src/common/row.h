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
	int32_t typmod;    /* the base type's typmod (a domain's own); -1 when none */
	char typtype;      /* pg_type.typtype of the base type: 'b', 'e' enum, 'c', 'r', 'm' ... */
	char typcategory;  /* pg_type.typcategory of the base type: 'A' for arrays ... */
	char *type_name;   /* format_type(): "character varying(255)", "jsonb", ... */
	bool as_text;      /* in a binary stream, this column comes in its text form (cast) */
} ColumnDesc;

typedef struct TableShape
{
	int ncolumns;
	ColumnDesc *columns;
	bool binary; /* rows carry COPY's binary form (see RowField) */
} TableShape;

/*
 * One field, in PostgreSQL's text output form (the type's output function, already unescaped),
 * or, when the shape is binary, in the type's binary send form (big-endian, as COPY (FORMAT
 * binary) sends it); a column marked as_text then carries its text form's bytes.
 */
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

void row_table_shape_free(TableShape *shape);

#endif
