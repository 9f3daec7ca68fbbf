/* Range and conditional GET over a file's extent (see http_send.h). */
#include "http/http_send.h"
#include "http/http_parse.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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
	r = MHD_create_response_from_fd_at_offset64(len ? end - start + 1 : 0, fd, base + start);
	if (!r) {
		close(fd);
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
