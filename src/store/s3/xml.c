/*
 * xml.c: reading S3's XML replies with libxml2 (errors, upload ids, listings). Elements are
 * matched by local name, so a reply with or without S3's namespace reads the same. Network
 * access and entity expansion are off: the documents come from a server.
 */
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/time.h"
#include "store/s3/s3.h"

static xmlDocPtr
parse(const char *body, size_t len)
{
	if (!body || len == 0 || len > INT32_MAX)
		return NULL;
	return xmlReadMemory(body, (int) len, NULL, NULL,
						 XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
}

static bool
is_element(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && strcmp((const char *) n->name, name) == 0;
}

static xmlNodePtr
child(xmlNodePtr parent, const char *name)
{
	for (xmlNodePtr n = parent ? parent->children : NULL; n; n = n->next)
		if (is_element(n, name))
			return n;
	return NULL;
}

/* Depth-first search for the first element named name. */
static xmlNodePtr
find(xmlNodePtr n, const char *name)
{
	for (; n; n = n->next)
	{
		if (is_element(n, name))
			return n;
		xmlNodePtr hit = find(n->children, name);
		if (hit)
			return hit;
	}
	return NULL;
}

static char *
text_of(xmlNodePtr n)
{
	if (!n)
		return NULL;
	xmlChar *t = xmlNodeGetContent(n);
	char *out = ebb_strdup(t ? (const char *) t : "");
	xmlFree(t);
	return out;
}

bool
store_s3_xml_error(const char *body, size_t len, char *code, size_t code_size, char *message,
				   size_t message_size)
{
	xmlDocPtr doc = parse(body, len);
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
	bool is_error = root && is_element(root, "Error");

	if (is_error)
	{
		char *c = text_of(child(root, "Code"));
		char *m = text_of(child(root, "Message"));
		snprintf(code, code_size, "%s", c ? c : "UnknownError");
		snprintf(message, message_size, "%s", m ? m : "(no message)");
		free(c);
		free(m);
	}
	xmlFreeDoc(doc);
	return is_error;
}

char *
store_s3_xml_text(const char *body, size_t len, const char *name)
{
	xmlDocPtr doc = parse(body, len);
	char *out = doc ? text_of(find(xmlDocGetRootElement(doc), name)) : NULL;

	xmlFreeDoc(doc);
	return out;
}

bool
store_s3_xml_each(const char *body, size_t len, const char *item, const char *key, const char *a,
				  const char *b, S3XmlItemFn fn, void *arg, EbbError *err)
{
	xmlDocPtr doc = parse(body, len);
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
	bool ok = true;

	if (!root)
		return error_set(err, EBB_ERR_IO, "could not parse the S3 server's reply");
	for (xmlNodePtr n = root->children; ok && n; n = n->next)
	{
		if (!is_element(n, item))
			continue;
		char *k = text_of(child(n, key));
		char *va = a ? text_of(child(n, a)) : NULL;
		char *vb = b ? text_of(child(n, b)) : NULL;
		ok = fn(arg, k ? k : "", va ? va : "", vb ? vb : "", err);
		free(k);
		free(va);
		free(vb);
	}
	xmlFreeDoc(doc);
	return ok;
}

/* "2026-11-22T10:00:00.000Z" (XML listings) or "Sun, 22 Nov 2026 10:00:00 GMT" (headers). */
bool
store_s3_parse_time(const char *text, int64_t *us)
{
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
										 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	int y, mo = 0, d, h, mi, s;
	char mon[4];

	if (sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &s) != 6)
	{
		if (sscanf(text, "%*3s, %2d %3s %4d %2d:%2d:%2d", &d, mon, &y, &h, &mi, &s) != 6)
			return false;
		for (int i = 0; i < 12; i++)
			if (strcmp(mon, months[i]) == 0)
				mo = i + 1;
		if (mo == 0)
			return false;
	}
	CivilTime c = {y, mo, d, h, mi, s, 0};
	*us = time_from_civil(&c);
	return true;
}
