#include "http/http_parse.h"
#include "core/util.h"

#include <ctype.h>
#include <errno.h>

/* Reads decimal digits into *ret; returns the first non-digit or NULL on
 * overflow or when there is no digit. */
static const char *read_u64(const char *s, uint64_t *ret)
{
	uint64_t v = 0;
	const char *start = s;

	while (isdigit((unsigned char)*s)) {
		if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, (uint64_t)(*s - '0'), &v))
			return NULL;
		s++;
	}
	*ret = v;
	return s == start ? NULL : s;
}

enum http_range_result http_range_parse(const char *header, uint64_t size, uint64_t *ret_start,
					uint64_t *ret_end)
{
	uint64_t first, last;
	const char *p;

	if (!header || strncmp(header, "bytes=", 6) != 0 || strchr(header, ','))
		return HTTP_RANGE_NONE;
	p = header + 6;
	while (*p == ' ')
		p++;
	if (*p == '-') {
		/* suffix: the last N bytes */
		p = read_u64(p + 1, &last);
		if (!p || *p)
			return HTTP_RANGE_NONE;
		if (last == 0 || size == 0)
			return HTTP_RANGE_UNSATISFIABLE;
		*ret_start = last >= size ? 0 : size - last;
		*ret_end = size - 1;
		return HTTP_RANGE_OK;
	}
	p = read_u64(p, &first);
	if (!p || *p != '-')
		return HTTP_RANGE_NONE;
	p++;
	if (*p == '\0') {
		last = UINT64_MAX;
	} else {
		p = read_u64(p, &last);
		if (!p || *p || last < first)
			return HTTP_RANGE_NONE;
	}
	if (first >= size)
		return HTTP_RANGE_UNSATISFIABLE;
	*ret_start = first;
	*ret_end = last >= size ? size - 1 : last;
	return HTTP_RANGE_OK;
}

int http_path_to_relative(const char *path, char *out, size_t out_size)
{
	size_t n = 0;
	const char *seg = path;

	while (*seg == '/')
		seg++;
	if (*seg == '\0')
		return -EACCES;
	while (*seg) {
		const char *end = strchr(seg, '/');
		size_t len = end ? (size_t)(end - seg) : strlen(seg);
		if ((len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
			return -EACCES;
		for (size_t i = 0; i < len; i++)
			if ((unsigned char)seg[i] < 0x20 || seg[i] == '\\' || seg[i] == 0x7f)
				return -EACCES;
		if (len > 0) {
			if (n + len + 2 > out_size)
				return -ENAMETOOLONG;
			if (n > 0)
				out[n++] = '/';
			memcpy(out + n, seg, len);
			n += len;
		}
		seg += len;
		while (*seg == '/')
			seg++;
	}
	if (n == 0)
		return -EACCES;
	out[n] = '\0';
	return 0;
}
