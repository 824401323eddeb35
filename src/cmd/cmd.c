#include "cmd/cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "archive/archive.h"
#include "catalog/ledger.h"
#include "common/cancel.h"
#include "common/json.h"
#include "common/log.h"
#include "common/text.h"
#include "pg/ident.h"
#include "pg/catalog.h"
#include "pg/pg.h"

bool
cmd_context_init(CmdContext *ctx, unsigned command, const char *name, const char *summary, int argc,
				 char **argv, int *exit_code, EbbError *err)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->command = command;
	ctx->name = name;
	*exit_code = -1;
	if (!options_parse_argv(command, name, argc, argv, &ctx->cli, &ctx->positional, err))
		return false;
	if (ctx->cli.slot[OPT_HELP].set || ctx->cli.slot[OPT_VERSION].set)
	{
		if (ctx->cli.slot[OPT_HELP].set)
			options_print_help(command, name, summary);
		else
			printf("ebb %s\n", EBB_VERSION);
		*exit_code = 0;
		return true;
	}
	if (ctx->positional.count > 0)
	{
		error_set(err, EBB_ERR_USAGE, "too many command-line arguments (first is \"%s\")",
				  text_escape(ctx->positional.items[0]).s);
		error_hint(err, "Try \"ebb %s --help\" for more information.", name);
		return false;
	}
	/* The DSN on the command line must not carry a password; in the config file it may. */
	if (ctx->cli.slot[OPT_DSN].set && !pg_check_dsn(ctx->cli.slot[OPT_DSN].value, err))
		return false;
	if (ctx->cli.slot[OPT_CONFIG].set)
	{
		if (!config_load(ctx->cli.slot[OPT_CONFIG].value, &ctx->cfg, err))
			return false;
		ctx->has_cfg = true;
	}
	if (!settings_resolve(&ctx->cli, ctx->has_cfg ? &ctx->cfg : NULL, command, &ctx->settings, err))
		return false;
	log_set_level(ctx->settings.verbose >= 2   ? LOG_LEVEL_DEBUG
				  : ctx->settings.verbose == 1 ? LOG_LEVEL_INFO
											   : LOG_LEVEL_WARNING);
	return true;
}

void
cmd_context_free(CmdContext *ctx)
{
	opt_layer_free(&ctx->cli);
	if (ctx->has_cfg)
		config_free(&ctx->cfg);
	settings_free(&ctx->settings);
	strlist_clear(&ctx->positional);
}

int
cmd_run(const CmdSpec *spec, int argc, char **argv)
{
	CmdContext ctx;
	EbbError err;
	int code;

	error_init(&err);
	if (!cmd_context_init(&ctx, spec->command, spec->name,
						  spec->help_summary ? spec->help_summary : spec->summary, argc, argv,
						  &code, &err))
		code = CMD_FAILED;
	else if (code < 0)
		code = spec->run(&ctx, &err);
	if (code == CMD_FAILED)
	{
		error_print(&err);
		code = error_exit_status(err.code);
	}
	cmd_context_free(&ctx);
	return code;
}

bool
cmd_check_destinations(const Policy *p, int n, const StoreOptions *opts, EbbError *err)
{
	for (int i = 0; i < n; i++)
	{
		Store store;
		bool ok = !p[i].dest || store_open(p[i].dest, opts, &store, err);
		if (p[i].dest)
			store_close(&store);
		if (!ok)
			return false;
	}
	return true;
}

bool
cmd_reconnect(const Settings *s, const char *dbname, PGconn **conn, int *outcomes)
{
	int bits;

	if (PQstatus(*conn) == CONNECTION_OK)
		return true;
	PQfinish(*conn);
	if ((*conn = cmd_connect(s, dbname, -1, &bits)))
		return true;
	*outcomes |= bits;
	return false;
}

int
cmd_table_outcome_bits(int status, const EbbError *err)
{
	switch ((TableStatus) status)
	{
		case TABLE_OK: return OUTCOME_OK;
		case TABLE_SKIPPED: return 0;
		case TABLE_BUSY: return OUTCOME_BUSY;
		case TABLE_FAILED: break;
	}
	return cmd_outcome_of(err);
}

void
cmd_print_skipped(const char *db, const Policy *p, const char *reason)
{
	printf("%s: %s: skipped: %s\n", text_escape(db).s, pg_display_name(p->schema, p->table).s,
		   reason);
}

void
cmd_json_head(Buf *b, const char *event, const char *db, const Policy *p)
{
	buf_append_char(b, '{');
	json_kv_str(b, "event", event);
	json_kv_str(b, "database", db);
	json_kv_str(b, "schema", p->schema);
	json_kv_str(b, "table", p->table);
}

static bool
database_selected(const Settings *s, const char *name)
{
	bool included = s->include.count == 0;

	for (int i = 0; i < s->include.count && !included; i++)
		included = fnmatch(s->include.items[i], name, 0) == 0;
	for (int i = 0; i < s->exclude.count && included; i++)
		included = fnmatch(s->exclude.items[i], name, 0) != 0;
	return included;
}

bool
cmd_target_databases(const Settings *s, StrList *out, EbbError *err)
{
	PgSessionOptions opts = {s->timezone, 0, 0, 0};
	StrList all = {0};
	PGconn *conn;

	if (!s->all_databases)
	{
		for (int i = 0; i < s->databases.count; i++)
			strlist_add(out, s->databases.items[i]);
		if (s->databases.count == 0)
			strlist_add(out, "");
		return true;
	}
	if (!pg_connect(s->dsn, NULL, &opts, &conn, err))
		return false;
	bool ok = pg_list_databases(conn, &all, err);
	PQfinish(conn);
	for (int i = 0; ok && i < all.count; i++)
		if (database_selected(s, all.items[i]))
			strlist_add(out, all.items[i]);
	strlist_clear(&all);
	return ok;
}

/*
 * SIGINT, SIGTERM, SIGHUP (the terminal or a supervisor went away) and SIGPIPE (the reader of
 * our output went away: `ebb archive -v 2>&1 | head -2`) all cancel: the current window rolls
 * back, the run is marked failed ("canceled by a signal"), the next table or database does not
 * start. A parent forwards the signal to its workers as SIGTERM (wait_worker).
 *
 * SIGPIPE: a closed stdout or stderr is pointed at /dev/null so that nothing more goes to the
 * pipe (every later message would raise SIGPIPE again), and a worker tells its parent, which
 * shares that output. A SIGPIPE the kernel raised for a socket while both outputs are fine
 * (libpq and libcurl see EPIPE and report it) cancels nothing.
 */
static volatile sig_atomic_t parent_signal = 0;
static pid_t worker_parent = 0; /* in a worker: its parent's pid */
static int devnull_fd = -1;

/* Async-signal-safe: poll, dup2. A pipe whose reader is gone polls as POLLERR. */
static bool
silence_closed_outputs(void)
{
	bool closed = false;

	for (int fd = STDOUT_FILENO; fd <= STDERR_FILENO; fd++)
	{
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		if (poll(&p, 1, 0) == 1 && (p.revents & POLLERR))
		{
			closed = true;
			if (devnull_fd >= 0)
				dup2(devnull_fd, fd);
		}
	}
	return closed;
}

static void
on_signal(int sig, siginfo_t *info, void *context)
{
	int saved_errno = errno;

	if (sig == SIGPIPE)
	{
		bool closed = silence_closed_outputs();
		/* Raised by our own write to a socket (si_pid is ours), with our outputs fine. */
		if (!closed && info && info->si_pid == getpid())
		{
			errno = saved_errno;
			return;
		}
		if (closed && worker_parent > 0 && getppid() == worker_parent)
			kill(worker_parent, SIGPIPE);
	}
	cancel_request();
	parent_signal = sig;
	errno = saved_errno;
}

void
cmd_install_signal_handlers(void)
{
	static const int signals[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
	struct sigaction sa;

	if (devnull_fd < 0)
		devnull_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		sigaction(signals[i], &sa, NULL);
}

bool
cmd_flush_stdout(void)
{
	errno = 0;
	bool flushed = fflush(stdout) == 0;
	int saved = errno;

	if (flushed && !ferror(stdout))
		return true;
	/* An earlier line-buffered write may have failed (ferror) with its errno long gone. */
	if (!flushed && saved)
		log_error("could not write to standard output: %s", strerror(saved));
	else
		log_error("could not write to standard output");
	return false;
}

static int
wait_worker(pid_t *pids, int n, bool *forwarded)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, 0)) < 0)
	{
		if (errno != EINTR)
			return OUTCOME_RUNTIME_FAILED;
		if (parent_signal && !*forwarded)
		{
			for (int i = 0; i < n; i++)
				if (pids[i] > 0)
					kill(pids[i], SIGTERM);
			*forwarded = true;
		}
	}
	for (int i = 0; i < n; i++)
		if (pids[i] == pid)
			pids[i] = 0;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return OUTCOME_RUNTIME_FAILED;
}

int
cmd_for_each_database(const StrList *dbs, int jobs, DatabaseFn fn, void *arg)
{
	int outcomes = 0, running = 0;
	bool forwarded = false;
	pid_t *pids = ebb_malloc(sizeof(pid_t) * (size_t) (dbs->count + 1));

	memset(pids, 0, sizeof(pid_t) * (size_t) (dbs->count + 1));
	for (int i = 0; i < dbs->count && !cancel_requested; i++)
	{
		if (jobs <= 1)
		{
			outcomes |= fn(arg, dbs->items[i]);
			continue;
		}
		if (running == jobs)
		{
			outcomes |= wait_worker(pids, dbs->count, &forwarded);
			running--;
			if (cancel_requested) /* a signal came while waiting: start no more */
				break;
		}
		fflush(stdout);
		fflush(stderr);
		pid_t parent = getpid();
		pid_t pid = fork();
		if (pid == 0)
		{
			worker_parent = parent;
			int r = fn(arg, dbs->items[i]);
			if (!cmd_flush_stdout())
				r |= OUTCOME_RUNTIME_FAILED;
			fflush(stderr);
			_exit(r);
		}
		if (pid < 0)
		{
			log_error("could not fork a worker: %s", strerror(errno));
			outcomes |= OUTCOME_RUNTIME_FAILED;
			continue;
		}
		pids[i] = pid;
		running++;
	}
	while (running-- > 0)
		outcomes |= wait_worker(pids, dbs->count, &forwarded);
	free(pids);
	if (cancel_requested)
		outcomes |= OUTCOME_RUNTIME_FAILED;
	return outcomes;
}

PGconn *
cmd_connect(const Settings *s, const char *dbname, int64_t statement_timeout_ms, int *outcome)
{
	PgSessionOptions opts = {s->timezone, s->lock_timeout_ms,
							 statement_timeout_ms < 0 ? s->statement_timeout_ms
													  : statement_timeout_ms,
							 s->idle_timeout_ms};
	PGconn *conn = NULL;
	EbbError err;

	error_init(&err);
	*outcome = 0;
	if (pg_connect(s->dsn, dbname && *dbname ? dbname : NULL, &opts, &conn, &err))
	{
		pg_cancel_on_signal(conn);
		return conn;
	}
	error_print(&err);
	*outcome = cmd_outcome_of(&err);
	return NULL;
}

int
cmd_exit_status(int outcomes)
{
	if (outcomes & OUTCOME_RUNTIME_FAILED)
		return 1;
	if (outcomes & OUTCOME_CONFIG_FAILED)
		return (outcomes & (OUTCOME_OK | OUTCOME_BUSY)) ? 1 : 2;
	if (outcomes & OUTCOME_OK)
		return 0;
	if (outcomes & OUTCOME_BUSY)
		return 3;
	return 0;
}

int
cmd_outcome_of(const EbbError *err)
{
	int status = error_exit_status(err->code);

	if (status == 2)
		return OUTCOME_CONFIG_FAILED;
	if (status == 3)
		return OUTCOME_BUSY;
	return OUTCOME_RUNTIME_FAILED;
}

void
cmd_print_db_error(const char *dbname, const EbbError *err, bool as_warning)
{
	if (as_warning)
		log_warning("database \"%s\": %s", dbname, err->message);
	else
		log_error("database \"%s\": %s", dbname, err->message);
	if (err->detail[0])
		log_detail("%s", err->detail);
	if (err->hint[0])
		log_hint("%s", err->hint);
}

void
cmd_make_run_id(char *out, size_t outlen)
{
	unsigned char rnd[4] = {0};
	FILE *f = fopen("/dev/urandom", "rb");
	time_t now = time(NULL);
	struct tm tm;

	if (f)
	{
		if (fread(rnd, 1, sizeof(rnd), f) != sizeof(rnd))
			memset(rnd, 0, sizeof(rnd));
		fclose(f);
	}
	gmtime_r(&now, &tm);
	snprintf(out, outlen, "%04d%02d%02dT%02d%02d%02dZ-%02x%02x%02x%02x", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, rnd[0], rnd[1], rnd[2],
			 rnd[3]);
}

bool
cmd_time_column(PGconn *conn, bool ledger, const Policy *p, char **column, bool *from_ledger,
				EbbError *err)
{
	bool exists;

	*from_ledger = false;
	*column = NULL;
	if (p->time_column)
	{
		*column = ebb_strdup(p->time_column);
		return true;
	}
	if (!pg_table_exists(conn, p->schema, p->table, &exists, err))
		return false;
	if (!exists)
		return error_set(err, EBB_ERR_CONFIG, "table %s does not exist",
						 pg_message_name(p->schema, p->table).s);
	if (ledger && !catalog_ledger_time_column(conn, p->schema, p->table, column, err))
		return false;
	*from_ledger = *column != NULL;
	if (*column)
		return true;
	error_set(err, EBB_ERR_USAGE, "no time-column given for table %s",
			  pg_message_name(p->schema, p->table).s);
	error_detail(err, "The ledger of this database records none: no archive run has archived "
					  "the table here.");
	error_hint(err,
			   "Use --time-column, or \"time-column\" in the table's section of the config file.");
	return false;
}
