/* Metric families, their atomic values and the text renderer (see
 * metrics.h). Names follow the Prometheus conventions: a labboot_ prefix,
 * base units (seconds, bytes), counters ending in _total. */
#include "core/metrics.h"
#include "boot/timeline.h"
#include "store/store.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

_Static_assert(BOOT_PHASE_COUNT_ <= METRIC_HIST_SERIES_MAX, "a series per boot phase");
_Static_assert(METRIC_LEASE_STATES == LEASE_DECLINED + 1, "a gauge per lease state");

struct metric_label {
	const char *name;               /* NULL: the family has no such label */
	const char *const *values;      /* indexed by the label's enum; NULL: a value never counted */
	unsigned n;
};

struct metric_family {
	const char *name, *help;
	struct metric_label a, b;       /* b varies fastest in the flat index */
};

/* by DHCP message type (RFC 2132 9.6): what clients send, what we send */
static const char *const dhcp_request_types[METRIC_DHCP_TYPES] = {
	"other", "discover", NULL, "request", "decline", NULL, NULL, "release", "inform",
};
static const char *const dhcp_reply_types[METRIC_DHCP_TYPES] = {
	NULL, NULL, "offer", NULL, NULL, "ack", "nak", NULL, NULL,
};
static const char *const dhcp_drops[METRIC_DHCP_DROP_COUNT_] = {
	[METRIC_DHCP_DROP_MALFORMED] = "malformed", [METRIC_DHCP_DROP_INVALID] = "invalid",
};
static const char *const dhcp_reply_errors[METRIC_DHCP_ERR_COUNT_] = {
	[METRIC_DHCP_ERR_SEND] = "send", [METRIC_DHCP_ERR_STORE] = "store",
};
/* by TFTP error code (RFC 1350 5): those a read-only server refuses with */
static const char *const tftp_codes[METRIC_TFTP_CODES] = {
	"undefined", "not_found", "access_violation", NULL, "illegal_operation",
};
static const char *const http_classes[METRIC_HTTP_CLASS_COUNT_] = {
	[METRIC_HTTP_SCRIPT] = "script", [METRIC_HTTP_BOOTED] = "booted", [METRIC_HTTP_API] = "api",
	[METRIC_HTTP_METRICS] = "metrics", [METRIC_HTTP_BOOTLOADER] = "bootloader",
	[METRIC_HTTP_KERNEL] = "kernel", [METRIC_HTTP_INITRD] = "initrd", [METRIC_HTTP_ROOT] = "root",
	[METRIC_HTTP_FILE] = "file",
};
static const char *const http_codes[METRIC_HTTP_CODES] = { "1xx", "2xx", "3xx", "4xx", "5xx" };
/* libmicrohttpd's MHD_RequestTerminationCode, from 1 (0 is success) */
static const char *const http_incomplete[METRIC_HTTP_INCOMPLETE_REASONS] = {
	"error", "timeout", "shutdown", "read_error", "client_abort",
};
static const char *const dns_outcomes[METRIC_DNS_OUTCOME_COUNT_] = {
	[METRIC_DNS_LOCAL] = "local", [METRIC_DNS_NXDOMAIN] = "nxdomain", [METRIC_DNS_CACHED] = "cached",
	[METRIC_DNS_FORWARDED] = "forwarded", [METRIC_DNS_REFUSED] = "refused",
	[METRIC_DNS_SERVFAIL] = "servfail", [METRIC_DNS_MALFORMED] = "malformed",
	[METRIC_DNS_DROPPED] = "dropped", [METRIC_DNS_NOTIMP] = "notimp", [METRIC_DNS_BADVERS] = "badvers",
	[METRIC_DNS_RATE_LIMITED] = "rate_limited",
};
static const char *const client_limits[METRIC_LIMIT_COUNT_] = {
	[METRIC_LIMIT_HTTP_CONNECTIONS] = "http_connections", [METRIC_LIMIT_HTTP_REQUEST_TIMEOUT] = "http_request_timeout",
	[METRIC_LIMIT_TFTP_TRANSFERS] = "tftp_transfers",
	[METRIC_LIMIT_TFTP_FIRST_ACK] = "tftp_first_ack", [METRIC_LIMIT_DNS_DROPPED] = "dns_dropped",
	[METRIC_LIMIT_DNS_TRUNCATED] = "dns_truncated", [METRIC_LIMIT_DNS_TCP_CONNECTIONS] = "dns_tcp_connections",
};
static const char *const boot_phases[BOOT_PHASE_COUNT_] = {
	[BOOT_PHASE_FIRMWARE] = "firmware_dhcp", [BOOT_PHASE_IPXE] = "ipxe",
	[BOOT_PHASE_KERNEL] = "kernel_initrd", [BOOT_PHASE_ROOT] = "root_image", [BOOT_PHASE_OS] = "os_startup",
};
static const char *const lease_states[METRIC_LEASE_STATES] = {
	[LEASE_FREE] = "free", [LEASE_OFFERED] = "offered", [LEASE_BOUND] = "bound",
	[LEASE_RELEASED] = "released", [LEASE_DECLINED] = "declined",
};

#define LABEL(n, v) { n, v, ARRAY_SIZE(v) }

static const struct metric_family counters[METRIC_COUNTER_COUNT_] = {
	[METRIC_DHCP_RECEIVED] = { "labboot_dhcp_received_total", "DHCP requests received, by message type",
				   LABEL("type", dhcp_request_types) },
	[METRIC_DHCP_SENT] = { "labboot_dhcp_sent_total", "DHCP replies sent, by message type (NAKs are type nak)",
			       LABEL("type", dhcp_reply_types) },
	[METRIC_DHCP_DROPPED] = { "labboot_dhcp_dropped_total",
				  "DHCP datagrams dropped: malformed, or requests that make no sense",
				  LABEL("reason", dhcp_drops) },
	[METRIC_DHCP_REPLY_ERRORS] = { "labboot_dhcp_reply_errors_total",
				       "DHCP replies not sent: the send failed, or the lease could not be stored",
				       LABEL("reason", dhcp_reply_errors) },
	[METRIC_TFTP_STARTED] = { "labboot_tftp_transfers_started_total", "TFTP transfers started" },
	[METRIC_TFTP_COMPLETED] = { "labboot_tftp_transfers_completed_total", "TFTP transfers completed" },
	[METRIC_TFTP_FAILED] = { "labboot_tftp_transfers_failed_total",
				 "TFTP transfers that ended before the last block was acknowledged" },
	[METRIC_TFTP_SIZE_QUERIES] = { "labboot_tftp_size_queries_total",
				       "TFTP transfers a client ended after learning the size (tsize), as EDK2 does" },
	[METRIC_TFTP_TIMEOUTS] = { "labboot_tftp_timeouts_total", "TFTP waits for an ACK that timed out (then resent)" },
	[METRIC_TFTP_SENT_BYTES] = { "labboot_tftp_sent_bytes_total", "File bytes sent in TFTP DATA packets, resends included" },
	[METRIC_TFTP_REFUSED] = { "labboot_tftp_refused_total", "TFTP requests refused, by the error code sent",
				  LABEL("code", tftp_codes) },
	[METRIC_HTTP_REQUESTS] = { "labboot_http_requests_total", "HTTP requests answered, by class and status class",
				   LABEL("class", http_classes), LABEL("code", http_codes) },
	[METRIC_HTTP_SENT_BYTES] = { "labboot_http_sent_bytes_total",
				     "HTTP response bodies of completed requests (files, scripts, metrics), in bytes",
				     LABEL("class", http_classes) },
	[METRIC_HTTP_INCOMPLETE] = { "labboot_http_incomplete_total",
				     "HTTP requests that did not complete, by reason (client_abort: a download cut off)",
				     LABEL("reason", http_incomplete) },
	[METRIC_DNS_QUERIES] = { "labboot_dns_queries_total", "DNS queries, by outcome", LABEL("outcome", dns_outcomes) },
	[METRIC_DNS_UPSTREAM_FAILURES] = { "labboot_dns_upstream_failures_total",
					   "Forwarded DNS queries answered SERVFAIL: no usable upstream answer" },
	[METRIC_CLIENT_LIMITED] = { "labboot_client_limited_total",
				    "Connections, requests and queries refused or cut short because one client address "
				    "reached its fair share, by limit",
				    LABEL("limit", client_limits) },
};

static const struct metric_family histograms[METRIC_HISTOGRAM_COUNT_] = {
	[METRIC_BOOT_PHASE] = { "labboot_boot_phase_duration_seconds",
				"Duration of each phase of a network boot, observed when the booted system calls back",
				LABEL("phase", boot_phases) },
	[METRIC_BOOT_TOTAL] = { "labboot_boot_duration_seconds",
				"Network boots, from the firmware's DHCPDISCOVER to the system being up" },
};

/* Seconds: from the firmware's DHCP (a second) to a root image over a slow
 * link (minutes). */
static const uint64_t bucket_ms[METRIC_BUCKETS] = {
	250, 500, 1000, 2000, 5000, 10000, 20000, 30000, 60000, 120000, 300000, 600000,
};

struct metrics {
	_Atomic uint64_t counter[METRIC_COUNTER_COUNT_][METRIC_LABELS_MAX];
	_Atomic uint64_t bucket[METRIC_HISTOGRAM_COUNT_][METRIC_HIST_SERIES_MAX][METRIC_BUCKETS + 1];
	_Atomic uint64_t sum_ms[METRIC_HISTOGRAM_COUNT_][METRIC_HIST_SERIES_MAX];
	pthread_mutex_t dhcp_lock;      /* the pool and lease gauges */
	struct metrics_pool pools[CONFIG_MAX_POOLS];
	size_t n_pools;
	uint64_t leases[METRIC_LEASE_STATES];
	uint64_t start_time_s;
};

static unsigned family_size(const struct metric_family *f)
{
	return (f->a.name ? f->a.n : 1) * (f->b.name ? f->b.n : 1);
}

int metrics_new(struct metrics **ret)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	pthread_mutex_init(&m->dhcp_lock, NULL);
	m->start_time_s = now_realtime_ms() / 1000;
	*ret = m;
	return 0;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	pthread_mutex_destroy(&m->dhcp_lock);
	free(m);
}

void metrics_add(struct metrics *m, enum metric_counter c, unsigned label, uint64_t n)
{
	if (!m || (unsigned)c >= METRIC_COUNTER_COUNT_ || label >= family_size(&counters[c]))
		return;
	atomic_fetch_add_explicit(&m->counter[c][label], n, memory_order_relaxed);
}

void metrics_http_request(struct metrics *m, enum metric_http_class cls, unsigned status)
{
	unsigned code = status >= 100 && status < 600 ? status / 100 - 1 : METRIC_HTTP_CODES - 1;

	if ((unsigned)cls < METRIC_HTTP_CLASS_COUNT_)
		metrics_count(m, METRIC_HTTP_REQUESTS, cls * METRIC_HTTP_CODES + code);
}

void metrics_observe_ms(struct metrics *m, enum metric_histogram h, unsigned label, uint64_t ms)
{
	unsigned i = 0;

	if (!m || (unsigned)h >= METRIC_HISTOGRAM_COUNT_ || label >= family_size(&histograms[h]))
		return;
	while (i < METRIC_BUCKETS && ms > bucket_ms[i])
		i++;
	atomic_fetch_add_explicit(&m->bucket[h][label][i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->sum_ms[h][label], ms, memory_order_relaxed);
}

void metrics_observe_boot(struct metrics *m, const struct boot_timeline *tl)
{
	for (unsigned p = 0; p < BOOT_PHASE_COUNT_; p++)
		if (tl->phase_ms[p] >= 0)
			metrics_observe_ms(m, METRIC_BOOT_PHASE, p, (uint64_t)tl->phase_ms[p]);
	if (tl->total_ms >= 0)
		metrics_observe_ms(m, METRIC_BOOT_TOTAL, 0, (uint64_t)tl->total_ms);
}

void metrics_set_dhcp(struct metrics *m, const struct metrics_pool *pools, size_t n_pools,
		      const uint64_t leases[METRIC_LEASE_STATES])
{
	if (!m)
		return;
	n_pools = MIN(n_pools, (size_t)CONFIG_MAX_POOLS);
	pthread_mutex_lock(&m->dhcp_lock);
	memcpy(m->pools, pools, n_pools * sizeof(*pools));
	m->n_pools = n_pools;
	memcpy(m->leases, leases, sizeof(m->leases));
	pthread_mutex_unlock(&m->dhcp_lock);
}

void metrics_snapshot(struct metrics *m, struct metrics_snapshot *ret)
{
	memset(ret, 0, sizeof(*ret));
	for (size_t c = 0; c < METRIC_COUNTER_COUNT_; c++)
		for (size_t l = 0; l < METRIC_LABELS_MAX; l++)
			ret->counter[c][l] = atomic_load_explicit(&m->counter[c][l], memory_order_relaxed);
	for (size_t h = 0; h < METRIC_HISTOGRAM_COUNT_; h++) {
		for (size_t s = 0; s < METRIC_HIST_SERIES_MAX; s++) {
			for (size_t b = 0; b <= METRIC_BUCKETS; b++)
				ret->bucket[h][s][b] = atomic_load_explicit(&m->bucket[h][s][b], memory_order_relaxed);
			ret->sum_ms[h][s] = atomic_load_explicit(&m->sum_ms[h][s], memory_order_relaxed);
		}
	}
	pthread_mutex_lock(&m->dhcp_lock);
	memcpy(ret->pools, m->pools, m->n_pools * sizeof(m->pools[0]));
	ret->n_pools = m->n_pools;
	memcpy(ret->leases, m->leases, sizeof(ret->leases));
	pthread_mutex_unlock(&m->dhcp_lock);
	ret->start_time_s = m->start_time_s;
	ret->version = LABBOOT_VERSION;
}

uint64_t metrics_bucket_ms(unsigned i)
{
	return i < METRIC_BUCKETS ? bucket_ms[i] : UINT64_MAX;
}

/* ---- the text format ------------------------------------------------------ */

int metrics_escape_label(const char *value, char *buf, size_t size)
{
	size_t n = 0;

	for (const char *p = value; *p; p++) {
		const char *esc = *p == '\\' ? "\\\\" : *p == '"' ? "\\\"" : *p == '\n' ? "\\n" : NULL;
		size_t len = esc ? 2 : 1;
		if (n + len >= size)
			return -ENOBUFS;
		memcpy(buf + n, esc ? esc : p, len);
		n += len;
	}
	if (n >= size)
		return -ENOBUFS;
	buf[n] = '\0';
	return (int)n;
}

static void header(struct textbuf *o, const char *name, const char *help, const char *type)
{
	textbuf_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The label set of flat index i: {a="x",b="y"} with room for one more
 * label (le) at the end when open is set. Empty for no labels; false for
 * a value that is never counted. */
static bool labels(char *buf, size_t size, const struct metric_family *f, unsigned i, bool open)
{
	unsigned nb = f->b.name ? f->b.n : 1;
	struct textbuf o = { buf, size, 0, false };

	buf[0] = '\0';
	if ((f->a.name && !f->a.values[i / nb]) || (f->b.name && !f->b.values[i % nb]))
		return false;
	if (f->a.name)
		textbuf_printf(&o, "%s=\"%s\"", f->a.name, f->a.values[i / nb]);
	if (f->b.name)
		textbuf_printf(&o, ",%s=\"%s\"", f->b.name, f->b.values[i % nb]);
	if (o.len && open)
		textbuf_printf(&o, ",");
	return true;
}

static void render_counter(struct textbuf *o, const struct metric_family *f, const uint64_t *v)
{
	char set[128];

	header(o, f->name, f->help, "counter");
	for (unsigned i = 0; i < family_size(f); i++) {
		if (!labels(set, sizeof(set), f, i, false))
			continue;
		textbuf_printf(o, "%s%s%s%s %" PRIu64 "\n", f->name, set[0] ? "{" : "", set, set[0] ? "}" : "", v[i]);
	}
}

static void render_histogram(struct textbuf *o, const struct metric_family *f, const uint64_t (*bucket)[METRIC_BUCKETS + 1],
			     const uint64_t *sum_ms)
{
	char set[128];

	header(o, f->name, f->help, "histogram");
	for (unsigned s = 0; s < family_size(f); s++) {
		uint64_t cum = 0;
		if (!labels(set, sizeof(set), f, s, true))
			continue;
		for (unsigned b = 0; b < METRIC_BUCKETS; b++) {
			cum += bucket[s][b];
			textbuf_printf(o, "%s_bucket{%sle=\"%g\"} %" PRIu64 "\n", f->name, set,
				       (double)bucket_ms[b] / 1000.0, cum);
		}
		cum += bucket[s][METRIC_BUCKETS];
		textbuf_printf(o, "%s_bucket{%sle=\"+Inf\"} %" PRIu64 "\n", f->name, set, cum);
		labels(set, sizeof(set), f, s, false);
		textbuf_printf(o, "%s_sum%s%s%s %" PRIu64 ".%03u\n", f->name, set[0] ? "{" : "", set, set[0] ? "}" : "",
			       sum_ms[s] / 1000, (unsigned)(sum_ms[s] % 1000));
		textbuf_printf(o, "%s_count%s%s%s %" PRIu64 "\n", f->name, set[0] ? "{" : "", set, set[0] ? "}" : "", cum);
	}
}

/* A gauge per pool: the names are the configuration's, escaped. */
static void render_pools(struct textbuf *o, const struct metrics_snapshot *s, const char *name, const char *help,
			 bool in_use)
{
	char esc[METRIC_POOL_NAME_MAX * 2];

	header(o, name, help, "gauge");
	for (size_t i = 0; i < s->n_pools; i++) {
		if (metrics_escape_label(s->pools[i].name, esc, sizeof(esc)) < 0)
			continue;
		textbuf_printf(o, "%s{pool=\"%s\"} %" PRIu64 "\n", name, esc,
			       in_use ? s->pools[i].in_use : s->pools[i].size);
	}
}

static void render_gauges(struct textbuf *o, const struct metrics_snapshot *s)
{
	char version[64];

	render_pools(o, s, "labboot_dhcp_pool_addresses", "Addresses in each DHCP pool's range", false);
	render_pools(o, s, "labboot_dhcp_pool_addresses_in_use",
		     "Addresses of each DHCP pool offered or bound, and not expired", true);
	header(o, "labboot_dhcp_leases", "DHCP leases in the server's table, by state", "gauge");
	for (unsigned i = LEASE_OFFERED; i < METRIC_LEASE_STATES; i++) /* free ones are not kept */
		textbuf_printf(o, "labboot_dhcp_leases{state=\"%s\"} %" PRIu64 "\n", lease_states[i], s->leases[i]);
	header(o, "labboot_start_time_seconds", "When the daemon started, in seconds since the epoch", "gauge");
	textbuf_printf(o, "labboot_start_time_seconds %" PRIu64 "\n", s->start_time_s);
	header(o, "labboot_build_info", "The running labboot's version", "gauge");
	if (metrics_escape_label(s->version ? s->version : "", version, sizeof(version)) >= 0)
		textbuf_printf(o, "labboot_build_info{version=\"%s\"} 1\n", version);
}

int metrics_render(const struct metrics_snapshot *s, struct textbuf *o)
{
	for (size_t c = 0; c < METRIC_COUNTER_COUNT_; c++)
		render_counter(o, &counters[c], s->counter[c]);
	for (size_t h = 0; h < METRIC_HISTOGRAM_COUNT_; h++)
		render_histogram(o, &histograms[h], s->bucket[h], s->sum_ms[h]);
	render_gauges(o, s);
	return o->overflow ? -ENOBUFS : 0;
}

int metrics_text(struct metrics *m, char **ret_text, size_t *ret_len)
{
	_cleanup_free_ struct metrics_snapshot *s = malloc(sizeof(*s));

	if (!s)
		return -ENOMEM;
	metrics_snapshot(m, s);
	for (size_t size = METRICS_TEXT_MIN; size <= METRICS_TEXT_MAX; size *= 2) {
		char *buf = malloc(size);
		struct textbuf o = { buf, size, 0, false };
		if (!buf)
			return -ENOMEM;
		if (metrics_render(s, &o) == 0) {
			*ret_text = buf;
			*ret_len = o.len;
			return 0;
		}
		free(buf);
	}
	return -ENOBUFS;
}
