/* dhcp-option values: dnsmasq's option names and the way it encodes a value
 * (by the option's known type, else by the look of the value, dnsmasq(8)
 * "Data types allowed"), said again in labboot's "CODE VALUE" syntax:
 * dotted quads, text:STRING, or hex:AA:BB for everything else, so that a
 * one- or two-byte number keeps its size. */
#include "import/import_int.h"
#include "core/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

enum opt_type { T_RAW, T_ADDR, T_NAME, T_U8, T_U16, T_U32, T_TIME, T_INTERNAL, T_DOMAINS, T_ROUTES };

static const struct {
	const char *name;
	uint8_t code;
	enum opt_type type;
} opt_names[] = {
	{ "netmask", 1, T_ADDR }, { "time-offset", 2, T_U32 }, { "router", 3, T_ADDR },
	{ "time-server", 4, T_ADDR }, { "dns-server", 6, T_ADDR }, { "log-server", 7, T_ADDR },
	{ "lpr-server", 9, T_ADDR }, { "hostname", 12, T_INTERNAL }, { "boot-file-size", 13, T_U16 },
	{ "domain-name", 15, T_NAME }, { "swap-server", 16, T_ADDR }, { "root-path", 17, T_NAME },
	{ "extension-path", 18, T_NAME }, { "ip-forward-enable", 19, T_U8 },
	{ "non-local-source-routing", 20, T_U8 }, { "policy-filter", 21, T_ADDR },
	{ "max-datagram-reassembly", 22, T_U16 }, { "default-ttl", 23, T_U8 }, { "mtu", 26, T_U16 },
	{ "all-subnets-local", 27, T_U8 }, { "broadcast", 28, T_INTERNAL }, { "router-discovery", 31, T_U8 },
	{ "router-solicitation", 32, T_ADDR }, { "static-route", 33, T_ADDR },
	{ "trailer-encapsulation", 34, T_U8 }, { "arp-timeout", 35, T_U32 }, { "ethernet-encap", 36, T_U8 },
	{ "tcp-ttl", 37, T_U8 }, { "tcp-keepalive", 38, T_U32 }, { "nis-domain", 40, T_NAME },
	{ "nis-server", 41, T_ADDR }, { "ntp-server", 42, T_ADDR }, { "vendor-encap", 43, T_INTERNAL },
	{ "netbios-ns", 44, T_ADDR }, { "netbios-dd", 45, T_ADDR }, { "netbios-nodetype", 46, T_U8 },
	{ "netbios-scope", 47, T_RAW }, { "x-windows-fs", 48, T_ADDR }, { "x-windows-dm", 49, T_ADDR },
	{ "requested-address", 50, T_INTERNAL }, { "lease-time", 51, T_INTERNAL },
	{ "option-overload", 52, T_INTERNAL }, { "message-type", 53, T_INTERNAL },
	{ "server-identifier", 54, T_INTERNAL }, { "parameter-request", 55, T_INTERNAL },
	{ "message", 56, T_INTERNAL }, { "max-message-size", 57, T_INTERNAL }, { "T1", 58, T_TIME },
	{ "T2", 59, T_TIME }, { "vendor-class", 60, T_RAW }, { "client-id", 61, T_INTERNAL },
	{ "nis+-domain", 64, T_NAME }, { "nis+-server", 65, T_ADDR }, { "tftp-server", 66, T_NAME },
	{ "bootfile-name", 67, T_NAME }, { "mobile-ip-home", 68, T_ADDR }, { "smtp-server", 69, T_ADDR },
	{ "pop3-server", 70, T_ADDR }, { "nntp-server", 71, T_ADDR }, { "irc-server", 74, T_ADDR },
	{ "user-class", 77, T_RAW }, { "rapid-commit", 80, T_RAW }, { "FQDN", 81, T_INTERNAL },
	{ "agent-id", 82, T_INTERNAL }, { "client-arch", 93, T_U16 }, { "client-interface-id", 94, T_RAW },
	{ "client-machine-id", 97, T_RAW }, { "posix-timezone", 100, T_NAME }, { "tzdb-timezone", 101, T_NAME },
	{ "subnet-select", 118, T_INTERNAL }, { "domain-search", 119, T_DOMAINS }, { "sip-server", 120, T_RAW },
	{ "classless-static-route", 121, T_ROUTES }, { "vendor-id-encap", 125, T_RAW },
	{ "tftp-server-address", 150, T_ADDR }, { "server-ip-address", 255, T_INTERNAL },
};

static enum opt_type type_of(int code)
{
	for (size_t i = 0; i < ARRAY_SIZE(opt_names); i++)
		if (opt_names[i].code == code)
			return opt_names[i].type;
	return code == 249 ? T_ROUTES : T_RAW; /* 249: Microsoft's classless routes */
}

int dm_option_code(const char *name, int *ret_code)
{
	uint64_t v;

	if (strncmp(name, "option:", 7) == 0) {
		for (size_t i = 0; i < ARRAY_SIZE(opt_names); i++) {
			if (strcasecmp(opt_names[i].name, name + 7) == 0) {
				*ret_code = opt_names[i].code;
				return 0;
			}
		}
		return -ENOENT;
	}
	if (parse_u64(name, 0, 255, &v) < 0)
		return -ENOENT;
	*ret_code = (int)v;
	return 0;
}

/* A value being built: bytes, then said as labboot text. */
struct val {
	uint8_t b[255];
	size_t n;
	bool overflow;
};

static void put(struct val *v, const void *p, size_t n)
{
	if (n > sizeof(v->b) - v->n) {
		v->overflow = true;
		return;
	}
	memcpy(v->b + v->n, p, n);
	v->n += n;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* "12", "12b", "12s", "12i": a number and the size it was given (0: none). */
static int parse_number(const char *s, uint32_t *ret, unsigned *ret_size)
{
	char buf[16];
	size_t len = strlen(s);
	unsigned size = 0;
	uint64_t v;

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len + 1);
	switch (buf[len - 1]) {
	case 'b': size = 1; break;
	case 's': size = 2; break;
	case 'i': size = 4; break;
	default: break;
	}
	if (size)
		buf[len - 1] = '\0';
	if (!all_digits(buf) || parse_u64(buf, 0, UINT32_MAX, &v) < 0)
		return -EINVAL;
	*ret = (uint32_t)v;
	*ret_size = size;
	return 0;
}

static void put_number(struct val *v, uint32_t x, unsigned size)
{
	uint8_t b[4];

	wr_be32(b, x);
	put(v, b + 4 - size, size);
}

/* An address of a list; 0.0.0.0 means dnsmasq's own. */
static int put_addr(struct dm *dm, struct val *v, const char *s, const char **why)
{
	struct in_addr a;

	if (parse_ipv4(s, &a) < 0) {
		*why = "not an IPv4 address";
		return -EINVAL;
	}
	if (a.s_addr == 0) {
		if (!dm->address.s_addr) {
			*why = "0.0.0.0 is dnsmasq's own address: give --address";
			return -EINVAL;
		}
		a = dm->address;
	}
	put(v, &a, 4);
	return 0;
}

/* "01:02:*:ff" (dnsmasq's hex form, bytes of one or two digits) */
static bool is_hex_form(const char *s)
{
	if (!strchr(s, ':'))
		return false;
	for (const char *p = s; *p; p++)
		if (!isxdigit((unsigned char)*p) && *p != ':')
			return false;
	return true;
}

static int put_hex_form(struct val *v, const char *s)
{
	while (*s) {
		char *end;
		unsigned long x = strtoul(s, &end, 16);
		if (end == s || end - s > 2 || (*end && *end != ':'))
			return -EINVAL;
		uint8_t b = (uint8_t)x;
		put(v, &b, 1);
		s = *end ? end + 1 : end;
	}
	return 0;
}

/* RFC 1035 names, uncompressed (dnsmasq compresses; the meaning is the same). */
static int put_domains(struct val *v, char **f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *s = f[i];
		while (*s) {
			size_t len = strcspn(s, ".");
			if (len == 0 || len > 63)
				return -EINVAL;
			uint8_t l = (uint8_t)len;
			put(v, &l, 1);
			put(v, s, len);
			s += len;
			if (*s == '.')
				s++;
		}
		put(v, "", 1);
	}
	return 0;
}

/* RFC 3442: "NET/LEN,ROUTER" pairs. */
static int put_routes(struct dm *dm, struct val *v, char **f, size_t n, const char **why)
{
	if (n % 2) {
		*why = "classless routes come in NET/LEN,ROUTER pairs";
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i += 2) {
		char net[20];
		char *slash;
		uint64_t len;
		struct in_addr a;
		if (copy_string(net, sizeof(net), f[i]) < 0 || !(slash = strchr(net, '/')))
			goto bad;
		*slash = '\0';
		if (parse_ipv4(net, &a) < 0 || parse_u64(slash + 1, 0, 32, &len) < 0)
			goto bad;
		uint8_t l = (uint8_t)len;
		put(v, &l, 1);
		put(v, &a, (len + 7) / 8);
		if (put_addr(dm, v, f[i + 1], why) < 0)
			return -EINVAL;
	}
	return 0;
bad:
	*why = "not NET/LEN";
	return -EINVAL;
}

static int put_time(struct val *v, const char *s)
{
	uint32_t t;
	size_t len = strlen(s);

	if (strcmp(s, "infinite") == 0)
		t = UINT32_MAX;
	else if (len && s[len - 1] == 'w') {
		uint64_t w;
		if (parse_u64(strndupa(s, len - 1), 0, UINT32_MAX / 604800, &w) < 0)
			return -EINVAL;
		t = (uint32_t)(w * 604800);
	} else if (parse_duration_s(s, &t) < 0)
		return -EINVAL;
	put_number(v, t, 4);
	return 0;
}

/* The bytes dnsmasq would send, by type or by look. */
static int encode(struct dm *dm, enum opt_type type, char **f, const bool *quoted, size_t n, struct val *v,
		  bool *ret_addrs, bool *ret_text, const char **why)
{
	uint32_t x;
	unsigned size;
	bool addrs = n > 0, text = false;

	*why = "not a value dnsmasq reads for this option";
	for (size_t i = 0; i < n; i++) {
		struct in_addr a;
		if (quoted[i] || !strchr(f[i], '.') || parse_ipv4(f[i], &a) < 0)
			addrs = false;
	}
	switch (type) {
	case T_INTERNAL:
		*why = "dnsmasq sets this option itself";
		return -EINVAL;
	case T_DOMAINS:
		*why = "not a list of domain names";
		return put_domains(v, f, n);
	case T_ROUTES:
		return put_routes(dm, v, f, n, why);
	case T_TIME:
		return n == 1 ? put_time(v, f[0]) : -EINVAL;
	case T_U8: case T_U16: case T_U32:
		for (size_t i = 0; i < n; i++) {
			if (parse_number(f[i], &x, &size) < 0)
				return -EINVAL;
			put_number(v, x, type == T_U8 ? 1 : type == T_U16 ? 2 : 4);
		}
		return 0;
	case T_ADDR:
		if (!addrs && n > 0)
			break;
		goto addresses;
	case T_NAME:
		text = true;
		break;
	case T_RAW:
		if (addrs)
			goto addresses;
		if (n == 1 && !quoted[0] && parse_number(f[0], &x, &size) == 0) {
			/* dnsmasq: the smallest of 1, 2, 4 bytes that holds it */
			if (!size)
				size = x > 0xffff ? 4 : x > 0xff ? 2 : 1;
			put_number(v, x, size);
			return 0;
		}
		if (n == 1 && !quoted[0] && is_hex_form(f[0]))
			return put_hex_form(v, f[0]);
		text = true;
		break;
	}
	if (!text)
		return -EINVAL;
	/* a string is the rest of the line, commas and all */
	for (size_t i = 0; i < n; i++) {
		if (i)
			put(v, ",", 1);
		put(v, f[i], strlen(f[i]));
	}
	*ret_text = true;
	return 0;
addresses:
	for (size_t i = 0; i < n; i++)
		if (put_addr(dm, v, f[i], why) < 0)
			return -EINVAL;
	*ret_addrs = true;
	return 0;
}

int dm_option_value(struct dm *dm, int code, char **fields, const bool *quoted, size_t n, char **ret,
		    const char **ret_why)
{
	struct val v = { 0 };
	bool addrs = false, text = false;
	char out[1024];
	size_t len;

	if (code < 1 || code > 254) {
		*ret_why = "labboot sends options 1 to 254";
		return -EINVAL;
	}
	if (encode(dm, type_of(code), fields, quoted, n, &v, &addrs, &text, ret_why) < 0)
		return -EINVAL;
	if (v.overflow) {
		*ret_why = "longer than 255 bytes";
		return -EINVAL;
	}
	if (v.n == 0) {
		*ret_why = "labboot cannot send an empty option";
		return -EINVAL;
	}
	len = (size_t)snprintf(out, sizeof(out), "%d ", code);
	if (addrs) {
		for (size_t i = 0; i < v.n; i += 4) {
			char ip[16];
			struct in_addr a;
			memcpy(&a, v.b + i, 4);
			len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s", i ? " " : "", format_ipv4(ip, a));
		}
	} else if (text && !memchr(v.b, '\0', v.n) && v.b[0] != ' ' && v.b[v.n - 1] != ' ' &&
		   (snprintf(out + len, sizeof(out) - len, "text:%.*s", (int)v.n, (const char *)v.b), dm_value_safe(out))) {
		len = strlen(out);
	} else {
		len += (size_t)snprintf(out + len, sizeof(out) - len, "hex:");
		for (size_t i = 0; i < v.n; i++)
			len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%02x", i ? ":" : "", v.b[i]);
	}
	*ret = xstrdup(out);
	return 0;
}
