/* Forwarded queries: one struct fwd per outstanding query owns its socket
 * (UDP, or TCP after a truncated answer), its timer and its buffers. */
#include "dns/dns_forward.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/util.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#define FWD_QUERY_MAX 512             /* header + question + OPT always fit */
#define FWD_RECV_BURST 8

enum fwd_state {
	FWD_UDP,
	FWD_TCP_CONNECTING,
	FWD_TCP_WRITING,
	FWD_TCP_READING,
};

struct fwd {
	struct dns_forwarder *f;
	struct dns_fwd_request req;
	enum fwd_state state;
	uint16_t id;
	size_t up;                    /* index of the upstream being asked */
	unsigned attempts;
	int fd;
	uint8_t query[2 + FWD_QUERY_MAX];  /* TCP length prefix, then the query */
	size_t qlen;
	size_t wdone;
	uint8_t *rbuf;                /* TCP answer: 2-byte length + message */
	size_t rlen;
	struct loop_timer *timer;
	struct fwd *prev, *next;
};

struct dns_forwarder {
	struct loop *loop;
	struct sockaddr_in upstreams[8];
	size_t n_upstreams;
	size_t preferred;             /* the upstream that answered last */
	dns_fwd_done_fn done;
	void *userdata;
	struct fwd *list;
	size_t n_active;
	struct dns_fwd_stats stats;
	struct ratelimit rl;
	uint8_t rx[DNS_MSG_MAX];
};

static void fwd_next_upstream(struct fwd *w);

int dns_forwarder_new(struct loop *loop, const struct sockaddr_in *upstreams, size_t n,
		      dns_fwd_done_fn done, void *userdata, struct dns_forwarder **ret)
{
	struct dns_forwarder *f;

	if (n > ARRAY_SIZE(f->upstreams))
		return -E2BIG;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->loop = loop;
	memcpy(f->upstreams, upstreams, n * sizeof(*upstreams));
	f->n_upstreams = n;
	f->done = done;
	f->userdata = userdata;
	f->rl = (struct ratelimit)RATELIMIT_INIT(10000, 5);
	*ret = f;
	return 0;
}

static void fwd_close_fd(struct fwd *w)
{
	if (w->fd < 0)
		return;
	loop_del_fd(w->f->loop, w->fd);
	close(w->fd);
	w->fd = -1;
}

static void fwd_free(struct fwd *w)
{
	struct dns_forwarder *f = w->f;

	fwd_close_fd(w);
	loop_timer_free(w->timer);
	if (w->prev)
		w->prev->next = w->next;
	else
		f->list = w->next;
	if (w->next)
		w->next->prev = w->prev;
	f->n_active--;
	free(w->rbuf);
	free(w);
}

void dns_forwarder_free(struct dns_forwarder *f)
{
	if (!f)
		return;
	while (f->list)
		fwd_free(f->list);
	free(f);
}

const struct dns_fwd_stats *dns_forwarder_stats(const struct dns_forwarder *f)
{
	return &f->stats;
}

static void fwd_finish(struct fwd *w, uint8_t *msg, size_t len, const struct dns_response_info *info)
{
	struct dns_forwarder *f = w->f;

	if (msg) {
		f->preferred = w->up;
		f->stats.answered++;
	} else {
		f->stats.failed++;
	}
	f->done(f->userdata, &w->req, msg, len, info);
	fwd_free(w);
}

static const char *upstream_text(const struct fwd *w, char buf[static 16])
{
	return format_ipv4(buf, w->f->upstreams[w->up].sin_addr);
}

/* An answer is ours only with our ID and our question (RFC 5452 9.1); the
 * connected socket already filtered the source address and port. */
static int fwd_validate(struct fwd *w, const uint8_t *msg, size_t len, struct dns_response_info *info)
{
	if (dns_response_parse(msg, len, info) < 0 || info->hdr.id != w->id || !info->has_question ||
	    !dns_question_equal(&info->q, &w->req.query.q)) {
		w->f->stats.mismatched++;
		return -EBADMSG;
	}
	return 0;
}

/* Decides what a valid answer leads to: done, TCP retry or next upstream. */
static void fwd_answer(struct fwd *w, uint8_t *msg, size_t len, const struct dns_response_info *info);

static int fwd_arm(struct fwd *w, uint64_t ms)
{
	return loop_timer_arm(w->timer, ms);
}

static void fwd_on_tcp(int fd, uint32_t events, void *userdata);
static void fwd_on_udp(int fd, uint32_t events, void *userdata);

static int fwd_start_udp(struct fwd *w)
{
	const struct sockaddr_in *up = &w->f->upstreams[w->up];
	_cleanup_close_ int fd = -1;
	int r;

	fwd_close_fd(w);
	arc4random_buf(&w->id, sizeof(w->id));
	wr_be16(w->query + 2, w->id);
	/* a fresh socket: the kernel picks a random ephemeral source port */
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)up, sizeof(*up)) < 0 ||
	    send(fd, w->query + 2, w->qlen, 0) < 0)
		return -errno;
	if ((r = loop_add_fd(w->f->loop, fd, EPOLLIN, fwd_on_udp, w)) < 0)
		return r;
	w->fd = TAKE_FD(fd);
	w->state = FWD_UDP;
	w->f->stats.sent++;
	return fwd_arm(w, DNS_FWD_UDP_TIMEOUT_MS);
}

static int fwd_start_tcp(struct fwd *w)
{
	const struct sockaddr_in *up = &w->f->upstreams[w->up];
	_cleanup_close_ int fd = -1;
	int r;

	fwd_close_fd(w);
	wr_be16(w->query, (uint16_t)w->qlen);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)up, sizeof(*up)) < 0 && errno != EINPROGRESS)
		return -errno;
	if ((r = loop_add_fd(w->f->loop, fd, EPOLLOUT, fwd_on_tcp, w)) < 0)
		return r;
	w->fd = TAKE_FD(fd);
	w->state = FWD_TCP_CONNECTING;
	w->wdone = 0;
	w->rlen = 0;
	w->f->stats.tcp_retries++;
	return fwd_arm(w, DNS_FWD_TCP_TIMEOUT_MS);
}

static void fwd_next_upstream(struct fwd *w)
{
	struct dns_forwarder *f = w->f;

	for (;;) {
		if (++w->attempts >= f->n_upstreams * DNS_FWD_ROUNDS) {
			fwd_finish(w, NULL, 0, NULL);
			return;
		}
		w->up = (w->up + 1) % f->n_upstreams;
		if (fwd_start_udp(w) == 0)
			return;
	}
}

static void fwd_answer(struct fwd *w, uint8_t *msg, size_t len, const struct dns_response_info *info)
{
	unsigned rcode = info->hdr.flags & DNS_F_RCODE_MASK;
	char ip[16];

	if ((info->hdr.flags & DNS_F_TC) && w->state == FWD_UDP) {
		log_debug("dns: truncated answer from %s, retrying over TCP", upstream_text(w, ip));
		if (fwd_start_tcp(w) < 0)
			fwd_next_upstream(w);
		return;
	}
	/* another upstream may do better, as long as untried ones remain */
	if ((rcode == DNS_RCODE_SERVFAIL || rcode == DNS_RCODE_REFUSED || rcode == DNS_RCODE_NOTIMP) &&
	    w->attempts + 1 < w->f->n_upstreams) {
		log_debug("dns: %s from %s, trying the next upstream", dns_rcode_name(rcode),
			  upstream_text(w, ip));
		fwd_next_upstream(w);
		return;
	}
	fwd_finish(w, msg, len, info);
}

static void fwd_on_udp(int fd, uint32_t events, void *userdata)
{
	struct fwd *w = userdata;
	struct dns_forwarder *f = w->f;

	for (int i = 0; i < FWD_RECV_BURST; i++) {
		struct dns_response_info info;
		ssize_t n = recv(fd, f->rx, sizeof(f->rx), 0);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			/* ICMP port unreachable and the like: fail over at once */
			char ip[16];
			log_ratelimited(&f->rl, LOG_LEVEL_WARN, "dns: upstream %s: %s", upstream_text(w, ip),
					strerror(errno));
			fwd_next_upstream(w);
			return;
		}
		if (fwd_validate(w, f->rx, (size_t)n, &info) < 0)
			continue;
		fwd_answer(w, f->rx, (size_t)n, &info);
		return;
	}
}

/* Returns 1 when the whole answer is in, 0 to wait, <0 on error. */
static int fwd_tcp_read(struct fwd *w)
{
	size_t want;

	if (!w->rbuf && !(w->rbuf = malloc(2 + DNS_MSG_MAX)))
		return -ENOMEM;
	for (;;) {
		want = w->rlen < 2 ? 2 : 2 + (size_t)rd_be16(w->rbuf);
		if (w->rlen >= 2 && want < 2 + DNS_HDR_LEN)
			return -EBADMSG;
		if (w->rlen == want && w->rlen >= 2 + DNS_HDR_LEN)
			return 1;
		ssize_t n = read(w->fd, w->rbuf + w->rlen, want - w->rlen);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		w->rlen += (size_t)n;
	}
}

static int fwd_tcp_step(struct fwd *w, uint32_t events)
{
	int err = 0, r;
	socklen_t elen = sizeof(err);

	if (w->state == FWD_TCP_CONNECTING) {
		if (getsockopt(w->fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0 || err)
			return -(err ? err : errno);
		w->state = FWD_TCP_WRITING;
	}
	if (w->state == FWD_TCP_WRITING) {
		ssize_t n = write(w->fd, w->query + w->wdone, w->qlen + 2 - w->wdone);
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		w->wdone += (size_t)n;
		if (w->wdone < w->qlen + 2)
			return 0;
		w->state = FWD_TCP_READING;
		return loop_mod_fd(w->f->loop, w->fd, EPOLLIN);
	}
	if ((r = fwd_tcp_read(w)) <= 0)
		return r;
	return 1;
}

static void fwd_on_tcp(int fd, uint32_t events, void *userdata)
{
	struct fwd *w = userdata;
	struct dns_response_info info;
	char ip[16];
	int r = fwd_tcp_step(w, events);

	if (r == 0)
		return;
	if (r < 0) {
		log_ratelimited(&w->f->rl, LOG_LEVEL_WARN, "dns: TCP to upstream %s: %s",
				upstream_text(w, ip), strerror(-r));
		fwd_next_upstream(w);
		return;
	}
	if (fwd_validate(w, w->rbuf + 2, w->rlen - 2, &info) < 0) {
		fwd_next_upstream(w);
		return;
	}
	fwd_answer(w, w->rbuf + 2, w->rlen - 2, &info);
}

static void fwd_on_timeout(struct loop_timer *t, void *userdata)
{
	struct fwd *w = userdata;
	char ip[16];

	w->f->stats.timeouts++;
	log_ratelimited(&w->f->rl, LOG_LEVEL_WARN, "dns: upstream %s did not answer in time",
			upstream_text(w, ip));
	fwd_next_upstream(w);
}

static int fwd_build_query(struct fwd *w)
{
	struct dns_builder b;
	uint16_t flags = DNS_F_RD | (w->req.query.hdr.flags & DNS_F_CD);
	int r;

	dns_builder_init(&b, w->query + 2, FWD_QUERY_MAX);
	if ((r = dns_builder_header(&b)) < 0 || (r = dns_builder_question(&b, &w->req.query.q)) < 0 ||
	    (r = dns_builder_opt(&b, DNS_UDP_MAX, 0)) < 0)
		return r;
	w->qlen = dns_builder_finish(&b, 0, flags);
	return 0;
}

int dns_forward(struct dns_forwarder *f, const struct dns_fwd_request *req)
{
	struct fwd *w;
	int r;

	if (f->n_upstreams == 0)
		return -ENETUNREACH;
	if (f->n_active >= DNS_FWD_MAX)
		return -EBUSY;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->f = f;
	w->req = *req;
	w->fd = -1;
	w->up = f->preferred;
	if ((r = fwd_build_query(w)) < 0 || (r = loop_timer_new(f->loop, fwd_on_timeout, w, &w->timer)) < 0) {
		free(w);
		return r;
	}
	w->next = f->list;
	if (f->list)
		f->list->prev = w;
	f->list = w;
	f->n_active++;
	if (fwd_start_udp(w) < 0)
		fwd_next_upstream(w);   /* may finish (and free) w at once */
	return 0;
}
