/* The configuration in force: the file and the hosts added at runtime,
 * which live in the state database (labboot host add, the API). */
#pragma once
#include <stdio.h>

struct config;
struct store;

/* text: the file's text to parse (NULL: read path). Problems go to errors
 * (stderr if NULL). */
int runtime_config_load(const char *path, const char *text, struct store *st, FILE *errors, struct config **ret);

/* For the commands: the file, its state database, and the two merged.
 * The store is opened read-write (NULL in *ret_st is allowed: then the
 * store is closed again). Without a state database it may use (none yet,
 * no permission), the file alone. */
int runtime_config_open(const char *path, struct config **ret_cfg, struct store **ret_st);
