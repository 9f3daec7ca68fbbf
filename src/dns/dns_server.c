/* Placeholder until the DNS server lands: refuses to start. */
#include "dns/dns_server.h"
#include "core/log.h"

#include <errno.h>

int dns_server_new(const struct config *cfg, struct loop *loop, struct store *st,
		      struct dns_server **ret)
{
	log_warn("dns: not implemented in this build");
	*ret = NULL;
	return 0;
}

void dns_server_free(struct dns_server *srv)
{
}

void dns_server_lease_changed(struct dns_server *srv, const char *hostname, struct in_addr ip, bool bound)
{
}
