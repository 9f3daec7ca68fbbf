/* Placeholder until the TFTP server lands: refuses to start. */
#include "tftp/tftp_server.h"
#include "core/log.h"

#include <errno.h>

int tftp_server_new(const struct config *cfg, struct loop *loop, struct store *st,
		      struct tftp_server **ret)
{
	log_warn("tftp: not implemented in this build");
	*ret = NULL;
	return 0;
}

void tftp_server_free(struct tftp_server *srv)
{
}
