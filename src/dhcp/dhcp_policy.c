/* DHCP decisions (RFC 2131 4.3) and PXE boot answers (PXE 2.1, RFC 4578).
 * Addresses are compared in host byte order (ntohl) throughout. */
#include "dhcp/dhcp_policy.h"
#include "dhcp/dhcp_reply.h"
#include "core/util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>

struct reservation {
	uint32_t ip;                  /* host order */
	uint8_t mac[6];
};

struct dhcp_policy {
	const struct config *cfg;
	struct lease_table *leases;
	struct reservation *reserved; /* sorted by ip */
	size_t n_reserved;
	uint32_t cursor[CONFIG_MAX_POOLS];
};

/* The subnet a request belongs to and the settings in force there. */
struct network {
	uint32_t net, mask;
	const struct pool *pool;      /* NULL: reservations only */
	const struct dhcp_params *pool_par, *dflt_par;
	struct in_addr server_id;
};

static int cmp_reservation(const void *a, const void *b)
{
	uint32_t x = ((const struct reservation *)a)->ip, y = ((const struct reservation *)b)->ip;
	return x < y ? -1 : x > y;
}

int dhcp_policy_new(const struct config *cfg, struct lease_table *leases, struct dhcp_policy **ret)
{
	struct dhcp_policy *p = calloc(1, sizeof(*p));
	size_t n = 0;

	if (!p)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->n_hosts; i++)
		n += cfg->hosts[i].n_nics;
	p->reserved = calloc(n ? n : 1, sizeof(*p->reserved));
	if (!p->reserved) {
		free(p);
		return -ENOMEM;
	}
	for (size_t i = 0; i < cfg->n_hosts; i++) {
		const struct host *h = &cfg->hosts[i];
		for (size_t j = 0; j < h->n_nics; j++) {
			if (!h->nics[j].ip.s_addr)
				continue;
			p->reserved[p->n_reserved].ip = ntohl(h->nics[j].ip.s_addr);
			memcpy(p->reserved[p->n_reserved++].mac, h->nics[j].mac, 6);
		}
	}
	qsort(p->reserved, p->n_reserved, sizeof(*p->reserved), cmp_reservation);
	p->cfg = cfg;
	p->leases = leases;
	*ret = p;
	return 0;
}

void dhcp_policy_free(struct dhcp_policy *p)
{
	if (!p)
		return;
	free(p->reserved);
	free(p);
}

/* ---- client facts ----------------------------------------------------- */

int dhcp_client_arch(const struct dhcp_msg *m)
{
	size_t len;
	const uint8_t *v = dhcp_msg_option(m, DHCP_OPT_CLIENT_ARCH, &len);

	return v && len >= 2 ? rd_be16(v) : -1;
}

bool dhcp_client_is_ipxe(const struct dhcp_msg *m)
{
	size_t len;
	const uint8_t *uc = dhcp_msg_option(m, DHCP_OPT_USER_CLASS, &len);

	if (m->opt_present[DHCP_OPT_IPXE_ENCAP])
		return true;
	/* RFC 3004 says length-prefixed instances; iPXE sends the bare string. */
	return uc && ((len == 4 && memcmp(uc, "iPXE", 4) == 0) ||
		      (len == 5 && uc[0] == 4 && memcmp(uc + 1, "iPXE", 4) == 0));
}

bool dhcp_ipxe_has_feature(const struct dhcp_msg *m, uint8_t feature)
{
	size_t len;
	const uint8_t *v = dhcp_msg_option(m, DHCP_OPT_IPXE_ENCAP, &len);

	for (size_t i = 0; v && i + 2 <= len && i + 2 + v[i + 1] <= len; i += 2 + v[i + 1])
		if (v[i] == feature && v[i + 1] >= 1 && v[i + 2] != 0)
			return true;
	return false;
}

/* Hostname a client asks for (option 12), reduced to a valid DNS label. */
static void client_hostname(const struct dhcp_msg *m, char *out, size_t size)
{
	size_t len, n = 0;
	const uint8_t *v = dhcp_msg_option(m, DHCP_OPT_HOSTNAME, &len);

	for (size_t i = 0; v && i < len && n + 1 < size && n < 63; i++) {
		if (v[i] == '.')
			break; /* a FQDN: keep the first label */
		if (isalnum(v[i]) || (v[i] == '-' && n > 0))
			out[n++] = (char)tolower(v[i]);
	}
	while (n > 0 && out[n - 1] == '-')
		n--;
	out[n] = '\0';
}

/* ---- networks and addresses ------------------------------------------ */

static uint32_t pool_mask(const struct config *cfg, const struct pool *pool)
{
	return ntohl(pool->params.netmask.s_addr ? pool->params.netmask.s_addr : cfg->dhcp.netmask.s_addr);
}

static int select_network(const struct dhcp_policy *p, const struct dhcp_rx *rx, struct network *n)
{
	const struct config *cfg = p->cfg;
	uint32_t link = ntohl(rx->msg->giaddr.s_addr ? rx->msg->giaddr.s_addr : rx->iface_addr.s_addr);

	memset(n, 0, sizeof(*n));
	n->dflt_par = &cfg->dhcp;
	n->server_id = rx->iface_addr.s_addr ? rx->iface_addr : cfg->address;
	for (size_t i = 0; i < cfg->n_pools; i++) {
		uint32_t mask = pool_mask(cfg, &cfg->pools[i]);
		if ((link & mask) == (ntohl(cfg->pools[i].start.s_addr) & mask)) {
			n->pool = &cfg->pools[i];
			n->pool_par = &cfg->pools[i].params;
			n->mask = mask;
			n->net = link & mask;
			return 0;
		}
	}
	if (rx->msg->giaddr.s_addr)
		return -ENOENT; /* a relay for a subnet we do not serve */
	n->mask = rx->iface_mask.s_addr ? ntohl(rx->iface_mask.s_addr) : ntohl(cfg->dhcp.netmask.s_addr);
	n->net = link & n->mask;
	return 0;
}

static bool in_network(const struct network *n, uint32_t ip)
{
	return (ip & n->mask) == n->net && ip != n->net && ip != (n->net | ~n->mask);
}

static const struct reservation *reservation_at(const struct dhcp_policy *p, uint32_t ip)
{
	struct reservation key = { .ip = ip };
	return bsearch(&key, p->reserved, p->n_reserved, sizeof(key), cmp_reservation);
}

static bool lease_expired(const struct lease *l, uint64_t now)
{
	return l->expires <= now;
}

/* May `mac` have `ip`? Not if it is reserved for someone else, held by
 * another client's unexpired lease or offer, or quarantined. */
static bool address_available(const struct dhcp_policy *p, uint32_t ip, const uint8_t mac[6], uint64_t now)
{
	const struct reservation *res = reservation_at(p, ip);
	const struct lease *l;

	if (res && memcmp(res->mac, mac, 6) != 0)
		return false;
	l = lease_table_by_ip(p->leases, (struct in_addr){ htonl(ip) });
	if (!l)
		return true;
	if (l->state == LEASE_DECLINED)
		return lease_expired(l, now);
	return memcmp(l->mac, mac, 6) == 0 || lease_expired(l, now);
}

static bool in_pool(const struct pool *pool, uint32_t ip)
{
	return pool && ip >= ntohl(pool->start.s_addr) && ip <= ntohl(pool->end.s_addr);
}

/* The host's reserved address on this network, 0 if none. */
static uint32_t reserved_address(const struct host_nic *nic, const struct network *n)
{
	uint32_t ip = nic ? ntohl(nic->ip.s_addr) : 0;
	return ip && in_network(n, ip) ? ip : 0;
}

static uint32_t scan_pool(struct dhcp_policy *p, const struct network *n, const uint8_t mac[6], uint64_t now)
{
	const struct pool *pool = n->pool;
	size_t idx = (size_t)(pool - p->cfg->pools);
	uint32_t lo = ntohl(pool->start.s_addr), size = ntohl(pool->end.s_addr) - lo + 1;
	uint32_t oldest_ip = 0;
	uint64_t oldest = UINT64_MAX;

	/* First pass: never-used addresses, from a rotating cursor so a busy
	 * pool is not rescanned from its start for every client. */
	for (uint32_t i = 0; i < size; i++) {
		uint32_t ip = lo + (p->cursor[idx] + i) % size;
		const struct lease *l;
		if (!in_network(n, ip) || ip == ntohl(n->server_id.s_addr) || reservation_at(p, ip))
			continue;
		l = lease_table_by_ip(p->leases, (struct in_addr){ htonl(ip) });
		if (!l) {
			p->cursor[idx] = (ip - lo + 1) % size;
			return ip;
		}
		if (lease_expired(l, now) && l->expires < oldest && address_available(p, ip, mac, now)) {
			oldest = l->expires;
			oldest_ip = ip;
		}
	}
	return oldest_ip; /* the address whose lease ended longest ago, or 0 */
}

/* RFC 2131 4.3.1 order: reservation, the client's current or previous
 * address, the address it asks for, then a free one. */
static uint32_t choose_address(struct dhcp_policy *p, const struct dhcp_rx *rx, const struct network *n,
			       const struct host_nic *nic, const char **why)
{
	const uint8_t *mac = rx->msg->chaddr;
	uint32_t ip = reserved_address(nic, n);
	struct in_addr req;
	const struct lease *l;

	if (ip) {
		if (address_available(p, ip, mac, rx->now))
			return ip;
		l = lease_table_by_ip(p->leases, (struct in_addr){ htonl(ip) });
		/* a declined address rests (DHCP_DECLINE_QUARANTINE_S), even a reserved one */
		*why = l && l->state == LEASE_DECLINED ? "reserved address declined, quarantined for 10 minutes"
							: "reserved address is leased to another client";
		return 0;
	}
	if (!n->pool) {
		*why = "no range on this network and no reservation";
		return 0;
	}
	l = lease_table_by_mac(p->leases, mac, ntohl(n->pool->start.s_addr), ntohl(n->pool->end.s_addr));
	if (l && address_available(p, ntohl(l->ip.s_addr), mac, rx->now))
		return ntohl(l->ip.s_addr);
	if (dhcp_msg_option_addr(rx->msg, DHCP_OPT_REQUESTED_IP, &req) == 0) {
		ip = ntohl(req.s_addr);
		if (in_pool(n->pool, ip) && in_network(n, ip) && ip != ntohl(n->server_id.s_addr) &&
		    address_available(p, ip, mac, rx->now))
			return ip;
	}
	ip = scan_pool(p, n, mac, rx->now);
	if (!ip)
		*why = "no free address in the range";
	return ip;
}

/* Is `ip` one this client may be ACKed for on this network? */
static bool address_acceptable(const struct dhcp_policy *p, const struct dhcp_rx *rx, const struct network *n,
			       const struct host_nic *nic, uint32_t ip, const char **why)
{
	uint32_t reserved = reserved_address(nic, n);

	if (!in_network(n, ip)) {
		*why = "address not on the client's network";
		return false;
	}
	if (reserved && ip != reserved) {
		*why = "client has another reserved address";
		return false;
	}
	if (!reserved && !in_pool(n->pool, ip)) {
		*why = "address outside the range";
		return false;
	}
	if (!address_available(p, ip, rx->msg->chaddr, rx->now)) {
		*why = "address belongs to another client";
		return false;
	}
	return true;
}

static struct lease *take_lease(struct dhcp_policy *p, const struct dhcp_rx *rx, uint32_t ip,
				enum lease_state state, uint64_t expires, const char *hostname)
{
	struct in_addr a = { htonl(ip) };
	struct lease *l = lease_table_by_ip(p->leases, a);
	size_t cid_len;
	const uint8_t *cid = dhcp_msg_option(rx->msg, DHCP_OPT_CLIENT_ID, &cid_len);

	if (!l) {
		struct lease fresh = { .ip = a };
		memcpy(fresh.mac, rx->msg->chaddr, 6);
		if (lease_table_insert(p->leases, &fresh, &l) < 0)
			return NULL;
	}
	lease_table_set_mac(p->leases, l, rx->msg->chaddr);
	l->state = state;
	l->expires = expires;
	snprintf(l->hostname, sizeof(l->hostname), "%s", hostname);
	l->client_id_len = 0;
	if (cid && cid_len <= sizeof(l->client_id)) {
		memcpy(l->client_id, cid, cid_len);
		l->client_id_len = (uint8_t)cid_len;
	}
	return l;
}

static uint32_t lease_time_for(const struct dhcp_policy *p, const struct dhcp_rx *rx, const struct network *n,
			       const struct host *host)
{
	uint32_t t = host && host->lease_time ? host->lease_time : pool_lease_time(p->cfg, n->pool);
	uint8_t buf[4];
	size_t len;
	const uint8_t *req = dhcp_msg_option(rx->msg, DHCP_OPT_LEASE_TIME, &len);

	/* A client may ask for a shorter lease, never a longer one. */
	if (req && len == 4) {
		memcpy(buf, req, 4);
		if (rd_be32(buf) >= 60 && rd_be32(buf) < t)
			t = rd_be32(buf);
	}
	return t;
}

/* ---- replies ---------------------------------------------------------- */

/* RFC 2131 4.1: where a server reply goes. */
static void set_destination(const struct dhcp_rx *rx, struct dhcp_reply *out)
{
	const struct dhcp_msg *m = rx->msg;

	out->dest_port = 68;
	if (m->giaddr.s_addr) {
		out->dest = DHCP_DEST_UNICAST;
		out->dest_ip = m->giaddr;
		out->dest_port = 67;
	} else if (out->type == DHCP_NAK) {
		out->dest = DHCP_DEST_BROADCAST;
	} else if (m->ciaddr.s_addr) {
		out->dest = DHCP_DEST_UNICAST;
		out->dest_ip = m->ciaddr;
	} else if ((m->flags & DHCP_FLAG_BROADCAST) || !out->addr.s_addr) {
		out->dest = DHCP_DEST_BROADCAST;
	} else {
		out->dest = DHCP_DEST_UNICAST_HW;
		out->dest_ip = out->addr;
	}
}

static int reply(const struct dhcp_policy *p, const struct dhcp_rx *rx, const struct network *n,
		 const struct host *host, uint8_t type, uint32_t yiaddr, uint32_t lease_time,
		 const char *hostname, struct dhcp_reply *out)
{
	struct reply_params rp = {
		.cfg = p->cfg, .rx = rx, .type = type, .server_id = n->server_id, .mask = n->mask,
		.pool_par = n->pool_par, .dflt_par = n->dflt_par, .host = host,
		.hostname = hostname ? hostname : "", .yiaddr = { htonl(yiaddr) },
		.ciaddr = rx->msg->ciaddr, .lease_time = lease_time, .message = out->why,
	};
	int r;

	out->type = type;
	out->addr = rp.yiaddr;
	snprintf(out->hostname, sizeof(out->hostname), "%s", rp.hostname);
	if ((r = dhcp_reply_build(&rp, out)) < 0)
		return r;
	set_destination(rx, out);
	return 0;
}

static int nak(const struct dhcp_policy *p, const struct dhcp_rx *rx, const struct network *n,
	       const char *why, struct dhcp_reply *out)
{
	out->why = why;
	return reply(p, rx, n, NULL, DHCP_NAK, 0, 0, NULL, out);
}

static void persist(struct dhcp_reply *out, const struct lease *l, enum dhcp_lease_event ev)
{
	out->persist = true;
	out->lease = *l;
	out->event = l->hostname[0] ? ev : DHCP_LEASE_EVENT_NONE;
}

/* Name the lease carries: the reservation's, else what the client asked,
 * unless that is a configured host's name: a stranger must not take over
 * beta.lab by calling itself beta (dnsmasq refuses such names too). */
static void lease_hostname(const struct config *cfg, const struct dhcp_rx *rx, const struct host *host,
			   char *out, size_t size)
{
	if (host) {
		snprintf(out, size, "%s", host->name);
		return;
	}
	client_hostname(rx->msg, out, size);
	if (out[0] && config_host_by_name(cfg, out))
		out[0] = '\0';
}

/* ---- message handlers (RFC 2131 4.3) ----------------------------------- */

static int on_discover(struct dhcp_policy *p, const struct dhcp_rx *rx, const struct network *n,
		       const struct host *host, const struct host_nic *nic, struct dhcp_reply *out)
{
	char name[64];
	uint32_t ip = choose_address(p, rx, n, nic, &out->why);
	uint32_t lt;
	struct lease *l;

	if (!ip)
		return 0;
	lease_hostname(p->cfg, rx, host, name, sizeof(name));
	lt = lease_time_for(p, rx, n, host);
	l = lease_table_by_ip(p->leases, (struct in_addr){ htonl(ip) });
	/* A client rebooting into DISCOVER keeps its bound lease as it is. */
	if (!l || memcmp(l->mac, rx->msg->chaddr, 6) != 0 || l->state != LEASE_BOUND || lease_expired(l, rx->now)) {
		if (!take_lease(p, rx, ip, LEASE_OFFERED, rx->now + DHCP_OFFER_HOLD_S, name)) {
			out->why = "lease table full";
			return 0;
		}
	}
	return reply(p, rx, n, host, DHCP_OFFER, ip, lt, name, out);
}

/* The address a REQUEST asks for, by client state (RFC 2131 4.3.2). */
static uint32_t requested_address(const struct dhcp_msg *m)
{
	struct in_addr a;

	if (dhcp_msg_option_addr(m, DHCP_OPT_REQUESTED_IP, &a) == 0 && a.s_addr)
		return ntohl(a.s_addr);   /* SELECTING or INIT-REBOOT */
	return ntohl(m->ciaddr.s_addr); /* RENEWING or REBINDING */
}

static void forget_offer(struct dhcp_policy *p, const uint8_t mac[6])
{
	struct lease *l;

	while ((l = lease_table_by_mac(p->leases, mac, 0, UINT32_MAX)) && l->state == LEASE_OFFERED)
		lease_table_remove(p->leases, l);
}

static int on_request(struct dhcp_policy *p, const struct dhcp_rx *rx, const struct network *n,
		      const struct host *host, const struct host_nic *nic, struct dhcp_reply *out)
{
	struct in_addr sid;
	char name[64];
	uint32_t ip, lt;
	struct lease *l;

	if (dhcp_msg_option_addr(rx->msg, DHCP_OPT_SERVER_ID, &sid) == 0 && sid.s_addr != n->server_id.s_addr) {
		/* The client chose another server's offer: release ours. */
		forget_offer(p, rx->msg->chaddr);
		out->why = "client selected another server";
		return 0;
	}
	ip = requested_address(rx->msg);
	if (!ip) {
		out->why = "request names no address";
		return 0;
	}
	if (!address_acceptable(p, rx, n, nic, ip, &out->why))
		return nak(p, rx, n, out->why, out);
	lease_hostname(p->cfg, rx, host, name, sizeof(name));
	lt = lease_time_for(p, rx, n, host);
	l = take_lease(p, rx, ip, LEASE_BOUND, rx->now + lt, name);
	if (!l) {
		out->why = "lease table full";
		return 0;
	}
	persist(out, l, DHCP_LEASE_EVENT_BOUND);
	return reply(p, rx, n, host, DHCP_ACK, ip, lt, name, out);
}

/* DECLINE and RELEASE name the server they are meant for (RFC 2131 4.4.4,
 * 4.4.6); on a LAN with several servers, ignore the others' messages. */
static bool addressed_to_us(const struct dhcp_rx *rx, const struct network *n)
{
	struct in_addr sid;

	return dhcp_msg_option_addr(rx->msg, DHCP_OPT_SERVER_ID, &sid) < 0 || sid.s_addr == n->server_id.s_addr;
}

static int on_decline(struct dhcp_policy *p, const struct dhcp_rx *rx, const struct network *n,
		      struct dhcp_reply *out)
{
	uint32_t ip = requested_address(rx->msg);
	struct lease *l = lease_table_by_ip(p->leases, (struct in_addr){ htonl(ip) });

	out->addr.s_addr = htonl(ip);
	if (!addressed_to_us(rx, n)) {
		out->why = "decline for another server";
		return 0;
	}
	if (!l || memcmp(l->mac, rx->msg->chaddr, 6) != 0) {
		out->why = "decline for an address the client does not hold";
		return 0;
	}
	/* RFC 2131 3.1.5: the address is in use by someone we do not know. */
	l->state = LEASE_DECLINED;
	l->expires = rx->now + DHCP_DECLINE_QUARANTINE_S;
	persist(out, l, DHCP_LEASE_EVENT_ENDED);
	out->why = "address quarantined";
	return 0;
}

static int on_release(struct dhcp_policy *p, const struct dhcp_rx *rx, const struct network *n,
		      struct dhcp_reply *out)
{
	struct lease *l = lease_table_by_ip(p->leases, rx->msg->ciaddr);

	out->addr = rx->msg->ciaddr;
	if (!addressed_to_us(rx, n)) {
		out->why = "release for another server";
		return 0;
	}
	if (!l || memcmp(l->mac, rx->msg->chaddr, 6) != 0 || l->state != LEASE_BOUND) {
		out->why = "release of an address the client does not hold";
		return 0;
	}
	/* Kept, expired, so the client gets the same address next time. */
	l->state = LEASE_RELEASED;
	l->expires = rx->now;
	persist(out, l, DHCP_LEASE_EVENT_ENDED);
	out->why = "released";
	return 0;
}

static int on_inform(struct dhcp_policy *p, const struct dhcp_rx *rx, const struct network *n,
		     const struct host *host, struct dhcp_reply *out)
{
	if (!rx->msg->ciaddr.s_addr) {
		out->why = "INFORM without ciaddr";
		return 0;
	}
	return reply(p, rx, n, host, DHCP_ACK, 0, 0, host ? host->name : NULL, out);
}

/* proxyDHCP (PXE 2.1 2.2.5): boot information only, beside another server
 * that assigns the addresses. DISCOVER on 67 gets an OFFER, REQUEST on 4011
 * an ACK; everything else is the other server's business. */
static int on_proxy(struct dhcp_policy *p, const struct dhcp_rx *rx, const struct host *host,
		    struct dhcp_reply *out)
{
	const struct dhcp_msg *m = rx->msg;
	struct reply_params rp = {
		.cfg = p->cfg, .rx = rx, .server_id = rx->iface_addr.s_addr ? rx->iface_addr : p->cfg->address,
		.host = host, .hostname = host ? host->name : "", .ciaddr = m->ciaddr, .boot_only = true,
	};
	bool netboot = dhcp_msg_option_has_prefix(m, DHCP_OPT_VENDOR_CLASS, "PXEClient") ||
		       dhcp_msg_option_has_prefix(m, DHCP_OPT_VENDOR_CLASS, "HTTPClient") ||
		       dhcp_client_is_ipxe(m);
	int r;

	if (!netboot) {
		out->why = "not a network boot client (proxy mode)";
		return 0;
	}
	if (m->type == DHCP_DISCOVER && !rx->port_4011)
		rp.type = DHCP_OFFER;
	else if (m->type == DHCP_REQUEST && rx->port_4011)
		rp.type = DHCP_ACK;
	else {
		out->why = "left to the network's DHCP server (proxy mode)";
		return 0;
	}
	out->type = rp.type;
	if ((r = dhcp_reply_build(&rp, out)) < 0)
		return r;
	if (rx->port_4011) {
		/* PXE 2.1: answer the boot server request where it came from. */
		out->dest = DHCP_DEST_UNICAST;
		out->dest_ip = rx->src;
		out->dest_port = rx->src_port;
	} else {
		set_destination(rx, out);
	}
	return 0;
}

int dhcp_policy_handle(struct dhcp_policy *p, const struct dhcp_rx *rx, struct dhcp_reply *out)
{
	const struct dhcp_msg *m = rx->msg;
	const struct host_nic *nic = NULL;
	const struct host *host = config_host_by_mac(p->cfg, m->chaddr, &nic);
	struct network n;

	memset(out, 0, offsetof(struct dhcp_reply, lease));
	out->persist = false;
	out->event = DHCP_LEASE_EVENT_NONE;
	out->hostname[0] = out->boot_file[0] = '\0';
	out->why = NULL;
	out->addr.s_addr = 0;
	if (m->op != DHCP_OP_REQUEST || m->type == 0) {
		out->why = m->type == 0 ? "BOOTP is not served" : "not a client request";
		return 0;
	}
	if (p->cfg->dhcp_mode == DHCP_MODE_PROXY)
		return on_proxy(p, rx, host, out);
	if (rx->port_4011) {
		out->why = "port 4011 is for proxy mode";
		return 0;
	}
	if (select_network(p, rx, &n) < 0) {
		out->why = "relay from a network without a range";
		return 0;
	}
	switch (m->type) {
	case DHCP_DISCOVER: return on_discover(p, rx, &n, host, nic, out);
	case DHCP_REQUEST: return on_request(p, rx, &n, host, nic, out);
	case DHCP_DECLINE: return on_decline(p, rx, &n, out);
	case DHCP_RELEASE: return on_release(p, rx, &n, out);
	case DHCP_INFORM: return on_inform(p, rx, &n, host, out);
	default:
		out->why = "unexpected message type";
		return 0;
	}
}
