/* Build sandbox: a child process in a private mount namespace where a stack
 * of squashfs layers is loop-mounted under an overlayfs upper directory, and
 * recipe commands run chrooted in it with their own PID, UTS and IPC
 * namespaces. Nothing mounted there is visible on the host, and it all goes
 * away with the child: on success, failure, Ctrl-C or kill -9 of labboot
 * (the children die with their parent, the namespace with its last process,
 * and the loop devices are auto-cleared with their last mount). */
#pragma once
#include <stddef.h>
#include <sys/types.h>

struct sandbox {
	const char *const *lowers;  /* squashfs images, bottom first */
	size_t n_lowers;
	const char *upper;          /* overlayfs upper and work directories (same fs) */
	const char *work;
	const char *scratch;        /* an empty directory for mount points */
};

/* Runs with the merged tree mounted at ROOT. Returns >= 0 or -errno. */
typedef int (*sandbox_fn)(const char *root, void *userdata);
/* Runs once the merged tree is unmounted: UPPER is the step's upper directory,
 * LOWER the read-only view of the layers below (for dropping files that the
 * step rewrote with the same content). */
typedef int (*sandbox_after_fn)(const char *upper, const char *lower, void *userdata);

/* Forks the sandbox, runs FN then AFTER (either may be NULL) in it and
 * returns FN's result, or AFTER's error, or -errno. With upper == NULL the
 * stack is mounted read-only (flattening, diffs). */
int sandbox_run(const struct sandbox *sb, sandbox_fn fn, sandbox_after_fn after, void *userdata);

/* Inside FN: runs "/bin/sh -c COMMAND" chrooted at ROOT with /proc, /sys,
 * /dev, /dev/pts, /run, the host's resolver and network, services kept from
 * starting (policy-rc.d) and DEBIAN_FRONTEND=noninteractive; output to
 * OUT_FD. Returns the command's exit status (0-255), 128+signal, or -errno. */
int sandbox_exec(const char *root, const char *command, int out_fd);
