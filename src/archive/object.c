/* object.c: an archived object's key and its compressor (object.h). */
#include "archive/object.h"

#include <stdio.h>
#include <string.h>

#include "common/time.h"

/*
 * Path segments keep names readable; only what breaks a path is percent-encoded, and what would
 * make two names one key: '%' (the escape itself) and, inside a schema or table name (dots),
 * the '.' that joins them, so that "a.b".c and a."b.c" get keys of their own (a.b%2Ec and
 * a%2Eb.c). Keys written before dots were encoded stay as they are: the ledger holds them whole.
 */
static void
append_key_segment(Buf *out, const char *name, bool dots)
{
	for (const unsigned char *p = (const unsigned char *) name; *p; p++)
	{
		if (*p == '/' || *p == '%' || *p == '\\' || *p < 0x20 || *p == 0x7f ||
			(*p == '.' && (dots || p == (const unsigned char *) name)))
			buf_printf(out, "%%%02X", *p);
		else
			buf_append_char(out, (char) *p);
	}
}

/* <database>/<schema>.<table>: the one '.' left unencoded is the separator, so the prefix
 * <database>/<schema>.<table>/ of one table is never that of another, nor a part of one. */
void
archive_object_key_prefix(const char *dbname, const char *schema, const char *table, Buf *out)
{
	append_key_segment(out, dbname, false);
	buf_append_char(out, '/');
	append_key_segment(out, schema, true);
	buf_append_char(out, '.');
	append_key_segment(out, table, true);
}

char *
archive_object_leaf_name(const char *schema, const char *name)
{
	Buf b;

	buf_init(&b);
	append_key_segment(&b, schema, true);
	buf_append_char(&b, '.');
	append_key_segment(&b, name, true);
	buf_cstr(&b);
	return b.data;
}

void
archive_object_key(const ArchiveTarget *t, int64_t start, const char *name, char *out,
				   size_t outlen)
{
	CivilTime c;
	char compact[48];
	const char *cext = t->compressor->extension;
	Buf tail;

	/* <run>[_<name>].<ext>[.<compression>]; the name keeps two partitions of one range apart */
	buf_init(&tail);
	buf_append_str(&tail, t->run_id);
	if (name)
	{
		buf_append_char(&tail, '_');
		append_key_segment(&tail, name, false);
	}
	buf_printf(&tail, ".%s%s%s", t->encoder->extension, *cext ? "." : "", cext);
	if (start == TIME_NEG_INFINITY)
		snprintf(out, outlen, "%s/dt=-infinity/hour=-infinity/-infinity_%s", t->key_prefix,
				 buf_cstr(&tail));
	else
	{
		time_to_civil(start, &c);
		time_format_compact(start, t->info.time_is_tz, compact, sizeof(compact));
		snprintf(out, outlen, "%s/dt=%04d-%02d-%02d/hour=%02d/%s_%s", t->key_prefix, c.year,
				 c.month, c.day, c.hour, compact, buf_cstr(&tail));
	}
	buf_free(&tail);
}

void
archive_object_init(const ArchiveTarget *t, TimeRange piece, TimeRange window, const char *name,
					ArchivedObject *obj)
{
	memset(obj, 0, sizeof(*obj));
	obj->piece = piece;
	obj->window = window;
	obj->run_id = t->run_id;
	obj->columns_json = t->columns_json;
	archive_object_key(t, piece.start, name, obj->key, sizeof(obj->key));
}

const CompressorDriver *
archive_object_compressor(const EncoderDriver *enc, const char *compress)
{
	/* A format that compresses inside (Parquet) is stored, and read, as it is. */
	return compressor_find(enc && enc->codecs ? "none" : compress);
}
