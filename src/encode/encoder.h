/*
 * encoder.h: the encoder interface (drivers: csv, parquet). An encoder turns Rows into bytes
 * written to a Sink. The Encoder owns its state; the caller owns the Sink, the shape and the
 * options (they outlive the Encoder).
 *
 * A driver that reads binary rows (binary_rows) says per column whether it takes the column's
 * binary send form (column_binary); the other columns reach it in their text form. A driver
 * that compresses inside its format (codecs != NULL) takes --compress itself: its objects get
 * no outer compressor.
 *
 * Each driver also counts the rows of a whole object of its format (ebb verify): a counter is
 * a Sink that takes the object's decompressed bytes; after a successful finish() it knows the
 * rows (a header is not a row). A malformed object fails a write or the finish with
 * EBB_ERR_VERIFY. The caller owns the counter and frees it with encoder_counter_destroy().
 */
#ifndef EBB_ENCODE_ENCODER_H
#define EBB_ENCODE_ENCODER_H

#include "common/buf.h"
#include "common/error.h"
#include "common/row.h"
#include "common/sink.h"

/* What to do with a value the format cannot hold (+-infinity dates and timestamps, NaN in a
 * DECIMAL column). */
typedef enum EncoderInfinity
{
	ENC_INFINITY_ERROR,   /* fail the object with a clear error (the default) */
	ENC_INFINITY_NULL,    /* store NULL */
	ENC_INFINITY_SENTINEL /* store the type's extreme value (DuckDB reads it as infinity) */
} EncoderInfinity;

typedef struct EncoderOptions
{
	const char *codec;        /* --compress, for drivers with codecs */
	int codec_level;          /* -1: the codec's default */
	uint64_t row_group_rows;  /* 0: the driver's default */
	uint64_t row_group_bytes; /* 0: the driver's default */
	EncoderInfinity infinity;
	const StrList *metadata; /* key, value, key, value ...: stored in the object when it can */
} EncoderOptions;

typedef struct EncoderDriver
{
	const char *name;      /* --format value */
	const char *extension; /* object name extension before the compressor's */
	bool binary_rows;      /* takes COPY's binary form */
	const char *codecs;    /* NULL, or the --compress values it implements: "zstd, snappy" */
	bool (*column_binary)(const ColumnDesc *col);
	/* With codecs: is this --compress value one, and which --compress-level may it take? */
	bool (*codec_levels)(const char *codec, int *min_level, int *max_level);
	void *(*create)(const TableShape *shape, const EncoderOptions *opts, Sink *out);
	bool (*begin)(void *state, EbbError *err);
	bool (*row)(void *state, const Row *row, EbbError *err);
	bool (*finish)(void *state, EbbError *err);
	void (*destroy)(void *state);
	Sink *(*counter_create)(void);
	uint64_t (*counter_rows)(const Sink *counter);
	void (*counter_destroy)(Sink *counter);
} EncoderDriver;

typedef struct Encoder
{
	const EncoderDriver *driver;
	void *state;
} Encoder;

/* NULL when no driver has that name. */
const EncoderDriver *encoder_find(const char *name);
const char *encoder_names(void);

void encoder_open(Encoder *enc, const EncoderDriver *driver, const TableShape *shape,
				  const EncoderOptions *opts, Sink *out);
/* Does the driver read this column's binary form (false for text drivers)? */
bool encoder_column_binary(const EncoderDriver *driver, const ColumnDesc *col);
bool encoder_begin(Encoder *enc, EbbError *err);
bool encoder_row(Encoder *enc, const Row *row, EbbError *err);
bool encoder_finish(Encoder *enc, EbbError *err);
void encoder_close(Encoder *enc);

Sink *encoder_counter_create(const EncoderDriver *driver);
/* The rows counted; meaningful after sink_finish() succeeded. */
uint64_t encoder_counter_rows(const EncoderDriver *driver, const Sink *counter);
void encoder_counter_destroy(const EncoderDriver *driver, Sink *counter);

#endif
