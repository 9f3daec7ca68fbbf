/* libFuzzer: the initrd splitter on arbitrary bytes. Segments must be in
 * order, inside the buffer, and not overlap. */
#include "image/initrd_split.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct initrd_segment s[INITRD_MAX_SEGMENTS];
	int n = initrd_split(data, size, s, INITRD_MAX_SEGMENTS);
	size_t end = 0;

	for (int i = 0; i < n; i++) {
		if (s[i].offset < end || s[i].length == 0 || s[i].offset + s[i].length > size ||
		    (s[i].kind != INITRD_CPIO && i != n - 1))
			abort();
		end = s[i].offset + s[i].length;
	}
	return 0;
}
