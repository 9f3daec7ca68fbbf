/* ISO 9660 records and Rock Ridge names (see iso9660.h). ECMA-119 numbers
 * are stored both-endian; the little-endian half is read. */
#include "isos/iso9660.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

#define DR_MIN 34                     /* a record with a one-byte name */
#define DR_FLAG_DIR 0x02
#define DR_FLAG_MULTI_EXTENT 0x80

static uint32_t rd_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t rd_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* Appends LEN bytes of a name, refusing what cannot be a path component. */
static int name_append(char *name, size_t *n, const uint8_t *p, size_t len)
{
	if (*n + len >= ISO9660_NAME_MAX)
		return -EBADMSG;
	for (size_t i = 0; i < len; i++)
		if (p[i] == '/' || p[i] == '\0')
			return -EBADMSG;
	memcpy(name + *n, p, len);
	*n += len;
	name[*n] = '\0';
	return 0;
}

/* RRIP: the system use area is a list of SUSP entries {sig[2], len, ver,
 * data}; NM entries (flag CONTINUE) concatenate into the name. */
static int rock_ridge(const uint8_t *su, size_t len, struct iso9660_dirent *e)
{
	char name[ISO9660_NAME_MAX] = "";
	size_t pos = 0, n = 0;
	bool have_name = false;
	int r;

	while (pos + 4 <= len) {
		const uint8_t *s = su + pos;
		size_t elen = s[2];

		if (elen < 4 || elen > len - pos)
			break; /* padding or a broken entry: what was read stands */
		if (s[0] == 'S' && s[1] == 'T')
			break;
		if (s[0] == 'N' && s[1] == 'M' && elen >= 5 && !(s[4] & 0x06)) {
			if ((r = name_append(name, &n, s + 5, elen - 5)) < 0)
				return r;
			have_name = true;
		} else if (s[0] == 'Z' && s[1] == 'F') {
			e->zisofs = true;
		} else if (s[0] == 'S' && s[1] == 'L') {
			e->symlink = true;
		}
		pos += elen;
	}
	if (have_name && n > 0)
		memcpy(e->name, name, n + 1);
	return have_name && n > 0;
}

/* "VMLINUZ.;1" -> "vmlinuz": the name an ISO without Rock Ridge shows. */
static int plain_name(const uint8_t *id, size_t len, struct iso9660_dirent *e)
{
	size_t n = 0;
	int r;

	for (size_t i = 0; i < len && id[i] != ';'; i++)
		n++;
	if ((r = name_append(e->name, &(size_t){ 0 }, id, n)) < 0)
		return r;
	if (n && e->name[n - 1] == '.')
		e->name[--n] = '\0';
	for (size_t i = 0; i < n; i++)
		e->name[i] = (char)tolower((unsigned char)e->name[i]);
	return n ? 0 : -EBADMSG;
}

/* One record at p (len bytes available, len >= p[0] checked by caller). */
static int record_parse(const uint8_t *p, struct iso9660_dirent *ret)
{
	struct iso9660_dirent e = { 0 };
	size_t dr_len = p[0], id_len = p[32], su_off;
	int r;

	if (dr_len < DR_MIN || 33 + id_len > dr_len || id_len == 0)
		return -EBADMSG;
	e.extent = rd_le32(p + 2);
	e.size = rd_le32(p + 10);
	e.dir = p[25] & DR_FLAG_DIR;
	e.multi_extent = p[25] & DR_FLAG_MULTI_EXTENT;
	su_off = 33 + id_len + !(id_len & 1);
	if (id_len == 1 && (p[33] == 0 || p[33] == 1)) {
		e.name[0] = p[33] ? '\x01' : '\0'; /* "." or "..": the caller skips them */
		*ret = e;
		return 0;
	}
	if (su_off < dr_len && (r = rock_ridge(p + su_off, dr_len - su_off, &e)) < 0)
		return r;
	if (!e.name[0] && (r = plain_name(p + 33, id_len, &e)) < 0)
		return r;
	if (!strcmp(e.name, ".") || !strcmp(e.name, ".."))
		return -EBADMSG;
	*ret = e;
	return 0;
}

int iso9660_dir_next(struct iso9660_dir_cursor *c, struct iso9660_dirent *ret)
{
	struct iso9660_dirent e;
	int r;

	for (;;) {
		size_t left, len;

		if (c->pos >= c->len)
			return 0;
		left = c->len - c->pos;
		len = c->buf[c->pos];
		if (len == 0) {
			/* ECMA-119 6.8.1.1: records do not cross sectors; zeros pad
			 * to the next one */
			c->pos = (c->pos / ISO9660_SECTOR + 1) * ISO9660_SECTOR;
			continue;
		}
		if (len > left || len < DR_MIN)
			return -EBADMSG;
		r = record_parse(c->buf + c->pos, &e);
		c->pos += len;
		if (r < 0)
			return r;
		if (e.name[0] == '\0' || e.name[0] == '\x01')
			continue;
		*ret = e;
		return 1;
	}
}

int iso9660_descriptor_parse(const uint8_t *buf, size_t len, struct iso9660_dirent *ret_root,
			     uint32_t *ret_volume_blocks)
{
	struct iso9660_dirent root;
	int r;

	if (len < ISO9660_SECTOR || memcmp(buf + 1, "CD001", 5) != 0)
		return -EBADMSG;
	if (buf[0] == 255)
		return -ENODATA;
	if (buf[0] != 1)
		return 0;
	if (buf[6] != 1 || rd_le16(buf + 128) != ISO9660_SECTOR || buf[156] != DR_MIN)
		return -EBADMSG;
	if ((r = record_parse(buf + 156, &root)) < 0 || !root.dir)
		return -EBADMSG;
	*ret_root = root;
	*ret_volume_blocks = rd_le32(buf + 80);
	return 1;
}
