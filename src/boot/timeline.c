/* Boot phases from boot events (see timeline.h). */
#include "boot/timeline.h"

#include <stdio.h>
#include <string.h>

#define NEW_BOOT_GAP_MS 120000      /* a DISCOVER this long after the last event */
#define STALE_GAP_MS 1800000        /* any DISCOVER after half an hour of silence */

const char *boot_phase_name(enum boot_phase p)
{
	static const char *const names[BOOT_PHASE_COUNT_] = {
		[BOOT_PHASE_FIRMWARE] = "firmware DHCP", [BOOT_PHASE_IPXE] = "iPXE",
		[BOOT_PHASE_KERNEL] = "kernel+initrd", [BOOT_PHASE_ROOT] = "root image",
		[BOOT_PHASE_OS] = "OS start-up",
	};
	return (unsigned)p < BOOT_PHASE_COUNT_ ? names[p] : "?";
}

/* A boot starts with the firmware's (or iPXE's) DISCOVER, not the one the
 * booted OS sends minutes later on a slow machine: that one carries no
 * client architecture ("arch -1"). */
static bool starts_boot(const struct boot_event *ev, uint64_t last_ms, bool seen, bool up)
{
	bool firmware = strstr(ev->detail, "arch -1") == NULL;
	uint64_t gap = ev->ts_ms - last_ms;

	if (strcmp(ev->kind, "dhcp-discover") != 0)
		return false;
	return !seen || (firmware && (up || gap > NEW_BOOT_GAP_MS)) || gap > STALE_GAP_MS;
}

static bool is_dhcp(const struct boot_event *ev)
{
	return strncmp(ev->kind, "dhcp-", 5) == 0;
}

/* "... up_ms U userspace_ms S ready_ms R" of a booted event */
static bool parse_booted(const char *detail, uint64_t *up, uint64_t *user, uint64_t *ready)
{
	const char *p = strstr(detail, " up_ms ");
	unsigned long long u, s, r;

	if (!p || sscanf(p, " up_ms %llu userspace_ms %llu ready_ms %llu", &u, &s, &r) != 3 || u == 0)
		return false;
	*up = u;
	*user = s;
	*ready = r;
	return true;
}

static uint64_t http_bytes(const char *detail)
{
	const char *p = strstr(detail, " bytes");
	unsigned long long v;

	while (p && p > detail && p[-1] >= '0' && p[-1] <= '9')
		p--;
	return p && sscanf(p, "%llu", &v) == 1 ? v : 0;
}

static void find_start(const struct boot_event *ev, size_t n, struct boot_timeline *tl)
{
	uint64_t last = 0;
	bool up = false;

	for (size_t i = 0; i < n; i++) {
		if (starts_boot(&ev[i], last, i > 0, up)) {
			tl->first = i;
			up = false;
		}
		up |= strcmp(ev[i].kind, "booted") == 0;
		last = ev[i].ts_ms;
	}
	tl->n = n - tl->first;
	tl->start_ms = ev[tl->first].ts_ms;
	tl->last_ms = ev[n - 1].ts_ms;
}

/* Marks on the server's clock; 0: not seen. */
struct marks {
	uint64_t ipxe, kernel, kstart, userspace, ready;
};

static void phase(struct boot_timeline *tl, enum boot_phase p, uint64_t from, uint64_t to)
{
	tl->phase_ms[p] = from && to && to >= from ? (int64_t)(to - from) : -1;
}

void boot_timeline_find(const struct boot_event *ev, size_t n, struct boot_timeline *tl)
{
	struct marks m = { 0 };
	uint64_t up, user, ready, root_first = 0, root_last = 0;
	unsigned n_root = 0;

	memset(tl, 0, sizeof(*tl));
	tl->total_ms = -1;
	tl->root_fetch_ms = -1;
	for (size_t p = 0; p < BOOT_PHASE_COUNT_; p++)
		tl->phase_ms[p] = -1;
	if (n == 0)
		return;
	find_start(ev, n, tl);
	for (size_t i = tl->first; i < n; i++) {
		const struct boot_event *e = &ev[i];
		tl->n_booted += strcmp(e->kind, "booted") == 0;
		if (!m.ipxe && is_dhcp(e) && strstr(e->detail, " ipxe"))
			m.ipxe = e->ts_ms;
		else if (m.ipxe && !m.kernel && strcmp(e->kind, "kernel") == 0)
			m.kernel = e->ts_ms;
		else if (strcmp(e->kind, "root") == 0) {
			tl->root_bytes += http_bytes(e->detail);
			root_first = n_root++ ? root_first : e->ts_ms;
			root_last = e->ts_ms;
		}
		else if (strcmp(e->kind, "booted") == 0 && !tl->up) {
			tl->up = true;
			if (parse_booted(e->detail, &up, &user, &ready) && up <= e->ts_ms) {
				m.kstart = e->ts_ms - up;
				m.userspace = user ? m.kstart + user : 0;
				m.ready = ready ? m.kstart + ready : e->ts_ms;
			} else {
				m.ready = e->ts_ms;
			}
		}
	}
	phase(tl, BOOT_PHASE_FIRMWARE, tl->start_ms, m.ipxe);
	phase(tl, BOOT_PHASE_IPXE, m.ipxe, m.kernel);
	phase(tl, BOOT_PHASE_KERNEL, m.kernel, m.kstart);
	phase(tl, BOOT_PHASE_ROOT, m.kstart, m.userspace);
	phase(tl, BOOT_PHASE_OS, m.userspace, m.ready);
	if (n_root > 1)
		tl->root_fetch_ms = (int64_t)(root_last - root_first);
	if (tl->up && m.ready >= tl->start_ms)
		tl->total_ms = (int64_t)(m.ready - tl->start_ms);
}
