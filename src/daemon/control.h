/* The daemon's local control socket, STATE/control.sock (mode 0600: root
 * and the daemon's user). A client sends one line ("reload", "hosts") and
 * reads the reply until the daemon closes: "ok ..." or "error ...", then
 * the problems, one per line. The CLI uses it to apply a change at once. */
#pragma once
#include <stdio.h>

struct loop;
struct control;

#define CONTROL_SOCKET "control.sock"

/* Runs a command on the loop's thread, writes the reply's detail to out;
 * returns 0 (ok) or -errno (error). */
typedef int (*control_fn)(void *userdata, const char *cmd, FILE *out);

int control_new(struct loop *loop, const char *state_dir, control_fn fn, void *userdata, struct control **ret);
void control_free(struct control *ctl);

/* Client side. Copies the reply to out; returns 0 for "ok", -EPROTO for
 * "error", -ENOENT or -ECONNREFUSED when no daemon listens. */
int control_request(const char *state_dir, const char *cmd, FILE *out);
