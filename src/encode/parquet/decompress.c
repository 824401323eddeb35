/* decompress.c: Parquet's page codecs, the inverse of codec.c. */
#include "encode/parquet/decompress.h"

#include <snappy-c.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

/* deflate's best ratio is about 1032:1; a larger promise is damage. */
#define GZIP_MAX_RATIO 1032

static bool
bad_page(EbbError *err, const char *codec)
{
	return error_set(err, EBB_ERR_VERIFY, "a %s page that does not decompress to its size", codec);
}

/* One or more gzip members (or a zlib stream: 15 + 32 detects either). */
static bool
inflate_page(const uint8_t *src, size_t slen, size_t ulen, Buf *scratch, EbbError *err)
{
	z_stream z;
	int rc = Z_OK;

	if (slen > UINT32_MAX || ulen > UINT32_MAX || ulen / GZIP_MAX_RATIO > slen + 1)
		return bad_page(err, "GZIP");
	memset(&z, 0, sizeof(z));
	buf_reserve(scratch, ulen + 1);
	uint8_t *dst = (uint8_t *) scratch->data;
	if (inflateInit2(&z, 15 + 32) != Z_OK)
		return error_set(err, EBB_ERR_INTERNAL, "could not start gzip decompression");
	z.next_in = (Bytef *) src;
	z.avail_in = (uInt) slen;
	z.next_out = dst;
	z.avail_out = (uInt) ulen;
	while (rc == Z_OK)
	{
		rc = inflate(&z, Z_FINISH);
		/* another member follows */
		if (rc == Z_STREAM_END && z.avail_in > 0 && z.avail_out > 0)
			rc = inflateReset(&z);
	}
	bool ok = rc == Z_STREAM_END && z.total_out == ulen;
	inflateEnd(&z);
	return ok || bad_page(err, "GZIP");
}

static bool
unsnappy(const uint8_t *src, size_t slen, size_t ulen, Buf *scratch, EbbError *err)
{
	size_t n;

	if (snappy_uncompressed_length((const char *) src, slen, &n) != SNAPPY_OK || n != ulen)
		return bad_page(err, "SNAPPY");
	buf_reserve(scratch, ulen + 1);
	n = ulen;
	if (snappy_uncompress((const char *) src, slen, scratch->data, &n) != SNAPPY_OK || n != ulen)
		return bad_page(err, "SNAPPY");
	return true;
}

static bool
unzstd(const uint8_t *src, size_t slen, size_t ulen, Buf *scratch, EbbError *err)
{
	unsigned long long known = ZSTD_getFrameContentSize(src, slen);

	/* A frame that states its size must state this one; one that does not is bounded by
	 * zstd's best ratio (a block of 128 KiB from a few bytes). */
	if (known == ZSTD_CONTENTSIZE_ERROR || (known != ZSTD_CONTENTSIZE_UNKNOWN && known != ulen) ||
		(known == ZSTD_CONTENTSIZE_UNKNOWN && ulen / 32768 > slen + 1))
		return bad_page(err, "ZSTD");
	buf_reserve(scratch, ulen + 1);
	size_t n = ZSTD_decompress(scratch->data, ulen, src, slen);
	return (!ZSTD_isError(n) && n == ulen) || bad_page(err, "ZSTD");
}

bool
parquet_decompress_page(int codec, const uint8_t *src, size_t slen, size_t ulen, Buf *scratch,
						const uint8_t **out, EbbError *err)
{
	buf_reset(scratch);
	if (slen == 0 && ulen == 0)
	{
		/* an empty values section (a v2 page of NULLs): nothing was compressed */
		static const uint8_t none[1];
		*out = none;
		return true;
	}
	switch (codec)
	{
		case 0:
			if (slen != ulen)
				return error_set(err, EBB_ERR_VERIFY,
								 "an uncompressed page whose two sizes differ");
			*out = src;
			return true;
		case 1:
			if (!unsnappy(src, slen, ulen, scratch, err))
				return false;
			break;
		case 2:
			if (!inflate_page(src, slen, ulen, scratch, err))
				return false;
			break;
		case 6:
			if (!unzstd(src, slen, ulen, scratch, err))
				return false;
			break;
		default: return error_set(err, EBB_ERR_DATA, "unsupported codec %d", codec);
	}
	scratch->len = ulen;
	*out = (const uint8_t *) scratch->data;
	return true;
}
