/* main.c: argv -> command; the command's result -> exit status. */
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/commands.h"
#include "common/error.h"
#include "common/log.h"
#include "common/text.h"

static const CmdSpec commands[] = {
	{CMD_ARCHIVE, "archive", "move rows older than N days to an archive, then delete them", NULL,
	 cmd_archive},
	{CMD_GENERATE, "generate", "load reproducible synthetic events", NULL, cmd_generate},
	{CMD_STATUS, "status", "per database and table: hot rows, archived windows, last run, lag",
	 NULL, cmd_status},
	{CMD_RESTORE, "restore", "load archived rows back into a table, each object exactly once", NULL,
	 cmd_restore},
	{CMD_VERIFY, "verify", "re-read archived objects, check them against the ledger; find orphans",
	 "re-read archived objects and check them against the ledger; find and remove orphans",
	 cmd_verify},
	{CMD_PARTITION, "partition", "create the next partitions of a table range-partitioned by time",
	 NULL, cmd_partition},
	{CMD_DOCTOR, "doctor",
	 "check what archiving a table needs: rights, time index, advice, bloat; --fix online",
	 "check what archiving a table needs from the database: the role's rights, its time index "
	 "(built and sound), index advice, bloat and autovacuum; --fix repairs online",
	 cmd_doctor},
	{CMD_RECLAIM, "reclaim",
	 "give disk back after archiving: VACUUM, --online (pg_repack) or --full",
	 "give disk back after archiving, measured: VACUUM (ANALYZE); --online with pg_repack; "
	 "--full (VACUUM FULL) in a maintenance window",
	 cmd_reclaim},
};

static void
usage(void)
{
	printf("ebb moves aging rows out of hot PostgreSQL tables, safely.\n\n"
		   "Usage:\n  ebb COMMAND [OPTION]...\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		printf("  %-10s %s\n", commands[i].name, commands[i].summary);
	printf("\nRun \"ebb COMMAND --help\" for a command's options.\n");
}

int
main(int argc, char **argv)
{
	/* Each window allocates and frees the same large buffers (compressor state, encoder and
	 * read buffers). Keep them in the heap instead of mmap/munmap per window: that page-fault
	 * churn cost more system time than the archiving itself. */
	mallopt(M_MMAP_THRESHOLD, 64 * 1024 * 1024);
	mallopt(M_TRIM_THRESHOLD, 128 * 1024 * 1024);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
		strcmp(argv[1], "help") == 0)
	{
		usage();
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)
	{
		printf("ebb %s\n", EBB_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
		{
			int code = cmd_run(&commands[i], argc - 1, argv + 1);
			return cmd_flush_stdout() || code != 0 ? code : 1;
		}
	log_error("unrecognized command \"%s\"", text_escape(argv[1]).s);
	log_hint("Try \"ebb --help\" for the list of commands.");
	return 2;
}
