/* The service manager's readiness protocol (sd_notify(3)) without
 * libsystemd: one AF_UNIX datagram of "KEY=VALUE\n" lines to the socket
 * named by $NOTIFY_SOCKET. Outside systemd (no $NOTIFY_SOCKET) every call
 * is a no-op returning 0.
 *
 * Around a reload (SIGHUP):
 *     sd_notify_reloading();   before the configuration is read again
 *     ... reload ...
 *     sd_notify_ready();       once the new configuration serves (or the
 *                              old one still does, after a failed reload) */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

/* A datagram longer than this is refused rather than cut (systemd itself
 * reads at most a page's worth of state). */
#define SD_NOTIFY_MAX 4096

/* ---- pure part: what is sent, and where ------------------------------ */

/* $NOTIFY_SOCKET as a socket address: an absolute path, or "@name" for the
 * abstract namespace (the '@' becomes a NUL byte). Returns the address
 * length, -EINVAL for an empty or relative name (systemd also accepts
 * "vsock:", which labboot does not need), -ENAMETOOLONG if it does not fit
 * sun_path. */
int sd_notify_address(const char *name, struct sockaddr_un *ret_addr);

/* "RELOADING=1\nMONOTONIC_USEC=N" into buf (systemd >= 253 wants the
 * timestamp with Type=notify-reload; older ones ignore it). Returns the
 * length, -ENOSPC if buf is too small. */
int sd_notify_build_reloading(char *buf, size_t size, uint64_t monotonic_usec);

/* "STATUS=TEXT" into buf; a newline in TEXT would start another
 * assignment and becomes a space. Returns the length, -ENOSPC. */
int sd_notify_build_status(char *buf, size_t size, const char *text);

/* ---- sending ----------------------------------------------------------- */

/* Sends STATE as it is. Returns 1 if sent, 0 without $NOTIFY_SOCKET,
 * -errno on failure (never blocks: a full queue is -EAGAIN). */
int sd_notify_send(const char *state);

int sd_notify_ready(void);               /* READY=1 */
int sd_notify_reloading(void);           /* RELOADING=1, MONOTONIC_USEC= */
int sd_notify_stopping(void);            /* STOPPING=1 */
int sd_notify_status(const char *text);  /* STATUS=text */
