/* The server's MAC must stay put while clients boot: iPXE resolves it once
 * and never asks again (its ARP entries do not expire; only an ARP packet
 * from the server updates one). A Linux bridge without a set address takes
 * the lowest MAC of its ports, so another VM's tap joining or leaving moves
 * the server to a MAC that nobody answers for: a UEFI iPXE between its
 * script and its kernel then sends its SYNs into the void and gives up
 * ("Connection timed out"), retry after retry (issue 11). labboot cannot
 * fix the interface; it says so at start and in `labboot check`, and
 * announces a new MAC when it sees one (src/daemon/mac_watch.c). */
#include "core/iface_mac.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"

int iface_addr_assign_parse(const char *buf, size_t len)
{
	/* one digit, then at most a newline */
	if (len < 1 || len > 2 || buf[0] < '0' || buf[0] > '3')
		return -EINVAL;
	if (len == 2 && buf[1] != '\n')
		return -EINVAL;
	return buf[0] - '0';
}

bool iface_mac_follows_ports(bool is_bridge, int addr_assign)
{
	return is_bridge && addr_assign >= 0 && addr_assign != IFACE_ADDR_SET;
}

/* The interface's addr_assign_type, and whether it is a bridge. */
static int iface_read(const char *sysfs_net, const char *ifname, bool *ret_bridge)
{
	char path[512], buf[8];
	struct stat st;
	ssize_t n;
	int fd;

	if (pathf(path, sizeof(path), "%s/%s/bridge", sysfs_net, ifname) < 0)
		return -ENAMETOOLONG;
	*ret_bridge = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
	if (pathf(path, sizeof(path), "%s/%s/addr_assign_type", sysfs_net, ifname) < 0)
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return -errno;
	return iface_addr_assign_parse(buf, (size_t)n);
}

int iface_mac_warnings(const struct config *cfg, const char *sysfs_net, config_warn_fn fn, void *userdata)
{
	int n = 0;

	for (size_t i = 0; i < cfg->n_ifaces; i++) {
		bool bridge = false;
		int type = iface_read(sysfs_net, cfg->ifaces[i], &bridge);

		if (!iface_mac_follows_ports(bridge, type))
			continue;
		fn(userdata, "interface %s is a bridge whose MAC address follows its ports (the lowest of theirs): "
			     "a port joining or leaving (a VM's tap) changes it under booting clients, and iPXE, which "
			     "never asks again, loses the server until its downloads time out (labboot announces a new MAC "
			     "within a second of seeing it). Give it a fixed one (ip link set %s address ..., or the "
			     "bridge's MAC setting in ifupdown/systemd-networkd)",
		   cfg->ifaces[i], cfg->ifaces[i]);
		n++;
	}
	return n;
}

int iface_garp_build(uint8_t *buf, size_t len, const uint8_t mac[6], struct in_addr ip)
{
	static const uint8_t head[8] = { 0, 1, 0x08, 0, 6, 4, 0, 1 }; /* Ethernet, IPv4, 6, 4, request */

	if (len < IFACE_GARP_LEN)
		return -ENOBUFS;
	memcpy(buf, head, sizeof(head));
	memcpy(buf + 8, mac, 6);
	memcpy(buf + 14, &ip, 4);
	memset(buf + 18, 0, 6);
	memcpy(buf + 24, &ip, 4);
	return IFACE_GARP_LEN;
}
