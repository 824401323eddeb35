/*
 * csv_count.c: counts the records of CSV as it streams by, the way PostgreSQL's COPY FROM
 * (FORMAT csv) splits them: a line end inside a quoted field belongs to the field, every '"'
 * opens or closes quoting (a doubled quote closes and reopens it), and LF, CRLF or a lone CR
 * ends a record. The first record is the header; the rows are the records after it. A last
 * record without a line end counts; data that ends inside quotes is malformed.
 */
#include <stdlib.h>

#include "common/buf.h"
#include "encode/csv.h"

typedef struct CsvCounter
{
	Sink base;
	uint64_t records;
	bool in_quotes;
	bool in_record; /* bytes of a record that has not ended yet */
	bool after_cr;  /* a CR just ended a record: an LF now belongs to it */
} CsvCounter;

static bool
csv_counter_write(Sink *sink, const void *data, size_t len, EbbError *err)
{
	CsvCounter *cc = (CsvCounter *) sink;
	const unsigned char *p = data, *end = p + len;

	for (; p < end; p++)
	{
		unsigned char c = *p;

		if (cc->in_quotes)
		{
			cc->in_quotes = c != '"';
			continue;
		}
		if (cc->after_cr)
		{
			cc->after_cr = false;
			if (c == '\n')
				continue;
		}
		if (c == '\n' || c == '\r')
		{
			cc->records++;
			cc->in_record = false;
			cc->after_cr = c == '\r';
			continue;
		}
		cc->in_record = true;
		cc->in_quotes = c == '"';
	}
	return true;
}

static bool
csv_counter_finish(Sink *sink, EbbError *err)
{
	CsvCounter *cc = (CsvCounter *) sink;

	if (cc->in_quotes)
		return error_set(err, EBB_ERR_VERIFY, "CSV data ends inside a quoted field");
	if (cc->in_record)
	{
		cc->records++;
		cc->in_record = false;
	}
	return true;
}

static const SinkOps csv_counter_ops = {.write = csv_counter_write, .finish = csv_counter_finish};

Sink *
encode_csv_counter_create(void)
{
	CsvCounter *cc = ebb_malloc(sizeof(*cc));

	*cc = (CsvCounter){.base.ops = &csv_counter_ops};
	return &cc->base;
}

uint64_t
encode_csv_counter_rows(const Sink *counter)
{
	const CsvCounter *cc = (const CsvCounter *) counter;

	return cc->records > 0 ? cc->records - 1 : 0;
}

void
encode_csv_counter_destroy(Sink *counter)
{
	free(counter);
}
