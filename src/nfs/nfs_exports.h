/* NFS exports labboot asks a real NFS server for: each built image version
 * read-only (the initramfs mounts it over NFSv3) and /home read-write.
 * Pure: a list of exports in, the server's own configuration text out,
 * for NFS-Ganesha (EXPORT blocks for a file ganesha.conf %includes) or the
 * kernel server (an /etc/exports.d file, exports(5)). */
#pragma once
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NFS_MAX_CLIENTS 16

enum nfs_backend {
	NFS_BACKEND_NONE,
	NFS_BACKEND_GANESHA,
	NFS_BACKEND_KERNEL,
};

struct nfs_client {
	struct in_addr net;           /* network address, host bits zero */
	uint8_t prefix;               /* 0..32 */
};

struct nfs_export {
	const char *path;             /* absolute, also the NFSv4 pseudo path */
	bool rw;                      /* read-write with root kept (/home) */
	uint16_t id;                  /* Ganesha's Export_Id, unique, >= 2 */
};

/* What the export file is rendered from. */
struct nfs_exports {
	const struct nfs_export *exports;
	size_t n_exports;
	const struct nfs_client *clients;
	size_t n_clients;
};

/* A path both formats can carry unquoted-safe: absolute, no "..", no
 * control characters, quotes, backslashes or whitespace. */
bool nfs_path_valid(const char *path);

/* Writes the configuration for BACKEND into buf (NUL-terminated). Returns
 * the length, -EINVAL for an invalid path, client or id (or duplicate
 * ids), -ENOSPC if it does not fit. */
int nfs_exports_render(enum nfs_backend backend, const struct nfs_exports *ex, char *buf, size_t size);

/* "198.18.0.0/24" into *ret (host bits must be zero). 0 or -EINVAL. */
int nfs_client_parse(const char *s, struct nfs_client *ret);

/* A stable Export_Id for a path, from 2 to 65535 (1 and 0 are Ganesha's
 * own): FNV-1a of the path. Callers resolve collisions by probing. */
uint16_t nfs_export_id(const char *path);

const char *nfs_backend_name(enum nfs_backend b);
int nfs_backend_parse(const char *s, enum nfs_backend *ret);
