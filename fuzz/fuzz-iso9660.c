/* libFuzzer: ISO 9660 volume descriptors and directory records. The first
 * 2048 bytes are tried as a volume descriptor, all of it as a directory
 * extent; every entry's name is a NUL-terminated path component. */
#include "isos/iso9660.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct iso9660_dir_cursor c = { .buf = data, .len = size };
	struct iso9660_dirent e;
	uint32_t blocks;
	size_t last = 0;
	int r;

	iso9660_descriptor_parse(data, size, &e, &blocks);
	while ((r = iso9660_dir_next(&c, &e)) == 1) {
		size_t n = strnlen(e.name, sizeof(e.name));
		if (n == 0 || n == sizeof(e.name) || memchr(e.name, '/', n) || c.pos <= last)
			abort();
		last = c.pos;
	}
	if (r != 0 && r != -EBADMSG)
		abort();
	return 0;
}
