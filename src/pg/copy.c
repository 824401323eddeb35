#include "pg/copy.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
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

bool
pg_copy_send(PgCopy *copy, PGconn *conn, const char *sql, int ncolumns, EbbError *err)
{
	memset(copy, 0, sizeof(*copy));
	copy->conn = conn;
	copy->ncolumns = ncolumns;
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

bool
pg_copy_next(PgCopy *copy, Row *row, bool *done, EbbError *err)
{
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
