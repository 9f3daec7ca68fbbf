/* Boot phases from boot events (boot/timeline.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "boot/timeline.h"

#define T0 1700000000000ULL

static struct boot_event ev[32];
static size_t n;

static void add(uint64_t at_ms, const char *kind, const char *detail)
{
	struct boot_event *e = &ev[n++];

	memset(e, 0, sizeof(*e));
	e->ts_ms = T0 + at_ms;
	snprintf(e->kind, sizeof(e->kind), "%s", kind);
	snprintf(e->detail, sizeof(e->detail), "%s", detail);
}

/* One BIOS netboot as the server records it: PXE ROM, iPXE, the menu's
 * 1 s, the kernel, initrds, two layers over HTTP, the booted callback. */
static void one_boot(uint64_t base)
{
	add(base + 0, "dhcp-discover", "OFFER 198.18.0.12 arch 0 file undionly.kpxe");
	add(base + 900, "dhcp-request", "ACK 198.18.0.12 arch 0 file undionly.kpxe");
	add(base + 1500, "tftp", "undionly.kpxe 70000 bytes 0.20 s");
	add(base + 3000, "dhcp-discover", "OFFER 198.18.0.12 arch 0 ipxe file http://x/boot.ipxe");
	add(base + 3100, "dhcp-request", "ACK 198.18.0.12 arch 0 ipxe file http://x/boot.ipxe");
	add(base + 3200, "script", "boot.ipxe 900 bytes");
	add(base + 4300, "kernel", "http images/a/a-1/vmlinuz 200 8000000 bytes");
	add(base + 5000, "initrd", "http images/a/a-1/initrd.img 200 30000000 bytes");
	add(base + 7000, "dhcp-discover", "OFFER 198.18.0.12 arch -1");
	add(base + 8000, "root", "http images/a/a-1/live/filesystem.module 200 60 bytes");
	add(base + 8100, "root", "http images/a/a-1/live/filesystem.squashfs 200 200000000 bytes");
	add(base + 20000, "root", "http images/a/a-1/live/l01-aa.squashfs 200 5000000 bytes");
	/* kernel started at base + 6000: up 30 s at base + 36000 */
	add(base + 36000, "booted", "from 198.18.0.12 up_ms 30000 userspace_ms 17000 ready_ms 29500");
}

static void phases_of_a_bios_boot(void **state)
{
	struct boot_timeline tl;

	n = 0;
	one_boot(0);
	boot_timeline_find(ev, n, &tl);
	assert_int_equal(tl.first, 0);
	assert_int_equal(tl.n, n);
	assert_true(tl.up);
	assert_int_equal(tl.phase_ms[BOOT_PHASE_FIRMWARE], 3000);
	assert_int_equal(tl.phase_ms[BOOT_PHASE_IPXE], 1300);
	assert_int_equal(tl.phase_ms[BOOT_PHASE_KERNEL], 1700);
	assert_int_equal(tl.phase_ms[BOOT_PHASE_ROOT], 17000);
	assert_int_equal(tl.phase_ms[BOOT_PHASE_OS], 12500);
	assert_int_equal(tl.total_ms, 35500);
	assert_int_equal(tl.root_bytes, 205000060);
	assert_int_equal(tl.root_fetch_ms, 12000);
}

static void the_last_boot_counts(void **state)
{
	struct boot_timeline tl;

	n = 0;
	one_boot(0);
	one_boot(600000);
	boot_timeline_find(ev, n, &tl);
	assert_int_equal(tl.first, n / 2);
	assert_int_equal(tl.start_ms, T0 + 600000);
	assert_int_equal(tl.total_ms, 35500);
	assert_int_equal(tl.n_booted, 1);
}

/* A callback sent again (the booted system retried) is the same boot's:
 * /metrics observes a boot at its first callback only. */
static void a_second_callback_is_counted(void **state)
{
	struct boot_timeline tl;

	n = 0;
	one_boot(0);
	boot_timeline_find(ev, n, &tl);
	assert_int_equal(tl.n_booted, 1);
	add(37000, "booted", "from 198.18.0.12 up_ms 31000 userspace_ms 17000 ready_ms 29500");
	boot_timeline_find(ev, n, &tl);
	assert_int_equal(tl.n_booted, 2);
	assert_int_equal(tl.total_ms, 35500);
}

/* The OS's own DISCOVER (arch -1) right after it booted is no new boot. */
static void the_os_dhcp_is_part_of_the_boot(void **state)
{
	struct boot_timeline tl;

	n = 0;
	one_boot(0);
	add(150000, "dhcp-discover", "OFFER 198.18.0.12 arch -1");
	boot_timeline_find(ev, n, &tl);
	assert_int_equal(tl.first, 0);
}

static void unknown_phases_are_minus_one(void **state)
{
	struct boot_timeline tl;

	n = 0;
	add(0, "dhcp-discover", "OFFER 198.18.0.12 arch 7");
	add(1000, "dhcp-discover", "OFFER 198.18.0.12 arch 7 ipxe");
	add(9000, "booted", "from 198.18.0.12"); /* an old callback without times */
	boot_timeline_find(ev, n, &tl);
	assert_int_equal(tl.phase_ms[BOOT_PHASE_FIRMWARE], 1000);
	assert_int_equal(tl.phase_ms[BOOT_PHASE_IPXE], -1);
	assert_int_equal(tl.phase_ms[BOOT_PHASE_ROOT], -1);
	assert_int_equal(tl.total_ms, 9000);
	/* an uptime longer than the history: no kernel start */
	n = 0;
	add(0, "dhcp-discover", "OFFER 198.18.0.12 arch 7");
	ev[0].ts_ms = 5;
	add(0, "booted", "from x up_ms 99999999999 userspace_ms 1 ready_ms 2");
	ev[1].ts_ms = 10;
	boot_timeline_find(ev, n, &tl);
	assert_int_equal(tl.phase_ms[BOOT_PHASE_KERNEL], -1);
	boot_timeline_find(ev, 0, &tl);
	assert_int_equal(tl.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(phases_of_a_bios_boot),
		cmocka_unit_test(the_last_boot_counts),
		cmocka_unit_test(a_second_callback_is_counted),
		cmocka_unit_test(the_os_dhcp_is_part_of_the_boot),
		cmocka_unit_test(unknown_phases_are_minus_one),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
