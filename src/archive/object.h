/*
 * object.h: what an archived object is called and how its bytes are compressed: the key layout
 * of DESIGN.md (<database>/<schema>.<table>/dt=YYYY-MM-DD/hour=HH/<start>_<run>[_<name>].<ext>)
 * and the compressor of a format. object.c calls no other file of the folder; verify.c reads
 * archives with the same layout. Strings written to `out` or returned are the caller's.
 */
#ifndef EBB_ARCHIVE_OBJECT_H
#define EBB_ARCHIVE_OBJECT_H

#include <stddef.h>
#include <stdint.h>

#include "archive/target.h"
#include "common/buf.h"
#include "compress/compressor.h"
#include "encode/encoder.h"

/* <database>/<schema>.<table>, with '/', '%', '\\' and control bytes percent-encoded. */
void archive_object_key_prefix(const char *dbname, const char *schema, const char *table, Buf *out);
/* A leaf's name for archive_object_key: <schema>.<name>, each part with its dots encoded, so
 * that "a.b".c and a."b.c" differ (the caller frees it). */
char *archive_object_leaf_name(const char *schema, const char *name);
/* The object key of a piece: <prefix>/dt=YYYY-MM-DD/hour=HH/<start>_<run>[_<name>].<ext> */
void archive_object_key(const ArchiveTarget *t, int64_t start, const char *name, char *out,
						size_t outlen);
/* An empty object record for a piece (name: see archive_object_key; NULL for rows). */
void archive_object_init(const ArchiveTarget *t, TimeRange piece, TimeRange window,
						 const char *name, ArchivedObject *obj);
/* The compressor around an object of this format: --compress, or none for a format that
 * compresses inside (its codec is then the encoder's). NULL for an unknown method. */
const CompressorDriver *archive_object_compressor(const EncoderDriver *enc, const char *compress);

#endif
