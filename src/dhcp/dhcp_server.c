/* DHCP server I/O: one socket per interface (port 67, and 4011 in proxy
 * mode), a batch of datagrams per wake-up, the batch's lease changes
 * committed (fsync) in one transaction, then the replies sent. */
#include "dhcp/dhcp_server.h"
#include "dhcp/dhcp_policy.h"
#include "dhcp/lease_clock.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/metrics.h"
#include "core/util.h"
#include "store/store.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>

#define DHCP_BATCH 32                 /* datagrams handled per commit */
#define DHCP_EXPIRY_SCAN_MS 15000
#define DHCP_RECENT_NETBOOT 256       /* machines remembered as booting now */
#define DHCP_RECENT_NETBOOT_S 120
#define DHCP_USAGE_MS 1000            /* pool gauges recounted at most this often */

struct dhcp_iface {
	struct dhcp_server *srv;
	char name[IF_NAMESIZE];
	int ifindex;
	struct in_addr addr, mask;
	int fd;                       /* port 67 */
	int fd_4011;                  /* proxy mode only, else -1 */
};

struct dhcp_server {
	const struct config *cfg;
	struct loop *loop;
	struct store *st;
	struct lease_table *leases;
	struct dhcp_policy *policy;
	struct dhcp_iface ifaces[CONFIG_MAX_IFACES];
	size_t n_ifaces;
	struct loop_timer *expiry_timer;
	struct lease_clock clock;     /* lease times: see lease_clock.h */
	struct metrics *metrics;
	struct loop_timer *usage_timer;   /* a recount of the pool gauges is due */
	bool usage_due;
	uint64_t usage_at_ms;             /* the last recount */
	dhcp_lease_hook hook;
	void *hook_userdata;
	struct dhcp_msg msg;              /* scratch, large: not on the stack */
	struct dhcp_reply batch[DHCP_BATCH];
	struct ratelimit rl_bad;
	struct ratelimit rl_silent;
	struct ratelimit rl_store;   /* a full state disk fails every batch */
	unsigned long n_bad;
	struct { uint8_t mac[6]; uint64_t when_ms; } recent[DHCP_RECENT_NETBOOT];
	size_t recent_next;
};

static uint64_t lease_now_s(const struct dhcp_server *srv)
{
	return lease_clock_now_ms(&srv->clock, now_monotonic_ms()) / 1000;
}

static bool is_netboot_client(const struct dhcp_msg *m)
{
	return dhcp_msg_option_has_prefix(m, DHCP_OPT_VENDOR_CLASS, "PXEClient") ||
	       dhcp_msg_option_has_prefix(m, DHCP_OPT_VENDOR_CLASS, "HTTPClient") ||
	       dhcp_client_is_ipxe(m);
}

static void remember_netboot(struct dhcp_server *srv, const uint8_t mac[6])
{
	size_t i = srv->recent_next++ % DHCP_RECENT_NETBOOT;

	memcpy(srv->recent[i].mac, mac, 6);
	srv->recent[i].when_ms = now_monotonic_ms();
}

bool dhcp_server_recent_netboot(const struct dhcp_server *srv, const uint8_t mac[6])
{
	uint64_t now = now_monotonic_ms();

	for (size_t i = 0; i < DHCP_RECENT_NETBOOT; i++)
		if (srv->recent[i].when_ms && now - srv->recent[i].when_ms < DHCP_RECENT_NETBOOT_S * 1000 &&
		    memcmp(srv->recent[i].mac, mac, 6) == 0)
			return true;
	return false;
}

static int iface_lookup(struct dhcp_iface *ifc)
{
	struct ifaddrs *list, *i;

	ifc->ifindex = (int)if_nametoindex(ifc->name);
	if (!ifc->ifindex)
		return -ENODEV;
	if (getifaddrs(&list) < 0)
		return -errno;
	for (i = list; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || strcmp(i->ifa_name, ifc->name) != 0)
			continue;
		ifc->addr = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
		ifc->mask = ((struct sockaddr_in *)i->ifa_netmask)->sin_addr;
		break;
	}
	freeifaddrs(list);
	return 0;
}

static int open_socket(const char *ifname, uint16_t port)
{
	_cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1;

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)) < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	return TAKE_FD(fd);
}

/* ---- sending ------------------------------------------------------------ */

/* A client without an address cannot answer ARP for the one we offer; put
 * the entry in the kernel's table so the unicast reply can go out (RFC 2131
 * 4.1; what dnsmasq does too). */
static int arp_inject(const struct dhcp_iface *ifc, struct in_addr ip, const uint8_t *mac)
{
	struct arpreq req = { 0 };
	struct sockaddr_in *sa = (struct sockaddr_in *)&req.arp_pa;

	sa->sin_family = AF_INET;
	sa->sin_addr = ip;
	req.arp_ha.sa_family = ARPHRD_ETHER;
	memcpy(req.arp_ha.sa_data, mac, 6);
	req.arp_flags = ATF_COM;
	snprintf(req.arp_dev, sizeof(req.arp_dev), "%s", ifc->name);
	return ioctl(ifc->fd, SIOCSARP, &req) < 0 ? -errno : 0;
}

static int send_reply(const struct dhcp_iface *ifc, int fd, const struct dhcp_reply *out, const uint8_t *chaddr,
		      struct in_addr server_id)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(out->dest_port) };
	union { char buf[CMSG_SPACE(sizeof(struct in_pktinfo))]; struct cmsghdr align; } ctl = { 0 };
	struct iovec iov = { .iov_base = (void *)out->buf, .iov_len = out->len };
	struct msghdr mh = { .msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	struct in_pktinfo *pi;

	to.sin_addr = out->dest_ip;
	if (out->dest == DHCP_DEST_BROADCAST)
		to.sin_addr.s_addr = INADDR_BROADCAST;
	else if (out->dest == DHCP_DEST_UNICAST_HW && arp_inject(ifc, out->dest_ip, chaddr) < 0)
		to.sin_addr.s_addr = INADDR_BROADCAST; /* no ARP entry: broadcast still reaches it */
	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(*pi));
	pi = (struct in_pktinfo *)CMSG_DATA(c);
	pi->ipi_ifindex = ifc->ifindex;
	pi->ipi_spec_dst = server_id;
	if (sendmsg(fd, &mh, 0) < 0)
		return -errno;
	return 0;
}

/* ---- receiving ---------------------------------------------------------- */

static void log_exchange(const struct dhcp_iface *ifc, const struct dhcp_msg *m, const struct dhcp_reply *out)
{
	char mac[18], ip[16];

	format_mac(mac, m->chaddr);
	if (out->dest != DHCP_DEST_NONE) {
		log_info("dhcp %s: %s %s -> %s %s%s%s%s%s", ifc->name, dhcp_msg_type_name(m->type), mac,
			 dhcp_msg_type_name(out->type), format_ipv4(ip, out->addr),
			 out->hostname[0] ? " host " : "", out->hostname,
			 out->boot_file[0] ? " file " : "", out->boot_file);
	} else {
		char said[128] = "";
		size_t len;
		const uint8_t *msg56 = dhcp_msg_option(m, DHCP_OPT_MESSAGE, &len);
		if (msg56) { /* a client's reason for DECLINE or RELEASE */
			char esc[100];
			snprintf(said, sizeof(said), " (client says \"%s\")", log_escape(esc, sizeof(esc), msg56, len));
		}
		/* requests we do not answer are what a flood consists of */
		log_ratelimited(&ifc->srv->rl_silent, LOG_LEVEL_INFO, "dhcp %s: %s %s%s%s: %s%s", ifc->name,
				dhcp_msg_type_name(m->type), mac, out->addr.s_addr ? " " : "",
				out->addr.s_addr ? format_ipv4(ip, out->addr) : "", out->why ? out->why : "ignored", said);
	}
}

/* Boot events are recorded for clients that boot from the network or that
 * are configured hosts: that is whose timeline `labboot hosts` shows. */
static void record_event(struct dhcp_server *srv, const struct dhcp_msg *m, const struct dhcp_reply *out)
{
	const struct host *host = config_host_by_mac(srv->cfg, m->chaddr, NULL);
	bool netboot = is_netboot_client(m);
	char kind[32], ip[16], uuid[48] = "", vendor[64] = "";
	size_t len, vlen;
	const uint8_t *u = dhcp_msg_option(m, DHCP_OPT_UUID, &len);
	const uint8_t *v = dhcp_msg_option(m, DHCP_OPT_VENDOR_CLASS, &vlen);

	if (netboot && out->dest != DHCP_DEST_NONE)
		remember_netboot(srv, m->chaddr);
	if (!host && !netboot)
		return;
	if (u && len == 17)
		snprintf(uuid, sizeof(uuid), " uuid %02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
			 u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15], u[16]);
	if (v && vlen) { /* a word of printable characters: `labboot discovered` shows it */
		size_t n = 0;
		memcpy(vendor, " vendor ", 8);
		for (size_t i = 0; i < vlen && 8 + n + 1 < sizeof(vendor); i++)
			vendor[8 + n++] = v[i] > ' ' && v[i] < 127 ? (char)v[i] : '_';
		vendor[8 + n] = '\0';
	}
	snprintf(kind, sizeof(kind), "dhcp-%s", dhcp_msg_type_name(m->type));
	for (char *k = kind; *k; k++)
		*k = (char)tolower(*k);
	store_event_add(srv->st, m->chaddr, host ? host->name : out->hostname, kind, "%s %s arch %d%s%s%s%s%s",
			out->dest != DHCP_DEST_NONE ? dhcp_msg_type_name(out->type) : "no reply",
			out->addr.s_addr ? format_ipv4(ip, out->addr) : "-", dhcp_client_arch(m),
			dhcp_client_is_ipxe(m) ? " ipxe" : "", out->boot_file[0] ? " file " : "", out->boot_file, uuid,
			vendor);
}

struct pending {
	uint8_t chaddr[6];
	struct in_addr server_id;
	int fd;
};

/* A request's type for the metrics: what clients send, else "other". */
static unsigned request_type_label(uint8_t type)
{
	switch (type) {
	case DHCP_DISCOVER: case DHCP_REQUEST: case DHCP_DECLINE: case DHCP_RELEASE: case DHCP_INFORM:
		return type;
	default:
		return 0;
	}
}

/* Reads one datagram and runs the policy on it. Returns 1 if a reply or
 * state change is pending in *out, 0 if nothing, -EAGAIN when drained. */
static int receive_one(struct dhcp_iface *ifc, int fd, struct dhcp_reply *out, struct pending *pend)
{
	struct dhcp_server *srv = ifc->srv;
	uint8_t buf[DHCP_MAX_MSG + 1];
	struct sockaddr_in from;
	union { char buf[CMSG_SPACE(sizeof(struct in_pktinfo))]; struct cmsghdr align; } ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
	struct dhcp_rx rx = { .msg = &srv->msg, .iface_addr = ifc->addr, .iface_mask = ifc->mask,
			      .port_4011 = fd == ifc->fd_4011 };
	ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);
	int r;

	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? -EAGAIN : -errno;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO)
			rx.iface_addr = ((struct in_pktinfo *)CMSG_DATA(c))->ipi_spec_dst;
	if (!rx.iface_addr.s_addr)
		rx.iface_addr = ifc->addr.s_addr ? ifc->addr : srv->cfg->address;
	rx.src = from.sin_addr;
	rx.src_port = ntohs(from.sin_port);
	rx.now = lease_now_s(srv);
	if ((r = dhcp_msg_parse(buf, (size_t)n, &srv->msg)) < 0 || srv->msg.op != DHCP_OP_REQUEST) {
		char src[16];
		srv->n_bad++;
		metrics_count(srv->metrics, METRIC_DHCP_DROPPED, METRIC_DHCP_DROP_MALFORMED);
		log_ratelimited(&srv->rl_bad, LOG_LEVEL_WARN, "dhcp %s: dropped malformed datagram (%zd bytes) from %s (%lu so far)",
				ifc->name, n, format_ipv4(src, from.sin_addr), srv->n_bad);
		return 0;
	}
	metrics_count(srv->metrics, METRIC_DHCP_RECEIVED, request_type_label(srv->msg.type));
	r = dhcp_policy_handle(srv->policy, &rx, out);
	if (r < 0) {
		metrics_count(srv->metrics, METRIC_DHCP_DROPPED, METRIC_DHCP_DROP_INVALID);
		return 0;
	}
	log_exchange(ifc, &srv->msg, out);
	record_event(srv, &srv->msg, out);
	memcpy(pend->chaddr, srv->msg.chaddr, 6);
	pend->server_id = rx.iface_addr;
	pend->fd = fd;
	return out->dest != DHCP_DEST_NONE || out->persist;
}

static void run_hook(struct dhcp_server *srv, const struct dhcp_reply *out)
{
	if (srv->hook && out->event != DHCP_LEASE_EVENT_NONE)
		srv->hook(srv->hook_userdata, out->lease.hostname, out->lease.ip,
			  out->event == DHCP_LEASE_EVENT_BOUND);
}

/* ---- pool gauges -------------------------------------------------------- */

struct usage_scan {
	const struct config *cfg;
	uint64_t now;
	struct metrics_pool pools[CONFIG_MAX_POOLS];
	uint64_t by_state[METRIC_LEASE_STATES];
};

static void count_lease(struct lease *l, void *userdata)
{
	struct usage_scan *u = userdata;
	const struct pool *pool;

	if ((unsigned)l->state < METRIC_LEASE_STATES)
		u->by_state[l->state]++;
	if ((l->state == LEASE_OFFERED || l->state == LEASE_BOUND) && l->expires > u->now &&
	    (pool = config_pool_by_addr(u->cfg, l->ip)))
		u->pools[pool - u->cfg->pools].in_use++;
}

/* Counted here, on the loop thread that owns the lease table, and handed
 * to the metrics whole: a scrape never touches the table. */
static void publish_usage(struct dhcp_server *srv)
{
	struct usage_scan u = { .cfg = srv->cfg, .now = lease_now_s(srv) };

	if (!srv->metrics)
		return;
	for (size_t i = 0; i < srv->cfg->n_pools; i++) {
		const struct pool *p = &srv->cfg->pools[i];
		(void)copy_string(u.pools[i].name, sizeof(u.pools[i].name), p->name);
		u.pools[i].size = (uint64_t)ntohl(p->end.s_addr) - ntohl(p->start.s_addr) + 1;
	}
	lease_table_foreach(srv->leases, count_lease, &u);
	metrics_set_dhcp(srv->metrics, u.pools, srv->cfg->n_pools, u.by_state);
	srv->usage_at_ms = now_monotonic_ms();
}

/* A recount costs a walk of the table: at most one per DHCP_USAGE_MS,
 * however many requests come. */
static void usage_changed(struct dhcp_server *srv)
{
	uint64_t now = now_monotonic_ms();

	if (!srv->metrics || srv->usage_due)
		return;
	if (now - srv->usage_at_ms >= DHCP_USAGE_MS) {
		publish_usage(srv);
		return;
	}
	srv->usage_due = loop_timer_arm(srv->usage_timer, srv->usage_at_ms + DHCP_USAGE_MS - now) == 0;
}

static void on_usage_timer(struct loop_timer *t, void *userdata)
{
	struct dhcp_server *srv = userdata;

	srv->usage_due = false;
	publish_usage(srv);
}

/* Persist every lease change of the batch in one transaction (one fsync);
 * replies that depend on a failed commit are not sent. */
static bool commit_batch(struct dhcp_server *srv, size_t n)
{
	bool any = false;

	for (size_t i = 0; i < n; i++)
		any |= srv->batch[i].persist;
	if (!any)
		return true;
	if (store_begin(srv->st) < 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (srv->batch[i].persist && store_lease_put(srv->st, &srv->batch[i].lease) < 0) {
			store_rollback(srv->st);
			return false;
		}
	}
	return store_commit(srv->st) == 0;
}

static void on_readable(int fd, uint32_t events, void *userdata)
{
	struct dhcp_iface *ifc = userdata;
	struct dhcp_server *srv = ifc->srv;
	struct pending pend[DHCP_BATCH];
	size_t n = 0;
	bool committed;

	while (n < DHCP_BATCH) {
		int r = receive_one(ifc, fd, &srv->batch[n], &pend[n]);
		if (r < 0)
			break;
		if (r > 0)
			n++;
	}
	committed = commit_batch(srv, n);
	if (!committed)
		log_ratelimited(&srv->rl_store, LOG_LEVEL_ERR, "dhcp: could not store %zu lease changes: replies withheld", n);
	for (size_t i = 0; i < n; i++) {
		struct dhcp_reply *out = &srv->batch[i];
		if (out->persist && !committed) {
			metrics_count(srv->metrics, METRIC_DHCP_REPLY_ERRORS, METRIC_DHCP_ERR_STORE);
			continue;
		}
		if (out->dest != DHCP_DEST_NONE) {
			int r = send_reply(ifc, pend[i].fd, out, pend[i].chaddr, pend[i].server_id);
			if (r < 0) {
				log_warn("dhcp %s: send %s failed: %s", ifc->name, dhcp_msg_type_name(out->type), strerror(-r));
				metrics_count(srv->metrics, METRIC_DHCP_REPLY_ERRORS, METRIC_DHCP_ERR_SEND);
			} else {
				metrics_count(srv->metrics, METRIC_DHCP_SENT, out->type);
			}
		}
		run_hook(srv, out);
	}
	if (n)
		usage_changed(srv);
}

/* ---- lease lifecycle ---------------------------------------------------- */

struct expiry_scan {
	struct dhcp_server *srv;
	uint64_t now;
	struct lease *drop[256];
	size_t n_drop;
};

static void expire_one(struct lease *l, void *userdata)
{
	struct expiry_scan *s = userdata;

	if (l->expires > s->now)
		return;
	if (l->state == LEASE_OFFERED && s->n_drop < ARRAY_SIZE(s->drop)) {
		s->drop[s->n_drop++] = l;
	} else if (l->state == LEASE_BOUND) {
		/* In memory only: the row stays as history; expiry is in it. */
		l->state = LEASE_RELEASED;
		if (s->srv->hook && l->hostname[0])
			s->srv->hook(s->srv->hook_userdata, l->hostname, l->ip, false);
	}
}

struct clock_shift {
	struct dhcp_server *srv;
	int64_t by_s;
	int r;
};

static void shift_one(struct lease *l, void *userdata)
{
	struct clock_shift *cs = userdata;

	if (!l->expires)
		return;
	l->expires = (uint64_t)((int64_t)l->expires + cs->by_s);
	if (l->state != LEASE_OFFERED && cs->r == 0) /* offers are never stored */
		cs->r = store_lease_put(cs->srv->st, l);
}

/* The wall clock was set: every lease moves with it, in memory and in the
 * store, so each keeps the time it had left (and a restart reads them
 * right). If the store cannot take it, memory still has the right times. */
static void follow_clock_jump(struct dhcp_server *srv)
{
	struct clock_shift cs = { .srv = srv };
	int began;

	cs.by_s = lease_clock_jump_s(&srv->clock, now_realtime_ms(), now_monotonic_ms());
	if (!cs.by_s)
		return;
	cs.r = began = store_begin(srv->st);
	lease_table_foreach(srv->leases, shift_one, &cs);
	if (began == 0 && cs.r == 0)
		cs.r = store_commit(srv->st);
	else if (began == 0)
		store_rollback(srv->st);
	log_warn("dhcp: the wall clock jumped %+llds: lease times moved with it%s", (long long)cs.by_s,
		 cs.r < 0 ? " (in memory only: the store refused them)" : "");
}

static void on_expiry_timer(struct loop_timer *t, void *userdata)
{
	struct dhcp_server *srv = userdata;
	struct expiry_scan scan = { .srv = srv };

	follow_clock_jump(srv);
	scan.now = lease_now_s(srv);
	lease_table_foreach(srv->leases, expire_one, &scan);
	for (size_t i = 0; i < scan.n_drop; i++)
		lease_table_remove(srv->leases, scan.drop[i]);
	usage_changed(srv);
	loop_timer_arm(t, DHCP_EXPIRY_SCAN_MS);
}

static int load_lease(const struct lease *l, void *userdata)
{
	struct dhcp_server *srv = userdata;
	int r = lease_table_insert(srv->leases, l, NULL);

	return r == -EEXIST ? 0 : r;
}

/* ---- probing for another server ------------------------------------------ */

/* Broadcasts a DISCOVER from a made-up client and listens for any OFFER:
 * two authoritative servers on one LAN is the classic homelab outage. */
static int probe_other_server(const struct dhcp_iface *ifc, uint32_t wait_ms, struct in_addr *ret_server)
{
	_cleanup_close_ int fd = open_socket(ifc->name, 68);
	uint8_t buf[DHCP_MAX_MSG];
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(67), .sin_addr.s_addr = INADDR_BROADCAST };
	uint64_t deadline = now_monotonic_ms() + wait_ms;
	uint32_t xid = (uint32_t)now_realtime_ms() ^ (uint32_t)getpid() << 8;
	uint8_t mac[6] = { 0x02, 0x1b, 0x00, (uint8_t)(xid >> 16), (uint8_t)(xid >> 8), (uint8_t)xid };

	if (fd < 0)
		return fd;
	memset(buf, 0, 300);
	buf[0] = DHCP_OP_REQUEST;
	buf[1] = DHCP_HTYPE_ETHER;
	buf[2] = 6;
	wr_be32(buf + 4, xid);
	wr_be16(buf + 10, DHCP_FLAG_BROADCAST);
	memcpy(buf + 28, mac, 6);
	wr_be32(buf + 236, 0x63825363);
	memcpy(buf + 240, (const uint8_t[]){ DHCP_OPT_MSG_TYPE, 1, DHCP_DISCOVER, DHCP_OPT_END }, 4);
	if (sendto(fd, buf, 300, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return -errno;
	for (;;) {
		int64_t left = (int64_t)(deadline - now_monotonic_ms());
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct dhcp_msg *m;
		ssize_t n;
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return 0;
		n = recv(fd, buf, sizeof(buf), 0);
		m = malloc(sizeof(*m));
		if (!m)
			return -ENOMEM;
		bool offer = n > 0 && dhcp_msg_parse(buf, (size_t)n, m) == 0 && m->op == DHCP_OP_REPLY &&
			     m->xid == xid && m->type == DHCP_OFFER;
		if (offer && dhcp_msg_option_addr(m, DHCP_OPT_SERVER_ID, ret_server) < 0)
			ret_server->s_addr = 0;
		free(m);
		if (offer)
			return 1;
	}
}

/* ---- setup ---------------------------------------------------------------- */

static int iface_open(struct dhcp_server *srv, struct dhcp_iface *ifc, const char *name)
{
	int r;

	snprintf(ifc->name, sizeof(ifc->name), "%s", name);
	ifc->srv = srv;
	ifc->fd = ifc->fd_4011 = -1;
	if ((r = iface_lookup(ifc)) < 0) {
		log_err("dhcp: interface %s: %s", name, strerror(-r));
		return r;
	}
	if (srv->cfg->dhcp_mode == DHCP_MODE_AUTHORITATIVE && !srv->cfg->dhcp_force) {
		struct in_addr other;
		char ip[16];
		r = probe_other_server(ifc, srv->cfg->dhcp_probe_ms, &other);
		if (r > 0) {
			log_err("dhcp: another DHCP server (%s) answers on %s; refusing to serve as authoritative "
				"(use mode = proxy beside it, or force = yes)", format_ipv4(ip, other), name);
			return -EADDRINUSE;
		}
		if (r < 0)
			log_warn("dhcp: could not probe %s for other servers: %s", name, strerror(-r));
	}
	if ((ifc->fd = open_socket(name, 67)) < 0) {
		log_err("dhcp: cannot listen on %s port 67: %s", name, strerror(-ifc->fd));
		return ifc->fd;
	}
	if ((r = loop_add_fd(srv->loop, ifc->fd, EPOLLIN, on_readable, ifc)) < 0)
		return r;
	if (srv->cfg->dhcp_mode == DHCP_MODE_PROXY) {
		if ((ifc->fd_4011 = open_socket(name, 4011)) < 0) {
			log_err("dhcp: cannot listen on %s port 4011: %s", name, strerror(-ifc->fd_4011));
			return ifc->fd_4011;
		}
		if ((r = loop_add_fd(srv->loop, ifc->fd_4011, EPOLLIN, on_readable, ifc)) < 0)
			return r;
	}
	return 0;
}

int dhcp_server_new(const struct config *cfg, struct loop *loop, struct store *st, struct metrics *metrics,
		    struct dhcp_server **ret)
{
	struct dhcp_server *srv = calloc(1, sizeof(*srv));
	int r;

	if (!srv)
		return -ENOMEM;
	srv->cfg = cfg;
	srv->loop = loop;
	srv->st = st;
	srv->metrics = metrics;
	srv->rl_bad = (struct ratelimit)RATELIMIT_INIT(10000, 5);
	srv->rl_silent = (struct ratelimit)RATELIMIT_INIT(10000, 50);
	srv->rl_store = (struct ratelimit)RATELIMIT_INIT(10000, 5);
	lease_clock_init(&srv->clock, now_realtime_ms(), now_monotonic_ms());
	if ((r = lease_table_new(&srv->leases)) < 0 || (r = dhcp_policy_new(cfg, srv->leases, &srv->policy)) < 0)
		goto fail;
	if ((r = store_lease_foreach(st, load_lease, srv)) < 0)
		goto fail;
	for (size_t i = 0; i < cfg->n_ifaces; i++) {
		srv->n_ifaces++;
		if ((r = iface_open(srv, &srv->ifaces[i], cfg->ifaces[i])) < 0)
			goto fail;
	}
	if ((r = loop_timer_new(loop, on_expiry_timer, srv, &srv->expiry_timer)) < 0)
		goto fail;
	loop_timer_arm(srv->expiry_timer, DHCP_EXPIRY_SCAN_MS);
	if ((r = loop_timer_new(loop, on_usage_timer, srv, &srv->usage_timer)) < 0)
		goto fail;
	publish_usage(srv);
	log_info("dhcp: %s on %zu interface(s), %zu leases loaded", dhcp_mode_name(cfg->dhcp_mode),
		 srv->n_ifaces, lease_table_count(srv->leases));
	*ret = srv;
	return 0;
fail:
	dhcp_server_free(srv);
	return r;
}

static void announce_bound(struct lease *l, void *userdata)
{
	struct dhcp_server *srv = userdata;

	if (l->state == LEASE_BOUND && l->hostname[0] && l->expires > lease_now_s(srv))
		srv->hook(srv->hook_userdata, l->hostname, l->ip, true);
}

int dhcp_server_reconfigure(struct dhcp_server *srv, const struct config *cfg)
{
	struct dhcp_policy *policy;
	int r = dhcp_policy_new(cfg, srv->leases, &policy);

	if (r < 0)
		return r;
	dhcp_policy_free(srv->policy);
	srv->policy = policy;
	srv->cfg = cfg;
	publish_usage(srv); /* the pools may have changed */
	return 0;
}

void dhcp_server_set_lease_hook(struct dhcp_server *srv, dhcp_lease_hook fn, void *userdata)
{
	srv->hook = fn;
	srv->hook_userdata = userdata;
	lease_table_foreach(srv->leases, announce_bound, srv);
}

void dhcp_server_free(struct dhcp_server *srv)
{
	if (!srv)
		return;
	for (size_t i = 0; i < srv->n_ifaces; i++) {
		struct dhcp_iface *ifc = &srv->ifaces[i];
		if (ifc->fd >= 0) {
			loop_del_fd(srv->loop, ifc->fd);
			close(ifc->fd);
		}
		if (ifc->fd_4011 >= 0) {
			loop_del_fd(srv->loop, ifc->fd_4011);
			close(ifc->fd_4011);
		}
	}
	loop_timer_free(srv->expiry_timer);
	loop_timer_free(srv->usage_timer);
	dhcp_policy_free(srv->policy);
	lease_table_free(srv->leases);
	free(srv);
}
