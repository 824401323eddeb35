#include "cmd/commands.h"
int cmd_status(int argc, char **argv) { return 1; }
