/* libFuzzer: the DHCP codec and the whole policy on arbitrary datagrams. */
#include "core/config.h"
#include "dhcp/dhcp_policy.h"
#include "dhcp/dhcp_wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static struct config *cfg;
static struct lease_table *leases;
static struct dhcp_policy *policy;

static void setup(void)
{
	char path[] = "/tmp/labboot-fuzz-dhcp.XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	fputs("[server]\ninterface = br0\naddress = 198.18.0.1\nstate-dir = /tmp\n"
	      "[dhcp]\nrange = 198.18.0.100 198.18.0.110\nrouter = 198.18.0.1\n"
	      "[pool \"r\"]\nrange = 198.18.5.10 198.18.5.20\n"
	      "[host \"beta\"]\nmac = 52:54:00:00:00:01\nip = 198.18.0.12\n", f);
	fclose(f);
	if (config_load(path, &cfg) < 0 || lease_table_new(&leases) < 0 ||
	    dhcp_policy_new(cfg, leases, &policy) < 0)
		abort();
	unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dhcp_msg msg;
	static struct dhcp_reply out;
	static uint64_t now = 1700000000;
	struct dhcp_rx rx = { .msg = &msg, .iface_addr = { htonl(0xc6120001) }, .iface_mask = { htonl(0xffffff00) } };

	if (!cfg)
		setup();
	if (dhcp_msg_parse(data, size, &msg) < 0)
		return 0;
	rx.now = now++;
	rx.port_4011 = size & 1;
	dhcp_policy_handle(policy, &rx, &out);
	if (out.dest != DHCP_DEST_NONE && dhcp_msg_parse(out.buf, out.len, &msg) < 0)
		abort(); /* every reply we build must parse */
	return 0;
}
