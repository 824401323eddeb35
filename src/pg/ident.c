/* ident.c: the display names of ident.h. */
#include "pg/ident.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

/* PostgreSQL 15's keywords that quote_ident() quotes (pg_get_keywords() with catcode other
 * than 'U'), sorted for bsearch. */
static const char *const keywords[] = {
	"all",
	"analyse",
	"analyze",
	"and",
	"any",
	"array",
	"as",
	"asc",
	"asymmetric",
	"authorization",
	"between",
	"bigint",
	"binary",
	"bit",
	"boolean",
	"both",
	"case",
	"cast",
	"char",
	"character",
	"check",
	"coalesce",
	"collate",
	"collation",
	"column",
	"concurrently",
	"constraint",
	"create",
	"cross",
	"current_catalog",
	"current_date",
	"current_role",
	"current_schema",
	"current_time",
	"current_timestamp",
	"current_user",
	"dec",
	"decimal",
	"default",
	"deferrable",
	"desc",
	"distinct",
	"do",
	"else",
	"end",
	"except",
	"exists",
	"extract",
	"false",
	"fetch",
	"float",
	"for",
	"foreign",
	"freeze",
	"from",
	"full",
	"grant",
	"greatest",
	"group",
	"grouping",
	"having",
	"ilike",
	"in",
	"initially",
	"inner",
	"inout",
	"int",
	"integer",
	"intersect",
	"interval",
	"into",
	"is",
	"isnull",
	"join",
	"lateral",
	"leading",
	"least",
	"left",
	"like",
	"limit",
	"localtime",
	"localtimestamp",
	"national",
	"natural",
	"nchar",
	"none",
	"normalize",
	"not",
	"notnull",
	"null",
	"nullif",
	"numeric",
	"offset",
	"on",
	"only",
	"or",
	"order",
	"out",
	"outer",
	"overlaps",
	"overlay",
	"placing",
	"position",
	"precision",
	"primary",
	"real",
	"references",
	"returning",
	"right",
	"row",
	"select",
	"session_user",
	"setof",
	"similar",
	"smallint",
	"some",
	"substring",
	"symmetric",
	"table",
	"tablesample",
	"then",
	"time",
	"timestamp",
	"to",
	"trailing",
	"treat",
	"trim",
	"true",
	"union",
	"unique",
	"user",
	"using",
	"values",
	"varchar",
	"variadic",
	"verbose",
	"when",
	"where",
	"window",
	"with",
	"xmlattributes",
	"xmlconcat",
	"xmlelement",
	"xmlexists",
	"xmlforest",
	"xmlnamespaces",
	"xmlparse",
	"xmlpi",
	"xmlroot",
	"xmlserialize",
	"xmltable",
};

static int
compare_word(const void *key, const void *item)
{
	return strcmp(key, *(const char *const *) item);
}

bool
pg_ident_needs_quotes(const char *name)
{
	if (!name[0] || !((name[0] >= 'a' && name[0] <= 'z') || name[0] == '_'))
		return true;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return true;
	return bsearch(name, keywords, sizeof(keywords) / sizeof(keywords[0]), sizeof(keywords[0]),
				   compare_word) != NULL;
}

static void
append_ident(Buf *b, const char *name)
{
	if (!pg_ident_needs_quotes(name))
	{
		buf_append_str(b, name);
		return;
	}
	buf_append_char(b, '"');
	for (const char *p = name; *p; p++)
	{
		if (*p == '"')
			buf_append_char(b, '"');
		buf_append_char(b, *p);
	}
	buf_append_char(b, '"');
}

static EscapedText
display(const char *schema, const char *name, bool message)
{
	Buf b;

	buf_init(&b);
	if (message && !pg_ident_needs_quotes(schema) && !pg_ident_needs_quotes(name))
		buf_printf(&b, "\"%s.%s\"", schema, name);
	else
	{
		append_ident(&b, schema);
		buf_append_char(&b, '.');
		append_ident(&b, name);
	}
	EscapedText out = text_escape(buf_cstr(&b));
	buf_free(&b);
	return out;
}

EscapedText
pg_display_name(const char *schema, const char *name)
{
	return display(schema, name, false);
}

EscapedText
pg_message_name(const char *schema, const char *name)
{
	return display(schema, name, true);
}
