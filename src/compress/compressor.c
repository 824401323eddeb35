#include "compress/compressor.h"

#include <string.h>

extern const CompressorDriver compress_zstd_driver;
extern const CompressorDriver compress_gzip_driver;
extern const CompressorDriver compress_none_driver;

static const CompressorDriver *const compressor_drivers[] = {
	&compress_zstd_driver, &compress_gzip_driver, &compress_none_driver};

const CompressorDriver *
compressor_find(const char *name)
{
	for (size_t i = 0; i < sizeof(compressor_drivers) / sizeof(compressor_drivers[0]); i++)
		if (strcmp(compressor_drivers[i]->name, name) == 0)
			return compressor_drivers[i];
	return NULL;
}

const char *
compressor_names(void)
{
	return "zstd, gzip, none";
}

Sink *
compressor_create(const CompressorDriver *driver, Sink *next, int level, EbbError *err)
{
	if (level < 0)
		level = driver->default_level;
	if (level < driver->min_level || level > driver->max_level)
	{
		error_set(err, EBB_ERR_USAGE, "invalid compression level %d for \"%s\"", level,
				  driver->name);
		error_hint(err, "Use a level from %d to %d.", driver->min_level, driver->max_level);
		return NULL;
	}
	return driver->create(next, level, err);
}

void
compressor_destroy(const CompressorDriver *driver, Sink *sink)
{
	if (sink)
		driver->destroy(sink);
}

Sink *
decompressor_create(const CompressorDriver *driver, Sink *next, EbbError *err)
{
	return driver->decompress_create(next, err);
}

void
decompressor_destroy(const CompressorDriver *driver, Sink *sink)
{
	if (sink)
		driver->decompress_destroy(sink);
}
