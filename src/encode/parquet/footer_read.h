/*
 * footer_read.h: a Parquet file's FileMetaData (Thrift compact) parsed into what the reader
 * needs: the flat schema's leaves with their annotations, the row groups' column chunks, and
 * the key/value metadata. The ParquetFileMeta owns every string and array in it.
 */
#ifndef EBB_ENCODE_PARQUET_FOOTER_READ_H
#define EBB_ENCODE_PARQUET_FOOTER_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef struct ParquetLeaf
{
	char *name;
	int physical;    /* parquet.thrift Type; -1 when missing */
	int type_length; /* FIXED_LEN_BYTE_ARRAY bytes */
	int repetition;  /* 0 REQUIRED, 1 OPTIONAL */
	int converted;   /* ConvertedType; -1 none */
	int scale, precision;
	int logical;                /* the LogicalType union member; 0 none */
	bool utc;                   /* TIME / TIMESTAMP: isAdjustedToUTC */
	int unit;                   /* TIME / TIMESTAMP: 1 MILLIS, 2 MICROS, 3 NANOS */
	int bit_width;              /* INTEGER */
	bool is_signed;             /* INTEGER */
	int lt_scale, lt_precision; /* DECIMAL's own */
} ParquetLeaf;

typedef struct ParquetChunkMeta
{
	int physical;
	int codec;
	int64_t num_values;
	int64_t total_compressed;
	int64_t data_offset;
	int64_t dict_offset; /* -1: none */
} ParquetChunkMeta;

typedef struct ParquetRowGroupMeta
{
	int64_t num_rows;
	int ncols;
	ParquetChunkMeta *cols;
} ParquetRowGroupMeta;

typedef struct ParquetFileMeta
{
	int nleaves;
	ParquetLeaf *leaves;
	int64_t num_rows;
	int ngroups;
	ParquetRowGroupMeta *groups;
	int nkv;
	char **kv; /* key, value (NULL when unset), key, value ... */
} ParquetFileMeta;

/*
 * Parses the footer bytes and checks them against the file: a flat schema (nested or repeated
 * columns are refused with EBB_ERR_DATA), every row group with one chunk per leaf of the
 * leaf's type, chunks inside [4, data_end), row counts that add up. Damage is EBB_ERR_VERIFY.
 * On failure m is freed.
 */
bool parquet_footer_read_parse(const uint8_t *data, size_t len, uint64_t data_end,
							   ParquetFileMeta *m, EbbError *err);
void parquet_footer_read_free(ParquetFileMeta *m);

#endif
