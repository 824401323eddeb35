/*
 * encoder.h: the encoder interface (drivers: csv; parquet later). An encoder turns Rows into
 * bytes written to a Sink. The Encoder owns its state; the caller owns the Sink and the shape.
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

#endif
