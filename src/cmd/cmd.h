/*
 * cmd.h: what the commands share: argv + config + settings in one CmdContext (owned by the
 * command, freed with cmd_context_free), the list of tenant databases, and running a function
 * per database, N at a time in worker processes, combining their outcomes into an exit status.
 */
#ifndef EBB_CMD_CMD_H
#define EBB_CMD_CMD_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"
#include "config/config.h"

/* Outcome bits a database worker returns (and exits with). */
#define OUTCOME_OK             0x1
#define OUTCOME_BUSY           0x2
#define OUTCOME_CONFIG_FAILED  0x4
#define OUTCOME_RUNTIME_FAILED 0x8

typedef struct CmdContext
{
	unsigned command;
	const char *name;
	OptLayer cli;
	Config cfg;
	bool has_cfg;
	Settings settings;
	StrList positional;
} CmdContext;

/* What a command's body returns when it failed with err set: cmd_run prints err and exits with
 * its status. Otherwise a body returns the exit status. */
#define CMD_FAILED (-1)

/* One command, a row of main.c's table. */
typedef struct CmdSpec
{
	unsigned command; /* CMD_* bit of the option table */
	const char *name;
	const char *summary;      /* its line in ebb --help */
	const char *help_summary; /* the first line of ebb NAME --help; NULL: the summary */
	int (*run)(CmdContext *ctx, EbbError *err); /* the body, once argv and config are read */
} CmdSpec;

/* The skeleton of every command: context, --help and --version, the body, an error printed,
 * the context freed; returns the exit status. The body frees what it allocated itself. */
int cmd_run(const CmdSpec *spec, int argc, char **argv);

/* Parses argv and the config file; *exit_code >= 0 means the command is already done. */
bool cmd_context_init(CmdContext *ctx, unsigned command, const char *name, const char *summary,
					  int argc, char **argv, int *exit_code, EbbError *err);
void cmd_context_free(CmdContext *ctx);

/* The databases to work on; an entry "" stands for the connection's own database. */
bool cmd_target_databases(const Settings *s, StrList *out, EbbError *err);

typedef int (*DatabaseFn)(void *arg, const char *dbname);
/* Runs fn for each database, `jobs` at a time (in worker processes when jobs > 1). */
int cmd_for_each_database(const StrList *dbs, int jobs, DatabaseFn fn, void *arg);

/*
 * Connects a worker to dbname ("" for the connection's own) with the run's session settings;
 * statement_timeout_ms < 0 takes the settings' value. On failure prints the error (which names
 * the database) and returns 0 with the outcome bits in *outcome.
 */
PGconn *cmd_connect(const Settings *s, const char *dbname, int64_t statement_timeout_ms,
					int *outcome);

int cmd_exit_status(int outcomes);
int cmd_outcome_of(const EbbError *err);

/* Checks each policy's destination (those that have one) before any database is touched: a
 * bad URL is a usage error. */
bool cmd_check_destinations(const Policy *p, int n, const StoreOptions *opts, EbbError *err);

/* A session lost in one table's work is replaced for the next table: false (with the outcome
 * bits added to *outcomes and *conn NULL) when it cannot be. */
bool cmd_reconnect(const Settings *s, const char *dbname, PGconn **conn, int *outcomes);

/* The outcome bits of a table's status (TableStatus of archive/archive.h); err for a failure. */
int cmd_table_outcome_bits(int status, const EbbError *err);

/* "<db>: <schema.table>: skipped: <reason>" on stdout. */
void cmd_print_skipped(const char *db, const Policy *p, const char *reason);

/* Opens a JSON line: {"event":..,"database":..,"schema":..,"table":.. (the caller closes it). */
void cmd_json_head(Buf *b, const char *event, const char *db, const Policy *p);

/* Prints err with its message prefixed by the database's name. */
void cmd_print_db_error(const char *dbname, const EbbError *err, bool as_warning);

/* The policy's time column, else (ledger: ebb.archive_ledger exists) the one the table's
 * newest ledger row records; *column is the caller's to free. A usage error when neither
 * names one, a configuration error when the table does not exist. */
bool cmd_time_column(PGconn *conn, bool ledger, const Policy *p, char **column, bool *from_ledger,
					 EbbError *err);

void cmd_install_signal_handlers(void);
/* A run's id: its UTC start time and 32 random bits ("20261203T140102Z-1a2b3c4d"). */
void cmd_make_run_id(char *out, size_t outlen);

/* Flushes stdout; false (with the error logged) when what was printed did not all get out
 * (a full disk, a closed file): the command then fails, whatever else it did. */
bool cmd_flush_stdout(void);

#endif
