#include "config/options.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/text.h"

#define W_ALL    (WHERE_CLI | WHERE_DEFAULTS)
#define W_POLICY (WHERE_CLI | WHERE_DEFAULTS | WHERE_TABLE)

/* clang-format off */
const OptionDef option_table[OPT_COUNT] = {
	{OPT_DSN, "dsn", 0, OPT_KIND_STRING, CMD_ALL, W_ALL, "Connection", "CONNINFO", NULL,
	 "libpq connection string or URI (no password here: use PGPASSWORD, ~/.pgpass or the config file)"},
	{OPT_DATABASE, "database", 'd', OPT_KIND_LIST, CMD_ALL, W_ALL, "Connection", "NAME", NULL,
	 "a database to work on (repeatable); default: the connection's database"},
	{OPT_ALL_DATABASES, "all-databases", 'a', OPT_KIND_BOOL, CMD_ALL, W_ALL, "Connection", NULL, NULL,
	 "every database that allows connections, templates excepted"},
	{OPT_INCLUDE, "include", 0, OPT_KIND_LIST, CMD_ALL, W_ALL, "Connection", "GLOB", NULL,
	 "with --all-databases: only databases matching this pattern (repeatable)"},
	{OPT_EXCLUDE, "exclude", 0, OPT_KIND_LIST, CMD_ALL, W_ALL, "Connection", "GLOB", NULL,
	 "with --all-databases: skip databases matching this pattern (repeatable)"},
	{OPT_JOBS, "jobs", 'j', OPT_KIND_INT, CMD_ARCHIVE | CMD_GENERATE | CMD_VERIFY, W_ALL, "Connection", "N", "1",
	 "work on N databases in parallel"},
	{OPT_CONFIG, "config", 'c', OPT_KIND_STRING, CMD_ARCHIVE | CMD_STATUS | CMD_VERIFY | CMD_RESTORE | CMD_DOCTOR | CMD_RECLAIM, WHERE_CLI, "Policy", "FILE", NULL,
	 "INI file with [defaults] and [table schema.name] sections; flags win over it"},
	{OPT_TABLE, "table", 't', OPT_KIND_STRING, CMD_ALL, WHERE_CLI, "Policy", "SCHEMA.TABLE", NULL,
	 "the table (exact names; double-quote a part holding a dot); default schema: public; generate: analytics.events"},
	{OPT_TIME_COLUMN, "time-column", 0, OPT_KIND_STRING, CMD_ARCHIVE | CMD_STATUS | CMD_DOCTOR, W_POLICY, "Policy", "COLUMN", NULL,
	 "timestamp or timestamptz column that ages the rows (a hypertable's integer time dimension with --time-unit); status: the ledger's when not given"},
	{OPT_KEEP_DAYS, "keep-days", 'k', OPT_KIND_INT, CMD_ARCHIVE | CMD_STATUS, W_POLICY, "Policy", "N", "2",
	 "keep rows newer than now() minus N days; -1 keeps everything"},
	{OPT_WINDOW, "window", 0, OPT_KIND_STRING, CMD_ARCHIVE, W_POLICY, "Policy", "DURATION", "1h",
	 "archive window, a divisor of one day (15min, 1h, 6h, 1d)"},
	{OPT_DEST, "dest", 0, OPT_KIND_STRING, CMD_ARCHIVE | CMD_STATUS | CMD_VERIFY | CMD_RESTORE, W_POLICY, "Policy", "URL", NULL,
	 "where objects go: file:///absolute/path, s3://bucket/prefix or az://container/prefix, %XX-decoded (verify also looks for orphans there)"},
	{OPT_FORMAT, "format", 'F', OPT_KIND_STRING, CMD_ARCHIVE, W_POLICY, "Policy", "FORMAT", "csv",
	 "object format: csv or parquet"},
	{OPT_COMPRESS, "compress", 'Z', OPT_KIND_STRING, CMD_ARCHIVE, W_POLICY, "Policy", "METHOD", "zstd",
	 "compression: zstd, gzip or none; parquet also snappy (inside the file, per page)"},
	{OPT_COMPRESS_LEVEL, "compress-level", 0, OPT_KIND_INT, CMD_ARCHIVE, W_POLICY, "Policy", "N", NULL,
	 "compression level (zstd 1-19, default 3; gzip 1-9, default 6)"},
	{OPT_MAX_ROWS_PER_TXN, "max-rows-per-txn", 0, OPT_KIND_INT, CMD_ARCHIVE, W_POLICY, "Policy", "N", "200000",
	 "split a window holding more rows than this into smaller ranges"},
	{OPT_ALLOW_SEQSCAN, "allow-seqscan", 0, OPT_KIND_BOOL, CMD_ARCHIVE, W_POLICY, "Policy", NULL, NULL,
	 "archive a table even though its time column has no index"},
	{OPT_ALLOW_DELETE_TRIGGERS, "allow-delete-triggers", 0, OPT_KIND_BOOL, CMD_ARCHIVE, W_POLICY, "Policy", NULL, NULL,
	 "archive a table that has triggers on DELETE (they fire for every archived row)"},
	{OPT_ROW_GROUP_SIZE, "row-group-size", 0, OPT_KIND_INT, CMD_ARCHIVE, W_POLICY, "Parquet", "ROWS", "1048576",
	 "parquet: at most this many rows per row group"},
	{OPT_ROW_GROUP_BYTES, "row-group-bytes", 0, OPT_KIND_STRING, CMD_ARCHIVE, W_POLICY, "Parquet", "SIZE", "64MiB",
	 "parquet: a row group ends when its buffered values reach this size (bounds memory)"},
	{OPT_PARQUET_INFINITY, "parquet-infinity", 0, OPT_KIND_STRING, CMD_ARCHIVE, W_POLICY, "Parquet", "POLICY", "error",
	 "parquet: +-infinity dates and timestamps, NaN numeric in a DECIMAL: error, null or sentinel"},
	{OPT_WHOLE_PARTITIONS_ONLY, "whole-partitions-only", 0, OPT_KIND_BOOL, CMD_ARCHIVE, W_POLICY, "Partitions", NULL, NULL,
	 "partitioned tables: archive only partitions wholly older than the cutoff (and old rows of the DEFAULT)"},
	{OPT_KEEP_DETACHED, "keep-detached", 0, OPT_KIND_BOOL, CMD_ARCHIVE, W_POLICY, "Partitions", NULL, NULL,
	 "leave an archived partition detached instead of dropping it"},
	{OPT_RETENTION_SCHEMA, "retention-schema", 0, OPT_KIND_STRING, CMD_ARCHIVE, W_POLICY, "Partitions", "SCHEMA", NULL,
	 "with --keep-detached: move archived partitions to this schema"},
	{OPT_DETACH_TIMEOUT, "detach-timeout", 0, OPT_KIND_STRING, CMD_ARCHIVE, W_POLICY, "Partitions", "DURATION", "1s",
	 "lock_timeout of each DETACH attempt, and of each drop of archived chunks"},
	{OPT_DETACH_RETRIES, "detach-retries", 0, OPT_KIND_INT, CMD_ARCHIVE, W_POLICY, "Partitions", "N", "10",
	 "DETACH (or chunk drop) attempts after a lock timeout, with backoff, before the run reports failure"},
	{OPT_ALLOW_COMPRESSED_CHUNKS, "allow-compressed-chunks", 0, OPT_KIND_BOOL, CMD_ARCHIVE, W_POLICY, "TimescaleDB", NULL, NULL,
	 "archive compressed chunks too, read through the hypertable by their slice (untested against real compression)"},
	{OPT_TIME_UNIT, "time-unit", 0, OPT_KIND_STRING, CMD_ARCHIVE | CMD_STATUS, W_POLICY, "TimescaleDB", "UNIT", NULL,
	 "an integer time dimension counts s, ms, us or ns since the Unix epoch (hypertables only)"},
	{OPT_MAX_REPLICA_LAG, "max-replica-lag", 0, OPT_KIND_STRING, CMD_ARCHIVE, W_POLICY, "Back-pressure", "SIZE", NULL,
	 "between windows, pause while a standby has more than SIZE of WAL not replayed (pg_stat_replication)"},
	{OPT_MAX_WAL_RATE, "max-wal-rate", 0, OPT_KIND_STRING, CMD_ARCHIVE, W_POLICY, "Back-pressure", "SIZE/s", NULL,
	 "between windows, sleep so that the server's WAL since the table's start stays under SIZE per second"},
	{OPT_MAX_LOCK_WAITERS, "max-lock-waiters", 0, OPT_KIND_INT, CMD_ARCHIVE, W_POLICY, "Back-pressure", "N", NULL,
	 "pause after a window at whose end more than N sessions waited on its locks (backoff 1s to 30s)"},
	{OPT_PAUSE_BETWEEN_WINDOWS, "pause-between-windows", 0, OPT_KIND_STRING, CMD_ARCHIVE, W_POLICY, "Back-pressure", "DURATION", NULL,
	 "sleep this long after each window that archived rows"},
	{OPT_INTERVAL, "interval", 0, OPT_KIND_STRING, CMD_PARTITION | CMD_RESTORE, WHERE_CLI, "Partitions", "INTERVAL", "1d",
	 "the range of one partition: 1h, 1d, 1w or 1mon (aligned, in UTC for timestamptz); restore: default, as the table's"},
	{OPT_PREMAKE, "premake", 0, OPT_KIND_INT, CMD_PARTITION, WHERE_CLI, "Partitions", "N", "4",
	 "partition: create the current interval's partition and the next N"},
	{OPT_S3_ENDPOINT, "s3-endpoint", 0, OPT_KIND_STRING, CMD_STORE, W_ALL, "S3", "URL", NULL,
	 "S3-compatible endpoint (default: AWS_ENDPOINT_URL, else AWS S3 in the region)"},
	{OPT_S3_REGION, "s3-region", 0, OPT_KIND_STRING, CMD_STORE, W_ALL, "S3", "REGION", NULL,
	 "signing region (default: AWS_REGION, else us-east-1)"},
	{OPT_S3_PATH_STYLE, "s3-path-style", 0, OPT_KIND_BOOL, CMD_STORE, W_ALL, "S3", NULL, NULL,
	 "path-style URLs (endpoint/bucket/key); on by default with a custom endpoint"},
	{OPT_S3_PART_SIZE, "s3-part-size", 0, OPT_KIND_STRING, CMD_STORE, W_ALL, "S3", "SIZE", "16MiB",
	 "multipart part size, at least 5MiB; objects up to 10000 parts"},
	{OPT_S3_RETRIES, "s3-retries", 0, OPT_KIND_INT, CMD_STORE, W_ALL, "S3", "N", "5",
	 "retries of one request after a network error, 408, 429 or 5xx"},
	{OPT_S3_TIMEOUT, "s3-timeout", 0, OPT_KIND_STRING, CMD_STORE, W_ALL, "S3", "DURATION", "10min",
	 "overall deadline of one request, retries included"},
	{OPT_S3_STALL_TIMEOUT, "s3-stall-timeout", 0, OPT_KIND_STRING, CMD_STORE, W_ALL, "S3", "DURATION", "30s",
	 "abandon (and retry) an attempt that moves no byte for this long"},
	{OPT_S3_STORAGE_CLASS, "s3-storage-class", 0, OPT_KIND_STRING, CMD_STORE, W_ALL, "S3", "CLASS", NULL,
	 "x-amz-storage-class of new objects (STANDARD_IA, GLACIER_IR...)"},
	{OPT_S3_SSE, "s3-sse", 0, OPT_KIND_STRING, CMD_STORE, W_ALL, "S3", "ALGORITHM", NULL,
	 "server-side encryption: AES256, or aws:kms with the bucket's default key"},
	{OPT_S3_CA_FILE, "s3-ca-file", 0, OPT_KIND_STRING, CMD_STORE, W_ALL, "S3", "FILE", NULL,
	 "PEM bundle of CAs that sign the endpoint's certificate"},
	{OPT_S3_INSECURE, "s3-insecure", 0, OPT_KIND_BOOL, CMD_STORE, W_ALL, "S3", NULL, NULL,
	 "do not verify the endpoint's TLS certificate (logs a warning; tests only)"},
	{OPT_AZ_ACCOUNT, "az-account", 0, OPT_KIND_STRING, CMD_STORE, W_ALL, "Azure", "NAME", NULL,
	 "storage account (default: AZURE_STORAGE_ACCOUNT); the key only from AZURE_STORAGE_KEY, or a SAS from AZURE_STORAGE_SAS_TOKEN"},
	{OPT_AZ_ENDPOINT, "az-endpoint", 0, OPT_KIND_STRING, CMD_STORE, W_ALL, "Azure", "URL", NULL,
	 "Blob endpoint (default: AZURE_STORAGE_BLOB_ENDPOINT, else https://ACCOUNT.blob.core.windows.net)"},
	{OPT_AZ_BLOCK_SIZE, "az-block-size", 0, OPT_KIND_STRING, CMD_STORE, W_ALL, "Azure", "SIZE", "8MiB",
	 "block size of uploads, 64KiB to 4000MiB; a larger object is put as blocks, at most 50000"},
	{OPT_AZ_RETRIES, "az-retries", 0, OPT_KIND_INT, CMD_STORE, W_ALL, "Azure", "N", NULL,
	 "retries of one request after a network error, 408, 429, 500, 502, 503 or 504 (default: as --s3-retries)"},
	{OPT_AZ_TIMEOUT, "az-timeout", 0, OPT_KIND_STRING, CMD_STORE, W_ALL, "Azure", "DURATION", NULL,
	 "overall deadline of one request, retries included (default: as --s3-timeout)"},
	{OPT_AZ_STALL_TIMEOUT, "az-stall-timeout", 0, OPT_KIND_STRING, CMD_STORE, W_ALL, "Azure", "DURATION", NULL,
	 "abandon (and retry) an attempt that moves no byte for this long (default: as --s3-stall-timeout)"},
	{OPT_AZ_CA_FILE, "az-ca-file", 0, OPT_KIND_STRING, CMD_STORE, W_ALL, "Azure", "FILE", NULL,
	 "PEM bundle of CAs that sign the endpoint's certificate"},
	{OPT_AZ_INSECURE, "az-insecure", 0, OPT_KIND_BOOL, CMD_STORE, W_ALL, "Azure", NULL, NULL,
	 "do not verify the endpoint's TLS certificate (logs a warning; tests only)"},
	{OPT_TIMEZONE, "timezone", 0, OPT_KIND_STRING, CMD_ALL, W_ALL, "Session", "TZ", NULL,
	 "session TimeZone (applies to timestamp columns); default: the server's"},
	{OPT_LOCK_TIMEOUT, "lock-timeout", 0, OPT_KIND_STRING, CMD_ARCHIVE | CMD_RESTORE | CMD_DOCTOR | CMD_RECLAIM, W_ALL, "Session", "DURATION", "5s",
	 "lock_timeout for ebb's session"},
	{OPT_STATEMENT_TIMEOUT, "statement-timeout", 0, OPT_KIND_STRING, CMD_ARCHIVE | CMD_VERIFY | CMD_RESTORE | CMD_DOCTOR | CMD_RECLAIM, W_ALL, "Session", "DURATION", "30min",
	 "statement_timeout for ebb's session (verify --gc derives its age floor from it)"},
	{OPT_IDLE_TIMEOUT, "idle-timeout", 0, OPT_KIND_STRING, CMD_ARCHIVE | CMD_VERIFY | CMD_RESTORE | CMD_DOCTOR | CMD_RECLAIM, W_ALL, "Session", "DURATION", NULL,
	 "idle_in_transaction_session_timeout for ebb's session (default: 5min, or 3 x the longer of --s3-timeout and --az-timeout plus 1min when longer)"},
	{OPT_ROWS, "rows", 'n', OPT_KIND_INT, CMD_GENERATE, WHERE_CLI, "Data", "N", NULL,
	 "generate N realistic rows (~1.4 kB each) instead of one row per hour"},
	{OPT_DAYS, "days", 0, OPT_KIND_INT, CMD_GENERATE, WHERE_CLI, "Data", "D", "30",
	 "spread the rows over the last D days"},
	{OPT_SEED, "seed", 0, OPT_KIND_INT, CMD_GENERATE, WHERE_CLI, "Data", "N", "1",
	 "seed: same arguments, same rows"},
	{OPT_END, "end", 0, OPT_KIND_STRING, CMD_GENERATE, WHERE_CLI, "Data", "TIMESTAMP", NULL,
	 "the newest generated time (default: now(), to the second)"},
	{OPT_FROM, "from", 0, OPT_KIND_STRING, CMD_VERIFY | CMD_RESTORE, WHERE_CLI, "Objects", "TIMESTAMP", NULL,
	 "only objects whose window ends after this time (read in the session TimeZone)"},
	{OPT_TO, "to", 0, OPT_KIND_STRING, CMD_VERIFY | CMD_RESTORE, WHERE_CLI, "Objects", "TIMESTAMP", NULL,
	 "only objects whose window starts before this time"},
	{OPT_GC, "gc", 0, OPT_KIND_BOOL, CMD_VERIFY, WHERE_CLI, "Verify", NULL, NULL,
	 "remove orphan objects and abort stale multipart uploads (never a ledger's object)"},
	{OPT_OLDER_THAN, "older-than", 0, OPT_KIND_STRING, CMD_VERIFY, WHERE_CLI, "Verify", "DURATION", "1h",
	 "with --gc: only orphans and uploads at least this old, and never younger than 3 x --statement-timeout + 2 x --idle-timeout"},
	{OPT_DEEP, "deep", 0, OPT_KIND_BOOL, CMD_VERIFY, WHERE_CLI, "Verify", NULL, NULL,
	 "decode every object (CSV parsed, Parquet pages read) and count its rows from the rows themselves"},
	{OPT_INTO, "into", 0, OPT_KIND_STRING, CMD_RESTORE, WHERE_CLI, "Restore", "SCHEMA.TABLE", NULL,
	 "restore into this table (default: the archived table itself)"},
	{OPT_ON_CONFLICT, "on-conflict", 0, OPT_KIND_STRING, CMD_RESTORE, WHERE_CLI, "Restore", "MODE", "error",
	 "a restored row whose key the target holds: error (the object is not restored), skip or update"},
	{OPT_KEY, "key", 0, OPT_KIND_STRING, CMD_RESTORE, WHERE_CLI, "Restore", "COLUMNS", NULL,
	 "the columns (comma-separated) that identify a row for --on-conflict; default: the primary key"},
	{OPT_IGNORE_COLUMNS, "ignore-columns", 0, OPT_KIND_LIST, CMD_RESTORE, WHERE_CLI, "Restore", "COLUMN", NULL,
	 "leave out this archived column, which the target no longer has (repeatable)"},
	{OPT_AGAIN, "again", 0, OPT_KIND_BOOL, CMD_RESTORE, WHERE_CLI, "Restore", NULL, NULL,
	 "restore objects that an earlier restore into the same target already restored"},
	{OPT_FROM_MANIFESTS, "from-manifests", 0, OPT_KIND_BOOL, CMD_RESTORE, WHERE_CLI, "Restore", NULL, NULL,
	 "the database's ledger is gone: take the objects from the manifests under --dest"},
	{OPT_CREATE_PARTITIONS, "create-partitions", 0, OPT_KIND_BOOL, CMD_RESTORE, WHERE_CLI, "Restore", NULL, NULL,
	 "create the range partition a restored row needs when none holds it (default: for tables whose partitions ebb partition named)"},
	{OPT_NO_CREATE_PARTITIONS, "no-create-partitions", 0, OPT_KIND_BOOL, CMD_RESTORE, WHERE_CLI, "Restore", NULL, NULL,
	 "never create a partition: a row whose partition is gone fails its object"},
	{OPT_FIX, "fix", 0, OPT_KIND_BOOL, CMD_DOCTOR, WHERE_CLI, "Doctor", NULL, NULL,
	 "repair what can be repaired online: build the time index CONCURRENTLY, drop and rebuild INVALID indexes, create extension amcheck"},
	{OPT_THOROUGH, "thorough", 0, OPT_KIND_BOOL, CMD_DOCTOR, WHERE_CLI, "Doctor", NULL, NULL,
	 "amcheck bt_index_parent_check with heapallindexed (holds a SHARE lock on the table: writes wait until it ends)"},
	{OPT_INDEX_RETRIES, "index-retries", 0, OPT_KIND_INT, CMD_DOCTOR, WHERE_CLI, "Doctor", "N", "5",
	 "CREATE INDEX CONCURRENTLY attempts after a lock timeout (each failed one dropped), with backoff"},
	{OPT_BRIN, "brin", 0, OPT_KIND_BOOL, CMD_DOCTOR, WHERE_CLI, "Doctor", NULL, NULL,
	 "with --fix: measure the BRIN index that the advice proposes (built CONCURRENTLY, measured, dropped)"},
	{OPT_ONLINE, "online", 0, OPT_KIND_BOOL, CMD_RECLAIM, WHERE_CLI, "Reclaim", NULL, NULL,
	 "rewrite the table beside the workload with pg_repack (the extension in the database, the program driven by ebb)"},
	{OPT_FULL, "full", 0, OPT_KIND_BOOL, CMD_RECLAIM, WHERE_CLI, "Reclaim", NULL, NULL,
	 "VACUUM FULL, only inside the maintenance window (an ACCESS EXCLUSIVE lock for the whole rewrite)"},
	{OPT_WINDOW_START, "window-start", 0, OPT_KIND_STRING, CMD_ARCHIVE | CMD_RECLAIM, W_ALL, "Reclaim", "HH:MM", NULL,
	 "the maintenance window's start, in the session TimeZone (VACUUM FULL starts only inside it)"},
	{OPT_WINDOW_END, "window-end", 0, OPT_KIND_STRING, CMD_ARCHIVE | CMD_RECLAIM, W_ALL, "Reclaim", "HH:MM", NULL,
	 "the maintenance window's end (before the start: the window spans midnight)"},
	{OPT_PG_REPACK, "pg-repack", 0, OPT_KIND_STRING, CMD_ARCHIVE | CMD_RECLAIM, W_ALL, "Reclaim", "PROGRAM", NULL,
	 "the pg_repack program (default: on PATH, else /usr/lib/postgresql/<server major>/bin)"},
	{OPT_AFTER_ARCHIVE, "after-archive", 0, OPT_KIND_STRING, CMD_ARCHIVE, W_POLICY, "Reclaim", "METHOD", "none",
	 "after a run that deleted rows of the table, reclaim its disk: none, vacuum, online or full"},
	{OPT_DRY_RUN, "dry-run", 0, OPT_KIND_BOOL, CMD_ARCHIVE | CMD_RESTORE, WHERE_CLI, "Output", NULL, NULL,
	 "print what would be done (archive: windows, rows, bytes; restore: objects); change nothing"},
	{OPT_JSON, "json", 0, OPT_KIND_BOOL, CMD_ARCHIVE | CMD_STATUS | CMD_VERIFY | CMD_RESTORE | CMD_DOCTOR | CMD_RECLAIM, WHERE_CLI, "Output", NULL, NULL,
	 "machine-readable output, one JSON object per line"},
	{OPT_VERBOSE, "verbose", 'v', OPT_KIND_BOOL, CMD_ALL, WHERE_CLI, "Output", NULL, NULL,
	 "say what is being done (repeat for debug detail)"},
	{OPT_HELP, "help", 'h', OPT_KIND_BOOL, CMD_ALL, WHERE_CLI, "Output", NULL, NULL,
	 "show this help, then exit"},
	{OPT_VERSION, "version", 'V', OPT_KIND_BOOL, CMD_ALL, WHERE_CLI, "Output", NULL, NULL,
	 "output version information, then exit"},
};
/* clang-format on */

/* Is `given` the option's name, with any dash written as an underscore? */
static bool
option_name_matches(const char *canonical, const char *given)
{
	for (; *canonical && *given; canonical++, given++)
		if (*given != *canonical && !(*canonical == '-' && *given == '_'))
			return false;
	return *canonical == *given;
}

const OptionDef *
option_by_name(const char *name)
{
	for (int i = 0; i < OPT_COUNT; i++)
		if (option_name_matches(option_table[i].name, name))
			return &option_table[i];
	return NULL;
}

void
opt_layer_set(OptLayer *layer, OptId id, const char *value, const char *origin)
{
	OptSlot *slot = &layer->slot[id];

	free(slot->value);
	slot->value = ebb_strdup(value);
	if (option_table[id].kind == OPT_KIND_LIST)
		strlist_add(&slot->list, value);
	slot->set = true;
	snprintf(slot->origin, sizeof(slot->origin), "%s", origin);
}

void
opt_layer_free(OptLayer *layer)
{
	for (int i = 0; i < OPT_COUNT; i++)
	{
		free(layer->slot[i].value);
		strlist_clear(&layer->slot[i].list);
	}
	memset(layer, 0, sizeof(*layer));
}

const OptSlot *
opt_lookup(OptId id, const OptLayer *first, const OptLayer *second, const OptLayer *third)
{
	const OptLayer *layers[] = {first, second, third};

	for (int i = 0; i < 3; i++)
		if (layers[i] && layers[i]->slot[id].set)
			return &layers[i]->slot[id];
	return NULL;
}

const char *
opt_origin(OptId id, const OptSlot *slot)
{
	static char text[80];

	if (slot && slot->origin[0])
		return slot->origin;
	snprintf(text, sizeof(text), "option --%s", option_table[id].name);
	return text;
}

const char *
opt_get_string(OptId id, const OptSlot *slot)
{
	return slot ? slot->value : option_table[id].default_value;
}

bool
opt_parse_bool(const char *text, bool *out)
{
	static const char *yes[] = {"1", "true", "on", "yes"};
	static const char *no[] = {"0", "false", "off", "no"};

	for (int i = 0; i < 4; i++)
	{
		if (strcasecmp(text, yes[i]) == 0)
			return (*out = true);
		if (strcasecmp(text, no[i]) == 0)
			return !(*out = false);
	}
	return false;
}

bool
opt_get_bool(OptId id, const OptSlot *slot, bool *out, EbbError *err)
{
	const char *text = opt_get_string(id, slot);

	if (!text)
		return !(*out = false);
	if (opt_parse_bool(text, out))
		return true;
	error_set(err, EBB_ERR_CONFIG, "invalid value \"%s\" for %s", text_escape(text).s,
			  opt_origin(id, slot));
	error_hint(err, "Use true or false.");
	return false;
}

bool
opt_get_int(OptId id, const OptSlot *slot, long long min, long long max, long long *out,
			EbbError *err)
{
	const char *text = opt_get_string(id, slot);
	char *end;

	if (!text)
		return error_set(err, EBB_ERR_INTERNAL, "option --%s has no default",
						 option_table[id].name);
	errno = 0;
	long long v = strtoll(text, &end, 10);
	if (errno || end == text || *end != '\0' || v < min || v > max)
	{
		error_set(err,
				  slot && strncmp(slot->origin, "option", 6) != 0 ? EBB_ERR_CONFIG : EBB_ERR_USAGE,
				  "invalid value \"%s\" for %s", text_escape(text).s, opt_origin(id, slot));
		error_hint(err, "Use a whole number from %lld to %lld.", min, max);
		return false;
	}
	*out = v;
	return true;
}

bool
opt_get_size(OptId id, const OptSlot *slot, uint64_t *out, EbbError *err)
{
	static const struct
	{
		const char *unit;
		uint64_t factor;
	} units[] = {{"", 1},
				 {"B", 1},
				 {"kB", 1000},
				 {"KiB", 1024},
				 {"MB", 1000 * 1000},
				 {"MiB", 1024 * 1024},
				 {"GB", 1000 * 1000 * 1000},
				 {"GiB", 1024 * 1024 * 1024}};
	const char *text = opt_get_string(id, slot);
	char *end;
	unsigned long long v = strtoull(text, &end, 10);

	for (size_t i = 0; end != text && text[0] != '-' && i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(end, units[i].unit) == 0 && v <= UINT64_MAX / units[i].factor)
		{
			*out = (uint64_t) v * units[i].factor;
			return true;
		}
	error_set(err, EBB_ERR_USAGE, "invalid value \"%s\" for %s", text_escape(text).s,
			  opt_origin(id, slot));
	error_hint(err, "Use a whole number and a unit, such as \"16MiB\" or \"100MB\".");
	return false;
}
