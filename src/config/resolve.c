/* resolve.c: typed Settings and Policies from the option layers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/text.h"
#include "common/time.h"
#include "config/config.h"

static const OptSlot *
global_slot(OptId id, const OptLayer *cli, const Config *cfg)
{
	return opt_lookup(id, cli, cfg ? &cfg->defaults : NULL, NULL);
}

static char *
dup_or_null(const char *s)
{
	return s ? ebb_strdup(s) : NULL;
}

static void
copy_list(StrList *dst, const OptSlot *slot)
{
	if (!slot)
		return;
	for (int i = 0; i < slot->list.count; i++)
		strlist_add(dst, slot->list.items[i]);
}

/* A duration option converted to milliseconds. */
static bool
duration_ms(OptId id, const OptSlot *slot, int64_t *ms, EbbError *err)
{
	int64_t us;
	const char *text = opt_get_string(id, slot);

	if (!time_parse_duration(text, &us, err))
	{
		error_set(err, EBB_ERR_USAGE, "invalid value \"%s\" for %s", text_escape(text).s,
				  opt_origin(id, slot));
		error_hint(
			err, "Use a whole number and a unit, such as \"500ms\", \"5s\", \"10min\" or \"1h\".");
		return false;
	}
	*ms = us / 1000;
	return true;
}

static char *
global_string(OptId id, const OptLayer *cli, const Config *cfg)
{
	return dup_or_null(opt_get_string(id, global_slot(id, cli, cfg)));
}

/* The az-* options. Retries and timeouts not given are those of --s3-retries, --s3-timeout
 * and --s3-stall-timeout (resolved first): one setting for both stores unless told apart.
 * Azure's limits: blocks of up to 4000 MiB (64 KiB here at least, so that an object is not
 * thousands of requests). */
static bool
resolve_azure_options(const OptLayer *cli, const Config *cfg, StoreOptions *o, EbbError *err)
{
	long long v = o->s3_retries;
	const OptSlot *block = global_slot(OPT_AZ_BLOCK_SIZE, cli, cfg);
	const OptSlot *retries = global_slot(OPT_AZ_RETRIES, cli, cfg);
	const OptSlot *timeout = global_slot(OPT_AZ_TIMEOUT, cli, cfg);
	const OptSlot *stall = global_slot(OPT_AZ_STALL_TIMEOUT, cli, cfg);

	o->az_account = global_string(OPT_AZ_ACCOUNT, cli, cfg);
	o->az_endpoint = global_string(OPT_AZ_ENDPOINT, cli, cfg);
	o->az_ca_file = global_string(OPT_AZ_CA_FILE, cli, cfg);
	o->az_timeout_ms = o->s3_timeout_ms;
	o->az_stall_timeout_ms = o->s3_stall_timeout_ms;
	if (!opt_get_size(OPT_AZ_BLOCK_SIZE, block, &o->az_block_size, err) ||
		(retries && !opt_get_int(OPT_AZ_RETRIES, retries, 0, 100, &v, err)) ||
		(timeout && !duration_ms(OPT_AZ_TIMEOUT, timeout, &o->az_timeout_ms, err)) ||
		(stall && !duration_ms(OPT_AZ_STALL_TIMEOUT, stall, &o->az_stall_timeout_ms, err)) ||
		!opt_get_bool(OPT_AZ_INSECURE, global_slot(OPT_AZ_INSECURE, cli, cfg), &o->az_insecure,
					  err))
		return false;
	o->az_retries = (int) v;
	if (o->az_block_size < 64 * 1024 || o->az_block_size > 4000ull * 1024 * 1024)
	{
		error_set(err, EBB_ERR_USAGE, "invalid value \"%s\" for %s",
				  text_escape(opt_get_string(OPT_AZ_BLOCK_SIZE, block)).s,
				  opt_origin(OPT_AZ_BLOCK_SIZE, block));
		error_detail(err, "Azure blocks must be between 64KiB and 4000MiB.");
		return false;
	}
	if (o->az_timeout_ms < 1000 || o->az_stall_timeout_ms < 1000)
		return error_set(err, EBB_ERR_USAGE,
						 "options --az-timeout and --az-stall-timeout must be at least 1s");
	return true;
}

static bool
resolve_store_options(const OptLayer *cli, const Config *cfg, StoreOptions *o, EbbError *err)
{
	long long v;
	bool b;
	const OptSlot *part = global_slot(OPT_S3_PART_SIZE, cli, cfg);
	const OptSlot *path_style = global_slot(OPT_S3_PATH_STYLE, cli, cfg);

	store_options_default(o);
	o->s3_endpoint = global_string(OPT_S3_ENDPOINT, cli, cfg);
	o->s3_region = global_string(OPT_S3_REGION, cli, cfg);
	o->s3_storage_class = global_string(OPT_S3_STORAGE_CLASS, cli, cfg);
	o->s3_sse = global_string(OPT_S3_SSE, cli, cfg);
	o->s3_ca_file = global_string(OPT_S3_CA_FILE, cli, cfg);
	if (!opt_get_size(OPT_S3_PART_SIZE, part, &o->s3_part_size, err) ||
		!opt_get_int(OPT_S3_RETRIES, global_slot(OPT_S3_RETRIES, cli, cfg), 0, 100, &v, err) ||
		!duration_ms(OPT_S3_TIMEOUT, global_slot(OPT_S3_TIMEOUT, cli, cfg), &o->s3_timeout_ms,
					 err) ||
		!duration_ms(OPT_S3_STALL_TIMEOUT, global_slot(OPT_S3_STALL_TIMEOUT, cli, cfg),
					 &o->s3_stall_timeout_ms, err) ||
		!opt_get_bool(OPT_S3_INSECURE, global_slot(OPT_S3_INSECURE, cli, cfg), &o->s3_insecure,
					  err) ||
		!opt_get_bool(OPT_S3_PATH_STYLE, path_style, &b, err))
		return false;
	o->s3_retries = (int) v;
	o->s3_path_style = path_style ? b : -1;
	/* S3's own limits: parts of 5 MiB to 5 GiB. */
	if (o->s3_part_size < 5 * 1024 * 1024 || o->s3_part_size > 5ull * 1024 * 1024 * 1024)
	{
		error_set(err, EBB_ERR_USAGE, "invalid value \"%s\" for %s",
				  text_escape(opt_get_string(OPT_S3_PART_SIZE, part)).s,
				  opt_origin(OPT_S3_PART_SIZE, part));
		error_detail(err, "S3 parts must be between 5MiB and 5GiB.");
		return false;
	}
	if (o->s3_timeout_ms < 1000 || o->s3_stall_timeout_ms < 1000)
	{
		error_set(err, EBB_ERR_USAGE,
				  "options --s3-timeout and --s3-stall-timeout must be at "
				  "least 1s");
		return false;
	}
	return resolve_azure_options(cli, cfg, o, err);
}

/*
 * Unset, --idle-timeout is 5min, or 3 x --s3-timeout (or --az-timeout, the longer) plus a
 * minute when that is longer: after
 * the COPY of a window ends, up to three requests run while the session is idle in its
 * transaction (the last part, CompleteMultipartUpload, the HEAD that checks the object), and
 * each may take up to --s3-timeout; a server that ended the session then would roll back a
 * window whose object is stored.
 */
static bool
idle_timeout_resolve(const OptSlot *slot, Settings *out, EbbError *err)
{
	const int64_t fallback_ms = 5 * 60 * 1000, margin_ms = 60 * 1000;

	if (slot)
		return duration_ms(OPT_IDLE_TIMEOUT, slot, &out->idle_timeout_ms, err);
	int64_t slowest = out->store.s3_timeout_ms > out->store.az_timeout_ms
						  ? out->store.s3_timeout_ms
						  : out->store.az_timeout_ms;
	int64_t derived = 3 * slowest + margin_ms;
	out->idle_timeout_derived = derived > fallback_ms;
	out->idle_timeout_ms = out->idle_timeout_derived ? derived : fallback_ms;
	return true;
}

static bool
verify_settings_resolve(const OptLayer *cli, Settings *out, EbbError *err)
{
	out->from = dup_or_null(
		opt_get_string(OPT_FROM, cli->slot[OPT_FROM].set ? &cli->slot[OPT_FROM] : NULL));
	out->to =
		dup_or_null(opt_get_string(OPT_TO, cli->slot[OPT_TO].set ? &cli->slot[OPT_TO] : NULL));
	out->gc = cli->slot[OPT_GC].set;
	out->deep = cli->slot[OPT_DEEP].set;
	out->into = dup_or_null(
		opt_get_string(OPT_INTO, cli->slot[OPT_INTO].set ? &cli->slot[OPT_INTO] : NULL));
	out->key =
		dup_or_null(opt_get_string(OPT_KEY, cli->slot[OPT_KEY].set ? &cli->slot[OPT_KEY] : NULL));
	out->on_conflict = dup_or_null(opt_get_string(
		OPT_ON_CONFLICT, cli->slot[OPT_ON_CONFLICT].set ? &cli->slot[OPT_ON_CONFLICT] : NULL));
	copy_list(&out->ignore_columns, &cli->slot[OPT_IGNORE_COLUMNS]);
	out->again = cli->slot[OPT_AGAIN].set;
	out->from_manifests = cli->slot[OPT_FROM_MANIFESTS].set;
	out->create_partitions =
		cli->slot[OPT_CREATE_PARTITIONS].set - cli->slot[OPT_NO_CREATE_PARTITIONS].set;
	/* Not its default (ebb partition's): restore reads the interval from the table. */
	out->interval = cli->slot[OPT_INTERVAL].set ? dup_or_null(cli->slot[OPT_INTERVAL].value) : NULL;
	out->older_than_set = cli->slot[OPT_OLDER_THAN].set;
	out->fix = cli->slot[OPT_FIX].set;
	out->brin = cli->slot[OPT_BRIN].set;
	out->thorough = cli->slot[OPT_THOROUGH].set;
	long long retries;
	if (!opt_get_int(OPT_INDEX_RETRIES,
					 cli->slot[OPT_INDEX_RETRIES].set ? &cli->slot[OPT_INDEX_RETRIES] : NULL, 0,
					 100, &retries, err))
		return false;
	out->index_retries = (int) retries;
	return duration_ms(OPT_OLDER_THAN,
					   cli->slot[OPT_OLDER_THAN].set ? &cli->slot[OPT_OLDER_THAN] : NULL,
					   &out->older_than_ms, err);
}

bool
settings_resolve(const OptLayer *cli, const Config *cfg, unsigned command, Settings *out,
				 EbbError *err)
{
	long long v;

	memset(out, 0, sizeof(*out));
	out->dsn = dup_or_null(opt_get_string(OPT_DSN, global_slot(OPT_DSN, cli, cfg)));
	copy_list(&out->databases, global_slot(OPT_DATABASE, cli, cfg));
	copy_list(&out->include, global_slot(OPT_INCLUDE, cli, cfg));
	copy_list(&out->exclude, global_slot(OPT_EXCLUDE, cli, cfg));
	out->timezone = dup_or_null(opt_get_string(OPT_TIMEZONE, global_slot(OPT_TIMEZONE, cli, cfg)));
	if (!opt_get_bool(OPT_ALL_DATABASES, global_slot(OPT_ALL_DATABASES, cli, cfg),
					  &out->all_databases, err) ||
		!opt_get_int(OPT_JOBS, global_slot(OPT_JOBS, cli, cfg), 1, 64, &v, err))
		return false;
	out->jobs = (int) v;
	if (!duration_ms(OPT_LOCK_TIMEOUT, global_slot(OPT_LOCK_TIMEOUT, cli, cfg),
					 &out->lock_timeout_ms, err) ||
		!duration_ms(OPT_STATEMENT_TIMEOUT, global_slot(OPT_STATEMENT_TIMEOUT, cli, cfg),
					 &out->statement_timeout_ms, err))
		return false;
	out->dry_run = cli->slot[OPT_DRY_RUN].set;
	out->json = cli->slot[OPT_JSON].set;
	out->verbose = cli->slot[OPT_VERBOSE].set ? atoi(cli->slot[OPT_VERBOSE].value) : 0;
	if (!resolve_store_options(cli, cfg, &out->store, err) ||
		!idle_timeout_resolve(global_slot(OPT_IDLE_TIMEOUT, cli, cfg), out, err) ||
		!verify_settings_resolve(cli, out, err))
		return false;
	out->store.verbose = out->verbose;
	out->online = cli->slot[OPT_ONLINE].set;
	out->full = cli->slot[OPT_FULL].set;
	out->window_start =
		dup_or_null(opt_get_string(OPT_WINDOW_START, global_slot(OPT_WINDOW_START, cli, cfg)));
	out->window_end =
		dup_or_null(opt_get_string(OPT_WINDOW_END, global_slot(OPT_WINDOW_END, cli, cfg)));
	out->pg_repack =
		dup_or_null(opt_get_string(OPT_PG_REPACK, global_slot(OPT_PG_REPACK, cli, cfg)));
	if (out->online && out->full)
	{
		error_set(err, EBB_ERR_USAGE, "options --online and --full cannot be used together");
		return false;
	}
	if (out->all_databases && out->databases.count > 0)
	{
		error_set(err, EBB_ERR_USAGE,
				  "options --all-databases and --database cannot be used together");
		return false;
	}
	if (!out->all_databases && (out->include.count || out->exclude.count))
	{
		error_set(err, EBB_ERR_USAGE, "options --include and --exclude require --all-databases");
		return false;
	}
	return true;
}

void
settings_free(Settings *s)
{
	free(s->dsn);
	free(s->timezone);
	free(s->from);
	free(s->to);
	free(s->into);
	free(s->key);
	free(s->on_conflict);
	free(s->interval);
	free(s->window_start);
	free(s->window_end);
	free(s->pg_repack);
	strlist_clear(&s->ignore_columns);
	store_options_free(&s->store);
	strlist_clear(&s->databases);
	strlist_clear(&s->include);
	strlist_clear(&s->exclude);
	memset(s, 0, sizeof(*s));
}

/* Reads one part of a qualified name: exact text, or "double-quoted" with "" for a quote. */
static const char *
parse_name_part(const char *p, Buf *out, bool *ok)
{
	*ok = true;
	if (*p != '"')
	{
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t) (dot - p) : strlen(p);
		buf_append(out, p, n);
		return p + n;
	}
	for (p++;; p++)
	{
		if (*p == '\0')
			return (*ok = false), p;
		if (*p == '"' && p[1] == '"')
			buf_append_char(out, *p++);
		else if (*p == '"')
			return p + 1;
		else
			buf_append_char(out, *p);
	}
}

bool
config_parse_qualified_name(const char *text, char **schema, char **table, EbbError *err)
{
	Buf a, b;
	bool ok1, ok2 = true;

	buf_init(&a);
	buf_init(&b);
	const char *p = parse_name_part(text, &a, &ok1);
	bool qualified = ok1 && *p == '.';
	if (qualified)
		p = parse_name_part(p + 1, &b, &ok2);
	if (!ok1 || !ok2 || *p != '\0' || a.len == 0 || (qualified && b.len == 0))
	{
		buf_free(&a);
		buf_free(&b);
		error_set(err, EBB_ERR_USAGE, "invalid table name \"%s\"", text_escape(text).s);
		error_hint(err, "Write schema.table; double-quote a part that holds a dot, such as "
						"analytics.\"events.v2\".");
		return false;
	}
	*schema = ebb_strdup(qualified ? buf_cstr(&a) : "public");
	*table = ebb_strdup(qualified ? buf_cstr(&b) : buf_cstr(&a));
	buf_free(&a);
	buf_free(&b);
	return true;
}
