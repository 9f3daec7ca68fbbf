/* The dashboard's codecs (see ui_form.h). */
#include "http/ui_form.h"

#include <errno.h>
#include <string.h>

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes [p, end) into out; a control character is refused, since every
 * value ends in a name, a setting or a log line. */
static int decode(const char *p, const char *end, char *out, size_t size)
{
	size_t n = 0;

	for (; p < end; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int hi, lo;
			if (end - p < 3 || (hi = hex_digit(p[1])) < 0 || (lo = hex_digit(p[2])) < 0)
				return -EINVAL;
			c = (unsigned char)(hi << 4 | lo);
			p += 2;
		}
		if (c < 0x20 || c == 0x7f)
			return -EINVAL;
		if (n + 1 >= size)
			return -E2BIG;
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return (int)n;
}

int ui_form_get(const char *body, size_t len, const char *key, char *out, size_t size)
{
	const char *p = body, *end = body + len;
	size_t klen = strlen(key);

	if (size == 0)
		return -E2BIG;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *pair_end = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(pair_end - p));
		const char *name_end = eq ? eq : pair_end;

		/* form field names here are plain words: no escapes to decode */
		if ((size_t)(name_end - p) == klen && memcmp(p, key, klen) == 0)
			return decode(eq ? eq + 1 : pair_end, pair_end, out, size);
		p = amp ? amp + 1 : end;
	}
	return -ENOENT;
}

size_t ui_url_encode(const char *s, char *out, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;

	if (size == 0)
		return 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
			     c == '.' || c == '_' || c == '~';
		if (n + (plain ? 1 : 3) >= size)
			break;
		if (plain) {
			out[n++] = (char)c;
		} else {
			out[n++] = '%';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		}
	}
	out[n] = '\0';
	return n;
}

/* "http://HOST" or "https://HOST" followed by end (Origin) or by '/' (Referer). */
static bool names_host(const char *url, const char *host, bool referer)
{
	size_t hlen = strlen(host);
	const char *p;

	if (strncmp(url, "http://", 7) == 0)
		p = url + 7;
	else if (strncmp(url, "https://", 8) == 0)
		p = url + 8;
	else
		return false;
	if (hlen == 0 || strncmp(p, host, hlen) != 0)
		return false;
	p += hlen;
	return *p == '\0' || (referer && *p == '/');
}

bool ui_same_origin(const char *host, const char *origin, const char *referer)
{
	if (!host || !*host || strpbrk(host, "/@\\ "))
		return false;
	if (origin)
		return names_host(origin, host, false);
	return referer && names_host(referer, host, true);
}
