/* The initrd splitter: Ubuntu-style concatenations built byte by byte. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "image/initrd_split.h"

/* Appends one newc entry (header, name, data, padding) to BUF at *LEN. */
static void newc(uint8_t *buf, size_t *len, const char *name, const char *data)
{
	size_t nl = strlen(name) + 1, dl = strlen(data);
	char hdr[111];

	snprintf(hdr, sizeof(hdr), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", 1, 0100644, 0, 0, 1,
		 0, (unsigned)dl, 0, 0, 0, 0, (unsigned)nl, 0);
	memcpy(buf + *len, hdr, 110);
	*len += 110;
	memcpy(buf + *len, name, nl);
	*len += nl;
	while (*len % 4)
		buf[(*len)++] = 0;
	memcpy(buf + *len, data, dl);
	*len += dl;
	while (*len % 4)
		buf[(*len)++] = 0;
}

static size_t archive(uint8_t *buf, size_t len, const char *name)
{
	newc(buf, &len, name, "data");
	newc(buf, &len, "TRAILER!!!", "");
	return len;
}

static void splits_ubuntu_layout(void **state)
{
	static uint8_t buf[4096];
	struct initrd_segment s[INITRD_MAX_SEGMENTS];
	size_t a, b, len;

	a = archive(buf, 0, "kernel/x86/microcode/AuthenticAMD.bin");
	memset(buf + a, 0, 512); /* padding between archives */
	b = archive(buf, a + 512, "kernel/x86/microcode/GenuineIntel.bin");
	memcpy(buf + b, "\x28\xb5\x2f\xfd" "compressed", 14);
	len = b + 14;
	assert_int_equal(initrd_split(buf, len, s, INITRD_MAX_SEGMENTS), 3);
	assert_int_equal(s[0].kind, INITRD_CPIO);
	assert_int_equal(s[0].offset, 0);
	assert_int_equal(s[0].length, a);
	assert_int_equal(s[1].kind, INITRD_CPIO);
	assert_int_equal(s[1].offset, a + 512);
	assert_int_equal(s[1].length, b - a - 512);
	assert_int_equal(s[2].kind, INITRD_ZSTD);
	assert_int_equal(s[2].offset, b);
	assert_int_equal(s[2].length, 14);
}

static void knows_the_compressors(void **state)
{
	static const struct { const char *magic; size_t n; enum initrd_segment_kind k; } v[] = {
		{ "\x1f\x8b\x08", 3, INITRD_GZIP }, { "\xfd" "7zXZ\0\0", 7, INITRD_XZ },
		{ "\x02\x21\x4c\x18", 4, INITRD_LZ4 }, { "BZh9", 4, INITRD_BZIP2 },
		{ "\x5d\x00\x00\x80", 4, INITRD_LZMA }, { "garbage", 7, INITRD_UNKNOWN },
	};
	struct initrd_segment s[2];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(initrd_split((const uint8_t *)v[i].magic, v[i].n, s, 2), 1);
		assert_int_equal(s[0].kind, v[i].k);
		assert_string_not_equal(initrd_segment_name(v[i].k), "?");
	}
}

static void refuses_damaged_archives(void **state)
{
	static uint8_t buf[4096];
	struct initrd_segment s[4];
	size_t len = archive(buf, 0, "a");

	for (size_t cut = 1; cut < len - 4; cut++) /* every truncation but the trailer's padding */
		if (initrd_split(buf, cut, s, 4) != (cut < 6 ? 1 : -EBADMSG))
			fail_msg("cut %zu of %zu: %d", cut, len, initrd_split(buf, cut, s, 4));
	buf[6 + 8 * 6] = 'x'; /* a size that is not hex */
	assert_int_equal(initrd_split(buf, len, s, 4), -EBADMSG);
}

static void huge_sizes_do_not_overflow(void **state)
{
	static uint8_t buf[512];
	struct initrd_segment s[2];
	size_t len = 0;

	newc(buf, &len, "a", "");
	memcpy(buf + 6 + 8 * 6, "FFFFFFFF", 8); /* filesize */
	assert_int_equal(initrd_split(buf, len, s, 2), -EBADMSG);
	memcpy(buf + 6 + 8 * 6, "00000000", 8);
	memcpy(buf + 6 + 8 * 11, "FFFFFFFF", 8); /* namesize */
	assert_int_equal(initrd_split(buf, len, s, 2), -EBADMSG);
}

static void caps_the_segments(void **state)
{
	static uint8_t buf[8192];
	struct initrd_segment s[3];
	size_t len = 0;

	for (int i = 0; i < 4; i++)
		len = archive(buf, len, "x");
	assert_int_equal(initrd_split(buf, len, s, 3), -E2BIG);
	assert_int_equal(initrd_split(buf, 0, s, 3), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(splits_ubuntu_layout),
		cmocka_unit_test(knows_the_compressors),
		cmocka_unit_test(refuses_damaged_archives),
		cmocka_unit_test(huge_sizes_do_not_overflow),
		cmocka_unit_test(caps_the_segments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
