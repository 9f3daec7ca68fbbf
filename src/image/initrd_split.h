/* The segments of a concatenated initrd (what the kernel unpacks in
 * order): uncompressed newc cpio archives (Ubuntu's microcode, firmware),
 * then usually one compressed main archive. libarchive's cpio reader stops
 * at the first TRAILER!!!, so the segments are found by walking the newc
 * headers here. Pure. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define INITRD_MAX_SEGMENTS 16
#define INITRD_MAX_ENTRIES (1u << 20)   /* entries of one uncompressed segment */

enum initrd_segment_kind {
	INITRD_CPIO,        /* an uncompressed newc archive, up to and with its trailer */
	INITRD_GZIP,
	INITRD_ZSTD,
	INITRD_XZ,
	INITRD_LZ4,         /* legacy frame format, as the kernel reads it */
	INITRD_BZIP2,
	INITRD_LZMA,
	INITRD_UNKNOWN,
};

struct initrd_segment {
	enum initrd_segment_kind kind;
	size_t offset;
	size_t length;      /* a compressed segment runs to the end of the file */
};

/* Splits BUF into segments; zero padding between them is skipped. Returns
 * the number of segments, -EBADMSG for a damaged newc archive, -E2BIG for
 * too many segments. */
int initrd_split(const uint8_t *buf, size_t len, struct initrd_segment *segs, size_t max);
const char *initrd_segment_name(enum initrd_segment_kind k);
