/* Placeholder until the libsquashfs packer lands. */
#include "image/sqfs_pack.h"

#include <errno.h>

int sqfs_pack_dir(const char *src_dir, const char *out_path, const struct sqfs_pack_opts *opts,
		  struct sqfs_pack_stats *ret_stats)
{
	return -ENOSYS;
}

int sqfs_walk(const char *path, bool want_hash, sqfs_walk_fn cb, void *userdata)
{
	return -ENOSYS;
}
