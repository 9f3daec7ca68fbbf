/* Dropping root once every privileged socket is open: the process that
 * parses packets from the network runs as an ordinary user, keeping only
 * the network capabilities it still uses at run time. */
#pragma once

/* Switch to `user` (and its primary group), keep CAP_NET_ADMIN (ARP entries
 * for DHCP replies), CAP_NET_RAW and CAP_NET_BIND_SERVICE, and make
 * `state_dir` the user's. No-op returning 0 if user is NULL, or if the
 * process already runs as `user` (started so by the service manager). */
int privs_drop(const char *user, const char *state_dir);

/* Raise the soft limit on open files to the hard limit: every HTTP
 * connection and TFTP transfer holds descriptors (a TFTP transfer two), and
 * the usual soft limit of 1024 is below what the servers allow at once.
 * Logs the limit in force. */
void privs_raise_nofile(void);
