/* Wake-on-LAN: the magic packet (6 x 0xff, then the MAC 16 times) sent as
 * a UDP broadcast to port 9 on one interface. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define WOL_PACKET_LEN 102
#define WOL_PORT 9

/* Pure. */
void wol_packet(const uint8_t mac[6], uint8_t out[WOL_PACKET_LEN]);
/* Sends it out of ifname (SO_BINDTODEVICE: root or CAP_NET_RAW) to
 * 255.255.255.255. 0 or -errno. */
int wol_send(const char *ifname, const uint8_t mac[6]);
