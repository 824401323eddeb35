/*
 * sql.h: the small SQL helpers that the files of src/archive/ share: queries, literals and
 * conditions built from an ArchiveTarget (target.h), prepared statement names. sql.c is a
 * leaf: it calls no other file of the folder, so that any of them may call it. Text appended
 * to a Buf is the caller's; nothing here keeps state but the statement counter.
 */
#ifndef EBB_ARCHIVE_SQL_H
#define EBB_ARCHIVE_SQL_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "archive/target.h"
#include "common/buf.h"
#include "common/error.h"
#include "pg/catalog.h"

/* The first column of the first row as an integer (*isnull when NULL or no row). */
bool archive_sql_query_int64(PGconn *conn, const char *sql, int n, const char *const *params,
							 int64_t *out, bool *isnull, EbbError *err);
/* A name for a prepared statement, unique in this process (tables share a session). */
void archive_sql_statement_name(const char *prefix, char *out, size_t outlen);
/* Drops the target's prepared statements (best effort). */
void archive_sql_deallocate(ArchiveTarget *t);
/* ROLLBACK when the session is in a transaction (best effort). */
void archive_sql_rollback(ArchiveTarget *t);
/* SQL turning expr, a value of the time column, into int8 microseconds since the epoch (an
 * integer time dimension's through --time-unit, rounded down). */
void archive_sql_time_us(const ArchiveTarget *t, const char *expr, Buf *out);
/* The time column's type for casts: timestamptz, timestamp, or int8 (an integer dimension). */
const char *archive_sql_time_type(const ArchiveTarget *t);
/* Formats a time as the SQL literal for the column's type (an integer column: the first
 * value at or after it). */
void archive_sql_time_literal(const ArchiveTarget *t, int64_t us, Buf *out);
/* The WHERE condition selecting a piece's rows (time literals are ebb's own integers). */
void archive_sql_range_condition(const ArchiveTarget *t, TimeRange piece, Buf *out);
/* The column list of a COPY of the table's rows, by name, in the table's order, with the
 * casts to text a binary encoder asks for. */
void archive_sql_column_list(const TableShape *shape, Buf *sql);

#endif
