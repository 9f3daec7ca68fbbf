/* DHCPv4 codec. Every length read from the wire is checked against the end
 * of its field before use; option data is copied into the message struct so
 * callers never point into the datagram. */
#include "dhcp/dhcp_wire.h"
#include "core/util.h"

#include <errno.h>

#define DHCP_MAGIC 0x63825363
#define OFF_OP 0
#define OFF_FLAGS 10
#define OFF_CIADDR 12
#define OFF_YIADDR 16
#define OFF_SIADDR 20
#define OFF_GIADDR 24
#define OFF_CHADDR 28
#define OFF_SNAME 44
#define OFF_FILE 108
#define OFF_COOKIE 236
#define OFF_OPTIONS 240

const char *dhcp_msg_type_name(int type)
{
	static const char *const names[] = {
		[DHCP_DISCOVER] = "DISCOVER", [DHCP_OFFER] = "OFFER", [DHCP_REQUEST] = "REQUEST",
		[DHCP_DECLINE] = "DECLINE", [DHCP_ACK] = "ACK", [DHCP_NAK] = "NAK",
		[DHCP_RELEASE] = "RELEASE", [DHCP_INFORM] = "INFORM",
	};
	if (type > 0 && type < (int)ARRAY_SIZE(names))
		return names[type];
	return type == 0 ? "BOOTP" : "UNKNOWN";
}

/* Appends one option instance to the per-code concatenation. Instances of
 * one code must be contiguous in opt_data to concatenate, so a code seen
 * again after others moves its earlier data to the end first. */
static int add_option(struct dhcp_msg *m, uint8_t code, const uint8_t *val, size_t len)
{
	size_t need = len;

	if (m->opt_present[code] && m->opt_off[code] + m->opt_len[code] != m->opt_used) {
		size_t old_len = m->opt_len[code];
		if (m->opt_used + old_len + len > sizeof(m->opt_data))
			return -EBADMSG;
		memmove(m->opt_data + m->opt_used, m->opt_data + m->opt_off[code], old_len);
		m->opt_off[code] = (uint16_t)m->opt_used;
		m->opt_used += old_len;
	}
	if (m->opt_used + need > sizeof(m->opt_data))
		return -EBADMSG;
	if (!m->opt_present[code]) {
		m->opt_present[code] = true;
		m->opt_off[code] = (uint16_t)m->opt_used;
		m->opt_len[code] = 0;
	}
	memcpy(m->opt_data + m->opt_used, val, len);
	m->opt_used += len;
	m->opt_len[code] = (uint16_t)(m->opt_len[code] + len);
	return 0;
}

/* Parses one options area. `allow_overload` only for the main options field:
 * option 52 inside file/sname is ignored, so overload cannot loop. */
static int parse_options(struct dhcp_msg *m, const uint8_t *p, size_t len, bool allow_overload,
			 uint8_t *ret_overload)
{
	size_t i = 0;
	int r;

	while (i < len) {
		uint8_t code = p[i++];
		if (code == DHCP_OPT_PAD)
			continue;
		if (code == DHCP_OPT_END)
			return 0;
		if (i >= len)
			return -EBADMSG;
		size_t olen = p[i++];
		if (olen > len - i)
			return -EBADMSG;
		if (code == DHCP_OPT_OVERLOAD) {
			if (allow_overload && olen == 1 && p[i] >= 1 && p[i] <= 3)
				*ret_overload = p[i];
		} else if ((r = add_option(m, code, p + i, olen)) < 0) {
			return r;
		}
		i += olen;
	}
	/* A missing END is tolerated: many clients pad without it. */
	return 0;
}

int dhcp_msg_parse(const uint8_t *buf, size_t len, struct dhcp_msg *ret)
{
	struct dhcp_msg *m = ret;
	uint8_t overload = 0;
	int r;

	if (len < DHCP_MIN_LEN || len > DHCP_MAX_MSG)
		return -EBADMSG;
	if (rd_be32(buf + OFF_COOKIE) != DHCP_MAGIC)
		return -EBADMSG;
	memset(m, 0, offsetof(struct dhcp_msg, opt_data));
	m->opt_used = 0;
	m->op = buf[0];
	m->htype = buf[1];
	m->hlen = buf[2];
	m->hops = buf[3];
	if (m->op != DHCP_OP_REQUEST && m->op != DHCP_OP_REPLY)
		return -EBADMSG;
	if (m->htype != DHCP_HTYPE_ETHER || m->hlen != 6)
		return -EBADMSG;
	m->xid = rd_be32(buf + 4);
	m->secs = rd_be16(buf + 8);
	m->flags = rd_be16(buf + OFF_FLAGS);
	memcpy(&m->ciaddr, buf + OFF_CIADDR, 4);
	memcpy(&m->yiaddr, buf + OFF_YIADDR, 4);
	memcpy(&m->siaddr, buf + OFF_SIADDR, 4);
	memcpy(&m->giaddr, buf + OFF_GIADDR, 4);
	memcpy(m->chaddr, buf + OFF_CHADDR, 16);
	memcpy(m->sname, buf + OFF_SNAME, 64);
	memcpy(m->file, buf + OFF_FILE, 128);

	r = parse_options(m, buf + OFF_OPTIONS, len - OFF_OPTIONS, true, &overload);
	if (r < 0)
		return r;
	/* RFC 2131 4.1: file first, then sname; their plain meaning is void. */
	if (overload & 1) {
		if ((r = parse_options(m, m->file, sizeof(m->file), false, &overload)) < 0)
			return r;
		memset(m->file, 0, sizeof(m->file));
	}
	if (overload & 2) {
		if ((r = parse_options(m, m->sname, sizeof(m->sname), false, &overload)) < 0)
			return r;
		memset(m->sname, 0, sizeof(m->sname));
	}
	if (m->opt_present[DHCP_OPT_MSG_TYPE]) {
		if (m->opt_len[DHCP_OPT_MSG_TYPE] != 1)
			return -EBADMSG;
		m->type = m->opt_data[m->opt_off[DHCP_OPT_MSG_TYPE]];
	}
	return 0;
}

const uint8_t *dhcp_msg_option(const struct dhcp_msg *m, uint8_t code, size_t *ret_len)
{
	if (!m->opt_present[code])
		return NULL;
	*ret_len = m->opt_len[code];
	return m->opt_data + m->opt_off[code];
}

static int option_fixed(const struct dhcp_msg *m, uint8_t code, size_t want, const uint8_t **ret)
{
	size_t len;
	const uint8_t *p = dhcp_msg_option(m, code, &len);

	if (!p)
		return -ENOENT;
	if (len != want)
		return -EBADMSG;
	*ret = p;
	return 0;
}

int dhcp_msg_option_u8(const struct dhcp_msg *m, uint8_t code, uint8_t *ret)
{
	const uint8_t *p;
	int r = option_fixed(m, code, 1, &p);

	if (r == 0)
		*ret = p[0];
	return r;
}

int dhcp_msg_option_u16(const struct dhcp_msg *m, uint8_t code, uint16_t *ret)
{
	const uint8_t *p;
	int r = option_fixed(m, code, 2, &p);

	if (r == 0)
		*ret = rd_be16(p);
	return r;
}

int dhcp_msg_option_addr(const struct dhcp_msg *m, uint8_t code, struct in_addr *ret)
{
	const uint8_t *p;
	int r = option_fixed(m, code, 4, &p);

	if (r == 0)
		memcpy(ret, p, 4);
	return r;
}

bool dhcp_msg_option_has_prefix(const struct dhcp_msg *m, uint8_t code, const char *prefix)
{
	size_t len, plen = strlen(prefix);
	const uint8_t *p = dhcp_msg_option(m, code, &len);

	return p && len >= plen && memcmp(p, prefix, plen) == 0;
}

/* ---- builder -------------------------------------------------------- */

int dhcp_build_init(struct dhcp_builder *b, uint8_t *buf, size_t size, const struct dhcp_msg *req,
		    uint8_t type)
{
	uint8_t t = type;

	if (size < OFF_OPTIONS + 3 + 1)
		return -ENOSPC;
	memset(buf, 0, size);
	*b = (struct dhcp_builder){ .buf = buf, .size = size, .len = OFF_OPTIONS };
	buf[OFF_OP] = DHCP_OP_REPLY;
	buf[1] = req->htype;
	buf[2] = req->hlen;
	wr_be32(buf + 4, req->xid);
	wr_be16(buf + OFF_FLAGS, req->flags);
	memcpy(buf + OFF_GIADDR, &req->giaddr, 4);
	memcpy(buf + OFF_CHADDR, req->chaddr, 16);
	wr_be32(buf + OFF_COOKIE, DHCP_MAGIC);
	return dhcp_build_option(b, DHCP_OPT_MSG_TYPE, &t, 1);
}

size_t dhcp_build_room(const struct dhcp_builder *b)
{
	return b->size - b->len - 1; /* keep one byte for END */
}

int dhcp_build_option(struct dhcp_builder *b, uint8_t code, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t instances = len == 0 ? 1 : (len + 254) / 255;
	size_t need = len + 2 * instances;

	if (code == DHCP_OPT_PAD || code == DHCP_OPT_END || need > dhcp_build_room(b))
		return -ENOSPC;
	do {
		size_t chunk = MIN(len, (size_t)255);
		b->buf[b->len++] = code;
		b->buf[b->len++] = (uint8_t)chunk;
		memcpy(b->buf + b->len, p, chunk);
		b->len += chunk;
		p += chunk;
		len -= chunk;
	} while (len > 0);
	return 0;
}

int dhcp_build_option_u32(struct dhcp_builder *b, uint8_t code, uint32_t value)
{
	uint8_t v[4];

	wr_be32(v, value);
	return dhcp_build_option(b, code, v, 4);
}

int dhcp_build_option_addr(struct dhcp_builder *b, uint8_t code, struct in_addr a)
{
	return dhcp_build_option(b, code, &a, 4);
}

int dhcp_build_finish(struct dhcp_builder *b)
{
	b->buf[b->len++] = DHCP_OPT_END;
	if (b->len < DHCP_BOOTP_MIN_REPLY && b->size >= DHCP_BOOTP_MIN_REPLY)
		b->len = DHCP_BOOTP_MIN_REPLY; /* zero padding: buffer was cleared */
	return (int)b->len;
}

void dhcp_build_set_addrs(struct dhcp_builder *b, struct in_addr ciaddr, struct in_addr yiaddr,
			  struct in_addr siaddr)
{
	memcpy(b->buf + OFF_CIADDR, &ciaddr, 4);
	memcpy(b->buf + OFF_YIADDR, &yiaddr, 4);
	memcpy(b->buf + OFF_SIADDR, &siaddr, 4);
}

void dhcp_build_set_flags(struct dhcp_builder *b, uint16_t flags)
{
	wr_be16(b->buf + OFF_FLAGS, flags);
}

static int set_fixed_string(uint8_t *field, size_t size, const char *s)
{
	size_t len = strlen(s);

	if (len >= size)
		return -ENAMETOOLONG;
	memset(field, 0, size);
	memcpy(field, s, len);
	return 0;
}

int dhcp_build_set_file(struct dhcp_builder *b, const char *file)
{
	return set_fixed_string(b->buf + OFF_FILE, 128, file);
}

int dhcp_build_set_sname(struct dhcp_builder *b, const char *sname)
{
	return set_fixed_string(b->buf + OFF_SNAME, 64, sname);
}
