/* Runtime host edits (see host_edit.h). */
#include "admin/host_edit.h"
#include "core/config.h"
#include "core/util.h"
#include "store/store.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct kv {
	char key[32];
	char value[STORE_HOST_SETTINGS_MAX];
};

static bool multi_valued(const char *key)
{
	return !strcmp(key, "mac") || !strcmp(key, "ip") || !strcmp(key, "option");
}

/* "key = value" or "key=value", blanks around either trimmed. */
static int split_kv(const char *s, size_t len, struct kv *out)
{
	const char *end = s + len, *eq = memchr(s, '=', len), *v;
	size_t klen, vlen;

	if (!eq)
		return -EINVAL;
	while (s < eq && isblank((unsigned char)*s))
		s++;
	klen = (size_t)(eq - s);
	while (klen && isblank((unsigned char)s[klen - 1]))
		klen--;
	for (v = eq + 1; v < end && isblank((unsigned char)*v); v++)
		;
	vlen = (size_t)(end - v);
	while (vlen && isblank((unsigned char)v[vlen - 1]))
		vlen--;
	if (klen == 0 || klen >= sizeof(out->key) || vlen >= sizeof(out->value))
		return -EINVAL;
	for (size_t i = 0; i < klen; i++)
		if (!islower((unsigned char)s[i]) && s[i] != '-')
			return -EINVAL;
	for (size_t i = 0; i < vlen; i++) /* a newline would start a section of its own */
		if (iscntrl((unsigned char)v[i]) || (v[i] == '#' && i && isblank((unsigned char)v[i - 1])))
			return -EINVAL;
	memcpy(out->key, s, klen);
	out->key[klen] = '\0';
	memcpy(out->value, v, vlen);
	out->value[vlen] = '\0';
	return 0;
}

/* Appends the lines of settings whose key is not dropped[]. */
static int copy_kept(FILE *f, const char *settings, char (*dropped)[32], size_t n_dropped)
{
	for (const char *p = settings; *p;) {
		size_t len = strcspn(p, "\n");
		struct kv *kv = malloc(sizeof(*kv));
		bool keep;
		if (!kv)
			return -ENOMEM;
		keep = len && split_kv(p, len, kv) == 0; /* what we did not write goes */
		for (size_t i = 0; i < n_dropped && keep; i++)
			keep = strcmp(kv->key, dropped[i]) != 0;
		if (keep)
			fprintf(f, "%.*s\n", (int)len, p);
		free(kv);
		p += len + (p[len] == '\n');
	}
	return 0;
}

int host_settings_edit(const char *settings, char *const *assign, size_t n, char **ret)
{
	char dropped[HOST_EDIT_MAX_ASSIGN][32];
	struct kv *kv = calloc(n ? n : 1, sizeof(*kv));
	char *buf = NULL;
	size_t len = 0, n_dropped = 0;
	FILE *f;
	int r = 0;

	if (!kv)
		return -ENOMEM;
	if (n > HOST_EDIT_MAX_ASSIGN)
		r = -E2BIG;
	for (size_t i = 0; i < n && r == 0; i++) {
		r = split_kv(assign[i], strlen(assign[i]), &kv[i]);
		bool seen = false;
		for (size_t j = 0; j < n_dropped; j++)
			seen |= strcmp(dropped[j], kv[i].key) == 0;
		if (r == 0 && !seen)
			memcpy(dropped[n_dropped++], kv[i].key, sizeof(dropped[0]));
	}
	if (r < 0 || !(f = open_memstream(&buf, &len))) {
		free(kv);
		return r < 0 ? r : -ENOMEM;
	}
	r = copy_kept(f, settings ? settings : "", dropped, n_dropped);
	for (size_t i = 0; i < n && r == 0; i++) {
		bool last = true;
		for (size_t j = i + 1; j < n && !multi_valued(kv[i].key); j++)
			last &= strcmp(kv[j].key, kv[i].key) != 0;
		if (kv[i].value[0] && last) /* a single-valued key: the last assignment wins */
			fprintf(f, "%s = %s\n", kv[i].key, kv[i].value);
	}
	fclose(f);
	free(kv);
	if (r < 0 || strlen(buf) > STORE_HOST_SETTINGS_MAX) {
		free(buf);
		return r < 0 ? r : -E2BIG;
	}
	*ret = buf;
	return 0;
}

struct others {
	const char *skip;
	FILE *f;
};

static int add_other(const char *name, const char *settings, void *userdata)
{
	struct others *o = userdata;

	if (strcasecmp(name, o->skip) != 0)
		fprintf(o->f, "[host \"%s\"]\n%s\n", name, settings);
	return 0;
}

/* The runtime hosts as they would be after the change. */
static int hosts_after(struct store *st, const char *name, const char *settings, char **ret)
{
	char *buf = NULL;
	size_t len = 0;
	struct others o = { .skip = name, .f = open_memstream(&buf, &len) };
	int r;

	if (!o.f)
		return -ENOMEM;
	r = store_host_foreach(st, add_other, &o);
	if (settings)
		fprintf(o.f, "[host \"%s\"]\n%s\n", name, settings);
	fclose(o.f);
	if (r < 0) {
		free(buf);
		return r;
	}
	*ret = buf;
	return 0;
}

struct finder {
	const char *name;
	char *settings;
};

static int find_host(const char *name, const char *settings, void *userdata)
{
	struct finder *f = userdata;

	if (strcasecmp(name, f->name) != 0)
		return 0;
	f->settings = strdup(settings);
	return f->settings ? 1 : -ENOMEM;
}

int host_settings_get(struct store *st, const char *name, char **ret)
{
	struct finder f = { .name = name };
	int r = store_host_foreach(st, find_host, &f);

	if (r < 0)
		return r;
	if (!f.settings)
		return -ENOENT;
	*ret = f.settings;
	return 0;
}

int host_change(const char *path, const char *text, struct store *st, const char *name, const char *settings,
		FILE *errors)
{
	_cleanup_free_ char *hosts = NULL;
	struct config *cfg;
	int r;

	if ((r = hosts_after(st, name, settings, &hosts)) < 0)
		return r;
	r = config_load_from(&(struct config_source){ .path = path, .text = text, .runtime_hosts = hosts,
						      .errors = errors }, &cfg);
	if (r < 0)
		return -EINVAL;
	if (settings && !config_host_by_name(cfg, name)) { /* no key left: no section */
		fprintf(errors, "host %s would have no settings (it needs a mac)\n", name);
		r = -EINVAL;
	}
	config_free(cfg);
	if (r < 0)
		return r;
	return settings ? store_host_put(st, name, settings) : store_host_delete(st, name);
}
