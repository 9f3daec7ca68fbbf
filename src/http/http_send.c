/* Range and conditional GET over a file's extent (see http_send.h). */
#include "http/http_send.h"
#include "http/http_parse.h"
#include "core/log.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The bytes through pread rather than MHD's sendfile: when the file is
 * truncated under a transfer, sendfile returns 0 and MHD then waits on the
 * connection until its timeout, the client hanging; here the short read
 * ends the response with an error at once (as nginx does). Truncation is
 * the administrator's doing and rare, so the line is not rate-limited. */
struct extent_body {
	int fd;
	uint64_t start, len;
};

#define EXTENT_BODY_BLOCK (64 * 1024)

static ssize_t extent_body_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct extent_body *eb = cls;
	ssize_t n;

	if (pos >= eb->len)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (max > eb->len - pos)
		max = (size_t)(eb->len - pos);
	do
		n = pread(eb->fd, buf, max, (off_t)(eb->start + pos));
	while (n < 0 && errno == EINTR);
	if (n > 0)
		return n;
	log_warn("http: a file %s at byte %llu of a transfer: ended", n == 0 ? "got shorter" : strerror(errno),
		 (unsigned long long)(eb->start + pos));
	return MHD_CONTENT_READER_END_WITH_ERROR;
}

static void extent_body_free(void *cls)
{
	struct extent_body *eb = cls;

	close(eb->fd);
	free(eb);
}

/* Takes fd: closed with the response, or here on failure. */
static struct MHD_Response *extent_response(int fd, uint64_t start, uint64_t len)
{
	struct extent_body *eb = malloc(sizeof(*eb));
	struct MHD_Response *r;

	if (!eb) {
		close(fd);
		return NULL;
	}
	*eb = (struct extent_body){ .fd = fd, .start = start, .len = len };
	r = MHD_create_response_from_callback(len, EXTENT_BODY_BLOCK, extent_body_read, eb, extent_body_free);
	if (!r)
		extent_body_free(eb);
	return r;
}

static void format_http_date(time_t t, char *out, size_t size)
{
	struct tm tm;
	strftime(out, size, "%a, %d %b %Y %H:%M:%S GMT", gmtime_r(&t, &tm));
}

static bool not_modified_since(struct MHD_Connection *c, time_t mtime)
{
	const char *ims = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_MODIFIED_SINCE);
	struct tm tm = { 0 };

	if (!ims || !strptime(ims, "%a, %d %b %Y %H:%M:%S GMT", &tm))
		return false;
	return timegm(&tm) >= mtime;
}

static enum MHD_Result queue_empty(struct MHD_Connection *c, unsigned status, const char *content_range)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	if (content_range)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_RANGE, content_range);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result http_send_extent(struct MHD_Connection *c, int fd, uint64_t base, uint64_t len, time_t mtime,
				 unsigned *ret_status, uint64_t *ret_body)
{
	char date[64], range_hdr[96];
	uint64_t start = 0, end = 0;
	struct MHD_Response *r;
	enum http_range_result range;
	enum MHD_Result ret;
	unsigned status = MHD_HTTP_OK;

	*ret_body = 0;
	if (not_modified_since(c, mtime)) {
		close(fd);
		*ret_status = MHD_HTTP_NOT_MODIFIED;
		return queue_empty(c, MHD_HTTP_NOT_MODIFIED, NULL);
	}
	range = http_range_parse(MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_RANGE), len, &start,
				 &end);
	if (range == HTTP_RANGE_UNSATISFIABLE) {
		close(fd);
		snprintf(range_hdr, sizeof(range_hdr), "bytes */%llu", (unsigned long long)len);
		*ret_status = MHD_HTTP_RANGE_NOT_SATISFIABLE;
		return queue_empty(c, MHD_HTTP_RANGE_NOT_SATISFIABLE, range_hdr);
	}
	if (range == HTTP_RANGE_NONE) {
		start = 0;
		end = len ? len - 1 : 0;
	} else {
		status = MHD_HTTP_PARTIAL_CONTENT;
	}
	r = extent_response(fd, base + start, len ? end - start + 1 : 0);
	if (!r) {
		*ret_status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		return queue_empty(c, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL);
	}
	if (status == MHD_HTTP_PARTIAL_CONTENT) {
		snprintf(range_hdr, sizeof(range_hdr), "bytes %llu-%llu/%llu", (unsigned long long)start,
			 (unsigned long long)end, (unsigned long long)len);
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_RANGE, range_hdr);
	}
	format_http_date(mtime, date, sizeof(date));
	MHD_add_response_header(r, MHD_HTTP_HEADER_LAST_MODIFIED, date);
	MHD_add_response_header(r, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/octet-stream");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	*ret_status = status;
	*ret_body = len ? end - start + 1 : 0;
	return ret;
}
