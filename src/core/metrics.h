/* The daemon's metrics, served as /metrics in the Prometheus text format
 * (version 0.0.4): counters in fixed families whose labels take a few
 * known values (a message type, an outcome; never a MAC or an address),
 * histograms of boot phases, and the DHCP pools' gauges.
 *
 * Counters and histograms are bumped from any thread with one relaxed
 * atomic add; the pool gauges are published by the DHCP server (loop
 * thread) and read by a scrape (an HTTP thread) under a short lock. Every
 * counting function takes NULL for "no metrics" (tests, tools).
 *
 * The renderer is pure: metrics_snapshot() copies the values out, and
 * metrics_render() writes a snapshot as text. */
#pragma once
#include "core/config.h"
#include "core/util.h"

#include <stdint.h>

/* Counter families; the comment names the label(s) and their enum. */
enum metric_counter {
	METRIC_DHCP_RECEIVED,           /* type: DISCOVER, REQUEST, DECLINE, RELEASE, INFORM, 0 other */
	METRIC_DHCP_SENT,               /* type: OFFER, ACK, NAK */
	METRIC_DHCP_DROPPED,            /* reason: metric_dhcp_drop */
	METRIC_DHCP_REPLY_ERRORS,       /* reason: metric_dhcp_reply_error */
	METRIC_TFTP_STARTED,
	METRIC_TFTP_COMPLETED,
	METRIC_TFTP_FAILED,
	METRIC_TFTP_SIZE_QUERIES,
	METRIC_TFTP_TIMEOUTS,
	METRIC_TFTP_SENT_BYTES,
	METRIC_TFTP_REFUSED,            /* code: TFTP error code 0..4 */
	METRIC_HTTP_REQUESTS,           /* class: metric_http_class, code: status / 100 - 1 */
	METRIC_HTTP_SENT_BYTES,         /* class */
	METRIC_HTTP_INCOMPLETE,         /* reason: MHD termination code - 1 */
	METRIC_DNS_QUERIES,             /* outcome: metric_dns_outcome */
	METRIC_DNS_UPSTREAM_FAILURES,
	METRIC_CLIENT_LIMITED,          /* limit: metric_client_limit */
	METRIC_COUNTER_COUNT_,
};

#define METRIC_DHCP_TYPES 9             /* by type number: 0 (other), DISCOVER .. INFORM */
#define METRIC_TFTP_CODES 5             /* by code: up to illegal operation */
#define METRIC_HTTP_CODES 5             /* 1xx .. 5xx */
#define METRIC_HTTP_INCOMPLETE_REASONS 5
#define METRIC_LABELS_MAX 45            /* the largest family: HTTP class x code */

enum metric_dhcp_drop { METRIC_DHCP_DROP_MALFORMED, METRIC_DHCP_DROP_INVALID, METRIC_DHCP_DROP_COUNT_ };
enum metric_dhcp_reply_error { METRIC_DHCP_ERR_SEND, METRIC_DHCP_ERR_STORE, METRIC_DHCP_ERR_COUNT_ };

enum metric_http_class {
	METRIC_HTTP_SCRIPT,
	METRIC_HTTP_BOOTED,
	METRIC_HTTP_API,
	METRIC_HTTP_METRICS,
	METRIC_HTTP_BOOTLOADER,
	METRIC_HTTP_KERNEL,
	METRIC_HTTP_INITRD,
	METRIC_HTTP_ROOT,
	METRIC_HTTP_FILE,
	METRIC_HTTP_CLASS_COUNT_,
};

enum metric_dns_outcome {
	METRIC_DNS_LOCAL,               /* answered from the zone */
	METRIC_DNS_NXDOMAIN,            /* the zone's, for a name in it */
	METRIC_DNS_CACHED,
	METRIC_DNS_FORWARDED,
	METRIC_DNS_REFUSED,
	METRIC_DNS_SERVFAIL,            /* could not be forwarded */
	METRIC_DNS_MALFORMED,           /* FORMERR */
	METRIC_DNS_DROPPED,             /* runts, responses, oversized: no answer */
	METRIC_DNS_NOTIMP,
	METRIC_DNS_BADVERS,
	METRIC_DNS_RATE_LIMITED,        /* over the client's rate: dropped or TC=1 */
	METRIC_DNS_OUTCOME_COUNT_,
};

/* A client's fair share reached: what was refused or cut short. */
enum metric_client_limit {
	METRIC_LIMIT_HTTP_CONNECTIONS,  /* a connection over [http] max-per-client, closed */
	METRIC_LIMIT_HTTP_REQUEST_TIMEOUT, /* a connection closed with no whole request ([http] request-timeout) */
	METRIC_LIMIT_TFTP_TRANSFERS,    /* a request over [tftp] max-per-client, refused */
	METRIC_LIMIT_TFTP_FIRST_ACK,    /* a transfer whose first block was never answered, ended early */
	METRIC_LIMIT_DNS_DROPPED,       /* a query over [dns] rate-limit, dropped */
	METRIC_LIMIT_DNS_TRUNCATED,     /* one answered TC=1 instead (the slip), to retry over TCP */
	METRIC_LIMIT_DNS_TCP_CONNECTIONS, /* a DNS TCP connection over 8 from one address, closed */
	METRIC_LIMIT_COUNT_,
};

enum metric_histogram {
	METRIC_BOOT_PHASE,              /* phase: enum boot_phase */
	METRIC_BOOT_TOTAL,
	METRIC_HISTOGRAM_COUNT_,
};
#define METRIC_HIST_SERIES_MAX 5        /* boot phases */
#define METRIC_BUCKETS 12               /* upper bounds; +Inf comes after */

#define METRIC_LEASE_STATES 5           /* enum lease_state */
#define METRIC_POOL_NAME_MAX 64

struct metrics;

int metrics_new(struct metrics **ret);
void metrics_free(struct metrics *m);

/* label is the flat index in the family (METRIC_LABELS_MAX at most); an
 * index out of the family's range is not counted, one the family does not
 * name (a DHCP type we never send) is counted but not shown. */
void metrics_add(struct metrics *m, enum metric_counter c, unsigned label, uint64_t n);
static inline void metrics_count(struct metrics *m, enum metric_counter c, unsigned label)
{
	metrics_add(m, c, label, 1);
}
/* For the two-label family: HTTP requests by class and status. */
void metrics_http_request(struct metrics *m, enum metric_http_class cls, unsigned status);
void metrics_observe_ms(struct metrics *m, enum metric_histogram h, unsigned label, uint64_t ms);
/* Each known phase of a boot, and its total: call once per boot. */
struct boot_timeline;
void metrics_observe_boot(struct metrics *m, const struct boot_timeline *tl);

/* The DHCP pools as the server counted them now (lock held briefly). */
struct metrics_pool {
	char name[METRIC_POOL_NAME_MAX];
	uint64_t size, in_use;
};
void metrics_set_dhcp(struct metrics *m, const struct metrics_pool *pools, size_t n_pools,
		      const uint64_t leases[METRIC_LEASE_STATES]);

struct metrics_snapshot {
	uint64_t counter[METRIC_COUNTER_COUNT_][METRIC_LABELS_MAX];
	uint64_t bucket[METRIC_HISTOGRAM_COUNT_][METRIC_HIST_SERIES_MAX][METRIC_BUCKETS + 1]; /* not cumulative */
	uint64_t sum_ms[METRIC_HISTOGRAM_COUNT_][METRIC_HIST_SERIES_MAX];
	struct metrics_pool pools[CONFIG_MAX_POOLS];
	size_t n_pools;
	uint64_t leases[METRIC_LEASE_STATES];
	uint64_t start_time_s;          /* unix time the daemon started */
	const char *version;
};
void metrics_snapshot(struct metrics *m, struct metrics_snapshot *ret);

/* Upper bound of bucket i in milliseconds. */
uint64_t metrics_bucket_ms(unsigned i);

/* Writes the exposition text; 0, or -ENOBUFS when o is too small. */
int metrics_render(const struct metrics_snapshot *s, struct textbuf *o);
/* A snapshot of m rendered into a new buffer (free it); -ENOMEM, -ENOBUFS. */
#define METRICS_TEXT_MIN (32 * 1024)
#define METRICS_TEXT_MAX (1024 * 1024)
int metrics_text(struct metrics *m, char **ret_text, size_t *ret_len);
/* A label value escaped as the format asks (\\, \", \n); -ENOBUFS. */
int metrics_escape_label(const char *value, char *buf, size_t size);
