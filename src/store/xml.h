/*
 * xml.h: the few XML replies of object stores that ebb reads (S3's and Azure's errors, ids and
 * listings), with libxml2. Elements are matched by local name, so a reply with or without a
 * namespace reads the same; network access and entity expansion are off (the documents come
 * from a server). Strings returned are malloc'd and the caller's.
 */
#ifndef EBB_STORE_XML_H
#define EBB_STORE_XML_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

/* Code and Message of an <Error> document; false when body is not one. */
bool store_xml_error(const char *body, size_t len, char *code, size_t code_size, char *message,
					 size_t message_size);
/* Text of the first element named `name` anywhere in the document (NULL: none). */
char *store_xml_text(const char *body, size_t len, const char *name);

typedef bool (*StoreXmlItemFn)(void *arg, const char *key, const char *a, const char *b,
							   EbbError *err);
/* For each <item> element under the root, the texts of its children `key`, `a` and `b`. */
bool store_xml_each(const char *body, size_t len, const char *item, const char *key, const char *a,
					const char *b, StoreXmlItemFn fn, void *arg, EbbError *err);
/* The same for the <item> elements of the first element named `parent` (Azure's
 * EnumerationResults/Blobs/Blob), where `a` and `b` may be deeper (Blob/Properties/...). No
 * `parent` element: no items. */
bool store_xml_each_under(const char *body, size_t len, const char *parent, const char *item,
						  const char *key, const char *a, const char *b, StoreXmlItemFn fn,
						  void *arg, EbbError *err);

#endif
