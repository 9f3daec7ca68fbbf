/* libFuzzer: the dashboard's form fields, URL encoding and origin check. */
#include "http/ui_form.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "do", "back", "host", "name", "token", "" };
	char out[64], enc[256], *s;
	int n;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		n = ui_form_get((const char *)data, size, keys[i], out, sizeof(out));
		if (n >= (int)sizeof(out) || (n >= 0 && strlen(out) != (size_t)n))
			abort();
		for (int k = 0; k < n; k++)
			if ((unsigned char)out[k] < 0x20)
				abort(); /* control characters are refused */
	}
	if (!(s = malloc(size + 1)))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (ui_url_encode(s, enc, sizeof(enc)) >= sizeof(enc) || strlen(enc) >= sizeof(enc))
		abort();
	if (ui_same_origin("198.18.0.1", s, NULL) && strcmp(s, "http://198.18.0.1") && strcmp(s, "https://198.18.0.1"))
		abort(); /* only the server's own origin passes */
	(void)ui_same_origin(s, "http://x", s);
	free(s);
	return 0;
}
