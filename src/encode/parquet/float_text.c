/*
 * float_text.c: PostgreSQL's shortest float output without its Ryu code: for each precision
 * from 1 digit up, printf's correctly rounded nearest decimal, or else its neighbours one unit
 * in the last place away (at a power of two the round-trip interval is lopsided and the
 * nearest decimal may fall outside it while a neighbour does not), until one reads back.
 */
#include "encode/parquet/float_text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A decimal d1.d2d3... x 10^exp, digits without trailing zeros. */
typedef struct Decimal
{
	char digits[24];
	int n;
	int exp;
} Decimal;

static bool
reads_back(const Decimal *d, bool neg, double v, bool is_float4)
{
	char s[48];

	snprintf(s, sizeof(s), "%s%se%d", neg ? "-" : "", d->digits, d->exp - (d->n - 1));
	return is_float4 ? strtof(s, NULL) == (float) v : strtod(s, NULL) == v;
}

static void
set_digits(Decimal *d, const char *digits, int exp)
{
	int n = (int) strlen(digits);

	while (n > 1 && digits[n - 1] == '0')
		n--;
	memcpy(d->digits, digits, (size_t) n);
	d->digits[n] = '\0';
	d->n = n;
	d->exp = exp;
}

/* The P-digit mantissa m moved by delta (+-1): a carry or a borrow moves the exponent. */
static void
neighbour(Decimal *d, unsigned long long m, int delta, int p, int exp)
{
	char s[24];
	unsigned long long x = delta > 0 ? m + 1 : m - 1;
	int len = snprintf(s, sizeof(s), "%llu", x);

	set_digits(d, s, exp + (len - p));
}

/* The shortest decimal of |v| (finite, nonzero) that reads back as v. */
static void
shortest(double v, bool is_float4, Decimal *d)
{
	bool neg = v < 0;
	double a = fabs(v);
	int max = is_float4 ? 9 : 17;
	char s[48], digits[24];

	for (int p = 1; p <= max; p++)
	{
		snprintf(s, sizeof(s), "%.*e", p - 1, a);
		char *e = strchr(s, 'e');
		int exp = atoi(e + 1), n = 0;
		for (char *c = s; c < e; c++)
			if (*c != '.')
				digits[n++] = *c;
		digits[n] = '\0';
		set_digits(d, digits, exp);
		if (reads_back(d, neg, v, is_float4) || p == max)
			return;
		unsigned long long m = strtoull(digits, NULL, 10);
		for (int delta = -1; delta <= 1; delta += 2)
		{
			if (delta < 0 && m <= 1)
				continue;
			neighbour(d, m, delta, p, exp);
			if (reads_back(d, neg, v, is_float4))
				return;
		}
	}
}

static void
append_zeros(Buf *out, int n)
{
	for (int i = 0; i < n; i++)
		buf_append_char(out, '0');
}

void
parquet_float_text_append(Buf *out, double v, bool is_float4)
{
	Decimal d;

	if (isnan(v) || isinf(v) || v == 0)
	{
		buf_append_str(out, isnan(v)   ? "NaN"
							: isinf(v) ? (v > 0 ? "Infinity" : "-Infinity")
									   : (signbit(v) ? "-0" : "0"));
		return;
	}
	shortest(v, is_float4, &d);
	if (v < 0)
		buf_append_char(out, '-');
	/* float8out/float4out: fixed notation where printf's %g would use it at full precision */
	if (d.exp >= -4 && d.exp < (is_float4 ? 6 : 15))
	{
		if (d.exp < 0)
		{
			buf_append_str(out, "0.");
			append_zeros(out, -d.exp - 1);
			buf_append_str(out, d.digits);
		}
		else if (d.exp + 1 >= d.n)
		{
			buf_append_str(out, d.digits);
			append_zeros(out, d.exp + 1 - d.n);
		}
		else
		{
			buf_append(out, d.digits, (size_t) d.exp + 1);
			buf_append_char(out, '.');
			buf_append_str(out, d.digits + d.exp + 1);
		}
		return;
	}
	buf_append_char(out, d.digits[0]);
	if (d.n > 1)
	{
		buf_append_char(out, '.');
		buf_append_str(out, d.digits + 1);
	}
	buf_printf(out, "e%c%02d", d.exp < 0 ? '-' : '+', abs(d.exp));
}
