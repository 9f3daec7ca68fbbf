/* Wake-on-LAN (see wol.h). */
#include "admin/wol.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void wol_packet(const uint8_t mac[6], uint8_t out[WOL_PACKET_LEN])
{
	memset(out, 0xff, 6);
	for (size_t i = 0; i < 16; i++)
		memcpy(out + 6 + 6 * i, mac, 6);
}

int wol_send(const char *ifname, const uint8_t mac[6])
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(WOL_PORT),
				  .sin_addr.s_addr = htonl(INADDR_BROADCAST) };
	uint8_t pkt[WOL_PACKET_LEN];
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), one = 1, r = 0;

	if (fd < 0)
		return -errno;
	wol_packet(mac, pkt);
	if (setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)) < 0 ||
	    sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&to, sizeof(to)) != (ssize_t)sizeof(pkt))
		r = -errno;
	close(fd);
	return r;
}
