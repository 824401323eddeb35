/* commands.h: the body of each command, run by cmd_run (cmd.h) from main.c's table; each
 * returns the exit status, or CMD_FAILED with err set. */
#ifndef EBB_CMD_COMMANDS_H
#define EBB_CMD_COMMANDS_H

#include "cmd/cmd.h"

int cmd_archive(CmdContext *ctx, EbbError *err);
int cmd_generate(CmdContext *ctx, EbbError *err);
int cmd_status(CmdContext *ctx, EbbError *err);
int cmd_verify(CmdContext *ctx, EbbError *err);
int cmd_partition(CmdContext *ctx, EbbError *err);
int cmd_restore(CmdContext *ctx, EbbError *err);
int cmd_doctor(CmdContext *ctx, EbbError *err);
int cmd_reclaim(CmdContext *ctx, EbbError *err);

#endif
