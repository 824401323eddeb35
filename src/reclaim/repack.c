/*
 * repack.c: see repack.h. pg_repack rewrites the table into a copy while triggers log the
 * workload's changes, then swaps the two under a short ACCESS EXCLUSIVE lock. ebb runs the
 * client program against the same server, database and role as its own session: the
 * connection's parameters (PQconninfo) go to the child as libpq's environment variables, so
 * none reaches argv; the password is never passed (the child reads PGPASSWORD or the
 * password file as ebb did). --no-kill-backend: when the workload holds a lock longer than
 * --wait-timeout, pg_repack gives up instead of cancelling the workload's queries.
 */
#include "reclaim/repack.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/cancel.h"
#include "common/log.h"
#include "common/text.h"
#include "common/time.h"
#include "pg/pg.h"

#define REPACK_MAX_ARGS 8
/* How often ebb says that pg_repack waits for older transactions. */
#define REPACK_WAIT_WARN_S 10

typedef struct RepackChild
{
	const char *argv[REPACK_MAX_ARGS];
	StrList env; /* "NAME=value", set in the child */
	pid_t pid;
	int out;             /* the child's stdout and stderr */
	int64_t deadline_ms; /* the whole run's (--statement-timeout), 0: none */
	char last[512];      /* its last line that said something */
	char error[512];     /* its last ERROR, for the error's detail */
	char warning[512];   /* its last WARNING: it did not repack (it exits 0 all the same) */
	bool busy;           /* another pg_repack works on the table */
	bool timed_out;      /* ebb stopped it at the deadline */
	double waiting_said; /* when ebb last said that it waits for transactions */
} RepackChild;

static bool
extension_ready(PGconn *conn, ReclaimResult *r)
{
	bool present;

	if (!pg_query_bool(conn,
					   "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_extension"
					   " WHERE extname = 'pg_repack')",
					   0, NULL, &present, &r->err))
		return false;
	if (present)
		return true;
	error_set(&r->err, EBB_ERR_QUERY, "extension pg_repack is not installed");
	error_hint(&r->err,
			   "A superuser creates it with CREATE EXTENSION pg_repack (Debian: "
			   "package postgresql-%d-repack), or use ebb reclaim --full in a "
			   "maintenance window.",
			   PQserverVersion(conn) / 10000);
	return false;
}

/* pg_repack needs a key to replay the logged changes: a primary key or a unique index on
 * columns that are all NOT NULL (of a partitioned table: its partitions have the same). */
static bool
key_ready(PGconn *conn, const ReclaimTarget *t, ReclaimResult *r)
{
	const char *params[] = {t->oid_text};

	if (t->relkind == 'm')
	{
		error_set(&r->err, EBB_ERR_USAGE, "pg_repack cannot rewrite materialized view \"%s.%s\"",
				  text_escape(t->schema).s, text_escape(t->table).s);
		error_hint(&r->err, "Use ebb reclaim --full in a maintenance window, or REFRESH "
							"MATERIALIZED VIEW.");
		return false;
	}
	/* A partitioned table's key may be its partitions' alone: pg_repack checks each. */
	if (t->relkind == 'p')
		return true;

	bool keyed;
	if (!pg_query_bool(conn,
					   "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE"
					   " i.indrelid = $1::pg_catalog.oid AND i.indisunique AND i.indisvalid AND"
					   " i.indpred IS NULL AND i.indexprs IS NULL AND NOT EXISTS (SELECT 1 FROM"
					   " pg_catalog.pg_attribute a WHERE a.attrelid = i.indrelid"
					   " AND a.attnum = ANY (i.indkey) AND NOT a.attnotnull))",
					   1, params, &keyed, &r->err))
		return false;
	if (keyed)
		return true;
	error_set(&r->err, EBB_ERR_QUERY,
			  "table \"%s.%s\" has no primary key or unique index on NOT NULL columns",
			  text_escape(t->schema).s, text_escape(t->table).s);
	error_detail(&r->err, "pg_repack replays the workload's changes by key.");
	error_hint(&r->err, "Add a primary key, or use ebb reclaim --full in a maintenance window.");
	return false;
}

static bool
executable(const char *path)
{
	return access(path, X_OK) == 0;
}

/* The program: as given; else pg_repack on PATH; else Debian's directory for the server's
 * major version (its packages do not put pg_repack on PATH). */
static bool
find_program(PGconn *conn, const char *given, char *out, size_t outlen, EbbError *err)
{
	if (given)
	{
		snprintf(out, outlen, "%s", given);
		if (executable(out))
			return true;
		error_set(err, EBB_ERR_USAGE, "could not run pg_repack program \"%s\": %s",
				  text_escape(given).s, strerror(errno));
		return false;
	}
	const char *path = getenv("PATH");
	char *copy = ebb_strdup(path ? path : "");
	char *save = NULL;
	for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save))
	{
		snprintf(out, outlen, "%s/pg_repack", dir);
		if (executable(out))
			return free(copy), true;
	}
	free(copy);
	snprintf(out, outlen, "/usr/lib/postgresql/%d/bin/pg_repack", PQserverVersion(conn) / 10000);
	if (executable(out))
		return true;
	error_set(err, EBB_ERR_CONFIG, "could not find the pg_repack program");
	error_detail(err, "It is neither on PATH nor in /usr/lib/postgresql/%d/bin.",
				 PQserverVersion(conn) / 10000);
	error_hint(err,
			   "Install it (Debian: postgresql-%d-repack), or give its path with "
			   "--pg-repack.",
			   PQserverVersion(conn) / 10000);
	return false;
}

/* pg_repack's client refuses a role that is not a superuser. */
static bool
superuser_ready(PGconn *conn, ReclaimResult *r)
{
	bool super;

	if (!pg_query_bool(conn,
					   "SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user", 0,
					   NULL, &super, &r->err))
		return false;
	if (super)
		return true;
	error_set(&r->err, EBB_ERR_QUERY, "pg_repack needs a superuser");
	error_hint(&r->err, "Run ebb reclaim --online as a superuser, or use --full in a maintenance "
						"window as the table's owner.");
	return false;
}

static bool
online_ready(PGconn *conn, const ReclaimOptions *o, const ReclaimTarget *t, ReclaimResult *r)
{
	char program[1024];

	return superuser_ready(conn, r) && extension_ready(conn, r) && key_ready(conn, t, r) &&
		   find_program(conn, o->pg_repack, program, sizeof(program), &r->err);
}

/* The connection's parameters as libpq's environment variables: the password too (from the
 * config file's dsn, PGPASSWORD or the password file, whichever ebb used), in the child's
 * environment only, never on its command line; pg_repack runs with --no-password, so that it
 * never waits for one at a prompt. */
static void
child_env(PGconn *conn, StrList *env)
{
	PQconninfoOption *opts = PQconninfo(conn);

	for (PQconninfoOption *o = opts; o && o->keyword; o++)
		if (o->envvar && o->val && o->val[0])
		{
			char *kv = ebb_asprintf("%s=%s", o->envvar, o->val);
			strlist_add(env, kv);
			free(kv);
		}
	PQconninfoFree(opts);
}

static bool
child_start(RepackChild *c, EbbError *err)
{
	int fds[2];

	if (pipe(fds) != 0)
		return error_set(err, EBB_ERR_IO, "could not create a pipe: %s", strerror(errno));
	fflush(NULL);
	c->pid = fork();
	if (c->pid < 0)
	{
		close(fds[0]);
		close(fds[1]);
		return error_set(err, EBB_ERR_IO, "could not fork: %s", strerror(errno));
	}
	if (c->pid == 0)
	{
		/* ebb killed (kill -9): pg_repack stops too, and drops what it built. */
		prctl(PR_SET_PDEATHSIG, SIGINT);
		dup2(fds[1], STDOUT_FILENO);
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		close(fds[1]);
		for (int i = 0; i < c->env.count; i++)
			putenv(c->env.items[i]);
		execv(c->argv[0], (char *const *) c->argv);
		fprintf(stderr, "could not execute \"%s\": %s\n", c->argv[0], strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	c->out = fds[0];
	return true;
}

/* A line of pg_repack's: logged (-v shows it), and kept when it says something. */
/* Its ERROR and WARNING lines are what the failure says; its wait for transactions older than
 * its start is said without -v too (they keep its trigger on the table meanwhile). */
static void
child_line(RepackChild *c, const char *line)
{
	if (!line[0])
		return;
	log_info("pg_repack: %s", text_escape(line).s);
	snprintf(c->last, sizeof(c->last), "%s", line);
	if (strncmp(line, "ERROR:", 6) == 0)
		snprintf(c->error, sizeof(c->error), "%s", line);
	else if (strncmp(line, "WARNING:", 8) == 0)
		snprintf(c->warning, sizeof(c->warning), "%s", line);
	if (strstr(line, "Another pg_repack command may be running"))
		c->busy = true;
	if (strstr(line, "Waiting for") && strstr(line, "transactions to finish") &&
		time_monotonic_s() - c->waiting_said >= REPACK_WAIT_WARN_S)
	{
		c->waiting_said = time_monotonic_s();
		log_warning("pg_repack is waiting for transactions older than its start to finish "
					"(pg_stat_activity shows them): %s",
					text_escape(line).s);
	}
}

/* Reads until the child closes its output; a signal to ebb is passed on as SIGINT, on which
 * pg_repack drops what it built. */
static void
child_read(RepackChild *c)
{
	Buf line;
	char chunk[4096];
	bool forwarded = false;

	double start = time_monotonic_s();

	buf_init(&line);
	for (;;)
	{
		struct pollfd p = {c->out, POLLIN, 0};
		if (!forwarded && !cancel_requested && c->deadline_ms > 0 &&
			(time_monotonic_s() - start) * 1000 > (double) c->deadline_ms)
			c->timed_out = true;
		if ((cancel_requested || c->timed_out) && !forwarded)
			forwarded = kill(c->pid, SIGINT) == 0 || true;
		if (poll(&p, 1, 200) <= 0)
			continue;
		ssize_t n = read(c->out, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			if (chunk[i] == '\n')
			{
				child_line(c, buf_cstr(&line));
				buf_reset(&line);
			}
			else
				buf_append_char(&line, chunk[i]);
	}
	child_line(c, buf_cstr(&line));
	buf_free(&line);
	close(c->out);
}

static bool
child_wait(RepackChild *c, EbbError *err)
{
	int status;

	while (waitpid(c->pid, &status, 0) < 0)
		if (errno != EINTR)
			return error_set(err, EBB_ERR_IO, "could not wait for pg_repack: %s", strerror(errno));
	bool exited_ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	if (exited_ok && !cancel_requested && !c->timed_out && !c->warning[0])
		return true;
	const char *said = c->error[0] ? c->error : c->warning[0] ? c->warning : c->last;
	if (cancel_requested)
		error_set(err, EBB_ERR_CANCELED, "canceled by a signal");
	else if (c->timed_out)
		error_set(err, EBB_ERR_QUERY, "pg_repack did not finish within the statement timeout");
	else if (c->busy)
		error_set(err, EBB_ERR_BUSY, "another pg_repack is working on the table");
	else if (exited_ok)
		/* pg_repack exits 0 when it skips the table (a lock it could not get in time, its
		 * trigger left by a run that was killed): nothing was rewritten. */
		error_set(err, EBB_ERR_QUERY, "pg_repack did not repack the table");
	else if (WIFEXITED(status))
		error_set(err, EBB_ERR_QUERY, "pg_repack failed with exit status %d", WEXITSTATUS(status));
	else
		error_set(err, EBB_ERR_QUERY, "pg_repack was terminated by signal %d",
				  WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	if (said[0])
		error_detail(err, "pg_repack said: %s", text_escape(said).s);
	if (strstr(said, "already has a trigger called \"repack_trigger\""))
		error_hint(err, "A pg_repack that was killed left its trigger and log table; a superuser "
						"removes them with DROP EXTENSION pg_repack CASCADE, then CREATE "
						"EXTENSION pg_repack.");
	else if (strstr(said, "timed out"))
		error_hint(err, "The workload held a lock on the table longer than --lock-timeout; run "
						"again in a quieter moment, or raise it.");
	return false;
}

static bool
online_run(PGconn *conn, const ReclaimOptions *o, const ReclaimTarget *t, ReclaimResult *r)
{
	char program[1024], wait[64];
	RepackChild c = {0};

	if (!find_program(conn, o->pg_repack, program, sizeof(program), &r->err))
		return false;
	/* pg_repack's unit is the second; a timeout under one second waits one. */
	snprintf(wait, sizeof(wait), "--wait-timeout=%lld",
			 (long long) ((o->lock_timeout_ms + 999) / 1000 > 0 ? (o->lock_timeout_ms + 999) / 1000
																: 1));
	char *table =
		ebb_asprintf("%s=%s", t->relkind == 'p' ? "--parent-table" : "--table", t->quoted);
	const char *argv[] = {program, "--no-kill-backend", "--no-password", wait, table, NULL};
	memcpy(c.argv, argv, sizeof(argv));
	child_env(conn, &c.env);
	c.deadline_ms = o->statement_timeout_ms;
	bool ok = child_start(&c, &r->err);
	if (ok)
	{
		child_read(&c);
		ok = child_wait(&c, &r->err);
	}
	free(table);
	strlist_clear(&c.env);
	return ok;
}

const ReclaimMethod reclaim_online_method = {RECLAIM_ONLINE, online_ready, online_run};
