/* What labboot adds to every image: the FEATURE files (the "I am up"
 * callback at multi-user.target, systemd-networkd with the MAC as DHCP
 * client id, /home over NFS, the live user, ssh keys, timezone) as a layer of their own on top, and the
 * initramfs additions as a small cpio that iPXE loads as a second initrd
 * (the kernel unpacks it over the distro's, so the distro initrd is never
 * unpacked or repacked). */
#pragma once
#include <stddef.h>

#include "image/iso_layout.h"
#include "image/recipe.h"

/* Bumped whenever the generated files change, so cached layers are rebuilt. */
#define FEATURES_VERSION "9"

/* Writes the feature files of R into the empty directory DIR. */
int features_write_tree(const struct recipe *r, const char *dir);
/* Writes the second initrd (newc cpio) for LAYOUT to PATH. */
int features_write_cpio(enum iso_layout_kind layout, const char *path);
/* Kernel arguments the features need (toram, the user name); appended to
 * BUF (NUL-terminated, SIZE bytes). */
int features_cmdline(const struct recipe *r, enum iso_layout_kind layout, char *buf, size_t size);
