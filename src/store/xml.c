/* xml.c: see xml.h. */
#include "store/xml.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

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
store_xml_error(const char *body, size_t len, char *code, size_t code_size, char *message,
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
store_xml_text(const char *body, size_t len, const char *name)
{
	xmlDocPtr doc = parse(body, len);
	char *out = doc ? text_of(find(xmlDocGetRootElement(doc), name)) : NULL;

	xmlFreeDoc(doc);
	return out;
}

bool
store_xml_each(const char *body, size_t len, const char *item, const char *key, const char *a,
			   const char *b, StoreXmlItemFn fn, void *arg, EbbError *err)
{
	xmlDocPtr doc = parse(body, len);
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
	bool ok = true;

	if (!root)
		return error_set(err, EBB_ERR_IO, "could not parse the server's reply");
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

/* A direct child named name, else the first descendant of that name. */
static xmlNodePtr
field(xmlNodePtr parent, const char *name)
{
	xmlNodePtr n = child(parent, name);

	return n ? n : find(parent ? parent->children : NULL, name);
}

bool
store_xml_each_under(const char *body, size_t len, const char *parent, const char *item,
					 const char *key, const char *a, const char *b, StoreXmlItemFn fn, void *arg,
					 EbbError *err)
{
	xmlDocPtr doc = parse(body, len);
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
	xmlNodePtr under = root ? find(root, parent) : NULL;
	bool ok = true;

	if (!root)
		return error_set(err, EBB_ERR_IO, "could not parse the server's reply");
	for (xmlNodePtr n = under ? under->children : NULL; ok && n; n = n->next)
	{
		if (!is_element(n, item))
			continue;
		char *k = text_of(child(n, key));
		char *va = a ? text_of(field(n, a)) : NULL;
		char *vb = b ? text_of(field(n, b)) : NULL;
		ok = fn(arg, k ? k : "", va ? va : "", vb ? vb : "", err);
		free(k);
		free(va);
		free(vb);
	}
	xmlFreeDoc(doc);
	return ok;
}
