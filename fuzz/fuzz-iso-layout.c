/* libFuzzer: the ISO layout classifier. The input is a file list, one path
 * a line; a layout found names a kernel, an initrd and 1..ISO_MAX_SQUASHFS
 * squashfs images, each NUL-terminated, in the layout's directory, one of
 * the input's entries and one iso_entry_wanted() would have kept. */
#include "image/iso_layout.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PATHS 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_path(const char *p, const char *dir, const char *const *paths, size_t n)
{
	size_t dl = strlen(dir), i;

	if (!memchr(p, '\0', ISO_PATH_MAX))
		abort();
	if (strncmp(p, dir, dl) != 0 || p[dl] != '/' || !p[dl + 1] || strchr(p + dl + 1, '/'))
		abort();
	if (iso_entry_wanted(p) != 1)
		abort();
	for (i = 0; i < n; i++)
		if (strcmp(iso_path_normalise(paths[i]), p) == 0)
			break;
	if (i == n)
		abort(); /* not one of the ISO's entries */
}

/* Sorted for live-boot and casper 22.04; for 24.04 each layer's name without
 * ".squashfs" and a dot starts the next one (minimal, minimal.standard). */
static bool in_stack_order(const struct iso_layout *l, size_t i)
{
	const char *a = l->squashfs[i - 1], *b = l->squashfs[i];
	size_t n = strlen(a) - strlen(".squashfs");

	if (l->kind != ISO_LAYOUT_CASPER_LAYERED)
		return strcmp(a, b) <= 0;
	return strncmp(a, b, n) == 0 && b[n] == '.' && strlen(b) > n + strlen(".squashfs");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *paths[MAX_PATHS];
	struct iso_layout l;
	char *buf = malloc(size + 1), *s, *nl, err[512];
	size_t n = 0;
	int r;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (s = buf; n < MAX_PATHS; s = nl + 1) {
		paths[n++] = s;
		if (!(nl = strchr(s, '\n')))
			break;
		*nl = '\0';
	}
	for (size_t i = 0; i < n; i++)
		iso_entry_wanted(paths[i]);
	memset(&l, 0xa5, sizeof(l));
	err[0] = '\0';
	r = iso_layout_classify(paths, n, &l, err, sizeof(err));
	if (r == 0) {
		const char *dir = l.kind == ISO_LAYOUT_LIVE_BOOT ? "live" : "casper";
		if (l.kind != ISO_LAYOUT_LIVE_BOOT && l.kind != ISO_LAYOUT_CASPER && l.kind != ISO_LAYOUT_CASPER_LAYERED)
			abort();
		if (strcmp(l.dir, dir) != 0 || l.n_squashfs < 1 || l.n_squashfs > ISO_MAX_SQUASHFS)
			abort();
		check_path(l.kernel, dir, paths, n);
		check_path(l.initrd, dir, paths, n);
		for (size_t i = 0; i < l.n_squashfs; i++) {
			check_path(l.squashfs[i], dir, paths, n);
			if (i && !in_stack_order(&l, i))
				abort();
			if (l.kind == ISO_LAYOUT_CASPER && (strcmp(l.squashfs[i], "casper/ltsp.squashfs") == 0 ||
							    strcmp(l.squashfs[i], "casper/server.squashfs") == 0))
				abort();
		}
		if (l.casper_uuid[0])
			check_path(l.casper_uuid, ".disk", paths, n);
		else if (!memchr(l.casper_uuid, '\0', sizeof(l.casper_uuid)))
			abort();
	} else if (!err[0] || !memchr(err, '\0', sizeof(err)) || (r != -ENOENT && r != -E2BIG && r != -ENAMETOOLONG)) {
		abort();
	}
	free(buf);
	return 0;
}
