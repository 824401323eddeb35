/*
 * encoder.h: the encoder interface (drivers: csv; parquet later). An encoder turns Rows into
 * bytes written to a Sink. The Encoder owns its state; the caller owns the Sink and the shape.
 *
 * Each driver also counts the rows of a whole object of its format (ebb verify): a counter is
 * a Sink that takes the object's decompressed bytes; after a successful finish() it knows the
 * rows (a header is not a row). A malformed object fails a write or the finish with
 * EBB_ERR_VERIFY. The caller owns the counter and frees it with encoder_counter_destroy().
 */
#ifndef EBB_ENCODE_ENCODER_H
#define EBB_ENCODE_ENCODER_H

#include "common/error.h"
#include "common/row.h"
#include "common/sink.h"

typedef struct EncoderDriver
{
	const char *name;      /* --format value */
	const char *extension; /* object name extension before the compressor's */
	void *(*create)(const TableShape *shape, Sink *out);
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

void encoder_open(Encoder *enc, const EncoderDriver *driver, const TableShape *shape, Sink *out);
bool encoder_begin(Encoder *enc, EbbError *err);
bool encoder_row(Encoder *enc, const Row *row, EbbError *err);
bool encoder_finish(Encoder *enc, EbbError *err);
void encoder_close(Encoder *enc);

Sink *encoder_counter_create(const EncoderDriver *driver);
/* The rows counted; meaningful after sink_finish() succeeded. */
uint64_t encoder_counter_rows(const EncoderDriver *driver, const Sink *counter);
void encoder_counter_destroy(const EncoderDriver *driver, Sink *counter);

#endif
