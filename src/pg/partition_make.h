/*
 * partition_make.h: the range partitions ebb makes (ebb partition ahead of time, ebb restore
 * for rows whose partition is gone): one interval of the key's time each, named
 * <table>_p<start> (YYYYMMDDHH for hours, YYYYMMDD for days and weeks, YYYYMM for months),
 * bounded in UTC wall-clock time for a timestamptz key. Deciding which ranges to make is the
 * caller's.
 */
#ifndef EBB_PG_PARTITION_MAKE_H
#define EBB_PG_PARTITION_MAKE_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "common/buf.h"
#include "common/error.h"

typedef struct PgPartInterval
{
	const char *unit;   /* date_trunc unit: hour, day, week, month */
	const char *format; /* to_char format of the name's suffix */
} PgPartInterval;

/* --interval: 1h, 1d, 1w, 1mon (or hour, day, week, month...). EBB_ERR_USAGE otherwise. */
bool pg_partition_interval_parse(const char *text, PgPartInterval *out, EbbError *err);

/* The interval of the partitions of schema.table that ebb partition named: a partition named
 * <table>_p<suffix> whose bound is the interval that the suffix starts (the newest such one
 * decides). *found false when none is. */
bool pg_partition_interval_infer(PGconn *conn, const char *schema, const char *table,
								 bool key_is_tz, bool *found, PgPartInterval *out, EbbError *err);

/* <table>_p<suffix> must fit PostgreSQL's 63 bytes: a truncated name would collide. */
bool pg_partition_name_fits(const char *table, const PgPartInterval *iv, EbbError *err);

/* Appends "<lower>, <upper>": the bounds, as values of the key's type, of the interval that
 * starts at the timestamp (without time zone) expression g; unit is an SQL expression for the
 * interval's unit (a parameter, as "$1"). For a timestamptz key, g is UTC wall-clock time:
 * adding a month or a day to a timestamptz would follow the session's TimeZone. */
void pg_partition_bounds_sql(bool key_is_tz, const char *g, const char *unit, Buf *sql);

/* CREATE TABLE schema.name PARTITION OF parent FOR VALUES FROM ('lo') TO ('hi'); parent is
 * quoted and qualified, lo and hi are literals of the key's type. sqlstate says why it
 * failed (42P17: another partition covers part of the range; 42P07: the name is taken). */
bool pg_partition_create(PGconn *conn, const char *parent, const char *schema, const char *name,
						 const char *lo, const char *hi, char sqlstate[6], EbbError *err);

#endif
