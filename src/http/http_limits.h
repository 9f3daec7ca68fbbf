/* Fair shares of the HTTP server: at most [http] max-per-client connections
 * at once from one client address, and a short timeout while a request is
 * still being read, a longer one once it is being answered. Hooked into
 * libmicrohttpd's accept policy and connection callbacks; thread-safe (MHD
 * calls them from each of its threads). */
#pragma once
#include <microhttpd.h>
#include <stdint.h>

struct metrics;

#define HTTP_TRANSFER_TIMEOUT_S 60    /* silence allowed once a request is answered */

struct http_limits;

/* max_per_client 0: no limit. */
int http_limits_new(unsigned max_per_client, unsigned request_timeout_s, struct metrics *metrics,
		    struct http_limits **ret);
void http_limits_free(struct http_limits *l);

/* The timeout MHD starts every connection with (MHD_OPTION_CONNECTION_TIMEOUT). */
unsigned http_limits_request_timeout(const struct http_limits *l);

/* MHD_AcceptPolicyCallback: cls is the http_limits. */
enum MHD_Result http_limits_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen);
/* MHD_NotifyConnectionCallback: counts the connection in and out, and
 * one closed before it sent a whole request (its socket_context is ours). */
void http_limits_notify(void *cls, struct MHD_Connection *c, void **socket_context,
			enum MHD_ConnectionNotificationCode toe);
/* The request is complete (headers read): answering may take long. */
void http_limits_request_read(const struct http_limits *l, struct MHD_Connection *c);
/* The response is sent: back to the short wait for the next request. */
void http_limits_request_done(const struct http_limits *l, struct MHD_Connection *c);
