#include "tftp/tftp_wire.h"
#include "core/util.h"

#include <errno.h>
#include <stdio.h>
#include <strings.h>

/* Next NUL-terminated string starting at *off; NULL if none before len. */
static const char *next_string(const uint8_t *buf, size_t len, size_t *off)
{
	const uint8_t *start = buf + *off, *nul;

	if (*off >= len)
		return NULL;
	nul = memchr(start, '\0', len - *off);
	if (!nul)
		return NULL;
	*off += (size_t)(nul - start) + 1;
	return (const char *)start;
}

static uint32_t option_value(const char *v, uint64_t min, uint64_t max)
{
	uint64_t n;
	return parse_u64(v, min, max, &n) == 0 ? (uint32_t)n : 0;
}

int tftp_request_parse(const uint8_t *buf, size_t len, struct tftp_request *ret)
{
	struct tftp_request rq = { 0 };
	const char *name, *mode, *opt, *val;
	bool seen[4] = { false };
	size_t off = 2;

	if (len < 4 || len > TFTP_REQUEST_MAX)
		return -EBADMSG;
	rq.op = (enum tftp_opcode)rd_be16(buf);
	if (rq.op != TFTP_RRQ && rq.op != TFTP_WRQ)
		return -EBADMSG;
	name = next_string(buf, len, &off);
	mode = next_string(buf, len, &off);
	if (!name || !mode || name[0] == '\0')
		return -EBADMSG;
	if (strlen(name) >= sizeof(rq.filename))
		return -ENAMETOOLONG;
	memcpy(rq.filename, name, strlen(name) + 1);
	if (strcasecmp(mode, "netascii") == 0)
		rq.netascii = true;
	else if (strcasecmp(mode, "octet") != 0)
		return -EBADMSG; /* "mail" is obsolete; anything else is garbage */
	while ((opt = next_string(buf, len, &off))) {
		static const char *const names[] = { "blksize", "timeout", "windowsize", "tsize" };
		size_t k;
		val = next_string(buf, len, &off);
		if (!val)
			return -EBADMSG;
		for (k = 0; k < ARRAY_SIZE(names) && strcasecmp(opt, names[k]) != 0; k++)
			;
		if (k == ARRAY_SIZE(names))
			continue; /* RFC 2347: unknown options are ignored */
		if (seen[k])
			return -EBADMSG;
		seen[k] = true;
		switch (k) {
		case 0: rq.blksize = option_value(val, TFTP_BLKSIZE_MIN, TFTP_BLKSIZE_MAX); break;
		case 1: rq.timeout_s = option_value(val, 1, 255); break;
		case 2: rq.windowsize = option_value(val, 1, 65535); break;
		case 3: rq.tsize = val[0] != '\0'; break; /* RRQ asks with 0 */
		}
	}
	if (off != len)
		return -EBADMSG; /* trailing bytes without a NUL */
	*ret = rq;
	return 0;
}

int tftp_reply_parse(const uint8_t *buf, size_t len, struct tftp_reply *ret)
{
	struct tftp_reply r = { 0 };

	if (len < 4)
		return -EBADMSG;
	r.op = (enum tftp_opcode)rd_be16(buf);
	if (r.op == TFTP_ACK) {
		r.block = rd_be16(buf + 2);
	} else if (r.op == TFTP_ERROR) {
		r.error_code = rd_be16(buf + 2);
	} else {
		return -EBADMSG;
	}
	*ret = r;
	return 0;
}

int tftp_build_data_header(uint8_t *buf, size_t size, uint16_t block)
{
	if (size < 4)
		return -ENOSPC;
	wr_be16(buf, TFTP_DATA);
	wr_be16(buf + 2, block);
	return 4;
}

int tftp_build_error(uint8_t *buf, size_t size, enum tftp_error_code code, const char *message)
{
	size_t mlen = strlen(message);

	if (size < 5 + mlen)
		return -ENOSPC;
	wr_be16(buf, TFTP_ERROR);
	wr_be16(buf + 2, (uint16_t)code);
	memcpy(buf + 4, message, mlen + 1);
	return (int)(5 + mlen);
}

static int put_option(uint8_t *buf, size_t size, size_t *off, const char *name, uint64_t value)
{
	char v[24];
	size_t nlen = strlen(name) + 1, vlen = (size_t)snprintf(v, sizeof(v), "%llu", (unsigned long long)value) + 1;

	if (*off + nlen + vlen > size)
		return -ENOSPC;
	memcpy(buf + *off, name, nlen);
	memcpy(buf + *off + nlen, v, vlen);
	*off += nlen + vlen;
	return 0;
}

int tftp_build_oack(uint8_t *buf, size_t size, uint32_t blksize, uint32_t timeout_s, uint32_t windowsize,
		    bool has_tsize, uint64_t tsize)
{
	size_t off = 2;

	if (size < 2)
		return -ENOSPC;
	wr_be16(buf, TFTP_OACK);
	if ((blksize && put_option(buf, size, &off, "blksize", blksize) < 0) ||
	    (timeout_s && put_option(buf, size, &off, "timeout", timeout_s) < 0) ||
	    (windowsize && put_option(buf, size, &off, "windowsize", windowsize) < 0) ||
	    (has_tsize && put_option(buf, size, &off, "tsize", tsize) < 0))
		return -ENOSPC;
	return (int)off;
}
