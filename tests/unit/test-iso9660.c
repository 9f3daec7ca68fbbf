/* ISO 9660 directory records built byte by byte: plain names, Rock Ridge
 * NM (split over two entries), ZF and multi-extent flags, sector padding,
 * and hostile records (lengths past the buffer, names with '/'). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "isos/iso9660.h"
#include "isos/iso_fs.h"

#include <sys/mman.h>
#include <unistd.h>

/* Appends one directory record at buf+pos; returns its length. */
static size_t put_record(uint8_t *buf, size_t pos, const char *id, uint32_t extent, uint32_t size, uint8_t flags,
			 const uint8_t *su, size_t su_len)
{
	size_t id_len = id[0] ? strlen(id) : 1, len = 33 + id_len + !(id_len & 1) + su_len;
	uint8_t *p = buf + pos;

	len += len & 1;
	memset(p, 0, len);
	p[0] = (uint8_t)len;
	for (int i = 0; i < 4; i++) {
		p[2 + i] = (uint8_t)(extent >> (8 * i));
		p[9 - i] = (uint8_t)(extent >> (8 * i));
		p[10 + i] = (uint8_t)(size >> (8 * i));
		p[17 - i] = (uint8_t)(size >> (8 * i));
	}
	p[25] = flags;
	p[32] = (uint8_t)id_len;
	memcpy(p + 33, id, id_len);
	memcpy(p + 33 + id_len + !(id_len & 1), su, su_len);
	return len;
}

static size_t dots(uint8_t *buf)
{
	size_t n = put_record(buf, 0, "\0", 20, 2048, 2, NULL, 0);
	return n + put_record(buf, n, "\1", 20, 2048, 2, NULL, 0);
}

static void plain_names(void **state)
{
	uint8_t buf[4096] = { 0 };
	size_t n = dots(buf);
	struct iso9660_dir_cursor c = { .buf = buf, .len = sizeof(buf) };
	struct iso9660_dirent e;

	n += put_record(buf, n, "LIVE", 30, 2048, 2, NULL, 0);
	n += put_record(buf, n, "VMLINUZ.;1", 40, 1234, 0, NULL, 0);
	/* the next record starts in the second sector: zeros pad the first */
	put_record(buf, 2048, "MD5SUM.TXT;1", 50, 10, 0, NULL, 0);
	assert_int_equal(iso9660_dir_next(&c, &e), 1);
	assert_string_equal(e.name, "live");
	assert_true(e.dir);
	assert_int_equal(e.extent, 30);
	assert_int_equal(iso9660_dir_next(&c, &e), 1);
	assert_string_equal(e.name, "vmlinuz");
	assert_false(e.dir);
	assert_int_equal(e.size, 1234);
	assert_int_equal(iso9660_dir_next(&c, &e), 1);
	assert_string_equal(e.name, "md5sum.txt");
	assert_int_equal(e.extent, 50);
	assert_int_equal(iso9660_dir_next(&c, &e), 0);
}

static void rock_ridge(void **state)
{
	static const uint8_t su[] = { 'P', 'X', 4, 1,  'N', 'M', 9, 1, 1, 'v', 'm', 'l', 'i',
				      'N', 'M', 9, 1, 0, 'n', 'u', 'z', '-', 'Z', 'F', 4,  1 };
	static const uint8_t multi[] = { 'N', 'M', 8, 1, 0, 'b', 'i', 'g' };
	uint8_t buf[2048] = { 0 };
	size_t n = dots(buf);
	struct iso9660_dir_cursor c = { .buf = buf, .len = sizeof(buf) };
	struct iso9660_dirent e;

	n += put_record(buf, n, "VMLINUZ.;1", 40, 1234, 0, su, sizeof(su));
	put_record(buf, n, "BIG.;1", 41, 99, 0x80, multi, sizeof(multi));
	assert_int_equal(iso9660_dir_next(&c, &e), 1);
	assert_string_equal(e.name, "vmlinuz-");
	assert_true(e.zisofs);
	assert_int_equal(iso9660_dir_next(&c, &e), 1);
	assert_string_equal(e.name, "big");
	assert_true(e.multi_extent);
	assert_false(e.zisofs);
}

static void hostile(void **state)
{
	static const uint8_t slash[] = { 'N', 'M', 8, 1, 0, 'a', '/', 'b' };
	static const uint8_t too_long[] = { 'N', 'M', 200, 1, 0, 'x', 'y', 'z' };
	uint8_t buf[2048] = { 0 };
	struct iso9660_dir_cursor c = { .buf = buf, .len = sizeof(buf) };
	struct iso9660_dirent e;

	put_record(buf, 0, "A.;1", 1, 1, 0, slash, sizeof(slash));
	assert_int_equal(iso9660_dir_next(&c, &e), -EBADMSG);

	/* an SUSP entry longer than its area: ignored, the plain name stays */
	memset(buf, 0, sizeof(buf));
	c = (struct iso9660_dir_cursor){ .buf = buf, .len = sizeof(buf) };
	put_record(buf, 0, "A.;1", 1, 1, 0, too_long, sizeof(too_long));
	assert_int_equal(iso9660_dir_next(&c, &e), 1);
	assert_string_equal(e.name, "a");

	/* a record longer than the buffer */
	memset(buf, 0, sizeof(buf));
	put_record(buf, 0, "A.;1", 1, 1, 0, NULL, 0);
	c = (struct iso9660_dir_cursor){ .buf = buf, .len = 20 };
	assert_int_equal(iso9660_dir_next(&c, &e), -EBADMSG);

	/* a name length past the record */
	c = (struct iso9660_dir_cursor){ .buf = buf, .len = sizeof(buf) };
	buf[32] = 100;
	assert_int_equal(iso9660_dir_next(&c, &e), -EBADMSG);

	/* a record shorter than the fixed part */
	c = (struct iso9660_dir_cursor){ .buf = buf, .len = sizeof(buf) };
	buf[0] = 20;
	assert_int_equal(iso9660_dir_next(&c, &e), -EBADMSG);
}

static void descriptors(void **state)
{
	uint8_t pvd[2048] = { 0 };
	struct iso9660_dirent root;
	uint32_t blocks = 0;

	assert_int_equal(iso9660_descriptor_parse(pvd, sizeof(pvd), &root, &blocks), -EBADMSG);
	memcpy(pvd + 1, "CD001", 5);
	pvd[0] = 255;
	assert_int_equal(iso9660_descriptor_parse(pvd, sizeof(pvd), &root, &blocks), -ENODATA);
	pvd[0] = 2; /* Joliet's supplementary descriptor: not the one we read */
	assert_int_equal(iso9660_descriptor_parse(pvd, sizeof(pvd), &root, &blocks), 0);
	pvd[0] = 1;
	pvd[6] = 1;
	pvd[80] = 100;
	pvd[129] = 8; /* block size 2048, little-endian half */
	put_record(pvd, 156, "\0", 20, 2048, 2, NULL, 0);
	assert_int_equal(iso9660_descriptor_parse(pvd, sizeof(pvd), &root, &blocks), 1);
	assert_int_equal(blocks, 100);
	assert_int_equal(root.extent, 20);
	assert_true(root.dir);
	assert_int_equal(iso9660_descriptor_parse(pvd, 2047, &root, &blocks), -EBADMSG);
	pvd[129] = 4; /* 1024-byte blocks are not read */
	assert_int_equal(iso9660_descriptor_parse(pvd, sizeof(pvd), &root, &blocks), -EBADMSG);
}

/* A hostile image read through iso_fs: a root whose 60 entries are all
 * the root again. A walk would read 60^4 directories: the budget stops it;
 * a lookup through them stops at its depth limit; a file past the end of
 * the image is reported as truncated. */
static int count(void *userdata, const char *path, const struct iso9660_dirent *e)
{
	(*(size_t *)userdata)++;
	return 0;
}

static void loops_and_truncation(void **state)
{
	static uint8_t img[24 * 2048];
	char name[8], deep[64] = "";
	struct iso9660_dirent e;
	struct iso_fs fs;
	size_t n = dots(img + 20 * 2048), visits = 0;
	int fd = memfd_create("iso", 0);

	memset(img + 16 * 2048, 0, 2048);
	memcpy(img + 16 * 2048, "\1CD001\1", 7);
	img[16 * 2048 + 80] = 24;     /* volume blocks */
	img[16 * 2048 + 129] = 8;     /* 2048-byte blocks */
	put_record(img + 16 * 2048, 156, "\0", 20, 2048, 2, NULL, 0);
	for (int i = 0; i < 60 && n < 2048 - 80; i++) {
		snprintf(name, sizeof(name), "D%02d", i);
		n += put_record(img + 20 * 2048, n, name, 20, 2048, 2, NULL, 0);
	}
	n += put_record(img + 20 * 2048, n, "BIG.;1", 23, 9999, 0, NULL, 0);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, img, sizeof(img)), (ssize_t)sizeof(img));
	assert_int_equal(iso_fs_open(fd, &fs), 0);
	assert_int_equal(iso_fs_walk(&fs, 4, count, &visits), -E2BIG);
	assert_true(visits <= (ISO_FS_WALK_BUDGET / 2048 + 1) * 60); /* not 60^4 */
	for (int i = 0; i < 20; i++)
		strcat(deep, "d00/");
	strcat(deep, "big");
	assert_int_equal(iso_fs_lookup(&fs, deep, &e), -ENOENT);
	assert_int_equal(iso_fs_lookup(&fs, "d00/d01/big", &e), 0);
	uint64_t off;
	assert_int_equal(iso_fs_data_offset(&fs, &e, &off), -ERANGE);
	assert_int_equal(ftruncate(fd, 20 * 2048), 0);
	assert_int_equal(iso_fs_open(fd, &fs), -ERANGE);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plain_names),
		cmocka_unit_test(rock_ridge),
		cmocka_unit_test(hostile),
		cmocka_unit_test(descriptors),
		cmocka_unit_test(loops_and_truncation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
