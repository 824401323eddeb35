/* commands.h: the entry point of each command; each returns the process exit status. */
#ifndef EBB_CMD_COMMANDS_H
#define EBB_CMD_COMMANDS_H

int cmd_archive(int argc, char **argv);
int cmd_generate(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_partition(int argc, char **argv);
int cmd_restore(int argc, char **argv);

#endif
