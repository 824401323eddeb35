/*
 * options.h: the one table of options. Each option is a command-line flag and, where its
 * `where` allows, a key in the config file's [defaults] or [table schema.name] sections.
 * --help text is generated from the same table. Values are kept as strings in layers
 * (command line, table section, defaults section) and typed when a policy is resolved.
 */
#ifndef EBB_CONFIG_OPTIONS_H
#define EBB_CONFIG_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"

typedef enum OptId
{
	OPT_DSN,
	OPT_DATABASE,
	OPT_ALL_DATABASES,
	OPT_INCLUDE,
	OPT_EXCLUDE,
	OPT_JOBS,
	OPT_CONFIG,
	OPT_TABLE,
	OPT_TIME_COLUMN,
	OPT_KEEP_DAYS,
	OPT_WINDOW,
	OPT_DEST,
	OPT_FORMAT,
	OPT_COMPRESS,
	OPT_COMPRESS_LEVEL,
	OPT_MAX_ROWS_PER_TXN,
	OPT_ALLOW_SEQSCAN,
	OPT_ALLOW_DELETE_TRIGGERS,
	OPT_ROW_GROUP_SIZE,
	OPT_ROW_GROUP_BYTES,
	OPT_PARQUET_INFINITY,
	OPT_WHOLE_PARTITIONS_ONLY,
	OPT_KEEP_DETACHED,
	OPT_RETENTION_SCHEMA,
	OPT_DETACH_TIMEOUT,
	OPT_DETACH_RETRIES,
	OPT_ALLOW_COMPRESSED_CHUNKS,
	OPT_TIME_UNIT,
	OPT_MAX_REPLICA_LAG,
	OPT_MAX_WAL_RATE,
	OPT_MAX_LOCK_WAITERS,
	OPT_PAUSE_BETWEEN_WINDOWS,
	OPT_INTERVAL,
	OPT_PREMAKE,
	OPT_S3_ENDPOINT,
	OPT_S3_REGION,
	OPT_S3_PATH_STYLE,
	OPT_S3_PART_SIZE,
	OPT_S3_RETRIES,
	OPT_S3_TIMEOUT,
	OPT_S3_STALL_TIMEOUT,
	OPT_S3_STORAGE_CLASS,
	OPT_S3_SSE,
	OPT_S3_CA_FILE,
	OPT_S3_INSECURE,
	OPT_AZ_ACCOUNT,
	OPT_AZ_ENDPOINT,
	OPT_AZ_BLOCK_SIZE,
	OPT_AZ_RETRIES,
	OPT_AZ_TIMEOUT,
	OPT_AZ_STALL_TIMEOUT,
	OPT_AZ_CA_FILE,
	OPT_AZ_INSECURE,
	OPT_TIMEZONE,
	OPT_LOCK_TIMEOUT,
	OPT_STATEMENT_TIMEOUT,
	OPT_IDLE_TIMEOUT,
	OPT_ROWS,
	OPT_DAYS,
	OPT_SEED,
	OPT_END,
	OPT_FROM,
	OPT_TO,
	OPT_GC,
	OPT_OLDER_THAN,
	OPT_DEEP,
	OPT_INTO,
	OPT_ON_CONFLICT,
	OPT_KEY,
	OPT_IGNORE_COLUMNS,
	OPT_AGAIN,
	OPT_FROM_MANIFESTS,
	OPT_CREATE_PARTITIONS,
	OPT_NO_CREATE_PARTITIONS,
	OPT_FIX,
	OPT_THOROUGH,
	OPT_INDEX_RETRIES,
	OPT_BRIN,
	OPT_ONLINE,
	OPT_FULL,
	OPT_WINDOW_START,
	OPT_WINDOW_END,
	OPT_PG_REPACK,
	OPT_AFTER_ARCHIVE,
	OPT_DRY_RUN,
	OPT_JSON,
	OPT_VERBOSE,
	OPT_HELP,
	OPT_VERSION,
	OPT_COUNT
} OptId;

typedef enum OptKind
{
	OPT_KIND_STRING,
	OPT_KIND_INT,
	OPT_KIND_BOOL,
	OPT_KIND_LIST
} OptKind;

/* Commands (bit set). */
#define CMD_ARCHIVE   0x1u
#define CMD_GENERATE  0x2u
#define CMD_STATUS    0x4u
#define CMD_VERIFY    0x8u
#define CMD_PARTITION 0x10u
#define CMD_RESTORE   0x20u
#define CMD_DOCTOR    0x40u
#define CMD_RECLAIM   0x80u
#define CMD_ALL                                                                                    \
	(CMD_ARCHIVE | CMD_GENERATE | CMD_STATUS | CMD_VERIFY | CMD_PARTITION | CMD_RESTORE |          \
	 CMD_DOCTOR | CMD_RECLAIM)
#define CMD_STORE                                                                                  \
	(CMD_ARCHIVE | CMD_VERIFY | CMD_RESTORE) /* commands that read or write objects                \
											  */

/* Where an option may be given (bit set). */
#define WHERE_CLI      0x1u
#define WHERE_DEFAULTS 0x2u
#define WHERE_TABLE    0x4u

typedef struct OptionDef
{
	OptId id;
	const char *name; /* long option and config key, canonical (dashed) spelling */
	char short_name;  /* 0 for none */
	OptKind kind;
	unsigned commands;
	unsigned where;
	const char *group;         /* help section */
	const char *metavar;       /* NULL for flags */
	const char *default_value; /* NULL when there is none */
	const char *help;
} OptionDef;

extern const OptionDef option_table[OPT_COUNT];

/* The option of a config key or long flag; "time_column" finds "time-column" (every key is
 * accepted with underscores for dashes). */
const OptionDef *option_by_name(const char *name);

/* One value of an option, with where it came from for error messages. */
typedef struct OptSlot
{
	bool set;
	char *value;  /* last value (string, int, bool as text) */
	StrList list; /* every value, for OPT_KIND_LIST */
	char origin[512];
	int line; /* the config file's line that set it; 0 for the command line */
} OptSlot;

typedef struct OptLayer
{
	OptSlot slot[OPT_COUNT];
} OptLayer;

void opt_layer_set(OptLayer *layer, OptId id, const char *value, const char *origin);
void opt_layer_free(OptLayer *layer);

/* The first layer that sets the option, or NULL. Layers in priority order; NULLs skipped. */
const OptSlot *opt_lookup(OptId id, const OptLayer *first, const OptLayer *second,
						  const OptLayer *third);

/* Typed reads of a slot (or the table's default when slot is NULL). */
bool opt_get_int(OptId id, const OptSlot *slot, long long min, long long max, long long *out,
				 EbbError *err);
bool opt_get_bool(OptId id, const OptSlot *slot, bool *out, EbbError *err);
/* "16MiB", "5MB", "8388608": a byte size (B, kB, KiB, MB, MiB, GB, GiB). */
bool opt_get_size(OptId id, const OptSlot *slot, uint64_t *out, EbbError *err);
const char *opt_get_string(OptId id, const OptSlot *slot);
bool opt_parse_bool(const char *text, bool *out);

/* "option --keep-days" or "parameter \"keep-days\" in file \"x\" line 3". */
const char *opt_origin(OptId id, const OptSlot *slot);

/* Parses argv (after the command word) into the CLI layer. A single-value option given twice
 * is an error; list options (--database, --include, --exclude) collect every value and a
 * repeated flag counts (-v -v). */
bool options_parse_argv(unsigned command, const char *command_name, int argc, char **argv,
						OptLayer *cli, StrList *positional, EbbError *err);

void options_print_help(unsigned command, const char *command_name, const char *summary);

#endif
