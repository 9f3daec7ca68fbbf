/* The iPXE script a machine gets: its host, a one-shot next boot, the
 * built image its host (or the default) points at, a script template of
 * its own. Shared by the HTTP server and `labboot explain`. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

struct config;
struct host;
struct ratelimit;
struct iso_catalog;

struct boot_script {
	/* in */
	const struct config *cfg;
	struct store *st;             /* next boots and image assignments; may be NULL */
	int root_fd;                  /* the HTTP root, for script templates */
	struct ratelimit *rl;
	struct iso_catalog *isos;      /* a cache of [isos] dir's scans; NULL: scan now */
	uint8_t mac[6];
	const char *base_url;
	bool ipxe_https;              /* its iPXE announced HTTPS (DHCP option 175) */
	/* out */
	const struct host *host;
	bool once;                    /* a next boot applies: entry, not yet cleared */
	char entry[STORE_ENTRY_MAX];
	char image_name[160];         /* the image it boots, "" if none */
	int netbootxyz;               /* enum netbootxyz_way: how its menu reaches netboot.xyz */
};

/* Returns the script's length or -errno. */
int boot_script_render(struct boot_script *bs, char *script, size_t size);
