#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "http/http_parse.h"

static void ranges(void **state)
{
	static const struct {
		const char *h;
		uint64_t size;
		enum http_range_result r;
		uint64_t start, end;
	} v[] = {
		{ "bytes=0-", 1000, HTTP_RANGE_OK, 0, 999 },
		{ "bytes=0-0", 1000, HTTP_RANGE_OK, 0, 0 },
		{ "bytes=100-199", 1000, HTTP_RANGE_OK, 100, 199 },
		{ "bytes=900-5000", 1000, HTTP_RANGE_OK, 900, 999 },
		{ "bytes=-500", 1000, HTTP_RANGE_OK, 500, 999 },
		{ "bytes=-5000", 1000, HTTP_RANGE_OK, 0, 999 },
		{ "bytes=1000-", 1000, HTTP_RANGE_UNSATISFIABLE, 0, 0 },
		{ "bytes=-0", 1000, HTTP_RANGE_UNSATISFIABLE, 0, 0 },
		{ "bytes=0-", 0, HTTP_RANGE_UNSATISFIABLE, 0, 0 },
		{ "bytes=5-1", 1000, HTTP_RANGE_NONE, 0, 0 },
		{ "bytes=0-1,5-6", 1000, HTTP_RANGE_NONE, 0, 0 },
		{ "bytes=abc", 1000, HTTP_RANGE_NONE, 0, 0 },
		{ "items=0-1", 1000, HTTP_RANGE_NONE, 0, 0 },
		{ "bytes=", 1000, HTTP_RANGE_NONE, 0, 0 },
		{ "bytes=-", 1000, HTTP_RANGE_NONE, 0, 0 },
		{ "bytes=99999999999999999999999-", 1000, HTTP_RANGE_NONE, 0, 0 },
		{ "bytes=1-2x", 1000, HTTP_RANGE_NONE, 0, 0 },
		{ NULL, 1000, HTTP_RANGE_NONE, 0, 0 },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint64_t s = 0, e = 0;
		enum http_range_result r = http_range_parse(v[i].h, v[i].size, &s, &e);
		assert_int_equal(r, v[i].r);
		if (r == HTTP_RANGE_OK) {
			assert_int_equal(s, v[i].start);
			assert_int_equal(e, v[i].end);
		}
	}
}

static void paths(void **state)
{
	char out[32];

	assert_int_equal(http_path_to_relative("/images/live/vmlinuz", out, sizeof(out)), 0);
	assert_string_equal(out, "images/live/vmlinuz");
	assert_int_equal(http_path_to_relative("//a///b/", out, sizeof(out)), 0);
	assert_string_equal(out, "a/b");
	assert_int_equal(http_path_to_relative("/..", out, sizeof(out)), -EACCES);
	assert_int_equal(http_path_to_relative("/a/../../etc/passwd", out, sizeof(out)), -EACCES);
	assert_int_equal(http_path_to_relative("/a/./b", out, sizeof(out)), -EACCES);
	assert_int_equal(http_path_to_relative("/a\\..\\b", out, sizeof(out)), -EACCES);
	assert_int_equal(http_path_to_relative("/a\nb", out, sizeof(out)), -EACCES);
	assert_int_equal(http_path_to_relative("/", out, sizeof(out)), -EACCES);
	assert_int_equal(http_path_to_relative("", out, sizeof(out)), -EACCES);
	assert_int_equal(http_path_to_relative("/..a/b..", out, sizeof(out)), 0); /* names, not parents */
	assert_int_equal(http_path_to_relative("/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", out, sizeof(out)), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ranges),
		cmocka_unit_test(paths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
