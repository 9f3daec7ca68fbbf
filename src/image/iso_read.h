/* Reads a distribution ISO with libarchive (ISO 9660, Rock Ridge, Joliet; no
 * mount, no xorriso) in one sequential pass: the files a live image needs
 * are copied out as they stream by, and every byte of the ISO is hashed on
 * the way, so the sha256 check costs no second read. */
#pragma once
#include <stdint.h>

#include "image/iso_layout.h"

struct iso_read_result {
	struct iso_layout layout;
	uint8_t sha256[32];
	uint64_t size;
	uint64_t bytes_extracted;
};

typedef void (*iso_progress_fn)(void *userdata, uint64_t done, uint64_t total);

/* Extracts the wanted entries of ISO_PATH below DEST_DIR (which must exist)
 * and classifies the layout. -errno; a message in ERR. The sha256 is that of
 * the whole file; the caller compares it before trusting anything. */
int iso_read(const char *iso_path, const char *dest_dir, iso_progress_fn progress, void *userdata,
	     struct iso_read_result *ret, char *err, size_t errlen);
