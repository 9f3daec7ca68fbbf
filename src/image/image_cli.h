/* `labboot image ...` subcommands. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

struct config;
struct image_store;

/* ARGV[0] is the subcommand; -c/--config were taken out by the caller. */
int image_cli(const struct config *cfg, int argc, char **argv);
/* Prints the image usage and returns true if -h/--help is among ARGV. */
bool image_cli_wants_help(int argc, char **argv);
/* The image assigned to HOST by `image promote --host` (NAME@VERSION). */
int image_assignment(const struct image_store *s, const char *host, char *ref, size_t size);
