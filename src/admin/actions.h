/* The changes an operator makes, shared by the CLI, the JSON API and the
 * dashboard: each checks, stores and (for hosts) has the running daemon
 * apply it through its control socket. Problems are written to out; each
 * returns 0 or -errno (-EINVAL refused, -ENOENT no such thing). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct config;
struct store;

/* create: a new runtime host NAME with mac (and ip); else a change of the
 * runtime host NAME. assign: KEY=VALUE (KEY= removes KEY). */
int action_host_put(const struct config *cfg, struct store *st, bool create, const char *name, const char *mac,
		    const char *ip, char *const *assign, size_t n_assign, FILE *out);
int action_host_delete(const struct config *cfg, struct store *st, const char *name, FILE *out);
/* entry NULL clears it. */
int action_next_boot(const struct config *cfg, struct store *st, const char *host, const char *entry, FILE *out);
/* A host's name or a MAC. */
int action_wake(const struct config *cfg, const char *who, FILE *out);
int action_image_current(const struct config *cfg, const char *name, const char *version, FILE *out);

/* Tells a running daemon to apply the runtime hosts ("hosts") or to
 * re-read everything ("reload"). 1: no daemon runs here. */
int action_tell_daemon(const struct config *cfg, const char *cmd, FILE *out);
