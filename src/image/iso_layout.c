/* ISO layouts. live-boot stacks live/filesystem.module's list, else every
 * live/ *.squashfs sorted; casper 22.04 mounts casper/ *.squashfs in glob
 * order (ltsp.squashfs and server.squashfs skipped); casper 24.04 builds its
 * stack from the layer path by stripping dot components
 * (minimal.standard.live -> minimal, minimal.standard, minimal.standard.live). */
#include "image/iso_layout.h"

#include "core/util.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>

const char *iso_layout_name(enum iso_layout_kind k)
{
	switch (k) {
	case ISO_LAYOUT_LIVE_BOOT: return "live-boot";
	case ISO_LAYOUT_CASPER: return "casper";
	case ISO_LAYOUT_CASPER_LAYERED: return "casper-layered";
	}
	return "?";
}

const char *iso_path_normalise(const char *path)
{
	for (;;) {
		if (path[0] == '.' && path[1] == '/')
			path += 2;
		else if (path[0] == '/')
			path++;
		else
			return path;
	}
}

static bool in_dir(const char *path, const char *dir, const char **ret_name)
{
	size_t n = strlen(dir);

	if (strncmp(path, dir, n) != 0 || path[n] != '/' || !path[n + 1] || strchr(path + n + 1, '/'))
		return false;
	*ret_name = path + n + 1;
	return true;
}

int iso_entry_wanted(const char *path)
{
	const char *p = iso_path_normalise(path), *name;

	if (in_dir(p, "live", &name) || in_dir(p, "casper", &name))
		return fnmatch("vmlinuz*", name, 0) == 0 || fnmatch("initrd*", name, 0) == 0 ||
		       fnmatch("*.squashfs", name, 0) == 0 || fnmatch("*.module", name, 0) == 0;
	return in_dir(p, ".disk", &name) && strncmp(name, "casper-uuid", 11) == 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Names (sorted) of DIR's entries that match PATTERN, into OUT (cap MAX). */
static size_t find(const char *const *paths, size_t n, const char *dir, const char *pattern,
		   const char **out, size_t max)
{
	size_t k = 0;
	const char *name;

	for (size_t i = 0; i < n && k < max; i++)
		if (in_dir(iso_path_normalise(paths[i]), dir, &name) && fnmatch(pattern, name, 0) == 0)
			out[k++] = name;
	qsort(out, k, sizeof(*out), cmp_str);
	return k;
}

static int set_path(char *dst, const char *dir, const char *name)
{
	int n = snprintf(dst, ISO_PATH_MAX, "%s/%s", dir, name);
	return n < 0 || n >= ISO_PATH_MAX ? -ENAMETOOLONG : 0;
}

static bool has(const char *const *paths, size_t n, const char *dir, const char *name);

/* The kernel and initrd: the plain name if present, else the first sorted
 * versioned one (live/vmlinuz-6.1.0-13-amd64). */
static int boot_files(const char *const *paths, size_t n, const char *dir, struct iso_layout *l)
{
	const char *k[64], *i[64];
	size_t nk = find(paths, n, dir, "vmlinuz*", k, ARRAY_SIZE(k));
	size_t ni = find(paths, n, dir, "initrd*", i, ARRAY_SIZE(i));

	if (!nk || !ni)
		return -ENOENT;
	/* The plain names win however many versioned ones come first. */
	if (has(paths, n, dir, "vmlinuz"))
		k[0] = "vmlinuz";
	if (has(paths, n, dir, "initrd.img"))
		i[0] = "initrd.img";
	else if (has(paths, n, dir, "initrd"))
		i[0] = "initrd";
	if (set_path(l->kernel, dir, k[0]) < 0 || set_path(l->initrd, dir, i[0]) < 0)
		return -ENAMETOOLONG;
	return 0;
}

static int add_squashfs(struct iso_layout *l, const char *dir, const char *name)
{
	if (l->n_squashfs == ISO_MAX_SQUASHFS)
		return -E2BIG;
	return set_path(l->squashfs[l->n_squashfs++], dir, name);
}

static bool has(const char *const *paths, size_t n, const char *dir, const char *name)
{
	const char *f[1];
	return find(paths, n, dir, name, f, 1) == 1;
}

static int casper_layered(const char *const *paths, size_t n, struct iso_layout *l)
{
	/* The default chain of 24.04 (conf/conf.d/default-layer.conf). */
	static const char *const chain[] = { "minimal.squashfs", "minimal.standard.squashfs",
					     "minimal.standard.live.squashfs" };
	int r;

	l->kind = ISO_LAYOUT_CASPER_LAYERED;
	for (size_t i = 0; i < ARRAY_SIZE(chain); i++) {
		if (!has(paths, n, "casper", chain[i]))
			break;
		if ((r = add_squashfs(l, "casper", chain[i])) < 0)
			return r;
	}
	return 0;
}

static int casper_glob(const char *const *paths, size_t n, struct iso_layout *l)
{
	const char *sq[64];
	size_t k = find(paths, n, "casper", "*.squashfs", sq, ARRAY_SIZE(sq));
	int r;

	l->kind = ISO_LAYOUT_CASPER;
	for (size_t i = 0; i < k; i++) {
		if (strcmp(sq[i], "ltsp.squashfs") == 0 || strcmp(sq[i], "server.squashfs") == 0)
			continue;
		if ((r = add_squashfs(l, "casper", sq[i])) < 0)
			return r;
	}
	return 0;
}

static int live_boot(const char *const *paths, size_t n, struct iso_layout *l)
{
	const char *sq[64];
	size_t k = find(paths, n, "live", "*.squashfs", sq, ARRAY_SIZE(sq));
	int r;

	/* filesystem.module's own order would need its content: the builder
	 * reads it after extraction (iso_read) and reorders; sorted is the
	 * order without one. */
	l->kind = ISO_LAYOUT_LIVE_BOOT;
	for (size_t i = 0; i < k; i++)
		if ((r = add_squashfs(l, "live", sq[i])) < 0)
			return r;
	return 0;
}

int iso_layout_classify(const char *const *paths, size_t n, struct iso_layout *ret, char *err, size_t errlen)
{
	struct iso_layout l = { 0 };
	int r;

	if (boot_files(paths, n, "live", &l) == 0) {
		copy_string(l.dir, sizeof(l.dir), "live");
		r = live_boot(paths, n, &l);
	} else if (boot_files(paths, n, "casper", &l) == 0) {
		const char *u[1];
		copy_string(l.dir, sizeof(l.dir), "casper");
		r = has(paths, n, "casper", "minimal.squashfs") ? casper_layered(paths, n, &l)
								 : casper_glob(paths, n, &l);
		if (r == 0 && find(paths, n, ".disk", "casper-uuid*", u, 1) == 1)
			r = set_path(l.casper_uuid, ".disk", u[0]);
	} else {
		snprintf(err, errlen, "neither a live-boot ISO (live/vmlinuz*, live/initrd*) nor a casper ISO "
				      "(casper/vmlinuz*, casper/initrd*)");
		return -ENOENT;
	}
	if (r < 0) {
		snprintf(err, errlen, "too many or too long squashfs names in %s/", l.dir);
		return r;
	}
	if (l.n_squashfs == 0) {
		snprintf(err, errlen, "%s ISO without a root filesystem (%s/*.squashfs)", iso_layout_name(l.kind), l.dir);
		return -ENOENT;
	}
	*ret = l;
	return 0;
}
