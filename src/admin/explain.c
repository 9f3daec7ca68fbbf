/* A dry run of the DHCP policy and the script renderer (see explain.h):
 * the same code the daemon runs, on a made-up request, with a copy of the
 * lease table, so nothing is stored or sent. */
#include "admin/explain.h"
#include "boot/ipxe_script.h"
#include "core/config.h"
#include "core/log.h"
#include "core/util.h"
#include "dhcp/dhcp_lease.h"
#include "dhcp/dhcp_policy.h"
#include "dhcp/dhcp_wire.h"
#include "http/boot_script.h"
#include "store/store.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct {
	const char *name;
	uint16_t arch;                /* RFC 4578 option 93 */
	const char *vendor;           /* option 60 as the firmware sends it */
} arches[] = {
	{ "bios", 0, "PXEClient:Arch:00000:UNDI:002001" },
	{ "efi64", 7, "PXEClient:Arch:00007:UNDI:003016" },
	{ "arm64", 11, "PXEClient:Arch:00011:UNDI:003016" },
	{ "http", 16, "HTTPClient:Arch:00016:UNDI:003016" },
};

/* A DISCOVER as the firmware (or iPXE, which adds its user class) sends it. */
static int make_discover(const uint8_t mac[6], size_t arch, bool ipxe, struct dhcp_msg *msg)
{
	static const uint8_t prl[] = { 1, 3, 6, 12, 15, 28, 42, 43, 60, 66, 67, 97, 175 };
	struct dhcp_msg req = { .htype = 1, .hlen = 6, .xid = 0x6c616220, .flags = 0x8000 };
	uint8_t buf[DHCP_MAX_MSG], a[2] = { (uint8_t)(arches[arch].arch >> 8), (uint8_t)arches[arch].arch };
	struct dhcp_builder b;
	int n;

	memcpy(req.chaddr, mac, 6);
	if (dhcp_build_init(&b, buf, sizeof(buf), &req, DHCP_DISCOVER) < 0 ||
	    dhcp_build_option(&b, DHCP_OPT_CLIENT_ARCH, a, 2) < 0 ||
	    dhcp_build_option(&b, DHCP_OPT_VENDOR_CLASS, arches[arch].vendor, strlen(arches[arch].vendor)) < 0 ||
	    dhcp_build_option(&b, DHCP_OPT_PARAM_REQUEST, prl, sizeof(prl)) < 0 ||
	    (ipxe && dhcp_build_option(&b, DHCP_OPT_USER_CLASS, "iPXE", 4) < 0) || (n = dhcp_build_finish(&b)) < 0)
		return -ENOSPC;
	buf[0] = 1; /* BOOTREQUEST: the builder makes replies */
	return dhcp_msg_parse(buf, (size_t)n, msg);
}

/* Our address and mask on the first served interface. */
static void server_side(const struct config *cfg, struct in_addr *addr, struct in_addr *mask)
{
	struct ifaddrs *ifa;

	*addr = cfg->address;
	mask->s_addr = 0;
	if (cfg->n_ifaces == 0 || getifaddrs(&ifa) < 0)
		return;
	for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || strcmp(i->ifa_name, cfg->ifaces[0]) != 0)
			continue;
		if (!addr->s_addr)
			*addr = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
		if (i->ifa_netmask && ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr == addr->s_addr)
			*mask = ((struct sockaddr_in *)i->ifa_netmask)->sin_addr;
	}
	freeifaddrs(ifa);
}

static void print_option(FILE *out, uint8_t code, const uint8_t *v, size_t len)
{
	char ip[16], esc[256];

	fprintf(out, "    option %3u  ", code);
	switch (code) {
	case DHCP_OPT_SUBNET_MASK: case DHCP_OPT_ROUTER: case DHCP_OPT_DNS: case DHCP_OPT_BROADCAST:
	case DHCP_OPT_NTP: case DHCP_OPT_SERVER_ID:
		for (size_t i = 0; i + 4 <= len; i += 4) {
			struct in_addr a;
			memcpy(&a, v + i, 4);
			fprintf(out, "%s%s", i ? " " : "", format_ipv4(ip, a));
		}
		break;
	case DHCP_OPT_LEASE_TIME: case DHCP_OPT_T1: case DHCP_OPT_T2:
		fprintf(out, "%u s", len == 4 ? (unsigned)rd_be32(v) : 0);
		break;
	case DHCP_OPT_HOSTNAME: case DHCP_OPT_DOMAIN: case DHCP_OPT_VENDOR_CLASS: case DHCP_OPT_TFTP_SERVER:
	case DHCP_OPT_BOOTFILE: case DHCP_OPT_MESSAGE:
		if (len && v[len - 1] == '\0')
			len--; /* the NUL some PXE ROMs need after the file name */
		fprintf(out, "\"%s\"", log_escape(esc, sizeof(esc), v, len));
		break;
	default:
		for (size_t i = 0; i < len && i < 64; i++)
			fprintf(out, "%02x", v[i]);
		if (len > 64)
			fprintf(out, "... (%zu bytes)", len);
	}
	fputc('\n', out);
}

static void print_reply(FILE *out, const struct dhcp_reply *rep)
{
	struct dhcp_msg *m = malloc(sizeof(*m));
	char ip[16], file[129];

	if (!m || dhcp_msg_parse(rep->buf, rep->len, m) < 0) {
		fprintf(out, "    (reply not readable)\n");
		free(m);
		return;
	}
	snprintf(file, sizeof(file), "%.*s", (int)sizeof(m->file), (const char *)m->file);
	fprintf(out, "    %s yiaddr %s", dhcp_msg_type_name(m->type), format_ipv4(ip, m->yiaddr));
	fprintf(out, " siaddr %s file \"%s\"\n", format_ipv4(ip, m->siaddr), file);
	for (unsigned code = 1; code < 255; code++) {
		size_t len;
		const uint8_t *v = m->opt_present[code] ? dhcp_msg_option(m, (uint8_t)code, &len) : NULL;
		if (v && code != DHCP_OPT_MSG_TYPE)
			print_option(out, (uint8_t)code, v, len);
	}
	free(m);
}

static int load_lease(const struct lease *l, void *userdata)
{
	int r = lease_table_insert(userdata, l, NULL);
	return r == -EEXIST ? 0 : r;
}

/* One DHCP exchange's first half: what the policy offers this request. */
static int explain_dhcp(const struct config *cfg, struct lease_table *leases, const uint8_t mac[6], size_t arch,
			bool ipxe, FILE *out)
{
	struct dhcp_msg *msg = malloc(sizeof(*msg));
	struct dhcp_reply *rep = malloc(sizeof(*rep));
	struct dhcp_policy *policy = NULL;
	struct dhcp_rx rx = { .src_port = 68, .now = now_realtime_ms() / 1000 };
	int r = -ENOMEM;

	if (!msg || !rep || (r = make_discover(mac, arch, ipxe, msg)) < 0 ||
	    (r = dhcp_policy_new(cfg, leases, &policy)) < 0)
		goto out;
	rx.msg = msg;
	server_side(cfg, &rx.iface_addr, &rx.iface_mask);
	fprintf(out, "%s DISCOVER (arch %u, %s):\n", ipxe ? "iPXE's" : "The firmware's", arches[arch].arch,
		arches[arch].vendor);
	if ((r = dhcp_policy_handle(policy, &rx, rep)) < 0)
		goto out;
	if (rep->dest == DHCP_DEST_NONE)
		fprintf(out, "    no answer: %s\n", rep->why ? rep->why : "ignored");
	else
		print_reply(out, rep);
out:
	dhcp_policy_free(policy);
	free(msg);
	free(rep);
	return r;
}

static void explain_decisions(const struct config *cfg, const struct host *h, FILE *out)
{
	char ip[16];

	fprintf(out, "Decided by:\n");
	if (!h)
		fprintf(out, "    no host has this MAC: a pool address and the default menu ([boot])\n");
	else if (h->runtime)
		fprintf(out, "    host %s, added at runtime (labboot host ls)\n", h->name);
	else
		fprintf(out, "    host %s at %s:%d\n", h->name, cfg->path, h->line);
	for (size_t i = 0; h && i < h->n_nics; i++)
		if (h->nics[i].ip.s_addr) {
			const struct pool *p = config_pool_by_addr(cfg, h->nics[i].ip);
			fprintf(out, "    reserved %s%s%s", format_ipv4(ip, h->nics[i].ip), p ? ", in pool " : "",
				p ? p->name : "");
			if (p)
				fprintf(out, " at %s:%d", cfg->path, p->line);
			fputc('\n', out);
		}
	for (size_t i = 0; !h && i < cfg->n_pools; i++)
		fprintf(out, "    pool %s at %s:%d\n", cfg->pools[i].name, cfg->path, cfg->pools[i].line);
}

static int explain_script(const struct config *cfg, struct store *st, const uint8_t mac[6], FILE *out)
{
	struct ratelimit rl = RATELIMIT_INIT(1000, 10);
	char url[128], ip[16];
	struct boot_script bs = { .cfg = cfg, .st = st, .rl = &rl, .base_url = url };
	_cleanup_free_ char *script = malloc(IPXE_SCRIPT_MAX);
	int n;

	if (!script)
		return -ENOMEM;
	memcpy(bs.mac, mac, 6);
	if (cfg->boot_url)
		snprintf(url, sizeof(url), "%s", cfg->boot_url);
	else
		snprintf(url, sizeof(url), "http://%s%s%.0u", format_ipv4(ip, cfg->address), cfg->http_port == 80 ? "" : ":",
			 cfg->http_port == 80 ? 0 : cfg->http_port);
	bs.root_fd = open(cfg->http_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	n = boot_script_render(&bs, script, IPXE_SCRIPT_MAX);
	if (bs.root_fd >= 0)
		close(bs.root_fd);
	explain_decisions(cfg, bs.host, out);
	if (bs.image_name[0]) {
		const struct image *img = config_image_by_name(cfg, bs.image_name);
		fprintf(out, "    image %s", bs.image_name);
		if (img && !img->built)
			fprintf(out, " ([image \"%s\"] at %s:%d)", img->name, cfg->path, img->line);
		fprintf(out, ", %s\n", bs.host && bs.host->image ? "the host's image" : "[boot] image (the default)");
	}
	fprintf(out, "    netboot.xyz entry: %s (%s)\n", netbootxyz_way_text((enum netbootxyz_way)bs.netbootxyz),
		cfg->netbootxyz_url);
	if (bs.once)
		fprintf(out, "    one-shot next boot %s (labboot next-boot %s --clear)\n", bs.entry, bs.host->name);
	if (n < 0) {
		fprintf(out, "The script cannot be rendered: %s\n", strerror(-n));
		return n;
	}
	fprintf(out, "The script (%s/boot.ipxe?mac=...):\n%s", url, script);
	return 0;
}

int explain(const struct config *cfg, struct store *st, const uint8_t mac[6], const char *arch, FILE *out)
{
	struct lease_table *leases;
	size_t a = ARRAY_SIZE(arches);
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(arches); i++)
		if (strcmp(arches[i].name, arch) == 0)
			a = i;
	if (a == ARRAY_SIZE(arches)) {
		fprintf(stderr, "labboot: --arch: bios, efi64, arm64 or http\n");
		return -EINVAL;
	}
	if ((r = lease_table_new(&leases)) < 0)
		return r;
	if ((r = store_lease_foreach(st, load_lease, leases)) == 0 && cfg->dhcp_mode != DHCP_MODE_OFF &&
	    (r = explain_dhcp(cfg, leases, mac, a, false, out)) == 0)
		r = explain_dhcp(cfg, leases, mac, a, true, out);
	lease_table_free(leases);
	if (r == 0)
		r = explain_script(cfg, st, mac, out);
	return r;
}
