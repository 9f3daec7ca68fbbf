/* A served interface's MAC can change while clients boot: a Linux bridge
 * without a set address takes the lowest MAC of its ports, so a VM's tap
 * leaving moves it. Clients keep the old one; iPXE keeps it for its whole
 * run (its ARP entries never expire) and sends its next connection's SYNs
 * into the void until it gives up (issue 11), and the server, with nothing
 * to send, never ARPs it. So: look once a second, and on a change announce
 * the new MAC (RFC 5227 ARP announcements, twice, a second apart), which
 * every client's ARP code takes. config_warnings() says the same at start. */
#include "daemon/mac_watch.h"

#include "core/iface_mac.h"
#include "core/log.h"
#include "core/util.h"

#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAC_WATCH_MS 1000
#define MAC_WATCH_ANNOUNCE 2

struct watched {
	char name[IF_NAMESIZE];
	uint8_t mac[6];
	bool known;
	unsigned announce;       /* announcements still to send */
};

struct mac_watch {
	int fd;                  /* AF_PACKET, send only */
	struct loop_timer *timer;
	struct watched ifs[CONFIG_MAX_IFACES];
	size_t n;
};

static int read_iface(int fd, const char *name, uint8_t mac[6], struct in_addr *ret_ip, int *ret_index)
{
	struct ifreq ifr = { 0 };

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		return -errno;
	if (ifr.ifr_hwaddr.sa_family != 1 /* ARPHRD_ETHER */)
		return -EAFNOSUPPORT;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0)
		return -errno;
	*ret_index = ifr.ifr_ifindex;
	if (ioctl(fd, SIOCGIFADDR, &ifr) < 0)
		return -errno; /* no IPv4 address: nothing to announce */
	*ret_ip = ((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr;
	return 0;
}

static void announce(struct mac_watch *w, struct watched *wi, int ifindex, struct in_addr ip)
{
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ARP), .sll_ifindex = ifindex,
				  .sll_halen = 6, .sll_addr = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
	uint8_t pkt[IFACE_GARP_LEN];
	int n = iface_garp_build(pkt, sizeof(pkt), wi->mac, ip);

	if (n < 0 || sendto(w->fd, pkt, (size_t)n, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		log_warn("mac: %s: cannot announce the new MAC: %s", wi->name, strerror(n < 0 ? -n : errno));
}

static void on_timer(struct loop_timer *t, void *userdata)
{
	struct mac_watch *w = userdata;

	for (size_t i = 0; i < w->n; i++) {
		struct watched *wi = &w->ifs[i];
		struct in_addr ip = { 0 };
		uint8_t mac[6];
		char was[18], now[18];
		int ifindex = 0;

		if (read_iface(w->fd, wi->name, mac, &ip, &ifindex) < 0)
			continue;
		/* all zeros: a bridge with no ports left, so nobody to tell */
		if (wi->known && memcmp(mac, wi->mac, 6) != 0 && memcmp(mac, (const uint8_t[6]){ 0 }, 6) != 0) {
			log_warn("mac: %s changed its MAC from %s to %s (a bridge whose MAC follows its ports?): "
				 "announcing it to the clients", wi->name, format_mac(was, wi->mac), format_mac(now, mac));
			wi->announce = MAC_WATCH_ANNOUNCE;
		}
		memcpy(wi->mac, mac, 6);
		wi->known = true;
		if (wi->announce) {
			announce(w, wi, ifindex, ip);
			wi->announce--;
		}
	}
	loop_timer_arm(t, MAC_WATCH_MS);
}

int mac_watch_new(const struct config *cfg, struct loop *loop, struct mac_watch **ret)
{
	struct mac_watch *w = calloc(1, sizeof(*w));
	int r;

	if (!w)
		return -ENOMEM;
	w->fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0); /* protocol 0: receives nothing */
	if (w->fd < 0) {
		r = -errno;
		free(w);
		return r;
	}
	for (size_t i = 0; i < cfg->n_ifaces && i < CONFIG_MAX_IFACES; i++) {
		snprintf(w->ifs[i].name, sizeof(w->ifs[i].name), "%s", cfg->ifaces[i]);
		w->n++;
	}
	if ((r = loop_timer_new(loop, on_timer, w, &w->timer)) < 0) {
		mac_watch_free(w);
		return r;
	}
	on_timer(w->timer, w); /* learn the MACs now; arms the timer */
	*ret = w;
	return 0;
}

void mac_watch_free(struct mac_watch *w)
{
	if (!w)
		return;
	loop_timer_free(w->timer);
	if (w->fd >= 0)
		close(w->fd);
	free(w);
}
