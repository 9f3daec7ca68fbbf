/* `labboot image diff A B`: what changed between two versions, seen through
 * their mounted stacks: files added, removed and changed (type, mode, owner,
 * size, mtime or link target), and Debian packages added, removed and
 * upgraded (from each root's /var/lib/dpkg/status). */
#pragma once
#include <stdio.h>

struct image_store;

int image_diff(const struct image_store *s, const char *name_a, const char *ver_a, const char *name_b,
	       const char *ver_b, FILE *out);
