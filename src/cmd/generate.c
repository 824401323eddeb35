#include "cmd/commands.h"
int cmd_generate(int argc, char **argv) { return 1; }
