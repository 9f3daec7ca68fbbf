/* placeholder, being written */
#include "dhcp/dhcp_server.h"
#include <stddef.h>
int dhcp_server_new(const struct config *cfg, struct loop *loop, struct store *st, struct dhcp_server **ret) { *ret = NULL; return 0; }
void dhcp_server_set_lease_hook(struct dhcp_server *srv, dhcp_lease_hook fn, void *userdata) {}
void dhcp_server_free(struct dhcp_server *srv) {}
