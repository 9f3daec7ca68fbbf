/* PATCH initrd (see initrd_patch.c): IN's main archive unpacked into the
 * empty directory WORK, the unified diffs PATCHES applied with patch -p1,
 * and OUT written with the same segment structure. Patch output goes to
 * LOG_FD. -errno with a message in ERR. */
#pragma once
#include <stddef.h>

int initrd_patch(const char *in, const char *out, const char *const *patches, size_t n_patches, const char *work,
		 int log_fd, char *err, size_t errlen);
