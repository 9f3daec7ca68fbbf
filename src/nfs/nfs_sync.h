/* Keeps a real NFS server's exports in line with the image store: every
 * published version read-only, [nfs] home read-write, both limited to the
 * served networks. labboot never serves NFS itself. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "nfs/nfs_exports.h"

struct config;

/* The networks exports are limited to: [nfs] clients, else the network of
 * each pool and of the server's address. Returns the count or -errno. */
int nfs_clients_of(const struct config *cfg, struct nfs_client *out, size_t max);

/* The path a version is exported as (and nfsroot= names): the images
 * root resolved through its symlinks, then NAME/VERSION. */
int nfs_version_path(const struct config *cfg, const char *name, const char *version, char *buf, size_t size);

/* Renders the export file from the store and [nfs]; writes it (atomically,
 * only if it changed) and has the server reload it: SIGHUP to Ganesha,
 * `exportfs -ra` for the kernel server. A server that is not running is
 * not an error: it reads the file when it starts. *changed tells whether
 * the file was rewritten. 0 (also for [nfs] server = none) or -errno. */
int nfs_sync(const struct config *cfg, bool *changed);

/* The export file's text as nfs_sync would write it (malloc'd). */
int nfs_render_current(const struct config *cfg, char **ret);
