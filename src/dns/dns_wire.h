/* DNS wire codec (RFC 1035, RFC 6891 EDNS0): header, names with safe
 * decompression, questions, resource records, and a message builder with
 * name compression. Pure: no sockets, no clock, no globals. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_HDR_LEN 12
#define DNS_MAX_NAME 255           /* RFC 1035 2.3.4: wire length incl. root */
#define DNS_MAX_LABEL 63
#define DNS_MAX_PTR_HOPS 32        /* compression pointers followed per name */
#define DNS_NAME_TEXT_MAX 1024     /* escaped presentation form, \DDD worst case */
#define DNS_UDP_MIN 512            /* RFC 1035 4.2.1 */
#define DNS_UDP_MAX 1232           /* our EDNS payload size (DNS flag day 2020) */
#define DNS_MSG_MAX 65535
#define DNS_MAX_RRS 512            /* RRs walked per message, all sections */
#define DNS_BUILDER_MAX_COMP 64    /* names remembered for compression */

enum dns_type {
	DNS_TYPE_A = 1,
	DNS_TYPE_NS = 2,
	DNS_TYPE_CNAME = 5,
	DNS_TYPE_SOA = 6,
	DNS_TYPE_PTR = 12,
	DNS_TYPE_TXT = 16,
	DNS_TYPE_AAAA = 28,
	DNS_TYPE_OPT = 41,
	DNS_TYPE_ANY = 255,
};

#define DNS_CLASS_IN 1
#define DNS_CLASS_ANY 255

enum dns_rcode {
	DNS_RCODE_NOERROR = 0,
	DNS_RCODE_FORMERR = 1,
	DNS_RCODE_SERVFAIL = 2,
	DNS_RCODE_NXDOMAIN = 3,
	DNS_RCODE_NOTIMP = 4,
	DNS_RCODE_REFUSED = 5,
	DNS_RCODE_BADVERS = 16,   /* extended (EDNS) */
};
const char *dns_rcode_name(unsigned rcode);

/* Header flag bits (RFC 1035 4.1.1) */
#define DNS_F_QR 0x8000
#define DNS_F_OPCODE_MASK 0x7800
#define DNS_F_AA 0x0400
#define DNS_F_TC 0x0200
#define DNS_F_RD 0x0100
#define DNS_F_RA 0x0080
#define DNS_F_AD 0x0020
#define DNS_F_CD 0x0010
#define DNS_F_RCODE_MASK 0x000f
#define DNS_OPCODE(flags) (((flags) & DNS_F_OPCODE_MASK) >> 11)

struct dns_header {
	uint16_t id;
	uint16_t flags;
	uint16_t qdcount, ancount, nscount, arcount;
};

/* A name in uncompressed wire form (length-prefixed labels, ending with the
 * zero-length root label); len counts every byte including the root. */
struct dns_name {
	uint8_t len;
	uint8_t data[DNS_MAX_NAME];
};

struct dns_question {
	struct dns_name name;
	uint16_t qtype, qclass;
};

struct dns_rr {
	struct dns_name name;
	uint16_t type, class;
	uint32_t ttl;
	size_t ttl_off;               /* offset of the TTL field in the message */
	size_t rdata_off;
	uint16_t rdlen;
};

struct dns_edns {
	bool present;
	uint16_t udp_size;            /* as sent, not clamped */
	uint8_t version;
	bool do_bit;
};

/* A parsed query: header, its one question and the EDNS OPT record. */
struct dns_query {
	struct dns_header hdr;
	struct dns_question q;
	size_t q_end;                 /* offset just past the question */
	struct dns_edns edns;
};

/* Facts about an upstream response needed to validate, cache and relay it. */
struct dns_response_info {
	struct dns_header hdr;
	struct dns_question q;
	size_t q_end;
	bool has_question;
	uint32_t min_ttl;             /* over answer + authority RRs; UINT32_MAX if none */
	bool has_soa;
	uint32_t soa_neg_ttl;         /* RFC 2308 5: min(SOA TTL, SOA MINIMUM) */
	bool has_opt;
	size_t opt_off, opt_end;      /* the OPT RR's bytes, if has_opt */
	bool opt_is_last;
	uint16_t opt_ar_index;        /* position of the OPT in the additional section */
	size_t end;                   /* bytes used by the sections the header counts */
};

int dns_header_parse(const uint8_t *buf, size_t len, struct dns_header *ret);
void dns_header_write(uint8_t *buf, const struct dns_header *h);

/* Reads the (possibly compressed) name at *off. Pointers must point strictly
 * before the start of the label sequence they interrupt, at most
 * DNS_MAX_PTR_HOPS are followed, labels must be <= 63 bytes and the whole
 * name <= 255 bytes. On success *off is advanced past the name as stored at
 * its original place. Returns 0 or -EBADMSG. */
int dns_name_read(const uint8_t *buf, size_t len, size_t *off, struct dns_name *ret);

/* Presentation form without trailing dot ("" for the root); bytes other than
 * letters, digits, '-' and '_' are escaped as \DDD, dots in labels as "\.".
 * Returns the text length or -ENOBUFS. */
int dns_name_to_text(const struct dns_name *n, char *out, size_t size);
/* Parses "a.b.c" or "a.b.c." (no escapes) into wire form. -EINVAL if a label
 * is empty or too long or the name too long. */
int dns_name_from_text(const char *text, struct dns_name *ret);
bool dns_name_equal(const struct dns_name *a, const struct dns_name *b);
void dns_name_lower(struct dns_name *n);
/* Number of labels (the root not counted). */
unsigned dns_name_labels(const struct dns_name *n);

int dns_question_read(const uint8_t *buf, size_t len, size_t *off, struct dns_question *ret);
bool dns_question_equal(const struct dns_question *a, const struct dns_question *b);
/* Reads one RR at *off and checks its RDATA fits; *off moves past it. */
int dns_rr_read(const uint8_t *buf, size_t len, size_t *off, struct dns_rr *ret);

/* Parses a query. Returns 0; -EBADMSG if malformed (FORMERR if the header
 * was readable: *ret->hdr is then filled); -EPROTO if it is a response;
 * -ENOTSUP for an opcode other than QUERY (hdr filled). */
int dns_query_parse(const uint8_t *buf, size_t len, struct dns_query *ret);

/* Parses and walks a whole response (every RR must be well-formed). */
int dns_response_parse(const uint8_t *buf, size_t len, struct dns_response_info *ret);

/* Rewrites every TTL (answer, authority, additional except OPT) of a
 * well-formed message, lowering it by `age` seconds (floor 0). */
int dns_msg_age_ttls(uint8_t *buf, size_t len, uint32_t age);

/* ---- builder ------------------------------------------------------ */

enum dns_section { DNS_SEC_ANSWER, DNS_SEC_AUTHORITY, DNS_SEC_ADDITIONAL };

struct dns_builder {
	uint8_t *buf;
	size_t cap, len;
	uint16_t counts[4];           /* qd, an, ns, ar */
	bool truncated;               /* an RR did not fit and was left out */
	uint16_t comp[DNS_BUILDER_MAX_COMP];
	size_t n_comp;
};

void dns_builder_init(struct dns_builder *b, uint8_t *buf, size_t cap);
/* Reserves the header; written at dns_builder_finish(). */
int dns_builder_header(struct dns_builder *b);
int dns_builder_question(struct dns_builder *b, const struct dns_question *q);
/* Appends an RR whose RDATA is raw bytes / a single name / TXT strings. On
 * -ENOSPC the builder is unchanged and `truncated` set. */
int dns_builder_rr_raw(struct dns_builder *b, enum dns_section sec, const struct dns_name *name,
		       uint16_t type, uint32_t ttl, const void *rdata, uint16_t rdlen);
int dns_builder_rr_name(struct dns_builder *b, enum dns_section sec, const struct dns_name *name,
			uint16_t type, uint32_t ttl, const struct dns_name *target);
int dns_builder_rr_txt(struct dns_builder *b, enum dns_section sec, const struct dns_name *name,
		       uint32_t ttl, const char *text);
int dns_builder_rr_soa(struct dns_builder *b, enum dns_section sec, const struct dns_name *zone,
		       uint32_t ttl, const struct dns_name *mname, const struct dns_name *rname,
		       const uint32_t values[5]);
/* RFC 6891 6.1.2: an OPT pseudo-RR (never compressed; upper rcode bits). */
int dns_builder_opt(struct dns_builder *b, uint16_t udp_size, uint8_t ext_rcode);
/* Writes the header with the section counts; returns the message length. */
size_t dns_builder_finish(struct dns_builder *b, uint16_t id, uint16_t flags);

/* Writes a minimal error reply (header + question if given) into out. */
size_t dns_build_error(uint8_t *out, size_t cap, uint16_t id, uint16_t flags, unsigned rcode,
		       const struct dns_question *q, const struct dns_edns *edns);
