/* Pure helpers for the HTTP server: Range header (RFC 9110 14.2), request
 * path checks, query parameters. No I/O. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum http_range_result {
	HTTP_RANGE_NONE,              /* no usable Range: send the whole file */
	HTTP_RANGE_OK,                /* *ret_start .. *ret_end inclusive */
	HTTP_RANGE_UNSATISFIABLE,     /* 416 */
};

/* One "bytes=" range against a file of `size` bytes. Multiple ranges and
 * malformed headers yield NONE (the whole file), as RFC 9110 allows. */
enum http_range_result http_range_parse(const char *header, uint64_t size, uint64_t *ret_start,
					uint64_t *ret_end);

/* A request path that can be opened below a root: "/a/b" becomes "a/b".
 * Refuses "..", "." segments, backslashes, control bytes and empty paths
 * (-EACCES), and paths longer than out_size (-ENAMETOOLONG). */
int http_path_to_relative(const char *path, char *out, size_t out_size);
