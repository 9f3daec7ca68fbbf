/* Whether the server's own MAC address can change under its clients. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"

/* Linux's addr_assign_type values (NET_ADDR_* in linux/netdevice.h) */
enum iface_addr_assign {
	IFACE_ADDR_PERM = 0,    /* the hardware's */
	IFACE_ADDR_RANDOM = 1,  /* made up at creation: a bridge's stays this */
	IFACE_ADDR_STOLEN = 2,  /* taken from another device */
	IFACE_ADDR_SET = 3,     /* set by the user: a bridge keeps it */
};

/* The number in sysfs's addr_assign_type text ("3\n"): 0..3, or -EINVAL. */
int iface_addr_assign_parse(const char *buf, size_t len);

/* A Linux bridge whose MAC was never set takes the lowest MAC of its ports,
 * so it changes when a port (a VM's tap) joins or leaves. */
bool iface_mac_follows_ports(bool is_bridge, int addr_assign);

/* Warns through fn about each configured interface whose MAC follows its
 * ports; returns how many. Reads /sys/class/net (root: for tests). */
int iface_mac_warnings(const struct config *cfg, const char *sysfs_net, config_warn_fn fn, void *userdata);

#include <netinet/in.h>
#include <stdint.h>

/* RFC 5227 3 (ARP Announcement): a request with the server's address as
 * both sender and target, so every host on the link (iPXE included, whose
 * ARP entries never expire) updates its entry for it. The 28-byte ARP
 * payload for Ethernet/IPv4 into buf; returns 28, or -ENOBUFS. */
#define IFACE_GARP_LEN 28
int iface_garp_build(uint8_t *buf, size_t len, const uint8_t mac[6], struct in_addr ip);
