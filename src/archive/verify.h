/*
 * verify.h: ebb verify for one (database, table), through the store interface (any store).
 *
 * verify.c reads back every committed object that the ledger names in the time range (SHA-256
 * and bytes as stored, rows after decompression) and compares it and its manifest with the
 * ledger. gc.c lists the table's key prefix in every destination: each key that no ledger row
 * names (as object or as manifest) is an orphan, each unfinished multipart upload is reported;
 * with --gc, under the table's advisory lock, it removes the orphans and aborts the uploads
 * older than --older-than, after checking each against the ledger once more, and never an
 * orphan object whose manifest says it was committed.
 *
 * Findings go to the caller's callback as they are made (the command prints them); strings in
 * a Finding live only during the call. The caller owns the VerifyOutcome.
 */
#ifndef EBB_ARCHIVE_VERIFY_H
#define EBB_ARCHIVE_VERIFY_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "archive/archive.h"
#include "common/buf.h"
#include "common/error.h"
#include "config/config.h"
#include "store/store.h"

typedef enum FindingKind
{
	FINDING_MISSING_OBJECT,
	FINDING_CORRUPT_OBJECT,
	FINDING_MISSING_MANIFEST, /* the ledger says it was written */
	FINDING_PENDING_MANIFEST, /* not yet written: the next archive run writes it (no problem) */
	FINDING_CORRUPT_MANIFEST,
	FINDING_ORPHAN,
	FINDING_UPLOAD,    /* an unfinished multipart upload */
	FINDING_UNEXPECTED /* no object: a symbolic link... (error says what); left alone */
} FindingKind;

/* What --gc did with an orphan or an upload. */
typedef enum GcAction
{
	GC_NONE,          /* no --gc */
	GC_REMOVED,       /* orphan removed, upload aborted */
	GC_KEPT_YOUNG,    /* not older than --older-than */
	GC_KEPT_AGE,      /* the store gave no time for it */
	GC_KEPT_MANIFEST, /* an orphan object with a manifest (or that manifest): some ledger had it */
	GC_KEPT_LEDGER    /* the ledger names it when checked again under the lock */
} GcAction;

typedef struct Finding
{
	FindingKind kind;
	const char *dest;
	const char *key;      /* object, manifest or upload key, relative to dest */
	const char *field;    /* corrupt: the field that differs ("bytes", "sha256", "rows" ...) */
	const char *found;    /* ... its value as read */
	const char *expected; /* ... and as the ledger has it */
	const char *error;    /* corrupt without a field: what is wrong */
	const char *upload_id;
	uint64_t bytes;  /* orphans: size */
	int64_t time_us; /* orphans: last modified; uploads: initiated; 0 when unknown */
	GcAction action;
} Finding;

typedef void (*FindingFn)(void *arg, const Finding *finding);

typedef struct VerifyCounts
{
	uint64_t objects, rows, bytes; /* objects read back, and their rows and bytes as read */
	uint64_t missing_objects, corrupt_objects;
	uint64_t missing_manifests, corrupt_manifests, pending_manifests;
	uint64_t orphans, orphans_removed;
	uint64_t uploads, uploads_aborted;
	uint64_t unexpected;
} VerifyCounts;

typedef struct VerifyOutcome
{
	TableStatus status; /* TABLE_OK also when something is missing or corrupt: see counts */
	EbbError err;
	VerifyCounts counts;
	const char *skip_reason;
} VerifyOutcome;

/* Destinations opened once per table: ledger rows name theirs by URL. */
typedef struct VerifyStore
{
	char *url;
	Store store;
} VerifyStore;

/* One table's verification; owned by verify_table(). */
typedef struct VerifyTarget
{
	PGconn *conn;
	const char *dbname;
	const Settings *settings;
	const Policy *policy;
	FindingFn report;
	void *report_arg;
	char *prefix;  /* <database>/<schema>.<table>/ */
	StrList named; /* the ledger's object keys of the table, and any under prefix; sorted */
	StrList dests; /* destinations to look for orphans in */
	bool has_ledger;
	bool gc; /* --gc, and there is a ledger to vouch for what stays */
	VerifyStore *stores;
	int nstores;
	VerifyCounts *counts;
} VerifyTarget;

/* The one entry point; under --all-databases (skip_if_absent) a missing table is skipped. */
void verify_table(PGconn *conn, const char *dbname, const Settings *settings, const Policy *policy,
				  bool skip_if_absent, FindingFn report, void *report_arg, VerifyOutcome *out);

/* verify.c, for gc.c */
bool verify_store(VerifyTarget *t, const char *url, Store **store, EbbError *err);
bool verify_is_named(const VerifyTarget *t, const char *key);
void verify_report(VerifyTarget *t, const Finding *f);

/* gc.c: orphans and uploads in every destination; removal when settings->gc. */
bool verify_orphans(VerifyTarget *t, EbbError *err);
/* gc.c: the youngest an object may be to be removed, from the session settings (see there). */
int64_t verify_gc_floor_ms(const Settings *s);

#endif
