#include "config/config.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct LoadState
{
	Config *cfg;
	FILE *fp;
	int line;
	bool at_line_start;
	EbbError *err;
	int failed_line; /* the first line a handler rejected, or 0 */
} LoadState;

static OptLayer *config_section_layer(LoadState *st, const char *section, unsigned *where);
static bool config_bad_section(LoadState *st, const char *section);

/*
 * libinih calls the handler for keys only: a [table x] section with no keys (every value from
 * [defaults]) would vanish. Section lines are registered here as they are read; a bad one
 * stops the parse (NULL reads as the end of the file, and config_load sees failed_line).
 */
static bool
config_register_section(LoadState *st, const char *line)
{
	const char *p = line + strspn(line, " \t");
	const char *close = strchr(p, ']');
	unsigned where;

	if (*p != '[' || !close)
		return true;
	char *name = ebb_malloc((size_t) (close - p));
	memcpy(name, p + 1, (size_t) (close - p - 1));
	name[close - p - 1] = '\0';
	bool ok = config_section_layer(st, name, &where) != NULL || config_bad_section(st, name);
	free(name);
	return ok;
}

/* Our own reader so that the handler knows the line it is called for. libinih may read a long
 * line in several pieces: only a piece that starts a line counts. */
static char *
config_reader(char *str, int num, void *stream)
{
	LoadState *st = stream;
	char *r = fgets(str, num, st->fp);

	if (r && st->at_line_start)
	{
		st->line++;
		if (!config_register_section(st, r))
			return NULL;
	}
	if (r)
		st->at_line_start = strchr(r, '\n') != NULL;
	return r;
}

static OptLayer *
config_section_layer(LoadState *st, const char *section, unsigned *where)
{
	Config *cfg = st->cfg;

	if (strcmp(section, "defaults") == 0)
	{
		*where = WHERE_DEFAULTS;
		return &cfg->defaults;
	}
	if (strncmp(section, "table ", 6) != 0 || section[6] == '\0')
		return NULL;
	*where = WHERE_TABLE;
	for (int i = 0; i < cfg->ntables; i++)
		if (strcmp(cfg->tables[i].name, section + 6) == 0)
			return &cfg->tables[i].layer;
	cfg->tables = ebb_realloc(cfg->tables, sizeof(TableSection) * (size_t) (cfg->ntables + 1));
	TableSection *t = &cfg->tables[cfg->ntables++];
	memset(t, 0, sizeof(*t));
	t->name = ebb_strdup(section + 6);
	t->line = st->line;
	return &t->layer;
}

static bool
config_bad_section(LoadState *st, const char *section)
{
	error_set(st->err, EBB_ERR_CONFIG, "invalid section \"[%s]\" in file \"%s\" line %d", section,
			  st->cfg->path, st->line);
	error_hint(st->err, "Sections are [defaults] and [table schema.name].");
	st->failed_line = st->line;
	return false;
}

static int
config_handler(void *user, const char *section, const char *name, const char *value)
{
	LoadState *st = user;
	unsigned where = 0;

	if (st->failed_line)
		return 0;               /* report the first error, not the last */
	st->failed_line = st->line; /* cleared on success below */
	OptLayer *layer = config_section_layer(st, section, &where);
	const OptionDef *o = option_by_name(name);
	char origin[256];

	if (!layer)
		return config_bad_section(st, section) ? 1 : 0;
	if (!o || !(o->where & where))
	{
		error_set(st->err, EBB_ERR_CONFIG,
				  "unrecognized configuration parameter \"%s\" in file \"%s\" line %d", name,
				  st->cfg->path, st->line);
		if (o)
			error_detail(st->err, "\"%s\" is not allowed in a [%s] section.", name,
						 where == WHERE_TABLE ? "table" : "defaults");
		error_hint(st->err, "See \"ebb archive --help\" for the parameters and where they apply.");
		return 0;
	}
	snprintf(origin, sizeof(origin), "parameter \"%s\" in file \"%s\" line %d", name, st->cfg->path,
			 st->line);
	opt_layer_set(layer, o->id, value, origin);
	st->failed_line = 0;
	return 1;
}

bool
config_load(const char *path, Config *cfg, EbbError *err)
{
	LoadState st = {.cfg = cfg, .line = 0, .at_line_start = true, .err = err};

	error_init(err);

	memset(cfg, 0, sizeof(*cfg));
	cfg->path = ebb_strdup(path);
	st.fp = fopen(path, "r");
	if (!st.fp)
	{
		error_set(err, EBB_ERR_CONFIG, "could not open configuration file \"%s\": %s", path,
				  strerror(errno));
		config_free(cfg);
		return false;
	}
	/* Debian's libinih takes its settings at run time: whole long lines (a long dsn), no
	 * inline comments or continuation lines (a value may hold " ;"), stop at the first error. */
	ini_use_stack = false;
	ini_allow_realloc = true;
	ini_initial_alloc = 1024;
	ini_max_line = 64 * 1024;
	ini_allow_inline_comments = false;
	ini_allow_multiline = false;
	ini_stop_on_first_error = true;
	int rc = ini_parse_stream(config_reader, &st, config_handler, &st);
	fclose(st.fp);
	if (rc == 0 && st.failed_line == 0)
		return true;
	config_free(cfg);
	if (rc > 0 && rc != st.failed_line)
		error_set(err, EBB_ERR_CONFIG, "syntax error in file \"%s\" line %d", path, rc);
	else if (rc < 0)
		error_set(err, EBB_ERR_CONFIG, "could not read configuration file \"%s\"", path);
	if (err->message[0] == '\0')
		error_set(err, EBB_ERR_CONFIG, "syntax error in file \"%s\" line %d", path, rc);
	return false;
}

void
config_free(Config *cfg)
{
	opt_layer_free(&cfg->defaults);
	for (int i = 0; i < cfg->ntables; i++)
	{
		free(cfg->tables[i].name);
		opt_layer_free(&cfg->tables[i].layer);
	}
	free(cfg->tables);
	free(cfg->path);
	memset(cfg, 0, sizeof(*cfg));
}
