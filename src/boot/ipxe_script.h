/* iPXE scripts per host: the menu of the reference notes (the host's image
 * after a timeout, local disk, netboot.xyz), or straight to one entry.
 * Pure: configuration in, text out, bounded. */
#pragma once
#include <stddef.h>
#include <stdint.h>

struct config;
struct host;

#define IPXE_SCRIPT_MAX 16384

struct boot_target {
	const struct config *cfg;
	const struct host *host;      /* NULL: a machine without reservation */
	uint8_t mac[6];
	const char *base_url;         /* e.g. "http://198.18.0.1" */
	const struct image *image;    /* a built image resolved by the caller, or NULL:
					 the host's or [boot]'s [image] section */
	const char *once;             /* a one-shot next boot: this entry ("image",
					 "local", "netbootxyz", an [entry]), no menu */
};

/* Writes the script into buf (NUL-terminated). Returns its length, or
 * -ENOSPC if it does not fit, -EINVAL on an unusable configuration. */
int ipxe_script_render(const struct boot_target *t, char *buf, size_t size);

/* A user's own script with {{hostname}}, {{mac}}, {{ip}}, {{url}},
 * {{image}}, {{kernel}}, {{initrd}} and {{cmdline}} filled in. */
int ipxe_template_render(const struct boot_target *t, const char *tmpl, char *buf, size_t size);

/* The kernel command line for a host's image (bounded like the script). */
int ipxe_kernel_cmdline(const struct boot_target *t, char *buf, size_t size);
