#include "config/config.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/text.h"

/* A config file holds a few dozen lines; anything bigger is a mistake (a log, a dump, a
 * device), and the whole file is read into memory. */
#define CONFIG_MAX_BYTES (1024 * 1024)

typedef struct LoadState
{
	Config *cfg;
	const char *path; /* escaped, for messages */
	Buf text;         /* the whole file */
	size_t pos;       /* the reader's position in text */
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

/* fgets over the file's text, so that the handler knows the line it is called for. libinih
 * may read a long line in several pieces: only a piece that starts a line counts. */
static char *
config_reader(char *str, int num, void *stream)
{
	LoadState *st = stream;
	size_t n = 0;

	if (st->pos >= st->text.len || num < 2)
		return NULL;
	while (n + 1 < (size_t) num && st->pos < st->text.len)
	{
		str[n] = st->text.data[st->pos++];
		if (str[n++] == '\n')
			break;
	}
	str[n] = '\0';
	if (st->at_line_start)
	{
		st->line++;
		if (!config_register_section(st, str))
			return NULL;
	}
	st->at_line_start = str[n - 1] == '\n';
	return str;
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
	cfg->tables =
		ebb_realloc(cfg->tables, sizeof(ConfigTableSection) * (size_t) (cfg->ntables + 1));
	ConfigTableSection *t = &cfg->tables[cfg->ntables++];
	memset(t, 0, sizeof(*t));
	t->name = ebb_strdup(section + 6);
	t->line = st->line;
	return &t->layer;
}

static bool
config_bad_section(LoadState *st, const char *section)
{
	error_set(st->err, EBB_ERR_CONFIG, "invalid section \"[%s]\" in file \"%s\" line %d",
			  text_escape(section).s, st->path, st->line);
	error_hint(st->err, "Sections are [defaults] and [table schema.name].");
	st->failed_line = st->line;
	return false;
}

static int
config_unknown_key(LoadState *st, const char *name, const OptionDef *o, unsigned where)
{
	error_set(st->err, EBB_ERR_CONFIG,
			  "unrecognized configuration parameter \"%s\" in file \"%s\" line %d",
			  text_escape(name).s, st->path, st->line);
	if (o)
		error_detail(st->err, "\"%s\" is not allowed in a [%s] section.", o->name,
					 where == WHERE_TABLE ? "table" : "defaults");
	error_hint(st->err, "See \"ebb archive --help\" for the parameters and where they apply.");
	return 0;
}

/* A key given twice in one section is a mistake whichever line was meant; a list key
 * (database, include, exclude) collects one value per line. */
static int
config_duplicate_key(LoadState *st, const OptionDef *o, const OptSlot *first)
{
	error_set(st->err, EBB_ERR_CONFIG,
			  "parameter \"%s\" specified more than once in file \"%s\" line %d", o->name, st->path,
			  st->line);
	error_detail(st->err, "Line %d of the same section sets it too.", first->line);
	error_hint(st->err, "Keep one of the two lines.");
	return 0;
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
	char origin[sizeof(layer->slot[0].origin)];

	if (!layer)
		return config_bad_section(st, section) ? 1 : 0;
	if (!o || !(o->where & where))
		return config_unknown_key(st, name, o, where);
	if (layer->slot[o->id].set && o->kind != OPT_KIND_LIST)
		return config_duplicate_key(st, o, &layer->slot[o->id]);
	snprintf(origin, sizeof(origin), "parameter \"%s\" in file \"%s\" line %d", o->name, st->path,
			 st->line);
	opt_layer_set(layer, o->id, value, origin);
	layer->slot[o->id].line = st->line;
	st->failed_line = 0;
	return 1;
}

static bool
config_read_error(const LoadState *st, const char *reason)
{
	return error_set(st->err, EBB_ERR_CONFIG, "could not read config file \"%s\": %s", st->path,
					 reason);
}

static bool
config_too_large(const LoadState *st)
{
	error_set(st->err, EBB_ERR_CONFIG, "config file \"%s\" is too large", st->path);
	error_detail(st->err, "A config file may hold at most 1MiB (%d bytes).", CONFIG_MAX_BYTES);
	return false;
}

/* Reads the opened file whole, at most CONFIG_MAX_BYTES (checked again while reading: the
 * file may grow after fstat). */
static bool
config_read_fd(LoadState *st, int fd)
{
	buf_reserve(&st->text, 64 * 1024);
	for (;;)
	{
		if (st->text.len > CONFIG_MAX_BYTES)
			return config_too_large(st);
		buf_reserve(&st->text, 64 * 1024);
		ssize_t n = read(fd, st->text.data + st->text.len, st->text.cap - st->text.len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return config_read_error(st, strerror(errno));
		if (n == 0)
			return true;
		st->text.len += (size_t) n;
	}
}

/*
 * Only a regular file is read. The file is opened first and checked with fstat on that
 * descriptor (no window between check and read); O_NONBLOCK makes opening a FIFO return at
 * once instead of waiting for a writer. A directory opens fine and would read as empty.
 */
static bool
config_read_file(LoadState *st, const char *path)
{
	struct stat sb;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return error_set(st->err, EBB_ERR_CONFIG, "could not open config file \"%s\": %s", st->path,
						 strerror(errno));
	if (fstat(fd, &sb) != 0)
		ok = config_read_error(st, strerror(errno));
	else if (S_ISDIR(sb.st_mode))
		ok = config_read_error(st, strerror(EISDIR));
	else if (!S_ISREG(sb.st_mode))
	{
		ok = config_read_error(st, "not a regular file");
		error_detail(st->err, "A config file must be a regular file, not a FIFO, a device or a "
							  "socket.");
	}
	else if (sb.st_size > CONFIG_MAX_BYTES)
		ok = config_too_large(st);
	else
		ok = config_read_fd(st, fd);
	close(fd);
	return ok;
}

/* A NUL byte would end libinih's line early: the rest of the line (a value, a section name)
 * would vanish without a word. */
static bool
config_check_nul(LoadState *st)
{
	const char *nul = memchr(st->text.data, '\0', st->text.len);
	int line = 1;

	if (!nul)
		return true;
	for (const char *p = st->text.data; p < nul; p++)
		line += *p == '\n';
	error_set(st->err, EBB_ERR_CONFIG, "invalid byte in file \"%s\" line %d", st->path, line);
	error_detail(st->err, "The file holds a NUL byte; a config file is text (UTF-8).");
	return false;
}

static bool
config_parse(LoadState *st)
{
	/* Debian's libinih takes its settings at run time: whole long lines (a long dsn), no
	 * inline comments or continuation lines (a value may hold " ;"), stop at the first error. */
	ini_use_stack = false;
	ini_allow_realloc = true;
	ini_initial_alloc = 1024;
	ini_max_line = 64 * 1024;
	ini_allow_inline_comments = false;
	ini_allow_multiline = false;
	ini_stop_on_first_error = true;
	int rc = ini_parse_stream(config_reader, st, config_handler, st);
	if (rc == 0 && st->failed_line == 0)
		return true;
	if (rc > 0 && rc != st->failed_line)
		error_set(st->err, EBB_ERR_CONFIG, "syntax error in file \"%s\" line %d", st->path, rc);
	else if (rc < 0)
		config_read_error(st, "out of memory");
	if (st->err->message[0] == '\0')
		error_set(st->err, EBB_ERR_CONFIG, "syntax error in file \"%s\" line %d", st->path, rc);
	return false;
}

bool
config_load(const char *path, Config *cfg, EbbError *err)
{
	EscapedText shown = text_escape(path);
	LoadState st = {.cfg = cfg, .path = shown.s, .line = 0, .at_line_start = true, .err = err};

	error_init(err);
	memset(cfg, 0, sizeof(*cfg));
	cfg->path = ebb_strdup(path);
	buf_init(&st.text);
	bool ok = config_read_file(&st, path) && config_check_nul(&st) && config_parse(&st);
	buf_free(&st.text);
	if (!ok)
		config_free(cfg);
	return ok;
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
