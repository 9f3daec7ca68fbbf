/* The everyday commands beside the daemon: runtime hosts, discovered
 * machines, one-shot next boots, Wake-on-LAN, explain and reload. Each
 * changes the state database and tells a running daemon at once through
 * its control socket. */
#pragma once
#include <stdbool.h>

bool admin_cli_has(const char *cmd);
/* argv: what follows the command; -c FILE and -v may stand anywhere.
 * Returns the exit status. */
int admin_cli(const char *cmd, int argc, char **argv);
