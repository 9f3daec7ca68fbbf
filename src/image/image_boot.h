/* Serving built images: a host's image reference (NAME or NAME@VERSION)
 * resolved in the image store into what the iPXE script needs (kernel,
 * initrds, command line, the RAM it needs), read at request time so a newly
 * promoted version is served without a restart. A version that is gone or
 * broken falls back to the newest good one, with a notice for the menu. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct host;
struct image;

/* What the command line is made from (pure input). */
struct built_image {
	const char *name, *version;
	const char *layout;            /* live-boot | casper | casper-layered */
	const char *dir;               /* "live" | "casper" */
	const char *const *stack;      /* DIR/FILE, bottom first */
	size_t n_stack;
	const char *extra;             /* the recipe's CMDLINE and features */
	const char *root;              /* http | nfs */
	bool toram;                    /* an NFS root copied into RAM */
	const char *nfs_server;        /* address for nfsroot= and /home */
	const char *nfs_path;          /* the version's directory as exported */
	const char *home;              /* the /home export's path, or NULL */
};

/* The kernel command line for a built image: over HTTP, live-boot fetches
 * the root into RAM (one squashfs, or the layer list); over NFS it mounts
 * the version's directory. Casper always mounts over NFS (stock casper
 * fetches only whole ISOs over HTTP). Pure. Returns the length or -ENOSPC. */
int built_image_cmdline(const struct built_image *bi, char *buf, size_t size);

/* RAM in MiB a machine needs to boot it: the system's own working set,
 * plus the root when it is held in RAM (HTTP, or NFS with toram). Pure. */
uint32_t built_image_ram_mib(uint64_t root_bytes, uint64_t initrd_bytes, bool root_in_ram);

/* Which image HOST boots: an assignment made by `image promote --host`,
 * else the host's `image`, else [boot] image. NULL if none. Writes the
 * reference into BUF. */
const char *image_ref_for_host(const struct config *cfg, const char *host, char *buf, size_t size);

/* Fills IMG from the store for HOST (NULL: a machine without reservation;
 * image_boot_free releases it). -ENOENT if the image does not exist or has
 * no good version, -EBADMSG if its metadata is broken. */
int image_boot_resolve(const struct config *cfg, const struct host *host, const char *ref, struct image *img);
void image_boot_free(struct image *img);
