/* DNS wire codec: every read goes through an offset checked against the
 * message length; names are decompressed with backward-only pointers and
 * a hop cap, so hostile messages cannot loop or over-read. */
#include "dns/dns_wire.h"
#include "core/util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

const char *dns_rcode_name(unsigned rcode)
{
	static const char *const names[] = {
		[DNS_RCODE_NOERROR] = "NOERROR", [DNS_RCODE_FORMERR] = "FORMERR",
		[DNS_RCODE_SERVFAIL] = "SERVFAIL", [DNS_RCODE_NXDOMAIN] = "NXDOMAIN",
		[DNS_RCODE_NOTIMP] = "NOTIMP",   [DNS_RCODE_REFUSED] = "REFUSED",
		[DNS_RCODE_BADVERS] = "BADVERS",
	};
	return rcode < ARRAY_SIZE(names) && names[rcode] ? names[rcode] : "?";
}

static inline uint8_t ascii_lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

int dns_header_parse(const uint8_t *buf, size_t len, struct dns_header *ret)
{
	if (len < DNS_HDR_LEN)
		return -EBADMSG;
	*ret = (struct dns_header){
		.id = rd_be16(buf), .flags = rd_be16(buf + 2), .qdcount = rd_be16(buf + 4),
		.ancount = rd_be16(buf + 6), .nscount = rd_be16(buf + 8), .arcount = rd_be16(buf + 10),
	};
	return 0;
}

void dns_header_write(uint8_t *buf, const struct dns_header *h)
{
	wr_be16(buf, h->id);
	wr_be16(buf + 2, h->flags);
	wr_be16(buf + 4, h->qdcount);
	wr_be16(buf + 6, h->ancount);
	wr_be16(buf + 8, h->nscount);
	wr_be16(buf + 10, h->arcount);
}

/* RFC 1035 4.1.4. A pointer must point before the start of the label
 * sequence that contains it: every jump goes strictly backwards, so the walk
 * ends even without the hop cap (which bounds the work further). */
int dns_name_read(const uint8_t *buf, size_t len, size_t *off, struct dns_name *ret)
{
	struct dns_name n = { 0 };
	size_t pos = *off, seq_start = *off, next = 0;
	unsigned hops = 0;
	bool jumped = false;

	for (;;) {
		if (pos >= len)
			return -EBADMSG;
		uint8_t c = buf[pos];
		if ((c & 0xc0) == 0xc0) {
			if (pos + 1 >= len)
				return -EBADMSG;
			size_t target = (size_t)(c & 0x3f) << 8 | buf[pos + 1];
			if (!jumped) {
				next = pos + 2;
				jumped = true;
			}
			if (target >= seq_start || ++hops > DNS_MAX_PTR_HOPS)
				return -EBADMSG;
			pos = seq_start = target;
			continue;
		}
		if (c & 0xc0)          /* RFC 6891 5: extended label types are gone */
			return -EBADMSG;
		if (c == 0) {
			n.data[n.len++] = 0;
			pos++;
			break;
		}
		/* label, plus at least the root after it, must fit in 255 */
		if (pos + 1 + c > len || (size_t)n.len + 1 + c + 1 > DNS_MAX_NAME)
			return -EBADMSG;
		memcpy(n.data + n.len, buf + pos, 1 + (size_t)c);
		n.len += 1 + c;
		pos += 1 + (size_t)c;
	}
	*off = jumped ? next : pos;
	*ret = n;
	return 0;
}

static bool text_plain(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

int dns_name_to_text(const struct dns_name *n, char *out, size_t size)
{
	size_t o = 0, i = 0;

	if (size == 0)
		return -ENOBUFS;
	while (i < n->len && n->data[i] != 0) {
		uint8_t l = n->data[i++];
		if (o > 0) {
			if (o + 1 >= size)
				return -ENOBUFS;
			out[o++] = '.';
		}
		for (uint8_t k = 0; k < l && i < n->len; k++, i++) {
			uint8_t c = n->data[i];
			if (text_plain(c)) {
				if (o + 1 >= size)
					return -ENOBUFS;
				out[o++] = (char)c;
			} else if (c == '.') {
				if (o + 2 >= size)
					return -ENOBUFS;
				out[o++] = '\\';
				out[o++] = '.';
			} else {
				if (o + 4 >= size)
					return -ENOBUFS;
				snprintf(out + o, 5, "\\%03u", c);
				o += 4;
			}
		}
	}
	out[o] = '\0';
	return (int)o;
}

int dns_name_from_text(const char *text, struct dns_name *ret)
{
	struct dns_name n = { 0 };
	size_t tlen = strlen(text);

	if (tlen > 0 && text[tlen - 1] == '.')
		tlen--;
	for (size_t i = 0; i < tlen;) {
		const char *dot = memchr(text + i, '.', tlen - i);
		size_t l = dot ? (size_t)(dot - (text + i)) : tlen - i;
		if (l == 0 || l > DNS_MAX_LABEL || (size_t)n.len + 1 + l + 1 > DNS_MAX_NAME)
			return -EINVAL;
		n.data[n.len++] = (uint8_t)l;
		memcpy(n.data + n.len, text + i, l);
		n.len += (uint8_t)l;
		i += l + 1;
		if (dot && i == tlen)  /* "a..": empty label at the end */
			return -EINVAL;
	}
	n.data[n.len++] = 0;
	*ret = n;
	return 0;
}

bool dns_name_equal(const struct dns_name *a, const struct dns_name *b)
{
	if (a->len != b->len)
		return false;
	/* label length bytes are < 64, so lowering them is a no-op */
	for (size_t i = 0; i < a->len; i++)
		if (ascii_lower(a->data[i]) != ascii_lower(b->data[i]))
			return false;
	return true;
}

void dns_name_lower(struct dns_name *n)
{
	for (size_t i = 0; i < n->len; i++)
		n->data[i] = ascii_lower(n->data[i]);
}

unsigned dns_name_labels(const struct dns_name *n)
{
	unsigned count = 0;

	for (size_t i = 0; i < n->len && n->data[i] != 0; i += 1 + (size_t)n->data[i])
		count++;
	return count;
}

int dns_question_read(const uint8_t *buf, size_t len, size_t *off, struct dns_question *ret)
{
	struct dns_question q;
	size_t pos = *off;
	int r;

	if ((r = dns_name_read(buf, len, &pos, &q.name)) < 0)
		return r;
	if (pos + 4 > len)
		return -EBADMSG;
	q.qtype = rd_be16(buf + pos);
	q.qclass = rd_be16(buf + pos + 2);
	*off = pos + 4;
	*ret = q;
	return 0;
}

bool dns_question_equal(const struct dns_question *a, const struct dns_question *b)
{
	return a->qtype == b->qtype && a->qclass == b->qclass && dns_name_equal(&a->name, &b->name);
}

int dns_rr_read(const uint8_t *buf, size_t len, size_t *off, struct dns_rr *ret)
{
	struct dns_rr rr;
	size_t pos = *off;
	int r;

	if ((r = dns_name_read(buf, len, &pos, &rr.name)) < 0)
		return r;
	if (pos + 10 > len)
		return -EBADMSG;
	rr.type = rd_be16(buf + pos);
	rr.class = rd_be16(buf + pos + 2);
	rr.ttl_off = pos + 4;
	rr.ttl = rd_be32(buf + pos + 4);
	rr.rdlen = rd_be16(buf + pos + 8);
	rr.rdata_off = pos + 10;
	if (rr.rdata_off + rr.rdlen > len)
		return -EBADMSG;
	*off = rr.rdata_off + rr.rdlen;
	*ret = rr;
	return 0;
}

/* RFC 6891 6.1.1: OPT only in the additional section, owner is the root. */
static int edns_from_rr(const struct dns_rr *rr, struct dns_edns *ret)
{
	if (ret->present || rr->name.len != 1)
		return -EBADMSG;
	*ret = (struct dns_edns){
		.present = true, .udp_size = rr->class, .version = (uint8_t)(rr->ttl >> 16),
		.do_bit = (rr->ttl & 0x8000) != 0,
	};
	return 0;
}

static unsigned rr_total(const struct dns_header *h)
{
	return (unsigned)h->ancount + h->nscount + h->arcount;
}

int dns_query_parse(const uint8_t *buf, size_t len, struct dns_query *ret)
{
	struct dns_query q = { 0 };
	size_t pos = DNS_HDR_LEN;
	int r;

	if ((r = dns_header_parse(buf, len, &q.hdr)) < 0)
		return r;
	ret->hdr = q.hdr;
	if (q.hdr.flags & DNS_F_QR)
		return -EPROTO;
	if (DNS_OPCODE(q.hdr.flags) != 0)
		return -ENOTSUP;
	if (q.hdr.qdcount != 1 || rr_total(&q.hdr) > DNS_MAX_RRS)
		return -EBADMSG;
	if ((r = dns_question_read(buf, len, &pos, &q.q)) < 0)
		return r;
	q.q_end = pos;
	for (unsigned i = 0; i < rr_total(&q.hdr); i++) {
		struct dns_rr rr;
		if ((r = dns_rr_read(buf, len, &pos, &rr)) < 0)
			return r;
		if (rr.type != DNS_TYPE_OPT)
			continue;
		if (i < (unsigned)q.hdr.ancount + q.hdr.nscount || edns_from_rr(&rr, &q.edns) < 0)
			return -EBADMSG;
	}
	*ret = q;
	return 0;
}

static uint32_t ttl_sane(uint32_t ttl)
{
	return ttl > INT32_MAX ? 0 : ttl;  /* RFC 2181 8: MSB set means zero */
}

static void response_note_rr(struct dns_response_info *info, const uint8_t *buf,
			     const struct dns_rr *rr, unsigned i, unsigned n_auth_end)
{
	uint32_t ttl = ttl_sane(rr->ttl);

	if (rr->type == DNS_TYPE_OPT)
		return;
	if (i < n_auth_end)
		info->min_ttl = MIN(info->min_ttl, ttl);
	/* RFC 1035 3.3.13: MINIMUM is the last field of SOA RDATA */
	if (rr->type == DNS_TYPE_SOA && i >= info->hdr.ancount && i < n_auth_end && rr->rdlen >= 22 &&
	    !info->has_soa) {
		info->has_soa = true;
		info->soa_neg_ttl = MIN(ttl, ttl_sane(rd_be32(buf + rr->rdata_off + rr->rdlen - 4)));
	}
}

int dns_response_parse(const uint8_t *buf, size_t len, struct dns_response_info *ret)
{
	struct dns_response_info info = { .min_ttl = UINT32_MAX };
	size_t pos = DNS_HDR_LEN;
	unsigned n, n_auth_end;
	int r;

	if ((r = dns_header_parse(buf, len, &info.hdr)) < 0)
		return r;
	if (!(info.hdr.flags & DNS_F_QR))
		return -EPROTO;
	n = rr_total(&info.hdr);
	if (info.hdr.qdcount > 1 || n > DNS_MAX_RRS)
		return -EBADMSG;
	if (info.hdr.qdcount == 1) {
		if ((r = dns_question_read(buf, len, &pos, &info.q)) < 0)
			return r;
		info.has_question = true;
	}
	info.q_end = pos;
	n_auth_end = (unsigned)info.hdr.ancount + info.hdr.nscount;
	for (unsigned i = 0; i < n; i++) {
		struct dns_rr rr;
		size_t start = pos;
		if ((r = dns_rr_read(buf, len, &pos, &rr)) < 0)
			return r;
		if (rr.type == DNS_TYPE_OPT) {
			if (i < n_auth_end || info.has_opt || rr.name.len != 1)
				return -EBADMSG;
			info.has_opt = true;
			info.opt_off = start;
			info.opt_end = pos;
			info.opt_is_last = i == n - 1;
			info.opt_ar_index = (uint16_t)(i - n_auth_end);
		}
		response_note_rr(&info, buf, &rr, i, n_auth_end);
	}
	info.end = pos;
	*ret = info;
	return 0;
}

int dns_msg_age_ttls(uint8_t *buf, size_t len, uint32_t age)
{
	struct dns_header h;
	size_t pos = DNS_HDR_LEN;
	int r;

	if ((r = dns_header_parse(buf, len, &h)) < 0)
		return r;
	for (unsigned i = 0; i < h.qdcount; i++) {
		struct dns_question q;
		if ((r = dns_question_read(buf, len, &pos, &q)) < 0)
			return r;
	}
	if (rr_total(&h) > DNS_MAX_RRS)
		return -EBADMSG;
	for (unsigned i = 0; i < rr_total(&h); i++) {
		struct dns_rr rr;
		if ((r = dns_rr_read(buf, len, &pos, &rr)) < 0)
			return r;
		if (rr.type == DNS_TYPE_OPT)
			continue;
		uint32_t ttl = ttl_sane(rr.ttl);
		wr_be32(buf + rr.ttl_off, ttl > age ? ttl - age : 0);
	}
	return 0;
}

/* ---- builder ------------------------------------------------------ */

void dns_builder_init(struct dns_builder *b, uint8_t *buf, size_t cap)
{
	*b = (struct dns_builder){ .buf = buf, .cap = MIN(cap, (size_t)DNS_MSG_MAX) };
}

int dns_builder_header(struct dns_builder *b)
{
	if (b->cap < DNS_HDR_LEN)
		return -ENOSPC;
	memset(b->buf, 0, DNS_HDR_LEN);
	b->len = DNS_HDR_LEN;
	return 0;
}

static int put_bytes(struct dns_builder *b, const void *p, size_t n)
{
	if (b->len + n > b->cap)
		return -ENOSPC;
	memcpy(b->buf + b->len, p, n);
	b->len += n;
	return 0;
}

static int put_u16(struct dns_builder *b, uint16_t v)
{
	uint8_t x[2];
	wr_be16(x, v);
	return put_bytes(b, x, 2);
}

static int put_u32(struct dns_builder *b, uint32_t v)
{
	uint8_t x[4];
	wr_be32(x, v);
	return put_bytes(b, x, 4);
}

/* Does the name stored at `off` equal the wire-form suffix `s` of len slen? */
static bool comp_match(const struct dns_builder *b, uint16_t off, const uint8_t *s, size_t slen)
{
	struct dns_name stored, want = { .len = (uint8_t)slen };
	size_t pos = off;

	if (dns_name_read(b->buf, b->len, &pos, &stored) < 0)
		return false;
	memcpy(want.data, s, slen);
	return dns_name_equal(&stored, &want);
}

/* RFC 1035 4.1.4: write the longest known suffix as a pointer. */
static int put_name(struct dns_builder *b, const struct dns_name *n)
{
	size_t i = 0;

	while (i < n->len && n->data[i] != 0) {
		for (size_t k = 0; k < b->n_comp; k++) {
			if (comp_match(b, b->comp[k], n->data + i, n->len - i))
				return put_u16(b, (uint16_t)(0xc000 | b->comp[k]));
		}
		if (b->len < 0x4000 && b->n_comp < DNS_BUILDER_MAX_COMP)
			b->comp[b->n_comp++] = (uint16_t)b->len;
		size_t l = 1 + (size_t)n->data[i];
		if (i + l > n->len)
			return -EINVAL;
		int r = put_bytes(b, n->data + i, l);
		if (r < 0)
			return r;
		i += l;
	}
	return put_bytes(b, "", 1);
}

int dns_builder_question(struct dns_builder *b, const struct dns_question *q)
{
	size_t save_len = b->len, save_comp = b->n_comp;
	int r;

	if ((r = put_name(b, &q->name)) < 0 || (r = put_u16(b, q->qtype)) < 0 ||
	    (r = put_u16(b, q->qclass)) < 0) {
		b->len = save_len;
		b->n_comp = save_comp;
		return r;
	}
	b->counts[0]++;
	return 0;
}

struct rr_mark {
	size_t len, n_comp, rdlen_off;
};

static int rr_begin(struct dns_builder *b, struct rr_mark *m, const struct dns_name *name,
		    uint16_t type, uint16_t class, uint32_t ttl)
{
	int r;

	*m = (struct rr_mark){ .len = b->len, .n_comp = b->n_comp };
	if ((r = put_name(b, name)) < 0 || (r = put_u16(b, type)) < 0 || (r = put_u16(b, class)) < 0 ||
	    (r = put_u32(b, ttl)) < 0)
		return r;
	m->rdlen_off = b->len;
	return put_u16(b, 0);
}

static int rr_end(struct dns_builder *b, const struct rr_mark *m, enum dns_section sec, int r)
{
	size_t rdlen = b->len - m->rdlen_off - 2;

	if (r == 0 && rdlen > UINT16_MAX)
		r = -ENOSPC;
	if (r < 0) {
		b->len = m->len;
		b->n_comp = m->n_comp;
		if (r == -ENOSPC)
			b->truncated = true;
		return r;
	}
	wr_be16(b->buf + m->rdlen_off, (uint16_t)rdlen);
	b->counts[1 + sec]++;
	return 0;
}

int dns_builder_rr_raw(struct dns_builder *b, enum dns_section sec, const struct dns_name *name,
		       uint16_t type, uint32_t ttl, const void *rdata, uint16_t rdlen)
{
	struct rr_mark m;
	int r = rr_begin(b, &m, name, type, DNS_CLASS_IN, ttl);

	if (r == 0)
		r = put_bytes(b, rdata, rdlen);
	return rr_end(b, &m, sec, r);
}

int dns_builder_rr_name(struct dns_builder *b, enum dns_section sec, const struct dns_name *name,
			uint16_t type, uint32_t ttl, const struct dns_name *target)
{
	struct rr_mark m;
	int r = rr_begin(b, &m, name, type, DNS_CLASS_IN, ttl);

	if (r == 0)
		r = put_name(b, target);
	return rr_end(b, &m, sec, r);
}

/* RFC 1035 3.3.14: one or more <character-string>s of at most 255 bytes. */
int dns_builder_rr_txt(struct dns_builder *b, enum dns_section sec, const struct dns_name *name,
		       uint32_t ttl, const char *text)
{
	size_t tlen = strlen(text), done = 0;
	struct rr_mark m;
	int r = rr_begin(b, &m, name, DNS_TYPE_TXT, DNS_CLASS_IN, ttl);

	do {
		size_t chunk = MIN(tlen - done, (size_t)255);
		uint8_t l = (uint8_t)chunk;
		if (r == 0)
			r = put_bytes(b, &l, 1);
		if (r == 0)
			r = put_bytes(b, text + done, chunk);
		done += chunk;
	} while (r == 0 && done < tlen);
	return rr_end(b, &m, sec, r);
}

int dns_builder_rr_soa(struct dns_builder *b, enum dns_section sec, const struct dns_name *zone,
		       uint32_t ttl, const struct dns_name *mname, const struct dns_name *rname,
		       const uint32_t values[5])
{
	struct rr_mark m;
	int r = rr_begin(b, &m, zone, DNS_TYPE_SOA, DNS_CLASS_IN, ttl);

	if (r == 0)
		r = put_name(b, mname);
	if (r == 0)
		r = put_name(b, rname);
	for (size_t i = 0; i < 5 && r == 0; i++)
		r = put_u32(b, values[i]);
	return rr_end(b, &m, sec, r);
}

int dns_builder_opt(struct dns_builder *b, uint16_t udp_size, uint8_t ext_rcode)
{
	static const struct dns_name root = { .len = 1 };
	struct rr_mark m;
	int r = rr_begin(b, &m, &root, DNS_TYPE_OPT, udp_size, (uint32_t)ext_rcode << 24);

	return rr_end(b, &m, DNS_SEC_ADDITIONAL, r);
}

size_t dns_builder_finish(struct dns_builder *b, uint16_t id, uint16_t flags)
{
	struct dns_header h = {
		.id = id, .flags = flags, .qdcount = b->counts[0], .ancount = b->counts[1],
		.nscount = b->counts[2], .arcount = b->counts[3],
	};

	if (b->len < DNS_HDR_LEN)
		return 0;
	dns_header_write(b->buf, &h);
	return b->len;
}

size_t dns_build_error(uint8_t *out, size_t cap, uint16_t id, uint16_t flags, unsigned rcode,
		       const struct dns_question *q, const struct dns_edns *edns)
{
	struct dns_builder b;

	dns_builder_init(&b, out, cap);
	if (dns_builder_header(&b) < 0)
		return 0;
	if (q)
		(void)dns_builder_question(&b, q);
	if (edns && edns->present)
		(void)dns_builder_opt(&b, DNS_UDP_MAX, (uint8_t)(rcode >> 4));
	return dns_builder_finish(&b, id, (uint16_t)((flags & ~DNS_F_RCODE_MASK) | (rcode & 0xf)));
}
