/* See http_limits.h. The table of addresses holds one entry per client
 * address with a connection open, so it is bounded by MHD's connection
 * limit; a linear scan of it per accepted connection is cheaper than the
 * accept itself. */
#include "http/http_limits.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/util.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>

#define HTTP_LIMITS_ADDRS 4096        /* addresses tracked; beyond, new ones are not limited */

struct addr_count {
	uint32_t addr;
	unsigned n;
};

/* What a connection's socket_context holds. */
struct conn_state {
	uint32_t addr;
	bool counted;                 /* in the table (it may have been full) */
	bool requested;               /* a request was read whole */
	uint64_t opened_ms;
};

struct http_limits {
	unsigned max_per_client;
	unsigned request_timeout_s, transfer_timeout_s;
	struct metrics *metrics;
	pthread_mutex_t lock;         /* the table and the rate limits of the logs */
	struct addr_count addrs[HTTP_LIMITS_ADDRS];
	size_t n_addrs;
	struct ratelimit rl, rl_timeout;
};

int http_limits_new(unsigned max_per_client, unsigned request_timeout_s, struct metrics *metrics,
		    struct http_limits **ret)
{
	struct http_limits *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	l->max_per_client = max_per_client;
	/* MHD takes 0 as "no timeout": the least is a second */
	l->request_timeout_s = MAX(request_timeout_s, 1u);
	l->transfer_timeout_s = MAX(l->request_timeout_s, (unsigned)HTTP_TRANSFER_TIMEOUT_S);
	l->metrics = metrics;
	l->rl = (struct ratelimit)RATELIMIT_INIT(10000, 5);
	l->rl_timeout = (struct ratelimit)RATELIMIT_INIT(10000, 5);
	pthread_mutex_init(&l->lock, NULL);
	*ret = l;
	return 0;
}

void http_limits_free(struct http_limits *l)
{
	if (!l)
		return;
	pthread_mutex_destroy(&l->lock);
	free(l);
}

unsigned http_limits_request_timeout(const struct http_limits *l)
{
	return l->request_timeout_s;
}

static struct addr_count *find(struct http_limits *l, uint32_t addr)
{
	for (size_t i = 0; i < l->n_addrs; i++)
		if (l->addrs[i].addr == addr)
			return &l->addrs[i];
	return NULL;
}

static bool ipv4_of(const struct sockaddr *sa, uint32_t *ret)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

	if (!sa || sa->sa_family != AF_INET)
		return false;
	*ret = sin->sin_addr.s_addr;
	return true;
}

/* Checked at accept, counted once MHD has made the connection (notify):
 * two threads accepting from one address at the same instant may both
 * pass, so a client may exceed the limit by a connection per thread. */
enum MHD_Result http_limits_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct http_limits *l = cls;
	const struct addr_count *e;
	bool over = false;
	uint32_t a;
	char ip[16];

	if (!l->max_per_client || addrlen < (socklen_t)sizeof(struct sockaddr_in) || !ipv4_of(addr, &a))
		return MHD_YES;
	pthread_mutex_lock(&l->lock);
	e = find(l, a);
	if (e && e->n >= l->max_per_client) {
		over = true;
		log_ratelimited(&l->rl, LOG_LEVEL_WARN, "http: %s has %u connections open ([http] max-per-client), "
				"closing a new one", format_ipv4(ip, (struct in_addr){ a }), e->n);
	}
	pthread_mutex_unlock(&l->lock);
	if (over)
		metrics_count(l->metrics, METRIC_CLIENT_LIMITED, METRIC_LIMIT_HTTP_CONNECTIONS);
	return over ? MHD_NO : MHD_YES;
}

static bool count_in(struct http_limits *l, uint32_t a)
{
	struct addr_count *e;
	bool counted = true;

	pthread_mutex_lock(&l->lock);
	if ((e = find(l, a)))
		e->n++;
	else if (l->n_addrs < HTTP_LIMITS_ADDRS)
		l->addrs[l->n_addrs++] = (struct addr_count){ .addr = a, .n = 1 };
	else
		counted = false;
	pthread_mutex_unlock(&l->lock);
	return counted;
}

static void count_out(struct http_limits *l, uint32_t a)
{
	struct addr_count *e;

	pthread_mutex_lock(&l->lock);
	if ((e = find(l, a)) && --e->n == 0)
		*e = l->addrs[--l->n_addrs];
	pthread_mutex_unlock(&l->lock);
}

static bool connection_ipv4(struct MHD_Connection *c, uint32_t *ret)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	return ci && ipv4_of(ci->client_addr, ret);
}

/* MHD does not say why it closed a connection: one that never sent a whole
 * request and lived request-timeout or longer was (almost surely) closed
 * for it. */
static void closed(struct http_limits *l, const struct conn_state *st)
{
	char ip[16];

	if (st->counted)
		count_out(l, st->addr);
	if (st->requested || now_monotonic_ms() - st->opened_ms < l->request_timeout_s * 1000ull)
		return;
	metrics_count(l->metrics, METRIC_CLIENT_LIMITED, METRIC_LIMIT_HTTP_REQUEST_TIMEOUT);
	pthread_mutex_lock(&l->lock);
	log_ratelimited(&l->rl_timeout, LOG_LEVEL_WARN, "http: %s sent no whole request within %u s ([http] request-timeout), "
			"closed", format_ipv4(ip, (struct in_addr){ st->addr }), l->request_timeout_s);
	pthread_mutex_unlock(&l->lock);
}

void http_limits_notify(void *cls, struct MHD_Connection *c, void **socket_context,
			enum MHD_ConnectionNotificationCode toe)
{
	struct http_limits *l = cls;
	struct conn_state *st;
	uint32_t a;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		if (!connection_ipv4(c, &a) || !(st = calloc(1, sizeof(*st))))
			return; /* neither counted nor timed */
		*st = (struct conn_state){ .addr = a, .counted = count_in(l, a), .opened_ms = now_monotonic_ms() };
		*socket_context = st;
	} else if (toe == MHD_CONNECTION_NOTIFY_CLOSED && (st = *socket_context)) {
		closed(l, st);
		free(st);
		*socket_context = NULL;
	}
}

static struct conn_state *state_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

/* MHD's timeout counts silence, not the whole request: a download to a
 * slow client lives as long as it keeps reading, and a sendfile() stuck
 * behind a full socket buffer may wait this long. */
void http_limits_request_read(const struct http_limits *l, struct MHD_Connection *c)
{
	struct conn_state *st = state_of(c);

	if (st)
		st->requested = true;
	MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, l->transfer_timeout_s);
}

void http_limits_request_done(const struct http_limits *l, struct MHD_Connection *c)
{
	MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, l->request_timeout_s);
}
