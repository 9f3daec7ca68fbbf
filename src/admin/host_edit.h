/* Runtime hosts: their settings are the lines of a [host] section
 * ("key = value"), edited by KEY=VALUE assignments, checked by parsing
 * the whole configuration with the change, then stored and applied. */
#pragma once
#include <stddef.h>
#include <stdio.h>

struct store;

#define HOST_EDIT_MAX_ASSIGN 32

/* Pure. The settings after the assignments: KEY=VALUE sets KEY (the first
 * assignment of mac, ip or option in a call replaces that key's lines, the
 * next ones add to them), KEY= removes it. -EINVAL for a malformed one. */
int host_settings_edit(const char *settings, char *const *assign, size_t n, char **ret);

/* The change (settings NULL: remove NAME) checked against the file text
 * and the other runtime hosts, then stored. Problems go to errors.
 * -EINVAL: refused; -ENOENT: no such runtime host to remove. */
int host_change(const char *path, const char *text, struct store *st, const char *name, const char *settings,
		FILE *errors);

/* NAME's settings (malloc'd), -ENOENT if it is no runtime host. */
int host_settings_get(struct store *st, const char *name, char **ret);
