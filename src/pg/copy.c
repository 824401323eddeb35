#include "pg/copy.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/endian.h"
#include "pg/pg.h"

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Undoes COPY text escaping in place (the rules of PostgreSQL's CopyReadAttributesText). */
static size_t
unescape_text(char *s, size_t len)
{
	char *w = s;
	const char *r = s, *end = s + len;

	while (r < end)
	{
		if (*r != '\\' || r + 1 == end)
		{
			*w++ = *r++;
			continue;
		}
		char c = r[1];
		r += 2;
		switch (c)
		{
			case 'b': *w++ = '\b'; break;
			case 'f': *w++ = '\f'; break;
			case 'n': *w++ = '\n'; break;
			case 'r': *w++ = '\r'; break;
			case 't': *w++ = '\t'; break;
			case 'v': *w++ = '\v'; break;
			case 'x':
				if (r < end && hexval(*r) >= 0)
				{
					int v = hexval(*r++);
					if (r < end && hexval(*r) >= 0)
						v = v * 16 + hexval(*r++);
					*w++ = (char) v;
				}
				else
					*w++ = 'x';
				break;
			default:
				if (c >= '0' && c <= '7')
				{
					int v = c - '0';
					for (int k = 0; k < 2 && r < end && *r >= '0' && *r <= '7'; k++)
						v = v * 8 + (*r++ - '0');
					*w++ = (char) v;
				}
				else
					*w++ = c;
		}
	}
	return (size_t) (w - s);
}

bool
pg_copy_decode_text(char *line, size_t len, RowField *fields, int ncolumns, EbbError *err)
{
	char *p = line, *end = line + len;

	if (len > 0 && end[-1] == '\n')
		end--;
	for (int i = 0; i < ncolumns; i++)
	{
		char *tab = memchr(p, '\t', (size_t) (end - p));
		char *fend = tab ? tab : end;
		size_t flen = (size_t) (fend - p);

		if ((i < ncolumns - 1 && !tab) || (i == ncolumns - 1 && tab))
			return error_set(err, EBB_ERR_QUERY,
							 "unexpected COPY data: a row does not have %d fields", ncolumns);
		fields[i].isnull = flen == 2 && p[0] == '\\' && p[1] == 'N';
		fields[i].data = p;
		fields[i].len = flen;
		if (!fields[i].isnull && memchr(p, '\\', flen))
			fields[i].len = unescape_text(p, flen);
		p = fend + 1;
	}
	if (ncolumns == 0 && end != line)
		return error_set(err, EBB_ERR_QUERY, "unexpected COPY data: a row has fields");
	return true;
}

static const char copy_signature[11] = "PGCOPY\n\377\r\n";

bool
pg_copy_binary_header(const char *data, size_t len, size_t *used, EbbError *err)
{
	*used = 0;
	if (len < 19)
		return memcmp(data, copy_signature, len < 11 ? len : 11) == 0 ||
			   error_set(err, EBB_ERR_QUERY, "unexpected COPY data: no binary COPY signature");
	if (memcmp(data, copy_signature, 11) != 0)
		return error_set(err, EBB_ERR_QUERY, "unexpected COPY data: no binary COPY signature");
	/* Bits 16-31 of the flags are critical: one ebb does not know must stop it. */
	if (read_be32(data + 11) & 0xFFFF0000u)
		return error_set(err, EBB_ERR_QUERY,
						 "unexpected COPY data: unknown critical flags in the binary header");
	uint32_t ext = read_be32(data + 15);
	if (ext > 1024 * 1024)
		return error_set(err, EBB_ERR_QUERY, "unexpected COPY data: a header extension of %u bytes",
						 ext);
	if (len >= 19 + (size_t) ext)
		*used = 19 + (size_t) ext;
	return true;
}

bool
pg_copy_decode_binary(const char *data, size_t len, RowField *fields, int ncolumns, size_t *used,
					  bool *trailer, EbbError *err)
{
	size_t pos = 2;

	*used = 0;
	*trailer = false;
	if (len < 2)
		return true;
	int16_t n = (int16_t) read_be16(data);
	if (n == -1)
	{
		*trailer = true;
		*used = 2;
		return true;
	}
	if (n != ncolumns)
		return error_set(err, EBB_ERR_QUERY, "unexpected COPY data: a row has %d fields, not %d", n,
						 ncolumns);
	for (int i = 0; i < ncolumns; i++)
	{
		if (len - pos < 4)
			return true;
		int32_t flen = (int32_t) read_be32(data + pos);
		pos += 4;
		fields[i].isnull = flen == -1;
		fields[i].data = data + pos;
		fields[i].len = flen < 0 ? 0 : (size_t) flen;
		if (flen < -1)
			return error_set(err, EBB_ERR_QUERY, "unexpected COPY data: a field of length %d",
							 flen);
		if (len - pos < fields[i].len)
			return true;
		pos += fields[i].len;
	}
	*used = pos;
	return true;
}

bool
pg_copy_send(PgCopy *copy, PGconn *conn, const char *sql, int ncolumns, bool binary, EbbError *err)
{
	memset(copy, 0, sizeof(*copy));
	copy->conn = conn;
	copy->ncolumns = ncolumns;
	copy->binary = binary;
	buf_init(&copy->pending);
	copy->fields = ebb_malloc(sizeof(RowField) * (size_t) (ncolumns ? ncolumns : 1));
	if (!PQsendQuery(conn, sql))
		return error_set(err, EBB_ERR_QUERY, "could not send COPY: %s",
						 strtok(PQerrorMessage(conn), "\n"));
	return true;
}

bool
pg_copy_wait(PgCopy *copy, EbbError *err)
{
	PGresult *res = PQgetResult(copy->conn);
	bool ok = PQresultStatus(res) == PGRES_COPY_OUT;

	if (!ok)
		pg_error_from_result(copy->conn, res, "could not start COPY", err);
	PQclear(res);
	if (!ok)
		while ((res = PQgetResult(copy->conn)) != NULL)
			PQclear(res);
	return ok;
}

/* The next CopyData message into rowbuf; *end at the end of the data. */
static bool
read_message(PgCopy *copy, bool *end, EbbError *err)
{
	if (copy->rowbuf)
		PQfreemem(copy->rowbuf);
	copy->rowbuf = NULL;
	copy->msglen = copy->msgpos = 0;
	int n = PQgetCopyData(copy->conn, &copy->rowbuf, 0);
	*end = n == -1;
	if (n < -1)
		return error_set(err, EBB_ERR_QUERY, "could not read COPY data: %s",
						 strtok(PQerrorMessage(copy->conn), "\n"));
	if (n > 0)
	{
		copy->bytes += (uint64_t) n;
		copy->msglen = (size_t) n;
	}
	return true;
}

/*
 * Decodes the next item (the header, a tuple or the trailer) of the binary stream. The bytes
 * are decoded where they lie in libpq's message; only an item that spans messages is copied
 * into pending first (PostgreSQL sends one tuple per message, but the protocol does not
 * promise it).
 */
static bool
next_binary_item(PgCopy *copy, bool *got_row, bool *end, EbbError *err)
{
	for (;;)
	{
		bool from_pending = copy->pending.len > copy->consumed;
		const char *data =
			from_pending ? copy->pending.data + copy->consumed : copy->rowbuf + copy->msgpos;
		size_t len =
			from_pending ? copy->pending.len - copy->consumed : copy->msglen - copy->msgpos;
		size_t used = 0;
		bool trailer = false;

		*got_row = false;
		if (len > 0 && !copy->header_seen && !pg_copy_binary_header(data, len, &used, err))
			return false;
		if (len > 0 && copy->header_seen &&
			!pg_copy_decode_binary(data, len, copy->fields, copy->ncolumns, &used, &trailer, err))
			return false;
		if (used > 0)
		{
			if (from_pending)
				copy->consumed += used;
			else
				copy->msgpos += used;
			*got_row = copy->header_seen && !trailer;
			copy->trailer_seen |= trailer;
			copy->header_seen = true;
			return true;
		}
		/* Incomplete: keep what there is and read on. */
		if (!from_pending)
		{
			buf_reset(&copy->pending);
			copy->consumed = 0;
			if (len > 0)
				buf_append(&copy->pending, data, len);
		}
		if (!read_message(copy, end, err))
			return false;
		if (*end)
			return copy->pending.len == copy->consumed ||
				   error_set(err, EBB_ERR_QUERY, "unexpected COPY data: the stream ends mid-row");
		if (copy->pending.len > copy->consumed)
		{
			buf_append(&copy->pending, copy->rowbuf, copy->msglen);
			copy->msgpos = copy->msglen;
		}
	}
}

static bool
next_binary(PgCopy *copy, Row *row, bool *done, EbbError *err)
{
	bool got_row = false, end = false;

	*done = false;
	while (!got_row)
	{
		if (copy->trailer_seen)
		{
			bool leftover = copy->pending.len > copy->consumed || copy->msgpos < copy->msglen;
			if (!leftover && !read_message(copy, &end, err))
				return false;
			if (leftover || !end)
				return error_set(err, EBB_ERR_QUERY, "unexpected COPY data after the trailer");
			*done = true;
			return true;
		}
		if (!next_binary_item(copy, &got_row, &end, err))
			return false;
		if (end)
			return error_set(err, EBB_ERR_QUERY,
							 "unexpected COPY data: the stream ends without its trailer");
	}
	copy->rows++;
	row->nfields = copy->ncolumns;
	row->fields = copy->fields;
	return true;
}

bool
pg_copy_next(PgCopy *copy, Row *row, bool *done, EbbError *err)
{
	if (copy->binary)
		return next_binary(copy, row, done, err);
	if (copy->rowbuf)
	{
		PQfreemem(copy->rowbuf);
		copy->rowbuf = NULL;
	}
	int n = PQgetCopyData(copy->conn, &copy->rowbuf, 0);
	if (n == -1)
	{
		*done = true;
		return true;
	}
	if (n < 0)
		return error_set(err, EBB_ERR_QUERY, "could not read COPY data: %s",
						 strtok(PQerrorMessage(copy->conn), "\n"));
	*done = false;
	copy->bytes += (uint64_t) n;
	if (!pg_copy_decode_text(copy->rowbuf, (size_t) n, copy->fields, copy->ncolumns, err))
		return false;
	copy->rows++;
	row->nfields = copy->ncolumns;
	row->fields = copy->fields;
	return true;
}

bool
pg_copy_end(PgCopy *copy, uint64_t *server_rows, EbbError *err)
{
	PGresult *res = PQgetResult(copy->conn);
	bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;

	if (!ok)
		pg_error_from_result(copy->conn, res, "COPY failed", err);
	else
		*server_rows = strtoull(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	/* Drain: a COPY is followed by exactly one result, then NULL. */
	while ((res = PQgetResult(copy->conn)) != NULL)
		PQclear(res);
	return ok;
}

void
pg_copy_free(PgCopy *copy)
{
	if (copy->rowbuf)
		PQfreemem(copy->rowbuf);
	free(copy->fields);
	buf_free(&copy->pending);
	memset(copy, 0, sizeof(*copy));
}

bool
pg_copy_abort(PgCopy *copy)
{
	char errbuf[256];
	PGcancel *cancel = PQgetCancel(copy->conn);
	PGresult *res;

	if (cancel)
	{
		PQcancel(cancel, errbuf, sizeof(errbuf));
		PQfreeCancel(cancel);
	}
	for (;;)
	{
		if (copy->rowbuf)
			PQfreemem(copy->rowbuf);
		copy->rowbuf = NULL;
		int n = PQgetCopyData(copy->conn, &copy->rowbuf, 0);
		if (n == -1)
			break;
		if (n < -1)
			return false;
	}
	while ((res = PQgetResult(copy->conn)) != NULL)
		PQclear(res);
	return PQstatus(copy->conn) == CONNECTION_OK;
}
