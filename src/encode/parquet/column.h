/*
 * column.h: one column's values of the row group being built, as the page writer will want
 * them: definition levels (one byte per row), and the non-NULL values either as dictionary
 * indices (while the dictionary stays under its limit) or PLAIN, plus the statistics. The
 * ParquetColumn owns all of it; parquet_column_reset() empties it for the next row group.
 */
#ifndef EBB_ENCODE_PARQUET_COLUMN_H
#define EBB_ENCODE_PARQUET_COLUMN_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "encode/parquet/types.h"

/* Arrow's and parquet-java's default: a dictionary past 1 MiB falls back to PLAIN. */
#define PQ_DICT_LIMIT (1024 * 1024)
/* Longer min/max values are left out of the statistics rather than truncated. */
#define PQ_STAT_MAX 256

typedef struct ParquetStats
{
	bool has;        /* min and max hold values (not every value NULL or NaN) */
	uint8_t min[16]; /* fixed-width PLAIN bytes */
	uint8_t max[16];
	Buf minb, maxb;     /* BYTE_ARRAY bytes */
	uint64_t nan_count; /* FLOAT, DOUBLE */
} ParquetStats;

typedef struct ParquetColumn
{
	const ColumnDesc *desc;
	ParquetColumnType type;
	int width;            /* PLAIN bytes per value; 0 for BYTE_ARRAY */
	Buf defs;             /* one byte per row: 1 value, 0 NULL */
	Buf values;           /* PLAIN values (BOOLEAN: one byte each), when not dictionary-encoded */
	uint64_t nulls;       /* rows that are NULL */
	uint64_t values_n;    /* non-NULL rows */
	uint64_t plain_bytes; /* the PLAIN size of the non-NULL values */
	/* The dictionary: entries in PLAIN form (the dictionary page's body) in dict, found by
	 * an open-addressing table of entry numbers + 1; indices holds a uint32 per value. */
	bool dict_on;
	Buf dict;
	uint32_t *slots;
	uint32_t nslots;
	uint32_t nentries;
	uint32_t *entry_off; /* BYTE_ARRAY: where each entry's length prefix starts in dict */
	uint32_t *entry_hash;
	uint32_t entry_cap;
	Buf indices;
	ParquetStats stats;
} ParquetColumn;

void parquet_column_init(ParquetColumn *c, const ColumnDesc *desc);
void parquet_column_reset(ParquetColumn *c); /* for the next row group; keeps allocations */
void parquet_column_free(ParquetColumn *c);

void parquet_column_add_null(ParquetColumn *c);
/* A non-NULL value: fixed-width PLAIN bytes, or a BYTE_ARRAY's bytes. */
void parquet_column_add(ParquetColumn *c, const void *value, size_t len);

/* Bytes buffered (for the row group's byte budget). */
uint64_t parquet_column_buffered(const ParquetColumn *c);
/* Is the dictionary worth writing? Otherwise materializes PLAIN values from it. */
bool parquet_column_use_dictionary(ParquetColumn *c);

#endif
