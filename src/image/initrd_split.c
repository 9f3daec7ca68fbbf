/* Initrd segments (see initrd_split.h). A newc header is 110 bytes:
 * "070701" or "070702" and 13 fields of 8 hex digits; the name (namesize
 * bytes, NUL included) follows, padded with the header to a multiple of 4,
 * then the data, padded to 4. */
#include "image/initrd_split.h"

#include "core/util.h"

#include <errno.h>
#include <string.h>

#define NEWC_HEADER 110
#define NEWC_FIELD_FILESIZE 6
#define NEWC_FIELD_NAMESIZE 11

const char *initrd_segment_name(enum initrd_segment_kind k)
{
	static const char *const names[] = { "cpio", "gzip", "zstd", "xz", "lz4", "bzip2", "lzma", "unknown" };
	return (unsigned)k < ARRAY_SIZE(names) ? names[k] : "?";
}

static int hex8(const uint8_t *p, uint32_t *ret)
{
	uint32_t v = 0;

	for (int i = 0; i < 8; i++) {
		uint8_t c = p[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return -EBADMSG;
		v = v << 4 | (uint32_t)d;
	}
	*ret = v;
	return 0;
}

static bool is_newc(const uint8_t *p, size_t left)
{
	return left >= 6 && (memcmp(p, "070701", 6) == 0 || memcmp(p, "070702", 6) == 0);
}

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* The end of the newc archive at BUF (just past its trailer's padding). */
static int newc_end(const uint8_t *buf, size_t len, size_t *ret)
{
	size_t off = 0;

	for (uint32_t n = 0; n < INITRD_MAX_ENTRIES; n++) {
		uint32_t filesize, namesize;
		size_t name_end, data_end;

		if (len - off < NEWC_HEADER || !is_newc(buf + off, len - off) ||
		    hex8(buf + off + 6 + 8 * NEWC_FIELD_FILESIZE, &filesize) < 0 ||
		    hex8(buf + off + 6 + 8 * NEWC_FIELD_NAMESIZE, &namesize) < 0 || namesize == 0)
			return -EBADMSG;
		name_end = pad4(off + NEWC_HEADER + namesize);
		if (name_end > len || name_end < off)
			return -EBADMSG;
		data_end = pad4(name_end + filesize);
		if (data_end > len && name_end + filesize <= len)
			data_end = len; /* the last entry's padding may be cut */
		if (data_end > len || data_end < name_end)
			return -EBADMSG;
		if (namesize == 11 && memcmp(buf + off + NEWC_HEADER, "TRAILER!!!", 11) == 0) {
			*ret = data_end;
			return 0;
		}
		off = data_end;
	}
	return -E2BIG;
}

static enum initrd_segment_kind compressed_kind(const uint8_t *p, size_t left)
{
	static const struct {
		const char *magic;
		size_t len;
		enum initrd_segment_kind kind;
	} magics[] = {
		{ "\x1f\x8b", 2, INITRD_GZIP },           { "\x28\xb5\x2f\xfd", 4, INITRD_ZSTD },
		{ "\xfd" "7zXZ\0", 6, INITRD_XZ },         { "\x02\x21\x4c\x18", 4, INITRD_LZ4 },
		{ "BZh", 3, INITRD_BZIP2 },               { "\x5d\x00\x00", 3, INITRD_LZMA },
	};

	for (size_t i = 0; i < ARRAY_SIZE(magics); i++)
		if (left >= magics[i].len && memcmp(p, magics[i].magic, magics[i].len) == 0)
			return magics[i].kind;
	return INITRD_UNKNOWN;
}

int initrd_split(const uint8_t *buf, size_t len, struct initrd_segment *segs, size_t max)
{
	size_t off = 0, n = 0, end;
	int r;

	while (off < len) {
		while (off < len && buf[off] == 0)
			off++; /* the kernel skips zero padding between archives */
		if (off == len)
			break;
		if (n == max)
			return -E2BIG;
		if (is_newc(buf + off, len - off)) {
			if ((r = newc_end(buf + off, len - off, &end)) < 0)
				return r;
			segs[n++] = (struct initrd_segment){ INITRD_CPIO, off, end };
			off += end;
			continue;
		}
		segs[n++] = (struct initrd_segment){ compressed_kind(buf + off, len - off), off, len - off };
		break;
	}
	return (int)n;
}
