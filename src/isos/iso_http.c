/* Files out of ISOs in place (see iso_http.h). Each request looks its path
 * up in the directory records again: a few sector reads, and nothing to
 * keep consistent when the ISO is replaced. */
#include "isos/iso_http.h"
#include "isos/iso_catalog.h"
#include "isos/iso_fs.h"
#include "core/log.h"
#include "http/http_parse.h"
#include "http/http_send.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static enum MHD_Result refuse(struct MHD_Connection *c, unsigned status, int fd, unsigned *ret_status)
{
	static const char body[] = "labboot: not served\n";
	struct MHD_Response *r = MHD_create_response_from_buffer(sizeof(body) - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	*ret_status = status;
	if (fd >= 0)
		close(fd);
	if (!r)
		return MHD_NO;
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* PATH inside the ISO open as FD: its extent, or the HTTP status why not. */
static unsigned find_extent(int fd, const char *name, const char *path, uint64_t *off, uint64_t *len)
{
	struct iso9660_dirent e;
	struct iso_fs fs;
	int r;

	if ((r = iso_fs_open(fd, &fs)) < 0 || (r = iso_fs_lookup(&fs, path, &e)) < 0)
		return r == -ENOENT || r == -ENOTDIR ? MHD_HTTP_NOT_FOUND : MHD_HTTP_UNPROCESSABLE_CONTENT;
	if (e.dir || e.symlink)
		return MHD_HTTP_NOT_FOUND;
	if (e.zisofs || e.multi_extent) {
		log_warn("http: %s/%s is %s: not served in place", name, path,
			 e.zisofs ? "zisofs-compressed" : "split over several extents");
		return MHD_HTTP_FORBIDDEN;
	}
	if (iso_fs_data_offset(&fs, &e, off) < 0)
		return MHD_HTTP_UNPROCESSABLE_CONTENT;
	*len = e.size;
	return MHD_HTTP_OK;
}

enum MHD_Result iso_http_serve(struct MHD_Connection *c, const char *isos_dir, const char *rest, unsigned *ret_status,
			       uint64_t *ret_body)
{
	char name[ISO_NAME_MAX], path[1024] = "", file[4096];
	size_t n = strcspn(rest, "/");
	uint64_t off = 0, len;
	unsigned status;
	struct stat st;
	int fd;

	if (n == 0 || n >= sizeof(name))
		return refuse(c, MHD_HTTP_NOT_FOUND, -1, ret_status);
	memcpy(name, rest, n);
	name[n] = '\0';
	if (!iso_name_valid(name) || (rest[n] && http_path_to_relative(rest + n, path, sizeof(path)) < 0))
		return refuse(c, MHD_HTTP_FORBIDDEN, -1, ret_status);
	/* [isos] dir is the administrator's: ISOs may be symlinks into it */
	if (snprintf(file, sizeof(file), "%s/%s", isos_dir, name) >= (int)sizeof(file) ||
	    (fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
		return refuse(c, MHD_HTTP_NOT_FOUND, -1, ret_status);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return refuse(c, MHD_HTTP_NOT_FOUND, fd, ret_status);
	len = (uint64_t)st.st_size;
	if (path[0] && (status = find_extent(fd, name, path, &off, &len)) != MHD_HTTP_OK)
		return refuse(c, status, fd, ret_status);
	return http_send_extent(c, fd, off, len, st.st_mtime, ret_status, ret_body);
}
