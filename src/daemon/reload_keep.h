/* Settings a reload cannot change in a running daemon: the sockets, the
 * directories opened at start and the user. A reload keeps the running
 * values and logs each one that differs ("takes effect at restart"). */
#pragma once

struct config;

/* Copies them from running into next; returns how many differed. */
int reload_keep_running(struct config *next, const struct config *running);
