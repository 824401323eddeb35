/*
 * generate_sql.h: the SQL that `ebb generate` runs. Every statement takes the same leading
 * parameters: $1 the newest time (timestamp text), $2 the number of rows, $3 the number of
 * days; the realistic set also takes $4 the seed.
 *
 * Row j (0 = oldest) lies at $1 - ($2 - j - 0.5) * step, step = $3 days / $2: the middle of
 * its slot, so that an archiver run with any cutoff within half a step after `ebb generate`
 * finds the same rows on each side of it. The expression is shared by the INSERT and by the
 * query that reports the range, so that both agree to the microsecond.
 */
#ifndef EBB_CMD_GENERATE_SQL_H
#define EBB_CMD_GENERATE_SQL_H

#define GENERATE_TIME_AT(j)                                                                        \
	"($1::timestamp - ((($2::int8 - (" j "))::float8 - 0.5) * ($3::int4 * 86400.0::float8"         \
	" / $2::int8)) * interval '1 second')"

/* The columns of the table, as format_type() spells them, in order. */
extern const char cmd_generate_expected_shape[];
/* CREATE TABLE %s ( ... ): the part after the table's name. */
extern const char cmd_generate_table_body[];
/* The column list and SELECT that follow "INSERT INTO <table>". */
extern const char cmd_generate_hourly_select[];
extern const char cmd_generate_realistic_select[];

#endif
