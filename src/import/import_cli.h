/* `labboot import`: see import_cli.c. */
#pragma once

/* argv: what follows "import". Returns the exit status. */
int import_cli(int argc, char **argv);
