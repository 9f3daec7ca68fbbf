/* TFTP server: requests on port 69, one connected socket and one timer per
 * transfer (so a client's packets reach only its transfer), the transfer
 * driven by the pure state machine in tftp_xfer.c. Read-only. */
#include "tftp/tftp_server.h"
#include "tftp/tftp_wire.h"
#include "tftp/tftp_xfer.h"
#include "core/config.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/metrics.h"
#include "core/util.h"
#include "store/store.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#define TFTP_MAX_TRANSFERS 1024
#define TFTP_MAX_RETRIES 5            /* give up after (1 + this) x the timeout without progress */
/* A client that never answered the first block (or the OACK) is most
 * likely not there at all, or a flood of requests from a forged address:
 * fewer resends free its slot sooner. A real client that missed the first
 * packet still gets it twice more. */
#define TFTP_FIRST_ACK_RESENDS 2
/* The shortest wait before a resend. Replies on a LAN take well under a
 * millisecond; this leaves room for a slow client or a busy server, and a
 * premature resend only costs a duplicate window (duplicate ACKs are
 * ignored). A client that asks for a timeout (RFC 2349) gets exactly that. */
#define TFTP_RTO_MIN_MS 50
/* A window is sent as one burst: keep it within what a client's default
 * socket buffer holds, or large blocks times a large window overflow it
 * and every window waits for a timeout (seen with atftp at 8192 x 16). */
#define TFTP_MAX_WINDOW_BYTES (64 * 1024)

struct tftp_server;

struct tftp_transfer {
	struct tftp_server *srv;
	struct tftp_transfer *next;
	int sock;
	int file;
	struct loop_timer *timer;
	struct tftp_xfer x;
	struct sockaddr_in peer;
	char path[TFTP_PATH_MAX];
	struct tftp_rto rto;
	uint64_t sent_us;             /* when the last window (or OACK) went out */
	uint64_t deadline_us;         /* the wait for its ACK ends */
	uint64_t armed_us;            /* the timer fires then (0: not armed) */
	uint64_t started_ms;
	uint8_t oack[128];
	int oack_len;
	bool asked_tsize;             /* the request carried tsize */
	bool answered;                /* the client sent anything back */
	uint8_t *buf;                 /* one DATA packet */
};

struct tftp_server {
	const struct config *cfg;
	struct loop *loop;
	struct store *st;
	struct metrics *metrics;
	int sock;
	int root_fd, ipxe_fd;
	struct tftp_transfer *transfers;
	size_t n_transfers;
	struct ratelimit rl;
};

/* ---- helpers -------------------------------------------------------------- */

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void send_error_to(int sock, const struct sockaddr_in *to, enum tftp_error_code code, const char *msg)
{
	uint8_t buf[128];
	int n = tftp_build_error(buf, sizeof(buf), code, msg);

	if (n > 0)
		sendto(sock, buf, (size_t)n, 0, (const struct sockaddr *)to, to ? sizeof(*to) : 0);
}


/* The file a client asks for: below the root, else one of Debian's iPXE
 * binaries by name, so a fresh install boots without copying files. */
static int open_requested(struct tftp_server *srv, const char *name)
{
	const char *rel = name;
	int fd;

	while (*rel == '/')
		rel++; /* PXE ROMs often ask for "/pxelinux.0" */
	if (*rel == '\0')
		return -ENOENT;
	fd = srv->root_fd >= 0 ? open_beneath(srv->root_fd, rel) : -ENOENT;
	if (fd == -ENOENT && srv->ipxe_fd >= 0 && !strchr(rel, '/'))
		fd = open_beneath(srv->ipxe_fd, rel);
	return fd;
}

static void client_identity(struct tftp_server *srv, struct in_addr ip, uint8_t **ret_mac, uint8_t mac[6],
			    char host[64])
{
	struct lease l;

	*ret_mac = NULL;
	host[0] = '\0';
	if (store_lease_by_ip(srv->st, ip, &l) == 0) {
		memcpy(mac, l.mac, 6);
		*ret_mac = mac;
		snprintf(host, 64, "%s", l.hostname);
	}
}

/* ---- transfer lifecycle ---------------------------------------------------- */

/* EDK2 (and PXELINUX) first ask for the file with tsize only to learn its
 * size, then end that transfer with error 8 after the OACK: not a failure. */
#define TFTP_SIZE_QUERY "size query"

static void transfer_free(struct tftp_transfer *t, const char *result)
{
	struct tftp_server *srv = t->srv;
	char ip[16], host[64];
	uint8_t macbuf[6], *mac;
	double secs = (double)(now_monotonic_ms() - t->started_ms) / 1000.0;
	bool ok = strcmp(result, "ok") == 0;
	bool probe = strcmp(result, TFTP_SIZE_QUERY) == 0;

	log_info("tftp: %s %s %llu bytes blksize %u windowsize %u %.2f s, %u timeouts: %s",
		 format_ipv4(ip, t->peer.sin_addr), t->path, (unsigned long long)t->x.size, t->x.blksize,
		 t->x.windowsize, secs, t->rto.timeouts, result);
	metrics_count(srv->metrics, ok ? METRIC_TFTP_COMPLETED : probe ? METRIC_TFTP_SIZE_QUERIES : METRIC_TFTP_FAILED, 0);
	client_identity(srv, t->peer.sin_addr, &mac, macbuf, host);
	store_event_add(srv->st, mac, host, ok ? "tftp" : probe ? "tftp-size" : "tftp-error", "%s %llu bytes %.2f s%s%s",
			t->path, (unsigned long long)t->x.size, secs, ok || probe ? "" : " ", ok || probe ? "" : result);
	for (struct tftp_transfer **pp = &srv->transfers; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	srv->n_transfers--;
	loop_timer_free(t->timer);
	loop_del_fd(srv->loop, t->sock);
	close(t->sock);
	close(t->file);
	free(t->buf);
	free(t);
}

static int send_block(struct tftp_transfer *t, uint64_t block)
{
	uint32_t len = tftp_xfer_block_len(&t->x, block);
	ssize_t n = 0;

	tftp_build_data_header(t->buf, 4, (uint16_t)block);
	if (len && (n = pread(t->file, t->buf + 4, len, (off_t)tftp_xfer_block_offset(&t->x, block))) != (ssize_t)len)
		return n < 0 ? -errno : -EIO;
	if (send(t->sock, t->buf, 4 + len, 0) < 0 && errno != EAGAIN)
		return -errno;
	metrics_add(t->srv->metrics, METRIC_TFTP_SENT_BYTES, 0, len);
	return 0;
}

/* The timer is moved only when the deadline comes earlier than it is set
 * for: re-arming it for every ACK would cost a system call per block (and,
 * in a VM, often a timer reprogramming exit). A timer that fires before the
 * deadline is set again for the rest. */
static int arm(struct tftp_transfer *t)
{
	uint64_t now = now_us();
	int r;

	if (t->armed_us && t->armed_us <= t->deadline_us)
		return 0;
	r = loop_timer_arm(t->timer, t->deadline_us > now ? (t->deadline_us - now + 999) / 1000 : 0);
	t->armed_us = r < 0 ? 0 : t->deadline_us;
	return r;
}

/* Sends whatever the state machine allows now, then waits for an ACK. */
static int pump(struct tftp_transfer *t)
{
	uint64_t first, last;
	int r;

	if (t->x.oack) {
		if (send(t->sock, t->oack, (size_t)t->oack_len, 0) < 0 && errno != EAGAIN)
			return -errno;
	} else {
		tftp_xfer_next(&t->x, &first, &last);
		for (uint64_t b = first; b <= last; b++)
			if ((r = send_block(t, b)) < 0)
				return r;
		tftp_xfer_mark_sent(&t->x, last);
	}
	t->sent_us = now_us();
	t->deadline_us = t->sent_us + (uint64_t)t->rto.rto_ms * 1000;
	return arm(t);
}

static const char *send_failure(int r)
{
	return r == -ECONNREFUSED ? "client unreachable" : "send failed";
}

static void on_timeout(struct loop_timer *timer, void *userdata)
{
	struct tftp_transfer *t = userdata;
	int r;

	t->armed_us = 0;
	if (now_us() < t->deadline_us) { /* ACKs came meanwhile */
		if ((r = arm(t)) < 0)
			transfer_free(t, strerror(-r));
		return;
	}
	metrics_count(t->srv->metrics, METRIC_TFTP_TIMEOUTS, 0);
	if (!t->answered && t->rto.timeouts >= TFTP_FIRST_ACK_RESENDS) {
		metrics_count(t->srv->metrics, METRIC_CLIENT_LIMITED, METRIC_LIMIT_TFTP_FIRST_ACK);
		transfer_free(t, "no answer to the first block");
		return;
	}
	if (!tftp_rto_on_timeout(&t->rto)) {
		send_error_to(t->sock, NULL, TFTP_EUNDEF, "timed out");
		transfer_free(t, "timed out");
		return;
	}
	tftp_xfer_on_timeout(&t->x);
	if ((r = pump(t)) < 0)
		transfer_free(t, send_failure(r));
}

static void on_client_packet(int fd, uint32_t events, void *userdata)
{
	struct tftp_transfer *t = userdata;
	uint8_t buf[516];
	struct tftp_reply reply;
	ssize_t n;
	int r;
	bool refused = false;

	/* One datagram per wakeup (the socket is level-triggered: the next
	 * one wakes us again), which spares a recv() that would find nothing
	 * after each ACK. An ICMP unreachable (the client has gone) is reported
	 * before the datagrams already queued: its last ACK may still be among
	 * them, after a resend it did not need, so then the queue is drained. */
	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) >= 0 || (errno == ECONNREFUSED && !refused)) {
		if (n < 0) {
			refused = true;
			continue;
		}
		if (tftp_reply_parse(buf, (size_t)n, &reply) < 0) {
			send_error_to(fd, NULL, TFTP_EBADOP, "expected ACK");
			transfer_free(t, "malformed packet from client");
			return;
		}
		t->answered = true;
		if (reply.op == TFTP_ERROR) {
			transfer_free(t, reply.error_code != TFTP_EOPTNEG ? "client aborted"
					 : t->x.acked == 0 && t->asked_tsize ? TFTP_SIZE_QUERY
					 : "client declined options");
			return;
		}
		r = tftp_xfer_on_ack(&t->x, reply.block);
		if (r == TFTP_ACK_DONE) {
			transfer_free(t, "ok");
			return;
		}
		if (r != TFTP_ACK_IGNORED) {
			if (r == TFTP_ACK_PROGRESS)
				tftp_rto_on_progress(&t->rto, now_us() - t->sent_us);
			else
				tftp_rto_on_resend(&t->rto);
			if ((r = pump(t)) < 0) {
				transfer_free(t, send_failure(r));
				return;
			}
		}
		if (!refused)
			return;
	}
	if (refused || errno == ECONNREFUSED) /* the client went away */
		transfer_free(t, "client unreachable");
}

/* ---- new requests ----------------------------------------------------------- */

/* RFC 2347: options the client asked for, answered within our limits. */
static void negotiate(struct tftp_server *srv, struct tftp_transfer *t, const struct tftp_request *rq, uint64_t size)
{
	uint32_t blksize = rq->blksize ? MIN(rq->blksize, srv->cfg->tftp_max_blksize) : 0;
	uint32_t window = rq->windowsize ? MIN(rq->windowsize, srv->cfg->tftp_max_windowsize) : 0;
	uint32_t per_block = blksize ? blksize : TFTP_BLKSIZE_DEFAULT;
	uint32_t timeout_ms = rq->timeout_s ? rq->timeout_s * 1000 : srv->cfg->tftp_timeout_ms;

	if (window > 1 && window * per_block > TFTP_MAX_WINDOW_BYTES)
		window = MAX(1u, TFTP_MAX_WINDOW_BYTES / per_block);
	/* Adaptive between the floor and the configured timeout, unless the
	 * client asked for a timeout of its own. */
	tftp_rto_init(&t->rto, rq->timeout_s ? timeout_ms : MIN(TFTP_RTO_MIN_MS, timeout_ms), timeout_ms,
		      (TFTP_MAX_RETRIES + 1) * timeout_ms);
	t->oack_len = 0;
	t->asked_tsize = rq->tsize;
	if (blksize || window || rq->timeout_s || rq->tsize)
		t->oack_len = tftp_build_oack(t->oack, sizeof(t->oack), blksize, rq->timeout_s, window, rq->tsize, size);
	tftp_xfer_init(&t->x, size, blksize ? blksize : TFTP_BLKSIZE_DEFAULT, window ? window : 1, t->oack_len > 0);
}

static int start_transfer(struct tftp_server *srv, const struct tftp_request *rq, const struct sockaddr_in *peer,
			  struct in_addr local, int file, uint64_t size)
{
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_addr = local };
	struct tftp_transfer *t = calloc(1, sizeof(*t));
	int r;

	if (!t)
		return -ENOMEM;
	t->srv = srv;
	t->file = file;
	t->peer = *peer;
	t->started_ms = now_monotonic_ms();
	snprintf(t->path, sizeof(t->path), "%s", rq->filename);
	negotiate(srv, t, rq, size);
	t->buf = malloc(4 + t->x.blksize);
	t->sock = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (!t->buf || t->sock < 0 || bind(t->sock, (struct sockaddr *)&me, sizeof(me)) < 0 ||
	    connect(t->sock, (const struct sockaddr *)peer, sizeof(*peer)) < 0) {
		r = -errno;
		goto fail;
	}
	if ((r = loop_timer_new(srv->loop, on_timeout, t, &t->timer)) < 0 ||
	    (r = loop_add_fd(srv->loop, t->sock, EPOLLIN, on_client_packet, t)) < 0)
		goto fail;
	t->next = srv->transfers;
	srv->transfers = t;
	srv->n_transfers++;
	metrics_count(srv->metrics, METRIC_TFTP_STARTED, 0);
	if ((r = pump(t)) < 0)
		transfer_free(t, "send failed");
	return 0;
fail:
	loop_timer_free(t->timer);
	if (t->sock >= 0)
		close(t->sock);
	free(t->buf);
	free(t);
	return r;
}

static void refuse(struct tftp_server *srv, const struct sockaddr_in *peer, enum tftp_error_code code,
		   const char *msg, const char *name)
{
	char ip[16], esc[128];

	send_error_to(srv->sock, peer, code, msg);
	metrics_count(srv->metrics, METRIC_TFTP_REFUSED, code);
	log_ratelimited(&srv->rl, LOG_LEVEL_WARN, "tftp: %s \"%s\": %s", format_ipv4(ip, peer->sin_addr),
			log_escape(esc, sizeof(esc), name, strlen(name)), msg);
}

static unsigned transfers_from(const struct tftp_server *srv, struct in_addr addr)
{
	unsigned n = 0;

	for (const struct tftp_transfer *t = srv->transfers; t; t = t->next)
		n += t->peer.sin_addr.s_addr == addr.s_addr;
	return n;
}

static void handle_request(struct tftp_server *srv, const uint8_t *buf, size_t len, const struct sockaddr_in *peer,
			   struct in_addr local)
{
	struct tftp_request rq;
	struct stat sb;
	int r, fd;

	r = tftp_request_parse(buf, len, &rq);
	if (r < 0) {
		refuse(srv, peer, TFTP_EBADOP, r == -ENAMETOOLONG ? "file name too long" : "malformed request", "");
		return;
	}
	if (rq.op == TFTP_WRQ)
		return refuse(srv, peer, TFTP_EACCESS, "read-only server", rq.filename);
	if (rq.netascii)
		return refuse(srv, peer, TFTP_EUNDEF, "netascii not supported, use octet", rq.filename);
	if (srv->cfg->tftp_max_per_client && transfers_from(srv, peer->sin_addr) >= srv->cfg->tftp_max_per_client) {
		metrics_count(srv->metrics, METRIC_CLIENT_LIMITED, METRIC_LIMIT_TFTP_TRANSFERS);
		return refuse(srv, peer, TFTP_EUNDEF, "too many transfers from this address", rq.filename);
	}
	if (srv->n_transfers >= TFTP_MAX_TRANSFERS)
		return refuse(srv, peer, TFTP_EUNDEF, "server busy", rq.filename);
	fd = open_requested(srv, rq.filename);
	if (fd < 0)
		return refuse(srv, peer, fd == -ENOENT || fd == -ENOTDIR ? TFTP_ENOTFOUND : TFTP_EACCESS,
			      fd == -ENOENT || fd == -ENOTDIR ? "file not found" : "access violation", rq.filename);
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return refuse(srv, peer, TFTP_ENOTFOUND, "not a file", rq.filename);
	}
	if ((r = start_transfer(srv, &rq, peer, local, fd, (uint64_t)sb.st_size)) < 0) {
		close(fd);
		refuse(srv, peer, TFTP_EUNDEF, strerror(-r), rq.filename);
	}
}

static void on_request(int fd, uint32_t events, void *userdata)
{
	struct tftp_server *srv = userdata;
	uint8_t buf[TFTP_REQUEST_MAX + 1];
	struct sockaddr_in peer;
	union { char buf[CMSG_SPACE(sizeof(struct in_pktinfo))]; struct cmsghdr align; } ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr mh = { .msg_name = &peer, .msg_namelen = sizeof(peer), .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
	ssize_t n;

	for (int i = 0; i < 64 && (n = recvmsg(fd, &mh, MSG_DONTWAIT)) >= 0; i++) {
		struct in_addr local = srv->cfg->address;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO)
				local = ((struct in_pktinfo *)CMSG_DATA(c))->ipi_spec_dst;
		handle_request(srv, buf, (size_t)n, &peer, local);
		mh.msg_namelen = sizeof(peer);
		mh.msg_controllen = sizeof(ctl.buf);
	}
}

static int open_dir(const char *path, const char *what)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		log_warn("tftp: %s %s: %s", what, path, strerror(errno));
	return fd;
}

static bool servable(const struct tftp_server *srv, const char *file)
{
	int fds[] = { srv->root_fd, srv->ipxe_fd }, fd;

	for (size_t i = 0; i < ARRAY_SIZE(fds); i++) {
		if (fds[i] < 0 || (fd = open_beneath(fds[i], file)) < 0)
			continue;
		close(fd);
		return true;
	}
	return false;
}

/* A missing first-stage loader is the classic "PXE-E32: TFTP open timeout":
 * say so at start, not when the first machine fails. */
static void check_boot_files(const struct tftp_server *srv)
{
	const struct config *cfg = srv->cfg;
	const struct { const char *key, *file, *who; } files[] = {
		{ "bios", cfg->boot_bios, "BIOS" },
		{ "efi64", cfg->boot_efi64, "x86-64 UEFI" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(files); i++)
		if (files[i].file && !strstr(files[i].file, "://") && !servable(srv, files[i].file))
			log_warn("tftp: [boot] %s = %s is in neither %s nor %s: %s PXE clients cannot boot "
				 "(install Debian's ipxe package, or put the file there)",
				 files[i].key, files[i].file, cfg->tftp_root, cfg->ipxe_dir, files[i].who);
}

void tftp_server_reconfigure(struct tftp_server *srv, const struct config *cfg)
{
	srv->cfg = cfg;
}

int tftp_server_new(const struct config *cfg, struct loop *loop, struct store *st, struct metrics *metrics,
		    struct tftp_server **ret)
{
	struct tftp_server *srv = calloc(1, sizeof(*srv));
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(cfg->tftp_port), .sin_addr = cfg->address };
	int one = 1, r;

	if (!srv)
		return -ENOMEM;
	srv->cfg = cfg;
	srv->loop = loop;
	srv->st = st;
	srv->metrics = metrics;
	srv->rl = (struct ratelimit)RATELIMIT_INIT(10000, 10);
	srv->root_fd = open_dir(cfg->tftp_root, "root");
	srv->ipxe_fd = open_dir(cfg->ipxe_dir, "ipxe-dir");
	srv->sock = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (srv->sock < 0 || setsockopt(srv->sock, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0 ||
	    bind(srv->sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		log_err("tftp: cannot listen on port %u: %s", cfg->tftp_port, strerror(errno));
		goto fail;
	}
	if ((r = loop_add_fd(loop, srv->sock, EPOLLIN, on_request, srv)) < 0)
		goto fail;
	log_info("tftp: serving %s (and %s) on port %u", cfg->tftp_root, cfg->ipxe_dir, cfg->tftp_port);
	check_boot_files(srv);
	*ret = srv;
	return 0;
fail:
	tftp_server_free(srv);
	return r;
}

void tftp_server_free(struct tftp_server *srv)
{
	if (!srv)
		return;
	while (srv->transfers)
		transfer_free(srv->transfers, "server stopping");
	if (srv->sock >= 0) {
		loop_del_fd(srv->loop, srv->sock);
		close(srv->sock);
	}
	if (srv->root_fd >= 0)
		close(srv->root_fd);
	if (srv->ipxe_fd >= 0)
		close(srv->ipxe_fd);
	free(srv);
}
