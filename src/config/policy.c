/* policy.c: per-table policies from --table and the config file's [table] sections. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/text.h"
#include "common/time.h"
#include "compress/compressor.h"
#include "config/config.h"
#include "encode/encoder.h"
#include "pg/ident.h"

typedef struct PolicyLayers
{
	const OptLayer *cli, *table, *defaults;
} PolicyLayers;

static const OptSlot *
policy_slot(const PolicyLayers *l, OptId id)
{
	return opt_lookup(id, l->cli, l->table, l->defaults);
}

static bool
resolve_window(const PolicyLayers *l, Policy *p, EbbError *err)
{
	const OptSlot *slot = policy_slot(l, OPT_WINDOW);
	const char *text = opt_get_string(OPT_WINDOW, slot);

	if (!time_parse_duration(text, &p->window_us, err) || p->window_us < USECS_PER_MINUTE ||
		USECS_PER_DAY % p->window_us != 0)
	{
		error_set(err, EBB_ERR_USAGE, "invalid window \"%s\" for %s", text_escape(text).s,
				  opt_origin(OPT_WINDOW, slot));
		error_detail(err, "A window must be at least one minute and divide a day evenly.");
		error_hint(err, "Use a value such as \"15min\", \"1h\", \"6h\" or \"1d\".");
		return false;
	}
	return true;
}

/* A method without levels (none, Parquet's snappy): "from 0 to 0" would be no help. */
static bool
no_level(const char *method, const OptSlot *lvl, EbbError *err)
{
	error_set(err, EBB_ERR_USAGE, "invalid value \"%s\" for %s", text_escape(lvl->value).s,
			  opt_origin(OPT_COMPRESS_LEVEL, lvl));
	error_detail(err, "Compression method \"%s\" takes no level.", method);
	error_hint(err, "Remove the level, or choose a method that has levels (zstd or gzip).");
	return false;
}

static bool
resolve_names(const PolicyLayers *l, Policy *p, EbbError *err)
{
	const OptSlot *fmt = policy_slot(l, OPT_FORMAT);
	const OptSlot *cmp = policy_slot(l, OPT_COMPRESS);

	p->format = ebb_strdup(opt_get_string(OPT_FORMAT, fmt));
	p->compress = ebb_strdup(opt_get_string(OPT_COMPRESS, cmp));
	if (!encoder_find(p->format))
	{
		error_set(err, EBB_ERR_USAGE, "invalid format \"%s\" for %s", text_escape(p->format).s,
				  opt_origin(OPT_FORMAT, fmt));
		error_hint(err, "Supported formats: %s.", encoder_names());
		return false;
	}
	long long level = -1;
	int min_level, max_level;
	const OptSlot *lvl = policy_slot(l, OPT_COMPRESS_LEVEL);
	const EncoderDriver *enc = encoder_find(p->format);
	const CompressorDriver *drv = enc->codecs ? NULL : compressor_find(p->compress);
	/* A format that compresses inside (Parquet) knows its own codecs. */
	if (enc->codecs ? !enc->codec_levels(p->compress, &min_level, &max_level) : !drv)
	{
		error_set(err, EBB_ERR_USAGE, "invalid compression method \"%s\" for %s",
				  text_escape(p->compress).s, opt_origin(OPT_COMPRESS, cmp));
		if (enc->codecs)
			error_hint(err, "Supported methods with --format %s: %s.", p->format, enc->codecs);
		else
			error_hint(err, "Supported methods: %s.", compressor_names());
		return false;
	}
	if (drv)
	{
		min_level = drv->min_level;
		max_level = drv->max_level;
	}
	if (lvl && max_level == 0)
		return no_level(p->compress, lvl, err);
	if (lvl && !opt_get_int(OPT_COMPRESS_LEVEL, lvl, min_level, max_level, &level, err))
		return false;
	p->compress_level = (int) level;
	return true;
}

/* s, ms, us or ns: how many nanoseconds one unit of an integer time dimension is. */
static bool
resolve_time_unit(const PolicyLayers *l, Policy *p, EbbError *err)
{
	static const struct
	{
		const char *name;
		int64_t ns;
	} units[] = {{"s", 1000000000}, {"ms", 1000000}, {"us", 1000}, {"ns", 1}};
	const OptSlot *slot = policy_slot(l, OPT_TIME_UNIT);
	const char *text = opt_get_string(OPT_TIME_UNIT, slot);

	p->time_unit_ns = 0;
	if (!text)
		return true;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(text, units[i].name) == 0)
			p->time_unit_ns = units[i].ns;
	if (p->time_unit_ns)
		return true;
	error_set(err, EBB_ERR_USAGE, "invalid value \"%s\" for %s", text_escape(text).s,
			  opt_origin(OPT_TIME_UNIT, slot));
	error_hint(err, "Use s, ms, us or ns: the unit of the integer time column since the Unix "
					"epoch.");
	return false;
}

static bool
resolve_partitions(const PolicyLayers *l, Policy *p, EbbError *err)
{
	const OptSlot *timeout = policy_slot(l, OPT_DETACH_TIMEOUT);
	const char *schema = opt_get_string(OPT_RETENTION_SCHEMA, policy_slot(l, OPT_RETENTION_SCHEMA));
	const char *text = opt_get_string(OPT_DETACH_TIMEOUT, timeout);
	int64_t us;
	long long n;
	EbbError ignored;

	if (!opt_get_bool(OPT_WHOLE_PARTITIONS_ONLY, policy_slot(l, OPT_WHOLE_PARTITIONS_ONLY),
					  &p->whole_partitions_only, err) ||
		!opt_get_bool(OPT_KEEP_DETACHED, policy_slot(l, OPT_KEEP_DETACHED), &p->keep_detached,
					  err) ||
		!opt_get_int(OPT_DETACH_RETRIES, policy_slot(l, OPT_DETACH_RETRIES), 0, 1000, &n, err))
		return false;
	p->detach_retries = (int) n;
	if (!opt_get_bool(OPT_ALLOW_COMPRESSED_CHUNKS, policy_slot(l, OPT_ALLOW_COMPRESSED_CHUNKS),
					  &p->allow_compressed_chunks, err) ||
		!resolve_time_unit(l, p, err))
		return false;
	if (!time_parse_duration(text, &us, &ignored) || us < 1000)
	{
		error_set(err, EBB_ERR_USAGE, "invalid value \"%s\" for %s", text_escape(text).s,
				  opt_origin(OPT_DETACH_TIMEOUT, timeout));
		error_hint(err, "Use a duration of at least 1ms, such as \"500ms\" or \"2s\".");
		return false;
	}
	p->detach_timeout_ms = us / 1000;
	if (schema && !p->keep_detached)
	{
		error_set(err, EBB_ERR_USAGE, "option --retention-schema requires --keep-detached");
		error_hint(err, "Add --keep-detached to keep archived partitions in that schema instead of "
						"dropping them.");
		return false;
	}
	p->retention_schema = schema ? ebb_strdup(schema) : NULL;
	return true;
}

/* A size option, optionally per second ("10MB/s" for --max-wal-rate); 0 when unset. */
static bool
policy_size(const PolicyLayers *l, OptId id, int64_t *out, EbbError *err)
{
	const OptSlot *slot = policy_slot(l, id);
	uint64_t v;

	*out = 0;
	if (!slot)
		return true;
	OptSlot copy = *slot;
	char *text = ebb_strdup(slot->value);
	size_t n = strlen(text);
	if (id == OPT_MAX_WAL_RATE && n > 2 && strcmp(text + n - 2, "/s") == 0)
		text[n - 2] = '\0';
	copy.value = text;
	bool ok = opt_get_size(id, &copy, &v, err);
	free(text);
	if (ok && v > INT64_MAX)
	{
		error_set(err, EBB_ERR_USAGE, "invalid value \"%s\" for %s", text_escape(slot->value).s,
				  opt_origin(id, slot));
		error_hint(err, "Use a size such as \"64MB\"; 0 for no limit.");
		return false;
	}
	*out = (int64_t) v;
	return ok;
}

static bool
resolve_back_pressure(const PolicyLayers *l, Policy *p, EbbError *err)
{
	const OptSlot *waiters = policy_slot(l, OPT_MAX_LOCK_WAITERS);
	const OptSlot *pause = policy_slot(l, OPT_PAUSE_BETWEEN_WINDOWS);
	long long n = -1;
	int64_t us = 0;
	EbbError ignored;

	if (!policy_size(l, OPT_MAX_REPLICA_LAG, &p->max_replica_lag, err) ||
		!policy_size(l, OPT_MAX_WAL_RATE, &p->max_wal_rate, err) ||
		(waiters && !opt_get_int(OPT_MAX_LOCK_WAITERS, waiters, -1, 100000, &n, err)))
		return false;
	p->max_lock_waiters = (int) n;
	/* "0", "0ms", "0s": no pause (a duration parser may refuse zero). */
	size_t zeros = pause ? strspn(pause->value, "0") : 0;
	bool zero =
		zeros > 0 &&
		pause->value[zeros + strspn(pause->value + zeros, "abcdefghijklmnopqrstuvwxyz")] == '\0';
	if (pause && !zero && (!time_parse_duration(pause->value, &us, &ignored) || us < 0))
	{
		error_set(err, EBB_ERR_USAGE, "invalid value \"%s\" for %s", text_escape(pause->value).s,
				  opt_origin(OPT_PAUSE_BETWEEN_WINDOWS, pause));
		error_hint(err, "Use a duration, such as \"500ms\" or \"2s\"; 0 for none.");
		return false;
	}
	p->pause_between_ms = us / 1000;
	return true;
}

/* The method is named here, run by cmd/archive.c through src/reclaim/. */
static bool
resolve_after_archive(const PolicyLayers *l, Policy *p, EbbError *err)
{
	static const char *const methods[] = {"none", "vacuum", "online", "full"};
	const OptSlot *slot = policy_slot(l, OPT_AFTER_ARCHIVE);
	const char *text = opt_get_string(OPT_AFTER_ARCHIVE, slot);

	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(text, methods[i]) == 0)
		{
			p->after_archive = ebb_strdup(text);
			return true;
		}
	error_set(err, slot && strncmp(slot->origin, "option", 6) != 0 ? EBB_ERR_CONFIG : EBB_ERR_USAGE,
			  "invalid value \"%s\" for %s", text_escape(text).s,
			  opt_origin(OPT_AFTER_ARCHIVE, slot));
	error_hint(err, "Use none, vacuum, online or full.");
	return false;
}

static bool
resolve_parquet(const PolicyLayers *l, Policy *p, EbbError *err)
{
	static const char *const policies[] = {"error", "null", "sentinel"};
	const OptSlot *inf = policy_slot(l, OPT_PARQUET_INFINITY);
	const char *v = opt_get_string(OPT_PARQUET_INFINITY, inf);
	long long rows;

	if (!opt_get_int(OPT_ROW_GROUP_SIZE, policy_slot(l, OPT_ROW_GROUP_SIZE), 1, 1LL << 31, &rows,
					 err) ||
		!opt_get_size(OPT_ROW_GROUP_BYTES, policy_slot(l, OPT_ROW_GROUP_BYTES), &p->row_group_bytes,
					  err))
		return false;
	p->row_group_rows = (uint64_t) rows;
	if (p->row_group_bytes < 1024 * 1024 || p->row_group_bytes > (uint64_t) 1 << 40)
	{
		error_set(
			err, EBB_ERR_USAGE, "invalid value \"%s\" for %s",
			text_escape(opt_get_string(OPT_ROW_GROUP_BYTES, policy_slot(l, OPT_ROW_GROUP_BYTES))).s,
			opt_origin(OPT_ROW_GROUP_BYTES, policy_slot(l, OPT_ROW_GROUP_BYTES)));
		error_detail(err, "A row group's byte budget must be at least 1MiB.");
		return false;
	}
	for (int i = 0; i < 3; i++)
		if (strcmp(v, policies[i]) == 0)
		{
			p->parquet_infinity = i;
			return true;
		}
	error_set(err, EBB_ERR_USAGE, "invalid value \"%s\" for %s", text_escape(v).s,
			  opt_origin(OPT_PARQUET_INFINITY, inf));
	error_hint(err, "Use \"error\", \"null\" or \"sentinel\".");
	return false;
}

static bool
require(const PolicyLayers *l, OptId id, const Policy *p, char **out, EbbError *err)
{
	const char *v = opt_get_string(id, policy_slot(l, id));

	if (!v || !*v)
	{
		error_set(err, EBB_ERR_USAGE, "no %s given for table %s", option_table[id].name,
				  pg_message_name(p->schema, p->table).s);
		error_hint(err, "Use --%s, or \"%s\" in the table's section of the config file.",
				   option_table[id].name, option_table[id].name);
		return false;
	}
	*out = ebb_strdup(v);
	return true;
}

static bool
resolve_one(const PolicyLayers *l, unsigned command, Policy *p, EbbError *err)
{
	long long v;
	bool b;

	if (!opt_get_int(OPT_KEEP_DAYS, policy_slot(l, OPT_KEEP_DAYS), -1, 36500, &v, err))
		return false;
	p->keep_days = (int) v;
	if (!opt_get_int(OPT_MAX_ROWS_PER_TXN, policy_slot(l, OPT_MAX_ROWS_PER_TXN), 1, 1000000000, &v,
					 err))
		return false;
	p->max_rows_per_txn = v;
	if (!opt_get_bool(OPT_ALLOW_SEQSCAN, policy_slot(l, OPT_ALLOW_SEQSCAN), &b, err))
		return false;
	p->allow_seqscan = b;
	if (!opt_get_bool(OPT_ALLOW_DELETE_TRIGGERS, policy_slot(l, OPT_ALLOW_DELETE_TRIGGERS), &b,
					  err))
		return false;
	p->allow_delete_triggers = b;
	if (!resolve_window(l, p, err) || !resolve_names(l, p, err) || !resolve_parquet(l, p, err) ||
		!resolve_partitions(l, p, err) || !resolve_after_archive(l, p, err) ||
		!resolve_back_pressure(l, p, err))
		return false;
	/* verify reads the time column from the ledger: it takes none; status and doctor take the
	 * ledger's when none is given (cmd_time_column), so it is required by archive only. */
	if (command == CMD_ARCHIVE && !require(l, OPT_TIME_COLUMN, p, &p->time_column, err))
		return false;
	if (command == CMD_STATUS || command == CMD_DOCTOR || command == CMD_RECLAIM)
	{
		const char *c = opt_get_string(OPT_TIME_COLUMN, policy_slot(l, OPT_TIME_COLUMN));
		p->time_column = c && *c ? ebb_strdup(c) : NULL;
	}
	if (command == CMD_ARCHIVE && !require(l, OPT_DEST, p, &p->dest, err))
		return false;
	if (command != CMD_ARCHIVE)
	{
		const char *d = opt_get_string(OPT_DEST, policy_slot(l, OPT_DEST));
		p->dest = d ? ebb_strdup(d) : NULL;
	}
	return true;
}

static const ConfigTableSection *
find_section(const Config *cfg, const char *schema, const char *table, EbbError *err)
{
	if (!cfg)
		return NULL;
	for (int i = 0; i < cfg->ntables; i++)
	{
		char *s, *t;
		if (!config_parse_qualified_name(cfg->tables[i].name, &s, &t, err))
			continue;
		bool match = strcmp(s, schema) == 0 && strcmp(t, table) == 0;
		free(s);
		free(t);
		if (match)
			return &cfg->tables[i];
	}
	return NULL;
}

static bool
policy_add(const OptLayer *cli, const Config *cfg, unsigned command, const char *name, Policy *p,
		   EbbError *err)
{
	memset(p, 0, sizeof(*p));
	if (!config_parse_qualified_name(name, &p->schema, &p->table, err))
	{
		if (cfg)
			error_prefix(err, "in file \"%s\": ", cfg->path);
		return false;
	}
	const ConfigTableSection *sec = find_section(cfg, p->schema, p->table, err);
	PolicyLayers l = {cli, sec ? &sec->layer : NULL, cfg ? &cfg->defaults : NULL};
	return resolve_one(&l, command, p, err);
}

/* Two sections of one table ([table x] and [table public.x], or "a".b and a.b) would make two
 * policies of one table, or leave --table to pick one of them. */
static bool
check_duplicate_sections(const Config *cfg, EbbError *err)
{
	int n = cfg ? cfg->ntables : 0;
	char **schemas = ebb_malloc(sizeof(char *) * (size_t) (n + 1));
	char **tables = ebb_malloc(sizeof(char *) * (size_t) (n + 1));
	int parsed = 0;
	bool ok = true;

	for (int i = 0; ok && i < n; i++)
	{
		if (!config_parse_qualified_name(cfg->tables[i].name, &schemas[i], &tables[i], err))
		{
			ok = false;
			break;
		}
		parsed = i + 1;
		for (int k = 0; ok && k < i; k++)
			if (strcmp(schemas[k], schemas[i]) == 0 && strcmp(tables[k], tables[i]) == 0)
			{
				ok = error_set(err, EBB_ERR_CONFIG,
							   "table %s has two sections in file \"%s\", lines %d and %d",
							   pg_message_name(schemas[k], tables[k]).s, text_escape(cfg->path).s,
							   cfg->tables[k].line, cfg->tables[i].line);
				error_hint(err, "Merge them into one [table] section.");
			}
	}
	for (int i = 0; i < parsed; i++)
	{
		free(schemas[i]);
		free(tables[i]);
	}
	free(schemas);
	free(tables);
	if (!ok && err->code == EBB_ERR_USAGE && cfg)
		error_prefix(err, "in file \"%s\": ", text_escape(cfg->path).s);
	return ok;
}

bool
policies_resolve(const OptLayer *cli, const Config *cfg, unsigned command, Policy **out, int *count,
				 EbbError *err)
{
	const char *only = cli->slot[OPT_TABLE].set ? cli->slot[OPT_TABLE].value : NULL;
	int n = only ? 1 : (cfg ? cfg->ntables : 0);

	*out = NULL;
	*count = 0;
	if (!check_duplicate_sections(cfg, err))
		return false;
	if (n == 0)
	{
		error_set(err, EBB_ERR_USAGE, "no table given");
		error_hint(err, "Use --table schema.name, or --config with [table schema.name] sections.");
		return false;
	}
	Policy *p = ebb_malloc(sizeof(Policy) * (size_t) n);
	memset(p, 0, sizeof(Policy) * (size_t) n);
	for (int i = 0; i < n; i++)
	{
		if (!policy_add(cli, cfg, command, only ? only : cfg->tables[i].name, &p[i], err))
		{
			policies_free(p, i + 1);
			return false;
		}
	}
	*out = p;
	*count = n;
	return true;
}

void
policies_free(Policy *p, int count)
{
	for (int i = 0; p && i < count; i++)
	{
		free(p[i].schema);
		free(p[i].table);
		free(p[i].time_column);
		free(p[i].dest);
		free(p[i].format);
		free(p[i].compress);
		free(p[i].retention_schema);
		free(p[i].after_archive);
	}
	free(p);
}
