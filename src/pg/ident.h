/*
 * ident.h: table names as ebb prints them. A name is printed as PostgreSQL prints a qualified
 * name (regclass output): each part as it is, or double-quoted when it needs quoting (anything
 * but lowercase letters, digits and underscores, a leading digit, or a keyword), so that
 * "public.analytics".events and public."analytics.events" never print alike. Control bytes and
 * invalid UTF-8 are then escaped (common/text.h). The result lives until the end of the full
 * expression that calls it, so it is used in place:
 *     printf("%s: archived ...", pg_display_name(schema, table).s);
 */
#ifndef EBB_PG_IDENT_H
#define EBB_PG_IDENT_H

#include <stdbool.h>

#include "common/text.h"

/* public.orders, public."Odd.Name" */
EscapedText pg_display_name(const char *schema, const char *name);
/* For messages that quote a name: "public.orders" when no part needs quoting (PostgreSQL's
 * message style), else the display form, public."Odd.Name", which is unambiguous as it is. */
EscapedText pg_message_name(const char *schema, const char *name);
/* Does the identifier need double quotes to be read back as itself? */
bool pg_ident_needs_quotes(const char *name);

#endif
