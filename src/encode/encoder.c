#include "encode/encoder.h"

#include <string.h>

extern const EncoderDriver encode_csv_driver;
extern const EncoderDriver encode_parquet_driver;

static const EncoderDriver *const encoder_drivers[] = {&encode_csv_driver, &encode_parquet_driver};

const EncoderDriver *
encoder_find(const char *name)
{
	for (size_t i = 0; i < sizeof(encoder_drivers) / sizeof(encoder_drivers[0]); i++)
		if (strcmp(encoder_drivers[i]->name, name) == 0)
			return encoder_drivers[i];
	return NULL;
}

const char *
encoder_names(void)
{
	return "csv, parquet";
}

void
encoder_open(Encoder *enc, const EncoderDriver *driver, const TableShape *shape,
			 const EncoderOptions *opts, Sink *out)
{
	enc->driver = driver;
	enc->state = driver->create(shape, opts, out);
}

bool
encoder_column_binary(const EncoderDriver *driver, const ColumnDesc *col)
{
	return driver->binary_rows && driver->column_binary(col);
}

bool
encoder_begin(Encoder *enc, EbbError *err)
{
	return enc->driver->begin(enc->state, err);
}

bool
encoder_row(Encoder *enc, const Row *row, EbbError *err)
{
	return enc->driver->row(enc->state, row, err);
}

bool
encoder_finish(Encoder *enc, EbbError *err)
{
	return enc->driver->finish(enc->state, err);
}

void
encoder_close(Encoder *enc)
{
	if (enc->state)
		enc->driver->destroy(enc->state);
	enc->state = NULL;
}

Sink *
encoder_counter_create(const EncoderDriver *driver)
{
	return driver->counter_create();
}

uint64_t
encoder_counter_rows(const EncoderDriver *driver, const Sink *counter)
{
	return driver->counter_rows(counter);
}

void
encoder_counter_destroy(const EncoderDriver *driver, Sink *counter)
{
	if (counter)
		driver->counter_destroy(counter);
}
