/* One-shot next boot entries (see next_boot.h). */
#include "boot/next_boot.h"
#include "core/config.h"
#include "core/util.h"
#include "isos/iso_kind.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static bool is_user_entry(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_entries; i++)
		if (strcmp(cfg->entries[i].name, name) == 0)
			return true;
	return false;
}

static int set(struct next_boot *out, const char *target, const char *image)
{
	if (copy_string(out->target, sizeof(out->target), target) < 0 ||
	    copy_string(out->image, sizeof(out->image), image) < 0)
		return -EINVAL;
	return 0;
}

static bool image_named(const struct config *cfg, const char *ref)
{
	return config_image_by_name(cfg, ref) || image_ref_valid(ref);
}

int next_boot_parse(const struct config *cfg, const char *entry, struct next_boot *out)
{
	struct next_boot nb = { 0 };
	int r = -EINVAL;

	if (strcmp(entry, "local") == 0)
		r = set(&nb, "local", "");
	else if (!strcmp(entry, "netboot.xyz") || !strcmp(entry, "netboot") || !strcmp(entry, "netbootxyz"))
		r = set(&nb, "netbootxyz", "");
	else if (strncmp(entry, "entry:", 6) == 0 && is_user_entry(cfg, entry + 6))
		r = set(&nb, entry + 6, "");
	else if (strncmp(entry, "image:", 6) == 0 && image_named(cfg, entry + 6))
		r = set(&nb, "image", entry + 6);
	else if (strncmp(entry, "iso:", 4) == 0 && iso_name_valid(entry + 4))
		r = set(&nb, "iso", entry + 4); /* whether it is there is seen when it boots */
	else if (is_user_entry(cfg, entry))
		r = set(&nb, entry, "");
	else if (image_named(cfg, entry))
		r = set(&nb, "image", entry);
	if (r == 0)
		*out = nb;
	return r;
}

int next_boot_format(const struct next_boot *nb, char *buf, size_t size)
{
	int n;

	if (strcmp(nb->target, "image") == 0)
		n = snprintf(buf, size, "image:%s", nb->image);
	else if (strcmp(nb->target, "iso") == 0)
		n = snprintf(buf, size, "iso:%s", nb->image);
	else if (!strcmp(nb->target, "local") || !strcmp(nb->target, "netbootxyz"))
		n = snprintf(buf, size, "%s", nb->target);
	else
		n = snprintf(buf, size, "entry:%s", nb->target);
	return n < 0 || (size_t)n >= size ? -ENOSPC : 0;
}
