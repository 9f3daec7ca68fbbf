/* Sending bytes of an open file: a whole file, or an extent inside one
 * (a file served in place from an ISO), with Range (RFC 9110 14.2) and
 * If-Modified-Since. */
#pragma once
#include <microhttpd.h>
#include <stdint.h>
#include <time.h>

/* Queues LEN bytes of FD from BASE (read with pread as they are sent; FD is
 * closed with the response, or here on failure). *ret_status and *ret_body say what was
 * queued. */
enum MHD_Result http_send_extent(struct MHD_Connection *c, int fd, uint64_t base, uint64_t len, time_t mtime,
				 unsigned *ret_status, uint64_t *ret_body);
