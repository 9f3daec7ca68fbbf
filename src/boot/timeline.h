/* A machine's last boot, from its boot events: where it started (the
 * firmware's DHCP discover) and how long each phase took. Pure.
 *
 * The phases, from the server's view and the booted system's own clock:
 *   firmware DHCP   first DISCOVER to iPXE's first DHCP packet
 *   iPXE            iPXE's DHCP to its kernel request (script, menu)
 *   kernel, initrd  the kernel request to the kernel's start
 *   root image      kernel start to systemd in the real root: the
 *                   initramfs brings the network up and fetches or mounts
 *                   the root
 *   OS start-up     systemd's start to multi-user.target
 * The last three come from the "booted" callback, which reports the
 * system's uptime, UserspaceTimestamp and multi-user.target's time. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

enum boot_phase {
	BOOT_PHASE_FIRMWARE,
	BOOT_PHASE_IPXE,
	BOOT_PHASE_KERNEL,
	BOOT_PHASE_ROOT,
	BOOT_PHASE_OS,
	BOOT_PHASE_COUNT_,
};

struct boot_timeline {
	size_t first, n;              /* this boot's events: ev[first .. first+n) */
	uint64_t start_ms, last_ms;   /* its first and last event */
	bool up;                      /* it called back */
	unsigned n_booted;            /* callbacks in it: a retried one comes twice */
	int64_t phase_ms[BOOT_PHASE_COUNT_]; /* -1: not known */
	int64_t total_ms;             /* first DISCOVER to multi-user.target, -1 if not up */
	uint64_t root_bytes;          /* root image bytes served over HTTP */
	int64_t root_fetch_ms;        /* first to last root request: the layers are
					 fetched one after another, so about the
					 download's time; -1 for fewer than 2 */
};

/* Finds the last boot in EV (one machine's events, oldest first) and
 * its phases. n == 0 leaves tl->n 0. */
void boot_timeline_find(const struct boot_event *ev, size_t n, struct boot_timeline *tl);

const char *boot_phase_name(enum boot_phase p);
