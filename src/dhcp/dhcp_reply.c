/* Reply assembly: address options in the order clients need them most (so
 * a small maximum message size drops the least important), the client's
 * parameter request list honoured for everything optional, and the PXE /
 * iPXE / UEFI HTTP boot answer. */
#include "dhcp/dhcp_reply.h"
#include "core/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>

/* RFC 4578 2.1 client system architectures */
enum client_arch {
	ARCH_BIOS = 0,
	ARCH_EFI_IA32 = 6,
	ARCH_EFI_BC = 7,
	ARCH_EFI_X64 = 9,
	ARCH_EFI_ARM64 = 11,
	ARCH_EFI_X64_HTTP = 16,
	ARCH_EFI_ARM64_HTTP = 19,
};

struct assembly {
	struct dhcp_builder b;
	bool added[256];
	const uint8_t *prl;           /* parameter request list, NULL: none sent */
	size_t prl_len;
};

static bool requested(const struct assembly *a, uint8_t code)
{
	return a->prl && memchr(a->prl, code, a->prl_len) != NULL;
}

/* Adds an option once; a full message silently drops it (logged by the
 * caller through the reply size if it matters). */
static void put(struct assembly *a, uint8_t code, const void *data, size_t len)
{
	if (a->added[code] || len == 0)
		return;
	if (dhcp_build_option(&a->b, code, data, len) == 0)
		a->added[code] = true;
}

static void put_addrs(struct assembly *a, uint8_t code, const struct addr_list *l)
{
	put(a, code, l->addr, l->n * sizeof(l->addr[0]));
}

static void put_u32(struct assembly *a, uint8_t code, uint32_t v)
{
	uint8_t buf[4];
	wr_be32(buf, v);
	put(a, code, buf, 4);
}

static void put_str(struct assembly *a, uint8_t code, const char *s)
{
	if (s)
		put(a, code, s, strlen(s));
}

/* The pool's value if it has one, else [dhcp]'s. */
#define PARAM(rp, field) ((rp)->pool_par && (rp)->pool_par->field.n ? &(rp)->pool_par->field : &(rp)->dflt_par->field)

static void put_extra(struct assembly *a, const struct dhcp_extra_option *opts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!a->prl || requested(a, opts[i].code))
			put(a, opts[i].code, opts[i].data, opts[i].len);
}

static void put_address_options(struct assembly *a, const struct reply_params *rp)
{
	const char *domain = rp->pool_par && rp->pool_par->domain ? rp->pool_par->domain : rp->dflt_par->domain;
	uint32_t mask = htonl(rp->mask);

	if (rp->lease_time) {
		put_u32(a, DHCP_OPT_LEASE_TIME, rp->lease_time);
		put_u32(a, DHCP_OPT_T1, rp->lease_time / 2);
		put_u32(a, DHCP_OPT_T2, (uint32_t)((uint64_t)rp->lease_time * 7 / 8));
	}
	put(a, DHCP_OPT_SUBNET_MASK, &mask, 4);
	put_addrs(a, DHCP_OPT_ROUTER, PARAM(rp, routers));
	put_addrs(a, DHCP_OPT_DNS, PARAM(rp, dns));
	put_str(a, DHCP_OPT_HOSTNAME, rp->hostname[0] ? rp->hostname : NULL);
	put_str(a, DHCP_OPT_DOMAIN, domain);
	if (!a->prl || requested(a, DHCP_OPT_BROADCAST)) {
		uint32_t bcast = rp->yiaddr.s_addr ? rp->yiaddr.s_addr | ~mask : rp->ciaddr.s_addr | ~mask;
		put(a, DHCP_OPT_BROADCAST, &bcast, 4);
	}
	if (requested(a, DHCP_OPT_NTP))
		put_addrs(a, DHCP_OPT_NTP, PARAM(rp, ntp));
	/* Extra options: the host's win over the pool's over [dhcp]'s. */
	if (rp->host)
		put_extra(a, rp->host->opts, rp->host->n_opts);
	if (rp->pool_par)
		put_extra(a, rp->pool_par->opts, rp->pool_par->n_opts);
	put_extra(a, rp->dflt_par->opts, rp->dflt_par->n_opts);
}

/* ---- network boot ------------------------------------------------------ */

static void boot_url(const struct reply_params *rp, char *out, size_t size)
{
	char ip[16];

	if (rp->cfg->boot_url)
		snprintf(out, size, "%s", rp->cfg->boot_url);
	else if (rp->cfg->http_port == 80)
		snprintf(out, size, "http://%s", format_ipv4(ip, rp->server_id));
	else
		snprintf(out, size, "http://%s:%u", format_ipv4(ip, rp->server_id), rp->cfg->http_port);
}

static const char *pxe_file_for_arch(const struct config *cfg, int arch)
{
	switch (arch) {
	case ARCH_EFI_BC:
	case ARCH_EFI_X64:
		return cfg->boot_efi64;
	case ARCH_EFI_ARM64:
		return cfg->boot_arm64;
	case ARCH_BIOS:
	case -1:
		return cfg->boot_bios;
	default:
		return NULL; /* IA32 EFI and others: nothing we ship */
	}
}

/* Fills out->boot_file. Returns the vendor class to echo, or NULL when the
 * client is not booting from the network. */
static const char *choose_boot(const struct reply_params *rp, struct dhcp_reply *out)
{
	const struct dhcp_msg *m = rp->rx->msg;
	const struct config *cfg = rp->cfg;
	bool pxe = dhcp_msg_option_has_prefix(m, DHCP_OPT_VENDOR_CLASS, "PXEClient");
	bool http = dhcp_msg_option_has_prefix(m, DHCP_OPT_VENDOR_CLASS, "HTTPClient");
	int arch = dhcp_client_arch(m);
	char base[200], mac[18];
	const char *file;

	if (dhcp_client_is_ipxe(m)) {
		/* Break the loop: iPXE gets its script, not iPXE again. */
		boot_url(rp, base, sizeof(base));
		snprintf(out->boot_file, sizeof(out->boot_file), "%s/boot.ipxe?mac=%s%s", base,
			 format_mac(mac, m->chaddr),
			 dhcp_ipxe_has_feature(m, DHCP_IPXE_FEATURE_HTTPS) ? "&https=1" : "");
		return pxe ? "PXEClient" : http ? "HTTPClient" : "";
	}
	if (http) {
		file = rp->host && rp->host->boot_file ? rp->host->boot_file : NULL;
		if (file && strncmp(file, "http", 4) == 0) {
			snprintf(out->boot_file, sizeof(out->boot_file), "%s", file);
		} else {
			boot_url(rp, base, sizeof(base));
			snprintf(out->boot_file, sizeof(out->boot_file), "%s/ipxe/%s", base,
				 arch == ARCH_EFI_ARM64_HTTP ? cfg->boot_arm64 : cfg->boot_efi64);
		}
		return "HTTPClient";
	}
	if (!pxe)
		return NULL;
	file = rp->host && rp->host->boot_file ? rp->host->boot_file : pxe_file_for_arch(cfg, arch);
	if (!file)
		return NULL;
	snprintf(out->boot_file, sizeof(out->boot_file), "%s", file);
	return "PXEClient";
}

static void put_boot_options(struct assembly *a, const struct reply_params *rp, struct dhcp_reply *out)
{
	const struct dhcp_msg *m = rp->rx->msg;
	const char *vendor = choose_boot(rp, out);
	size_t uuid_len;
	const uint8_t *uuid;

	if (!vendor)
		return;
	/* next-server: EDK2 and Debian's iPXE ignore a boot answer without it */
	memcpy(a->b.buf + 20, &rp->server_id, 4);
	if (strlen(out->boot_file) < 128)
		dhcp_build_set_file(&a->b, out->boot_file);
	put_str(a, DHCP_OPT_VENDOR_CLASS, vendor[0] ? vendor : NULL);
	if (strcmp(vendor, "PXEClient") == 0 && !dhcp_client_is_ipxe(m)) {
		/* PXE 2.1 vendor options: discovery control 8 = boot the file
		 * named in this packet, no boot server discovery or menu. */
		static const uint8_t pxe_opts[] = { 6, 1, 8, 255 };
		put(a, DHCP_OPT_VENDOR, pxe_opts, sizeof(pxe_opts));
	}
	if (dhcp_client_is_ipxe(m) && !rp->boot_only) {
		/* iPXE encapsulated option no-pxedhcp (175.176): we are the only
		 * server, so iPXE need not wait for ProxyDHCP offers. */
		static const uint8_t ipxe_opts[] = { 176, 1, 1 };
		put(a, DHCP_OPT_IPXE_ENCAP, ipxe_opts, sizeof(ipxe_opts));
	}
	/* Long URLs do not fit the file field; option 67 carries them. The
	 * NUL is sent too: EDK2's PXE and HTTP boot drivers terminate an
	 * unterminated option 67 in place, overwriting the tag of the option
	 * after it (OVMF then loses the subnet mask and declines the lease,
	 * "Lease is denied upon entering bound"). dnsmasq sends it as well. */
	if (strlen(out->boot_file) >= 128 || requested(a, DHCP_OPT_BOOTFILE) || vendor[0] != 'P')
		put(a, DHCP_OPT_BOOTFILE, out->boot_file, strlen(out->boot_file) + 1);
	uuid = dhcp_msg_option(m, DHCP_OPT_UUID, &uuid_len);
	if (uuid && rp->boot_only && uuid_len == 17)
		put(a, DHCP_OPT_UUID, uuid, uuid_len); /* PXE 2.1: proxy echoes the client UUID */
}

static size_t reply_room(const struct dhcp_msg *m)
{
	uint16_t max = 0;

	/* RFC 2132 9.10: at least 576; our buffer caps it. */
	if (dhcp_msg_option_u16(m, DHCP_OPT_MAX_MSG_SIZE, &max) < 0 || max < DHCP_DEFAULT_MAX_MSG)
		max = DHCP_DEFAULT_MAX_MSG;
	return MIN((size_t)max, (size_t)DHCP_MAX_MSG) - DHCP_IP_UDP_HDR;
}

int dhcp_reply_build(const struct reply_params *rp, struct dhcp_reply *out)
{
	const struct dhcp_msg *m = rp->rx->msg;
	struct assembly a = { 0 };
	int r;

	a.prl = dhcp_msg_option(m, DHCP_OPT_PARAM_REQUEST, &a.prl_len);
	if ((r = dhcp_build_init(&a.b, out->buf, reply_room(m), m, rp->type)) < 0)
		return r;
	put(&a, DHCP_OPT_SERVER_ID, &rp->server_id, 4);
	if (rp->type == DHCP_NAK) {
		put_str(&a, DHCP_OPT_MESSAGE, rp->message);
		if (m->giaddr.s_addr) /* RFC 2131 4.3.2: the relay must broadcast it */
			dhcp_build_set_flags(&a.b, m->flags | DHCP_FLAG_BROADCAST);
	} else {
		dhcp_build_set_addrs(&a.b, rp->type == DHCP_ACK ? rp->ciaddr : (struct in_addr){ 0 },
				     rp->yiaddr, (struct in_addr){ 0 });
		put_boot_options(&a, rp, out);
		if (!rp->boot_only)
			put_address_options(&a, rp);
	}
	r = dhcp_build_finish(&a.b);
	if (r < 0)
		return r;
	out->len = (size_t)r;
	return 0;
}
