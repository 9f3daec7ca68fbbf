/* iPXE scripts per host: the menu of the reference notes (the host's image
 * after a timeout, local disk, netboot.xyz), or straight to one entry.
 * Pure: configuration in, text out, bounded. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct host;
struct iso_item;

#define IPXE_SCRIPT_MAX 16384
#define IPXE_MENU_MAX_ISOS 24        /* ISOs in one menu, so it fits the script */

struct boot_target {
	const struct config *cfg;
	const struct host *host;      /* NULL: a machine without reservation */
	uint8_t mac[6];
	const char *base_url;         /* e.g. "http://198.18.0.1" */
	const struct image *image;    /* a built image resolved by the caller, or NULL:
					 the host's or [boot]'s [image] section */
	const char *once;             /* a one-shot next boot: this entry ("image",
					 "local", "netbootxyz", "iso", an [entry]), no menu */
	/* [isos] dir, scanned by the caller: each usable one is a menu entry */
	const struct iso_item *isos;
	size_t n_isos;
	const char *iso;              /* the ISO "iso" means: a next boot's, else the
					 host's pin (its menu's default) */
	/* for netboot.xyz: can this iPXE fetch https://, and is netboot.xyz's
	 * own iPXE (which can) in the TFTP root */
	bool ipxe_https;
	bool nbxyz_efi, nbxyz_kpxe;
};

/* How the netboot.xyz entry reaches it, for the log, check and explain. */
enum netbootxyz_way { NETBOOTXYZ_URL, NETBOOTXYZ_OWN_IPXE, NETBOOTXYZ_PLAIN_HTTP };
enum netbootxyz_way netbootxyz_way(const struct boot_target *t);
const char *netbootxyz_way_text(enum netbootxyz_way w);

/* Writes the script into buf (NUL-terminated). Returns its length, or
 * -ENOSPC if it does not fit, -EINVAL on an unusable configuration. */
int ipxe_script_render(const struct boot_target *t, char *buf, size_t size);

/* A user's own script with {{hostname}}, {{mac}}, {{ip}}, {{url}},
 * {{image}}, {{kernel}}, {{initrd}} and {{cmdline}} filled in. */
int ipxe_template_render(const struct boot_target *t, const char *tmpl, char *buf, size_t size);

/* The kernel command line for a host's image (bounded like the script). */
int ipxe_kernel_cmdline(const struct boot_target *t, char *buf, size_t size);
