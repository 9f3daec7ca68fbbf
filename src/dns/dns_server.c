/* DNS server: UDP and TCP listeners, the client policy (served subnets
 * only), local answers from the zone, the cache, and forwarding. */
#include "dns/dns_server.h"
#include "core/config.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/metrics.h"
#include "core/util.h"
#include "dns/dns_cache.h"
#include "dns/dns_forward.h"
#include "dns/dns_relay.h"
#include "dns/dns_rrl.h"
#include "dns/dns_wire.h"
#include "dns/dns_zone.h"
#include "store/store.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>

#define DNS_UDP_RECV_MAX 4096         /* larger queries are dropped */
#define DNS_UDP_BURST 64              /* datagrams handled per wakeup */
#define DNS_TCP_MAX_CONNS 64
/* TCP is where a client over its UDP rate is sent (TC=1): one address
 * must not hold every connection. */
#define DNS_TCP_MAX_PER_CLIENT 8
#define DNS_TCP_MAX_QUERY 4096
#define DNS_TCP_MAX_WBUF (256 * 1024) /* unsent replies per connection */
#define DNS_TCP_IDLE_MS 10000         /* RFC 7766 6.2.3 */

struct tcp_conn {
	struct dns_server *srv;
	uint64_t id;
	int fd;
	struct sockaddr_in peer;
	uint8_t rbuf[2 + DNS_TCP_MAX_QUERY];
	size_t rlen;
	uint8_t *wbuf;
	size_t wlen;
	struct loop_timer *idle;
};

struct dns_server {
	const struct config *cfg;
	struct loop *loop;
	struct store *st;
	struct dns_zone *zone;
	struct dns_cache *cache;
	struct dns_forwarder *fwd;
	int udp_fd, tcp_fd;
	struct tcp_conn *conns[DNS_TCP_MAX_CONNS];
	uint64_t next_conn_id;
	struct metrics *metrics;
	unsigned long outcomes[METRIC_DNS_OUTCOME_COUNT_]; /* for the last log line */
	unsigned long upstream_failures;
	struct ratelimit rl_bad, rl_refused, rl_busy, rl_lease, rl_rate;
	struct dns_rrl *rrl;          /* [dns] rate-limit, UDP only */
	uint8_t out[DNS_MSG_MAX];
};

/* ---- replies -------------------------------------------------------- */

static struct tcp_conn *conn_by_id(struct dns_server *srv, uint64_t id)
{
	for (size_t i = 0; i < DNS_TCP_MAX_CONNS; i++)
		if (srv->conns[i] && srv->conns[i]->id == id)
			return srv->conns[i];
	return NULL;
}

static void conn_free(struct tcp_conn *c);
static int conn_flush(struct tcp_conn *c);

static void reply_udp(struct dns_server *srv, const struct dns_client *cl, const uint8_t *msg, size_t len)
{
	/* answer from the address the query was sent to (we may be bound to any) */
	union {
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} ctl = { 0 };
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
	struct msghdr mh = {
		.msg_name = (void *)&cl->addr, .msg_namelen = sizeof(cl->addr),
		.msg_iov = &iov, .msg_iovlen = 1,
	};

	if (cl->local.s_addr) {
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
		struct in_pktinfo pi = { .ipi_spec_dst = cl->local };
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	}
	if (sendmsg(srv->udp_fd, &mh, MSG_DONTWAIT) < 0)
		log_debug("dns: send to client: %m");
}

static void reply_tcp(struct dns_server *srv, const struct dns_client *cl, const uint8_t *msg, size_t len)
{
	struct tcp_conn *c = conn_by_id(srv, cl->conn_id);
	uint8_t *grown;

	if (!c)
		return;                /* the client went away meanwhile */
	if (c->wlen + 2 + len > DNS_TCP_MAX_WBUF) {
		log_ratelimited(&srv->rl_bad, LOG_LEVEL_WARN, "dns: TCP client %s does not read its replies, closing",
				inet_ntoa(c->peer.sin_addr));
		conn_free(c);
		return;
	}
	if (!(grown = realloc(c->wbuf, c->wlen + 2 + len))) {
		conn_free(c);
		return;
	}
	c->wbuf = grown;
	wr_be16(c->wbuf + c->wlen, (uint16_t)len);
	memcpy(c->wbuf + c->wlen + 2, msg, len);
	c->wlen += 2 + len;
	if (conn_flush(c) < 0)
		conn_free(c);
}

static void reply(struct dns_server *srv, const struct dns_client *cl, const uint8_t *msg, size_t len)
{
	if (len == 0)
		return;
	if (cl->tcp)
		reply_tcp(srv, cl, msg, len);
	else
		reply_udp(srv, cl, msg, len);
}

static void reply_error(struct dns_server *srv, const struct dns_client *cl, const struct dns_query *q,
			unsigned rcode, bool with_question)
{
	uint16_t flags = DNS_F_QR | DNS_F_RA | (q->hdr.flags & (DNS_F_RD | DNS_F_OPCODE_MASK));
	size_t len = dns_build_error(srv->out, DNS_UDP_MIN, q->hdr.id, flags, rcode,
				     with_question ? &q->q : NULL, &q->edns);

	reply(srv, cl, srv->out, len);
}

/* ---- queries -------------------------------------------------------- */

/* Every query ends in one outcome. */
static void count(struct dns_server *srv, enum metric_dns_outcome o)
{
	srv->outcomes[o]++;
	metrics_count(srv->metrics, METRIC_DNS_QUERIES, o);
}

static void count_upstream_failure(struct dns_server *srv)
{
	srv->upstream_failures++;
	metrics_count(srv->metrics, METRIC_DNS_UPSTREAM_FAILURES, 0);
}

/* Returns false if the name is not ours (then nothing was sent). */
static bool answer_local(struct dns_server *srv, const struct dns_client *cl, const struct dns_query *q)
{
	size_t limit = dns_reply_limit(q, cl->tcp), opt = q->edns.present ? 11 : 0;
	struct dns_builder b;
	unsigned rcode = DNS_RCODE_NOERROR;
	uint16_t flags;

	dns_builder_init(&b, srv->out, limit - opt);
	if (dns_builder_header(&b) < 0 || dns_builder_question(&b, &q->q) < 0)
		return false;
	if (dns_zone_answer(srv->zone, &q->q, &b, &rcode) != DNS_ZONE_ANSWERED)
		return false;
	b.cap += opt;
	if (q->edns.present)
		(void)dns_builder_opt(&b, DNS_UDP_MAX, 0);
	flags = DNS_F_QR | DNS_F_AA | DNS_F_RA | (q->hdr.flags & DNS_F_RD) | (uint16_t)rcode;
	if (b.truncated)
		flags |= DNS_F_TC;
	count(srv, rcode == DNS_RCODE_NXDOMAIN ? METRIC_DNS_NXDOMAIN : METRIC_DNS_LOCAL);
	reply(srv, cl, srv->out, dns_builder_finish(&b, q->hdr.id, flags));
	return true;
}

static bool answer_cached(struct dns_server *srv, const struct dns_client *cl, const struct dns_query *q)
{
	const uint8_t *msg;
	size_t len, out;
	uint32_t age;

	if (!srv->cache || dns_cache_get(srv->cache, &q->q, now_monotonic_ms(), &msg, &len, &age) < 0)
		return false;
	out = dns_relay_reply(srv->out, dns_reply_limit(q, cl->tcp), msg, len, q, age);
	if (out == 0)
		return false;
	count(srv, METRIC_DNS_CACHED);
	reply(srv, cl, srv->out, out);
	return true;
}

static void forward_done(void *userdata, const struct dns_fwd_request *req, uint8_t *msg, size_t len,
			 const struct dns_response_info *info)
{
	struct dns_server *srv = userdata;
	size_t out;

	if (!msg) {
		count_upstream_failure(srv);
		reply_error(srv, &req->client, &req->query, DNS_RCODE_SERVFAIL, true);
		return;
	}
	len = dns_relay_strip_opt(msg, info);
	if (srv->cache)
		(void)dns_cache_put(srv->cache, &req->query.q, msg, len, dns_cache_ttl_for(info),
				    now_monotonic_ms());
	out = dns_relay_reply(srv->out, dns_reply_limit(&req->query, req->client.tcp), msg, len, &req->query, 0);
	if (out == 0) {
		count_upstream_failure(srv);
		reply_error(srv, &req->client, &req->query, DNS_RCODE_SERVFAIL, true);
		return;
	}
	reply(srv, &req->client, srv->out, out);
}

static void forward(struct dns_server *srv, const struct dns_client *cl, const struct dns_query *q)
{
	struct dns_fwd_request req = { .client = *cl, .query = *q };
	int r;

	if (answer_cached(srv, cl, q))
		return;
	if (!srv->fwd) {
		count(srv, METRIC_DNS_REFUSED);
		reply_error(srv, cl, q, DNS_RCODE_REFUSED, true);
		return;
	}
	r = dns_forward(srv->fwd, &req);
	if (r < 0) {
		count(srv, METRIC_DNS_SERVFAIL);
		log_ratelimited(&srv->rl_busy, LOG_LEVEL_WARN, "dns: cannot forward (%s), answering SERVFAIL",
				strerror(-r));
		reply_error(srv, cl, q, DNS_RCODE_SERVFAIL, true);
		return;
	}
	count(srv, METRIC_DNS_FORWARDED);
}

static void log_bad(struct dns_server *srv, const struct dns_client *cl, const char *why)
{
	char ip[16];

	log_ratelimited(&srv->rl_bad, LOG_LEVEL_WARN, "dns: %s from %s:%u", why,
			format_ipv4(ip, cl->addr.sin_addr), ntohs(cl->addr.sin_port));
}

/* Over its rate, a UDP client's query is dropped or (the slip) answered
 * TC=1 with no records, which a real client retries over TCP: TCP proves
 * the address, so neither forged floods nor reflection reach it. */
static bool rate_limited(struct dns_server *srv, const struct dns_client *cl, const uint8_t *buf, size_t len)
{
	enum dns_rrl_verdict v;
	struct dns_query q = { 0 };
	char ip[16];
	size_t n;

	if (cl->tcp || !srv->cfg->dns_rate_limit)
		return false;
	v = dns_rrl_check(srv->rrl, cl->addr.sin_addr.s_addr, srv->cfg->dns_rate_limit, now_monotonic_ms());
	if (v == DNS_RRL_PASS)
		return false;
	count(srv, METRIC_DNS_RATE_LIMITED);
	log_ratelimited(&srv->rl_rate, LOG_LEVEL_WARN, "dns: %s asks more than %u queries/s ([dns] rate-limit), "
			"dropping or truncating", format_ipv4(ip, cl->addr.sin_addr), srv->cfg->dns_rate_limit);
	if (v == DNS_RRL_SLIP_TC && dns_query_parse(buf, len, &q) == 0) {
		n = dns_build_error(srv->out, DNS_UDP_MIN, q.hdr.id,
				    DNS_F_QR | DNS_F_TC | (q.hdr.flags & (DNS_F_RD | DNS_F_OPCODE_MASK)), DNS_RCODE_NOERROR,
				    &q.q, NULL);
		reply(srv, cl, srv->out, n);
		metrics_count(srv->metrics, METRIC_CLIENT_LIMITED, METRIC_LIMIT_DNS_TRUNCATED);
	} else {
		metrics_count(srv->metrics, METRIC_CLIENT_LIMITED, METRIC_LIMIT_DNS_DROPPED);
	}
	return true;
}

static void handle_query(struct dns_server *srv, const struct dns_client *cl, const uint8_t *buf, size_t len)
{
	struct dns_query q = { 0 };
	int r;

	if (rate_limited(srv, cl, buf, len))
		return;
	r = dns_query_parse(buf, len, &q);
	if (r == -EPROTO || len < DNS_HDR_LEN) {
		/* responses sent to us (reflection, loops) and runts: silence */
		count(srv, METRIC_DNS_DROPPED);
		log_bad(srv, cl, len < DNS_HDR_LEN ? "runt packet" : "response sent to the server port");
		return;
	}
	if (r == -ENOTSUP) {
		count(srv, METRIC_DNS_NOTIMP);
		reply_error(srv, cl, &q, DNS_RCODE_NOTIMP, false);
		return;
	}
	if (r < 0) {
		count(srv, METRIC_DNS_MALFORMED);
		log_bad(srv, cl, "malformed query");
		reply_error(srv, cl, &q, DNS_RCODE_FORMERR, false);
		return;
	}
	if (!dns_zone_client_allowed(srv->zone, cl->addr.sin_addr)) {
		char ip[16];
		count(srv, METRIC_DNS_REFUSED);
		log_ratelimited(&srv->rl_refused, LOG_LEVEL_INFO, "dns: refused %s (not in a served subnet)",
				format_ipv4(ip, cl->addr.sin_addr));
		reply_error(srv, cl, &q, DNS_RCODE_REFUSED, true);
		return;
	}
	if (q.edns.present && q.edns.version != 0) {
		count(srv, METRIC_DNS_BADVERS);
		reply_error(srv, cl, &q, DNS_RCODE_BADVERS, false);   /* RFC 6891 6.1.3 */
		return;
	}
	if (log_enabled(LOG_LEVEL_DEBUG)) {
		char name[DNS_NAME_TEXT_MAX], ip[16];
		(void)dns_name_to_text(&q.q.name, name, sizeof(name));
		log_debug("dns: %s asks %s type %u%s", format_ipv4(ip, cl->addr.sin_addr), name, q.q.qtype,
			  cl->tcp ? " (tcp)" : "");
	}
	if (answer_local(srv, cl, &q))
		return;
	forward(srv, cl, &q);
}

/* ---- UDP ------------------------------------------------------------ */

static void on_udp(int fd, uint32_t events, void *userdata)
{
	struct dns_server *srv = userdata;
	uint8_t buf[DNS_UDP_RECV_MAX];

	for (int i = 0; i < DNS_UDP_BURST; i++) {
		union {
			char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
			struct cmsghdr align;
		} ctl;
		struct dns_client cl = { 0 };
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr mh = {
			.msg_name = &cl.addr, .msg_namelen = sizeof(cl.addr),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
		};
		ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);
		if (n < 0)
			return;
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
				struct in_pktinfo pi;
				memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
				cl.local = pi.ipi_addr;
				cl.ifindex = pi.ipi_ifindex;
			}
		}
		if ((mh.msg_flags & MSG_TRUNC) || mh.msg_namelen != sizeof(cl.addr)) {
			count(srv, METRIC_DNS_DROPPED);
			log_bad(srv, &cl, "oversized datagram");
			continue;
		}
		handle_query(srv, &cl, buf, (size_t)n);
	}
}

/* ---- TCP (RFC 7766) -------------------------------------------------- */

static void conn_free(struct tcp_conn *c)
{
	struct dns_server *srv;

	if (!c)
		return;
	srv = c->srv;
	for (size_t i = 0; i < DNS_TCP_MAX_CONNS; i++)
		if (srv->conns[i] == c)
			srv->conns[i] = NULL;
	loop_del_fd(srv->loop, c->fd);
	close(c->fd);
	loop_timer_free(c->idle);
	free(c->wbuf);
	free(c);
}

static int conn_flush(struct tcp_conn *c)
{
	while (c->wlen > 0) {
		ssize_t n = send(c->fd, c->wbuf, c->wlen, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN)
				return loop_mod_fd(c->srv->loop, c->fd, EPOLLIN | EPOLLOUT);
			return -errno;
		}
		memmove(c->wbuf, c->wbuf + n, c->wlen - (size_t)n);
		c->wlen -= (size_t)n;
	}
	return loop_mod_fd(c->srv->loop, c->fd, EPOLLIN);
}

/* Handles every complete length-prefixed query in the buffer. */
static int conn_process(struct tcp_conn *c)
{
	uint64_t id = c->id;

	while (c->rlen >= 2) {
		size_t qlen = rd_be16(c->rbuf);
		if (qlen > DNS_TCP_MAX_QUERY)
			return -EMSGSIZE;
		if (c->rlen < 2 + qlen)
			return 0;
		struct dns_client cl = { .tcp = true, .addr = c->peer, .conn_id = c->id };
		uint8_t q[DNS_TCP_MAX_QUERY];
		memcpy(q, c->rbuf + 2, qlen);
		memmove(c->rbuf, c->rbuf + 2 + qlen, c->rlen - 2 - qlen);
		c->rlen -= 2 + qlen;
		handle_query(c->srv, &cl, q, qlen);
		if (!conn_by_id(c->srv, id))
			return -ECONNRESET;   /* freed while replying */
	}
	return 0;
}

static void on_conn(int fd, uint32_t events, void *userdata)
{
	struct tcp_conn *c = userdata;

	if (events & EPOLLOUT) {
		if (conn_flush(c) < 0) {
			conn_free(c);
			return;
		}
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	ssize_t n = read(fd, c->rbuf + c->rlen, sizeof(c->rbuf) - c->rlen);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_free(c);
		return;
	}
	c->rlen += (size_t)n;
	(void)loop_timer_arm(c->idle, DNS_TCP_IDLE_MS);
	int r = conn_process(c);
	if (r == -EMSGSIZE) {
		log_bad(c->srv, &(struct dns_client){ .addr = c->peer }, "oversized TCP query");
		count(c->srv, METRIC_DNS_DROPPED);
	}
	if (r < 0 && r != -ECONNRESET)
		conn_free(c);
}

static void on_conn_idle(struct loop_timer *t, void *userdata)
{
	conn_free(userdata);
}

static unsigned tcp_conns_from(const struct dns_server *srv, struct in_addr addr)
{
	unsigned n = 0;

	for (size_t i = 0; i < DNS_TCP_MAX_CONNS; i++)
		n += srv->conns[i] && srv->conns[i]->peer.sin_addr.s_addr == addr.s_addr;
	return n;
}

static void on_accept(int fd, uint32_t events, void *userdata)
{
	struct dns_server *srv = userdata;
	struct sockaddr_in peer;
	socklen_t plen = sizeof(peer);
	struct tcp_conn *c;
	size_t slot;
	int cfd = accept4(fd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (cfd < 0)
		return;
	if (tcp_conns_from(srv, peer.sin_addr) >= DNS_TCP_MAX_PER_CLIENT) {
		metrics_count(srv->metrics, METRIC_CLIENT_LIMITED, METRIC_LIMIT_DNS_TCP_CONNECTIONS);
		log_ratelimited(&srv->rl_busy, LOG_LEVEL_WARN, "dns: %s has %u TCP connections open, closing a new one",
				inet_ntoa(peer.sin_addr), DNS_TCP_MAX_PER_CLIENT);
		close(cfd);
		return;
	}
	for (slot = 0; slot < DNS_TCP_MAX_CONNS && srv->conns[slot]; slot++)
		;
	if (slot == DNS_TCP_MAX_CONNS || !(c = calloc(1, sizeof(*c)))) {
		log_ratelimited(&srv->rl_busy, LOG_LEVEL_WARN, "dns: too many TCP connections, closing one from %s",
				inet_ntoa(peer.sin_addr));
		close(cfd);
		return;
	}
	c->srv = srv;
	c->fd = cfd;
	c->peer = peer;
	c->id = ++srv->next_conn_id;
	if (loop_timer_new(srv->loop, on_conn_idle, c, &c->idle) < 0 ||
	    loop_add_fd(srv->loop, cfd, EPOLLIN, on_conn, c) < 0) {
		loop_timer_free(c->idle);
		close(cfd);
		free(c);
		return;
	}
	srv->conns[slot] = c;
	(void)loop_timer_arm(c->idle, DNS_TCP_IDLE_MS);
}

/* ---- setup ---------------------------------------------------------- */

static int open_socket(int type, struct in_addr addr, uint16_t port, int *ret)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr = addr, .sin_port = htons(port) };
	_cleanup_close_ int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		return -errno;
	if (type == SOCK_DGRAM && setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	if (type == SOCK_STREAM && listen(fd, 64) < 0)
		return -errno;
	*ret = TAKE_FD(fd);
	return 0;
}

/* [server] address, else the first address of the first interface. */
static struct in_addr server_address(const struct config *cfg)
{
	struct in_addr a = cfg->address;
	struct ifaddrs *ifa, *i;

	if (a.s_addr || cfg->n_ifaces == 0 || getifaddrs(&ifa) < 0)
		return a;
	for (i = ifa; i; i = i->ifa_next) {
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET && strcmp(i->ifa_name, cfg->ifaces[0]) == 0) {
			a = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
			break;
		}
	}
	freeifaddrs(ifa);
	return a;
}

struct load_ctx {
	struct dns_zone *zone;
	uint64_t now_s;
	unsigned n;
};

static int load_lease(const struct lease *l, void *userdata)
{
	struct load_ctx *ctx = userdata;

	if (l->state != LEASE_BOUND || l->expires <= ctx->now_s || !l->hostname[0])
		return 0;
	if (dns_zone_lease_add(ctx->zone, l->hostname, l->ip) == 0)
		ctx->n++;
	return 0;
}

static int dns_server_setup(struct dns_server *srv)
{
	const struct config *cfg = srv->cfg;
	struct dns_zone_params zp = { .server = server_address(cfg), .serial = (uint32_t)time(NULL) };
	struct load_ctx ctx = { .now_s = now_realtime_ms() / 1000 };
	uint64_t seed;
	int r;

	if ((r = dns_zone_new(cfg, &zp, &srv->zone)) < 0) {
		log_err("dns: cannot build the local zone: %s", strerror(-r));
		return r;
	}
	ctx.zone = srv->zone;
	if (srv->st)
		(void)store_lease_foreach(srv->st, load_lease, &ctx);
	arc4random_buf(&seed, sizeof(seed));
	if (cfg->dns_cache_size && (r = dns_cache_new(cfg->dns_cache_size, seed, &srv->cache)) < 0)
		return r;
	if (cfg->n_upstreams &&
	    (r = dns_forwarder_new(srv->loop, cfg->upstreams, cfg->n_upstreams, forward_done, srv, &srv->fwd)) < 0)
		return r;
	if ((r = open_socket(SOCK_DGRAM, cfg->address, cfg->dns_port, &srv->udp_fd)) < 0 ||
	    (r = open_socket(SOCK_STREAM, cfg->address, cfg->dns_port, &srv->tcp_fd)) < 0) {
		log_err("dns: cannot listen on port %u: %s", cfg->dns_port, strerror(-r));
		return r;
	}
	if ((r = loop_add_fd(srv->loop, srv->udp_fd, EPOLLIN, on_udp, srv)) < 0 ||
	    (r = loop_add_fd(srv->loop, srv->tcp_fd, EPOLLIN, on_accept, srv)) < 0)
		return r;
	log_info("dns: serving %s on port %u (%u leases loaded, %zu upstreams, cache %u)",
		 dns_zone_domain(srv->zone), cfg->dns_port, ctx.n, cfg->n_upstreams, cfg->dns_cache_size);
	return 0;
}

int dns_server_reconfigure(struct dns_server *srv, const struct config *cfg)
{
	struct dns_zone_params zp = { .server = server_address(cfg), .serial = (uint32_t)time(NULL) };
	struct load_ctx ctx = { .now_s = now_realtime_ms() / 1000 };
	struct dns_zone *zone;
	int r;

	if ((r = dns_zone_new(cfg, &zp, &zone)) < 0)
		return r;
	ctx.zone = zone;
	if (srv->st)
		(void)store_lease_foreach(srv->st, load_lease, &ctx);
	dns_zone_free(srv->zone);
	srv->zone = zone;
	srv->cfg = cfg;
	return 0;
}

int dns_server_new(const struct config *cfg, struct loop *loop, struct store *st, struct metrics *metrics,
		   struct dns_server **ret)
{
	struct dns_server *srv = calloc(1, sizeof(*srv));
	int r;

	if (!srv)
		return -ENOMEM;
	srv->cfg = cfg;
	srv->loop = loop;
	srv->st = st;
	srv->metrics = metrics;
	srv->udp_fd = srv->tcp_fd = -1;
	srv->rl_bad = (struct ratelimit)RATELIMIT_INIT(10000, 5);
	srv->rl_refused = (struct ratelimit)RATELIMIT_INIT(10000, 5);
	srv->rl_busy = (struct ratelimit)RATELIMIT_INIT(10000, 5);
	srv->rl_lease = (struct ratelimit)RATELIMIT_INIT(10000, 5);
	srv->rl_rate = (struct ratelimit)RATELIMIT_INIT(10000, 5);
	if (!(srv->rrl = malloc(sizeof(*srv->rrl)))) {
		free(srv);
		return -ENOMEM;
	}
	{
		uint32_t seed = 0;
		if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed))
			seed = (uint32_t)now_monotonic_ms();
		dns_rrl_init(srv->rrl, seed);
	}
	if ((r = dns_server_setup(srv)) < 0) {
		dns_server_free(srv);
		return r;
	}
	*ret = srv;
	return 0;
}

void dns_server_free(struct dns_server *srv)
{
	if (!srv)
		return;
	log_info("dns: %lu local, %lu nxdomain, %lu cached, %lu forwarded, %lu refused, %lu servfail, %lu formerr, "
		 "%lu dropped, %lu rate-limited; %lu upstream failures", srv->outcomes[METRIC_DNS_LOCAL],
		 srv->outcomes[METRIC_DNS_NXDOMAIN], srv->outcomes[METRIC_DNS_CACHED], srv->outcomes[METRIC_DNS_FORWARDED],
		 srv->outcomes[METRIC_DNS_REFUSED], srv->outcomes[METRIC_DNS_SERVFAIL], srv->outcomes[METRIC_DNS_MALFORMED],
		 srv->outcomes[METRIC_DNS_DROPPED], srv->outcomes[METRIC_DNS_RATE_LIMITED], srv->upstream_failures);
	for (size_t i = 0; i < DNS_TCP_MAX_CONNS; i++)
		conn_free(srv->conns[i]);
	dns_forwarder_free(srv->fwd);
	if (srv->udp_fd >= 0) {
		loop_del_fd(srv->loop, srv->udp_fd);
		close(srv->udp_fd);
	}
	if (srv->tcp_fd >= 0) {
		loop_del_fd(srv->loop, srv->tcp_fd);
		close(srv->tcp_fd);
	}
	dns_cache_free(srv->cache);
	dns_zone_free(srv->zone);
	free(srv->rrl);
	free(srv);
}

void dns_server_lease_changed(struct dns_server *srv, const char *hostname, struct in_addr ip, bool bound)
{
	char ipbuf[16], esc[80];
	int r;

	if (!srv || !hostname || !hostname[0])
		return;
	r = bound ? dns_zone_lease_add(srv->zone, hostname, ip) : dns_zone_lease_remove(srv->zone, hostname, ip);
	log_escape(esc, sizeof(esc), hostname, strlen(hostname));
	if (r < 0)
		log_ratelimited(&srv->rl_lease, LOG_LEVEL_WARN, "dns: lease %s for \"%s\" not in DNS: %s",
				format_ipv4(ipbuf, ip), esc, strerror(-r));
	else
		log_debug("dns: %s.%s %s %s", esc, dns_zone_domain(srv->zone), bound ? "->" : "no longer",
			  format_ipv4(ipbuf, ip));
}
