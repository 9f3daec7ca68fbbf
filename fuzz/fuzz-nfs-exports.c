/* libFuzzer: the NFS export renderer. The input is lines: "net CIDR",
 * "ro PATH" or "rw PATH". Whatever they hold, a rendered file names only
 * valid paths, one export per line of the kernel format (so a path can
 * never smuggle in another export or option), and every Ganesha block is
 * closed; refused input is -EINVAL, a full buffer -ENOSPC. */
#include "nfs/nfs_exports.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ITEMS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t count(const char *s, const char *what)
{
	size_t n = 0;

	for (const char *p = strstr(s, what); p; p = strstr(p + 1, what))
		n++;
	return n;
}

static void render_and_check(enum nfs_backend b, const struct nfs_exports *ex, size_t size)
{
	char *buf = malloc(size ? size : 1);
	int r;

	if (!buf)
		return;
	r = nfs_exports_render(b, ex, buf, size);
	if (r >= 0) {
		if ((size_t)r != strlen(buf) || (size_t)r >= size)
			abort();
		for (size_t i = 0; i < ex->n_exports; i++)
			if (!nfs_path_valid(ex->exports[i].path))
				abort();
		if (b == NFS_BACKEND_KERNEL && count(buf, "\n") != ex->n_exports + 2)
			abort(); /* two comment lines, then one line per export */
		if (b == NFS_BACKEND_GANESHA &&
		    (count(buf, "EXPORT {") != ex->n_exports || count(buf, "{") != count(buf, "}")))
			abort();
	} else if (r != -EINVAL && r != -ENOSPC) {
		abort();
	} else if (size && strlen(buf) >= size) {
		abort();
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nfs_export ex[MAX_ITEMS];
	struct nfs_client cl[NFS_MAX_CLIENTS + 1];
	size_t n_ex = 0, n_cl = 0;
	char *text = malloc(size + 1), *line, *next;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (line = text; line; line = next) {
		if ((next = strchr(line, '\n')))
			*next++ = '\0';
		if (strncmp(line, "net ", 4) == 0 && n_cl < NFS_MAX_CLIENTS + 1) {
			if (nfs_client_parse(line + 4, &cl[n_cl]) == 0)
				n_cl++;
		} else if ((strncmp(line, "ro ", 3) == 0 || strncmp(line, "rw ", 3) == 0) && n_ex < MAX_ITEMS) {
			ex[n_ex] = (struct nfs_export){ line + 3, line[1] == 'w', nfs_export_id(line + 3) };
			if (ex[n_ex].id < 2)
				abort();
			n_ex++;
		}
	}
	struct nfs_exports all = { ex, n_ex, cl, n_cl };
	render_and_check(NFS_BACKEND_GANESHA, &all, 1u << 16);
	render_and_check(NFS_BACKEND_KERNEL, &all, 1u << 16);
	render_and_check(NFS_BACKEND_GANESHA, &all, size % 512);
	free(text);
	return 0;
}
