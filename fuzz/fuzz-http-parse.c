/* libFuzzer: Range header and request path parsing. */
#include "http/http_parse.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), out[256];
	uint64_t a, b;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (http_range_parse(s, size * 977, &a, &b) == HTTP_RANGE_OK && (a > b || b >= size * 977))
		abort();
	if (http_path_to_relative(s, out, sizeof(out)) == 0 &&
	    (out[0] == '/' || strncmp(out, "../", 3) == 0 || strcmp(out, "..") == 0 || strstr(out, "/../") ||
	     (strlen(out) >= 3 && strcmp(out + strlen(out) - 3, "/..") == 0)))
		abort(); /* a path that leaves the root */
	free(s);
	return 0;
}
