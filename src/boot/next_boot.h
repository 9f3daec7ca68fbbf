/* A host's one-shot next boot: what `labboot next-boot HOST ENTRY` may ask
 * for, and what the next script then goes to without a menu. Pure.
 *   local | netboot.xyz (netboot, netbootxyz) | an [entry] name |
 *   an [image] section or a built image NAME[@VERSION] | iso:NAME.iso
 * "entry:NAME" and "image:REF" say which when names collide. */
#pragma once
#include <stddef.h>

struct config;

struct next_boot {
	char target[64];              /* "image", "local", "netbootxyz" or an [entry] name */
	char image[160];              /* target "image": the image's reference;
					 target "iso": the ISO's file name */
};

/* -EINVAL (with nothing filled) for an entry that names nothing. */
int next_boot_parse(const struct config *cfg, const char *entry, struct next_boot *out);
/* The canonical spelling ("image:REF", "entry:NAME", "local", "netbootxyz"). */
int next_boot_format(const struct next_boot *nb, char *buf, size_t size);
