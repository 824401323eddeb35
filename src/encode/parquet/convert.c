/* convert.c: one value in COPY's binary form (big-endian) to Parquet's PLAIN bytes. */
#include <string.h>

#include "common/endian.h"
#include "common/log.h"
#include "common/time.h"
#include "encode/parquet/types.h"

/* 2000-01-01 (PostgreSQL's epoch) after 1970-01-01, in days and in microseconds. */
#define PG_EPOCH_DAYS 10957
#define PG_EPOCH_US   INT64_C(946684800000000)

static void
le32(uint8_t *o, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		o[i] = (uint8_t) (v >> (8 * i));
}

static void
le64(uint8_t *o, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		o[i] = (uint8_t) (v >> (8 * i));
}

static bool
bad_length(const ColumnDesc *col, size_t got, EbbError *err)
{
	return error_set(err, EBB_ERR_DATA,
					 "could not encode column \"%s\" as Parquet: a binary value of %zu bytes",
					 col->name, got);
}

static bool
unrepresentable(const ColumnDesc *col, const char *what, EbbError *err)
{
	error_set(err, EBB_ERR_DATA, "could not encode column \"%s\" as Parquet: the value is %s",
			  col->name, what);
	error_detail(err, "Parquet's %s type has no such value.", col->type_name);
	error_hint(err, "Use --parquet-infinity null to store NULL, or sentinel to store the type's "
					"extreme value (DuckDB reads it as infinity); or archive this table as CSV.");
	return false;
}

/* +-infinity under the policy: the sentinel value, or NULL, or an error. */
static bool
infinity(const ColumnDesc *col, EncoderInfinity policy, bool positive, int64_t sentinel, int64_t *v,
		 bool *isnull, EbbError *err)
{
	if (policy == ENC_INFINITY_ERROR)
		return unrepresentable(col, positive ? "infinity" : "-infinity", err);
	*isnull = policy == ENC_INFINITY_NULL;
	*v = positive ? sentinel : -sentinel;
	return true;
}

static bool
convert_date(const ColumnDesc *col, EncoderInfinity policy, const char *in, uint8_t out[16],
			 bool *isnull, EbbError *err)
{
	int32_t d = (int32_t) read_be32(in);
	int64_t v = (int64_t) d + PG_EPOCH_DAYS;

	if ((d == INT32_MIN || d == INT32_MAX) &&
		!infinity(col, policy, d == INT32_MAX, INT32_MAX, &v, isnull, err))
		return false;
	le32(out, (uint32_t) (int32_t) v);
	return true;
}

static bool
convert_timestamp(const ColumnDesc *col, EncoderInfinity policy, const char *in, uint8_t out[16],
				  bool *isnull, EbbError *err)
{
	int64_t ts = (int64_t) read_be64(in);
	int64_t v = 0;

	if (ts == INT64_MIN || ts == INT64_MAX)
	{
		if (!infinity(col, policy, ts == INT64_MAX, INT64_MAX, &v, isnull, err))
			return false;
	}
	else if (__builtin_add_overflow(ts, PG_EPOCH_US, &v) || v == INT64_MAX || v == -INT64_MAX)
	{
		/* Within 30 years of PostgreSQL's largest timestamp: beyond Unix microseconds. */
		error_set(err, EBB_ERR_DATA,
				  "could not encode column \"%s\" as Parquet: a timestamp beyond the year 294246",
				  col->name);
		error_detail(err, "Parquet timestamps count microseconds from 1970 in 64 bits.");
		error_hint(err, "Archive this table as CSV.");
		return false;
	}
	le64(out, (uint64_t) v);
	return true;
}

/*
 * PostgreSQL's time goes up to 24:00:00 inclusive; Arrow's time64 (and with it polars and
 * pyarrow) ends just before it and reads 86,400,000,000 µs as NULL or fails. The policy decides:
 * an error, NULL, or 23:59:59.999999 (the last time Arrow reads), which warns once a run.
 */
static bool
convert_time(const ColumnDesc *col, EncoderInfinity policy, const char *in, uint8_t out[16],
			 bool *isnull, EbbError *err)
{
	static bool warned;
	int64_t v = (int64_t) read_be64(in);

	if (v == USECS_PER_DAY)
	{
		if (policy == ENC_INFINITY_ERROR)
		{
			error_set(err, EBB_ERR_DATA,
					  "could not encode column \"%s\" as Parquet: the value is 24:00:00",
					  col->name);
			error_detail(err, "Readers built on Arrow (polars, pyarrow) take TIME values only "
							  "before 24:00:00.");
			error_hint(err, "Use --parquet-infinity null to store NULL, or sentinel to store "
							"23:59:59.999999; or archive this table as CSV.");
			return false;
		}
		*isnull = policy == ENC_INFINITY_NULL;
		v = USECS_PER_DAY - 1;
		if (!*isnull && !warned)
			log_warning("column \"%s\": time 24:00:00 stored as 23:59:59.999999 in Parquet "
						"(--parquet-infinity sentinel)",
						col->name);
		warned = warned || !*isnull;
	}
	le64(out, (uint64_t) v);
	return true;
}

static int64_t
floor_div4(int64_t x)
{
	return x >= 0 ? x / 4 : -((-x + 3) / 4);
}

/*
 * numeric's binary form: int16 ndigits, int16 weight, uint16 sign, int16 dscale, then ndigits
 * base-10000 digits; the value is sum(digit[i] * 10000^(weight - i)). The unscaled integer at
 * scale S is built one decimal digit at a time, from the highest down to 10^-S. The typmod
 * promises fewer than p digits; a value that breaks the promise fails before it can overflow
 * (10^p <= 10^38 fits in 128 bits; 10^39 would not).
 */
static bool
numeric_unscaled(const ColumnDesc *col, const ParquetColumnType *t, const char *in, size_t inlen,
				 __int128 *out, const char **special, EbbError *err)
{
	if (inlen < 8)
		return bad_length(col, inlen, err);
	int ndigits = (int16_t) read_be16(in);
	int weight = (int16_t) read_be16(in + 2);
	uint16_t sign = read_be16(in + 4);
	static const int p10[4] = {1, 10, 100, 1000};

	*special = sign == 0xC000   ? "NaN"
			   : sign == 0xD000 ? "infinity"
			   : sign == 0xF000 ? "-infinity"
								: NULL;
	if (ndigits < 0 || inlen != 8 + 2 * (size_t) ndigits)
		return bad_length(col, inlen, err);
	if (*special)
		return true;
	if (sign != 0x0000 && sign != 0x4000)
		return error_set(err, EBB_ERR_DATA,
						 "could not encode column \"%s\" as Parquet: a numeric with sign 0x%04X",
						 col->name, sign);
	__int128 acc = 0, limit = 1;
	for (int i = 0; i < t->precision; i++)
		limit *= 10;
	for (int64_t e = 4 * (int64_t) weight + 3; e >= -t->scale; e--)
	{
		int64_t gi = weight - floor_div4(e);
		int k = (int) (e - 4 * floor_div4(e));
		int d = gi >= 0 && gi < ndigits ? (read_be16(in + 8 + 2 * gi) / p10[k]) % 10 : 0;
		if (acc > (limit - 1 - d) / 10)
			return error_set(err, EBB_ERR_DATA,
							 "could not encode column \"%s\" as Parquet: a numeric value "
							 "wider than numeric(%d,%d)",
							 col->name, t->precision, t->scale);
		acc = acc * 10 + d;
	}
	*out = sign == 0x4000 ? -acc : acc;
	return true;
}

static bool
convert_decimal(const ColumnDesc *col, const ParquetColumnType *t, EncoderInfinity policy,
				const char *in, size_t inlen, uint8_t out[16], bool *isnull, EbbError *err)
{
	__int128 v = 0;
	const char *special = NULL;

	if (!numeric_unscaled(col, t, in, inlen, &v, &special, err))
		return false;
	if (special)
	{
		/* NaN (a numeric(p,s) cannot hold infinity, but the binary form could say so). */
		if (policy == ENC_INFINITY_ERROR)
			return unrepresentable(col, special, err);
		*isnull = true;
		return true;
	}
	if (t->physical == PQ_INT32)
		le32(out, (uint32_t) (int32_t) v);
	else if (t->physical == PQ_INT64)
		le64(out, (uint64_t) (int64_t) v);
	else
		/* FLBA: big-endian two's complement, sign-extended to the full width. */
		for (int i = 0; i < t->type_length; i++)
			out[t->type_length - 1 - i] = (uint8_t) (v >> (8 * i));
	return true;
}

/* The expected binary length of fixed-width kinds, 0 for variable ones. */
static size_t
binary_length(ParquetKind kind)
{
	switch (kind)
	{
		case PQK_BOOL: return 1;
		case PQK_INT16: return 2;
		case PQK_INT32:
		case PQK_OID:
		case PQK_FLOAT4:
		case PQK_DATE: return 4;
		case PQK_INT64:
		case PQK_FLOAT8:
		case PQK_TIME:
		case PQK_TIMESTAMP:
		case PQK_TIMESTAMPTZ: return 8;
		case PQK_UUID: return 16;
		default: return 0;
	}
}

static bool
convert_fixed(const ParquetColumnType *t, const ColumnDesc *col, EncoderInfinity policy,
			  const char *in, uint8_t out[16], bool *isnull, EbbError *err)
{
	switch (t->kind)
	{
		case PQK_BOOL: out[0] = in[0] != 0; return true;
		case PQK_INT16: le32(out, (uint32_t) (int32_t) (int16_t) read_be16(in)); return true;
		case PQK_INT32:
		case PQK_FLOAT4: le32(out, read_be32(in)); return true;
		case PQK_OID: le64(out, read_be32(in)); return true;
		case PQK_INT64:
		case PQK_FLOAT8: le64(out, read_be64(in)); return true;
		case PQK_TIME: return convert_time(col, policy, in, out, isnull, err);
		case PQK_DATE: return convert_date(col, policy, in, out, isnull, err);
		case PQK_TIMESTAMP:
		case PQK_TIMESTAMPTZ: return convert_timestamp(col, policy, in, out, isnull, err);
		case PQK_UUID: memcpy(out, in, 16); return true;
		default: return true;
	}
}

bool
parquet_convert(const ParquetColumnType *t, const ColumnDesc *col, EncoderInfinity policy,
				const char *in, size_t inlen, uint8_t out[16], const char **data, size_t *len,
				bool *isnull, EbbError *err)
{
	size_t want = binary_length(t->kind);

	*isnull = false;
	if (want)
		return inlen == want ? convert_fixed(t, col, policy, in, out, isnull, err)
							 : bad_length(col, inlen, err);
	if (t->kind == PQK_DECIMAL)
		return convert_decimal(col, t, policy, in, inlen, out, isnull, err);
	*data = in;
	*len = inlen;
	if (t->kind == PQK_JSONB)
	{
		/* jsonb_send: a version byte (1), then the text. */
		if (inlen < 1 || in[0] != 1)
			return error_set(err, EBB_ERR_DATA,
							 "could not encode column \"%s\" as Parquet: unknown jsonb version",
							 col->name);
		*data = in + 1;
		*len = inlen - 1;
	}
	return true;
}
