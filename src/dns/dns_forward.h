/* Forwarding to the upstream resolvers: one fresh UDP socket (random source
 * port) and a random ID per query, answers accepted only from the upstream
 * the query went to with the same ID and question, failover on timeout or
 * SERVFAIL/REFUSED, retry over TCP when the UDP answer is truncated. */
#pragma once
#include "dns/dns_wire.h"

#include <netinet/in.h>

#define DNS_FWD_MAX 256               /* outstanding forwarded queries */
#define DNS_FWD_UDP_TIMEOUT_MS 1000   /* per upstream attempt */
#define DNS_FWD_TCP_TIMEOUT_MS 3000
#define DNS_FWD_ROUNDS 2              /* times each upstream is tried */

struct loop;
struct dns_forwarder;

/* Who asked: the server's reply path. */
struct dns_client {
	bool tcp;
	struct sockaddr_in addr;
	struct in_addr local;         /* UDP: the address the query was sent to */
	int ifindex;
	uint64_t conn_id;             /* TCP: the connection */
};

struct dns_fwd_request {
	struct dns_client client;
	struct dns_query query;
};

struct dns_fwd_stats {
	unsigned long sent, answered, timeouts, tcp_retries, mismatched, failed;
};

/* msg/info are NULL when every upstream failed. msg is a validated response
 * to the request's question. */
typedef void (*dns_fwd_done_fn)(void *userdata, const struct dns_fwd_request *req, uint8_t *msg,
				size_t len, const struct dns_response_info *info);

int dns_forwarder_new(struct loop *loop, const struct sockaddr_in *upstreams, size_t n,
		      dns_fwd_done_fn done, void *userdata, struct dns_forwarder **ret);
void dns_forwarder_free(struct dns_forwarder *f);
/* -EBUSY when DNS_FWD_MAX queries are outstanding. */
int dns_forward(struct dns_forwarder *f, const struct dns_fwd_request *req);
const struct dns_fwd_stats *dns_forwarder_stats(const struct dns_forwarder *f);
