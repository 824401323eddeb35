/*
 * config.h: the INI config file (libinih) and the resolution of settings and per-table
 * policies from three layers: command line > [table schema.name] > [defaults] > built-in.
 * The Config owns its layers; Settings and Policy own their strings (free with *_free).
 */
#ifndef EBB_CONFIG_CONFIG_H
#define EBB_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"
#include "config/options.h"
#include "store/store.h"

typedef struct ConfigTableSection
{
	char *name; /* as written after "table " */
	int line;
	OptLayer layer;
} ConfigTableSection;

typedef struct Config
{
	char *path;
	OptLayer defaults;
	ConfigTableSection *tables;
	int ntables;
} Config;

bool config_load(const char *path, Config *cfg, EbbError *err);
void config_free(Config *cfg);

/* Settings that apply to the whole run. */
typedef struct Settings
{
	char *dsn;
	StrList databases;
	bool all_databases;
	StrList include;
	StrList exclude;
	int jobs;
	char *timezone;
	int64_t lock_timeout_ms;
	int64_t statement_timeout_ms;
	int64_t idle_timeout_ms;
	bool idle_timeout_derived; /* --idle-timeout unset: derived from --s3-timeout */
	bool dry_run;
	bool json;
	int verbose;
	StoreOptions store;
	/* ebb verify */
	char *from; /* timestamps as given; NULL: unbounded */
	char *to;
	bool gc;
	int64_t older_than_ms;
	bool older_than_set; /* given, not the default */
	bool deep;           /* verify --deep */
	/* ebb restore */
	char *into;        /* "schema.table" as given; NULL: the archived table */
	char *on_conflict; /* error, skip, update */
	char *key;         /* comma-separated columns; NULL: the primary key */
	StrList ignore_columns;
	bool again;
	bool from_manifests;
	int create_partitions; /* -1 never, 0 for tables ebb partitions, 1 always */
	char *interval;        /* restore's --interval as given, or NULL */
	/* ebb doctor */
	bool fix;
	bool thorough;
	int index_retries;
	bool brin; /* --fix --brin: measure the BRIN index advised */
	/* ebb reclaim (window and program: archive's after-archive too) */
	bool online;
	bool full;
	char *window_start; /* "HH:MM" as given, or NULL */
	char *window_end;
	char *pg_repack; /* NULL: found */
} Settings;

bool settings_resolve(const OptLayer *cli, const Config *cfg, unsigned command, Settings *out,
					  EbbError *err);
void settings_free(Settings *s);

/* One table's archive policy. */
typedef struct Policy
{
	char *schema;
	char *table;
	char *time_column;
	int keep_days; /* -1: keep everything */
	int64_t window_us;
	char *dest;
	char *format;
	char *compress;
	int compress_level; /* -1: the compressor's default */
	int64_t max_rows_per_txn;
	bool allow_seqscan;
	bool allow_delete_triggers;
	uint64_t row_group_rows;  /* parquet */
	uint64_t row_group_bytes; /* parquet */
	int parquet_infinity;     /* EncoderInfinity */
	bool whole_partitions_only;
	bool keep_detached;
	char *retention_schema; /* NULL: detached partitions stay in their schema */
	int64_t detach_timeout_ms;
	int detach_retries;
	bool allow_compressed_chunks;
	int64_t time_unit_ns; /* --time-unit: nanoseconds per unit; 0 when not given */
	char *after_archive; /* none, vacuum, online or full */
	/* Back-pressure (src/archive/throttle.c), between windows; 0 (-1 for waiters): off. */
	int64_t max_replica_lag;  /* bytes of WAL a standby has not replayed */
	int64_t max_wal_rate;     /* bytes per second */
	int max_lock_waiters;     /* sessions waiting on the window's locks at its end */
	int64_t pause_between_ms; /* after each window that archived rows */
} Policy;

/*
 * Resolves the policies to run: the --table one (with its section, if the file has one), or
 * every [table] section of the file. `require` names the keys this command cannot do without.
 */
bool policies_resolve(const OptLayer *cli, const Config *cfg, unsigned command, Policy **out,
					  int *count, EbbError *err);
void policies_free(Policy *p, int count);

/* Splits "schema.table" (parts exact, or double-quoted) into parts; default schema "public". */
bool config_parse_qualified_name(const char *text, char **schema, char **table, EbbError *err);

#endif
