/* Placeholder until the HTTP server lands: refuses to start. */
#include "http/http_server.h"
#include "core/log.h"

#include <errno.h>

int http_server_new(const struct config *cfg, struct loop *loop, struct store *st,
		      struct http_server **ret)
{
	log_warn("http: not implemented in this build");
	*ret = NULL;
	return 0;
}

void http_server_free(struct http_server *srv)
{
}
