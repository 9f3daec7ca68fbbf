/* `labboot isos`: what [isos] dir holds and how each ISO boots. */
#pragma once

/* argv: what follows "isos" (-c FILE). Returns the exit status. */
int isos_cli(int argc, char **argv);
