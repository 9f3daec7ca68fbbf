#include "ndp/ndp_server.h"
#include "ndp/ndp_wire.h"
#include "core/config.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

struct ndp_iface {
	struct ndp_server *srv;
	char name[IF_NAMESIZE];
	unsigned ifindex;
	uint8_t mac[6];
	int fd;
};

struct ndp_server {
	struct loop *loop;
	ndp_client_filter filter;
	void *userdata;
	struct ndp_iface ifaces[CONFIG_MAX_IFACES];
	size_t n_ifaces;
	struct ratelimit rl;
};

static void on_solicit(int fd, uint32_t events, void *userdata)
{
	struct ndp_iface *ifc = userdata;
	struct ndp_server *srv = ifc->srv;
	uint8_t buf[1280], ra[NDP_RA_MAX];
	struct sockaddr_in6 from;
	socklen_t fromlen = sizeof(from);
	struct ndp_solicit rs;
	ssize_t n;
	int len;

	while ((n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fromlen)) >= 0) {
		char addr[INET6_ADDRSTRLEN], mac[18];
		if (ndp_solicit_parse(buf, (size_t)n, &rs) < 0) {
			log_ratelimited(&srv->rl, LOG_LEVEL_WARN, "ndp %s: dropped malformed router solicitation", ifc->name);
			continue;
		}
		/* iPXE names its MAC in the solicitation; other senders may only
		 * have it in their link-local address. */
		if (!rs.has_source_mac && ndp_mac_from_eui64(from.sin6_addr.s6_addr, rs.source_mac) < 0)
			continue;
		if (!srv->filter(srv->userdata, rs.source_mac))
			continue;
		len = ndp_advert_build(ra, sizeof(ra), ifc->mac);
		from.sin6_scope_id = ifc->ifindex;
		if (sendto(fd, ra, (size_t)len, 0, (struct sockaddr *)&from, sizeof(from)) < 0)
			log_warn("ndp %s: router advertisement to %s failed: %s", ifc->name,
				 inet_ntop(AF_INET6, &from.sin6_addr, addr, sizeof(addr)), strerror(errno));
		else
			log_debug("ndp %s: told %s (%s) there is no IPv6 router", ifc->name,
				  format_mac(mac, rs.source_mac), inet_ntop(AF_INET6, &from.sin6_addr, addr, sizeof(addr)));
		fromlen = sizeof(from);
	}
}

static int iface_mac(int fd, const char *name, uint8_t mac[6])
{
	struct ifreq ifr = { 0 };

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		return -errno;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

static int iface_open(struct ndp_server *srv, struct ndp_iface *ifc, const char *name)
{
	struct icmp6_filter filter;
	struct ipv6_mreq mreq = { 0 };
	int hops = 255, r;

	snprintf(ifc->name, sizeof(ifc->name), "%s", name);
	ifc->srv = srv;
	ifc->ifindex = if_nametoindex(name);
	if (!ifc->ifindex)
		return -ENODEV;
	ifc->fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6);
	if (ifc->fd < 0)
		return -errno;
	if ((r = iface_mac(ifc->fd, name, ifc->mac)) < 0)
		return r;
	ICMP6_FILTER_SETBLOCKALL(&filter);
	ICMP6_FILTER_SETPASS(NDP_ROUTER_SOLICIT, &filter);
	/* RFC 4861 6.1.2: neighbor discovery is sent with hop limit 255 */
	inet_pton(AF_INET6, "ff02::2", &mreq.ipv6mr_multiaddr);
	mreq.ipv6mr_interface = ifc->ifindex;
	if (setsockopt(ifc->fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof(filter)) < 0 ||
	    setsockopt(ifc->fd, SOL_SOCKET, SO_BINDTODEVICE, name, (socklen_t)strlen(name)) < 0 ||
	    setsockopt(ifc->fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof(hops)) < 0 ||
	    setsockopt(ifc->fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) < 0 ||
	    setsockopt(ifc->fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &mreq, sizeof(mreq)) < 0)
		return -errno;
	return loop_add_fd(srv->loop, ifc->fd, EPOLLIN, on_solicit, ifc);
}

int ndp_server_new(const struct config *cfg, struct loop *loop, ndp_client_filter filter, void *userdata,
		   struct ndp_server **ret)
{
	struct ndp_server *srv = calloc(1, sizeof(*srv));
	int r;

	if (!srv)
		return -ENOMEM;
	srv->loop = loop;
	srv->filter = filter;
	srv->userdata = userdata;
	srv->rl = (struct ratelimit)RATELIMIT_INIT(10000, 5);
	for (size_t i = 0; i < cfg->n_ifaces; i++) {
		srv->ifaces[srv->n_ifaces].fd = -1;
		r = iface_open(srv, &srv->ifaces[srv->n_ifaces], cfg->ifaces[i]);
		srv->n_ifaces++;
		if (r < 0) {
			/* IPv6 may be off on this interface: then iPXE has nothing to wait for either. */
			log_info("ndp: not answering router solicitations on %s: %s", cfg->ifaces[i], strerror(-r));
		}
	}
	*ret = srv;
	return 0;
}

void ndp_server_free(struct ndp_server *srv)
{
	if (!srv)
		return;
	for (size_t i = 0; i < srv->n_ifaces; i++) {
		if (srv->ifaces[i].fd < 0)
			continue;
		loop_del_fd(srv->loop, srv->ifaces[i].fd);
		close(srv->ifaces[i].fd);
	}
	free(srv);
}
