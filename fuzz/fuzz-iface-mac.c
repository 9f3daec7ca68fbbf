/* libFuzzer: sysfs's addr_assign_type text, whatever the file holds. */
#include "core/iface_mac.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int t = iface_addr_assign_parse((const char *)data, size);

	if (t != -EINVAL && (t < 0 || t > 3))
		abort();
	return 0;
}
