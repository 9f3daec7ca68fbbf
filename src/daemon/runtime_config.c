/* File + runtime hosts (see runtime_config.h). */
#include "daemon/runtime_config.h"
#include "core/config.h"
#include "core/util.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

int runtime_config_load(const char *path, const char *text, struct store *st, FILE *errors, struct config **ret)
{
	_cleanup_free_ char *hosts = NULL;
	int r;

	if (st && (r = store_hosts_text(st, &hosts)) < 0)
		return r;
	return config_load_from(&(struct config_source){ .path = path, .text = text, .runtime_hosts = hosts,
							 .errors = errors }, ret);
}

int runtime_config_open(const char *path, struct config **ret_cfg, struct store **ret_st)
{
	struct config *file, *merged;
	struct store *st;
	char db[4096];
	int r;

	if ((r = config_load(path, &file)) < 0)
		return r;
	if (pathf(db, sizeof(db), "%s/labboot.db", file->state_dir) < 0 || access(db, F_OK) < 0) {
		*ret_cfg = file; /* never served: no runtime hosts yet */
		if (ret_st)
			*ret_st = NULL;
		return 0;
	}
	r = access(db, R_OK | W_OK) < 0 ? -errno : store_open(file->state_dir, &st);
	if (r < 0) { /* store_open said why */
		if (r == -EACCES || r == -EROFS)
			fprintf(stderr, "labboot: cannot open %s (%s): the file's hosts only\n", db, strerror(-r));
		*ret_cfg = file;
		if (ret_st)
			*ret_st = NULL;
		return 0;
	}
	r = runtime_config_load(path, file->text, st, NULL, &merged);
	config_free(file);
	if (r < 0) {
		store_close(st);
		return r;
	}
	*ret_cfg = merged;
	if (ret_st)
		*ret_st = st;
	else
		store_close(st);
	return 0;
}
