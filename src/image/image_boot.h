/* Serving built images: a host's image reference (NAME or NAME@VERSION)
 * resolved in the image store into what the iPXE script needs (kernel,
 * initrds, command line), read at request time so a newly promoted version
 * is served without a restart. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

struct config;
struct image;

/* What the command line is made from (pure input). */
struct built_image {
	const char *name, *version;
	const char *layout;            /* live-boot | casper | casper-layered */
	const char *dir;               /* "live" | "casper" */
	const char *const *stack;      /* DIR/FILE, bottom first */
	size_t n_stack;
	const char *extra;             /* the recipe's CMDLINE and features */
	const char *server;            /* the server's address, for nfsroot= */
	const char *images_root;       /* the store's path, as NFS exports it */
};

/* The kernel command line for a built image: live-boot fetches the root
 * into RAM over HTTP (one squashfs, or the layer list); casper mounts the
 * version's directory over NFS. Pure. Returns the length or -ENOSPC. */
int built_image_cmdline(const struct built_image *bi, char *buf, size_t size);

/* Which image HOST boots: an assignment made by `image promote --host`,
 * else the host's `image`, else [boot] image. NULL if none. Writes the
 * reference into BUF. */
const char *image_ref_for_host(const struct config *cfg, const char *host, char *buf, size_t size);

/* Fills IMG from the store (image_boot_free releases it). -ENOENT if the
 * image or version does not exist, -EBADMSG if its metadata is broken. */
int image_boot_resolve(const struct config *cfg, const char *ref, struct image *img);
void image_boot_free(struct image *img);
