/* Version diffs (see image_diff.h). Each stack is mounted read-only in the
 * sandbox and walked into a manifest file; the two are compared here. */
#include "image/image_diff.h"

#include "core/util.h"
#include "image/image_store.h"
#include "image/sandbox.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

#define DIFF_MAX_ENTRIES (4u << 20)
#define DIFF_MAX_STACK 300

struct manifest_ctx {
	FILE *out;
	size_t prefix;
};

static __thread struct manifest_ctx *walk_ctx;

static int walk_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	char link[PATH_MAX] = "", name[PATH_MAX];
	const char *rel = path + walk_ctx->prefix;
	size_t i;

	for (i = 0; rel[i] && i + 1 < sizeof(name); i++)
		name[i] = rel[i] == '\n' || rel[i] == '\t' ? '?' : rel[i];
	name[i] = '\0';
	if (S_ISLNK(st->st_mode)) {
		ssize_t n = readlink(path, link, sizeof(link) - 1);
		link[n > 0 ? n : 0] = '\0';
		for (char *s = link; *s; s++)
			if (*s == '\n' || *s == '\t')
				*s = '?';
	}
	fprintf(walk_ctx->out, "%s\t%o\t%u\t%u\t%lld\t%lld\t%s\n", name[0] ? name : "/", (unsigned)st->st_mode,
		(unsigned)st->st_uid, (unsigned)st->st_gid, S_ISDIR(st->st_mode) ? 0LL : (long long)st->st_size,
		(long long)st->st_mtim.tv_sec, link); /* a directory's size says how it is stored, not what it holds */
	return 0;
}

static int manifest_fn(const char *root, void *ud)
{
	struct manifest_ctx *m = ud;
	char status[PATH_MAX];
	FILE *in;
	int c;

	m->prefix = strlen(root);
	walk_ctx = m;
	/* no FTW_MOUNT: overlayfs reports the lower st_dev of non-directories */
	if (nftw(root, walk_one, 64, FTW_PHYS) < 0)
		return -errno;
	/* The package list follows the files, after a separator line. */
	fputs("\x01packages\n", m->out);
	if (pathf(status, sizeof(status), "%s/var/lib/dpkg/status", root) == 0 && (in = fopen(status, "re"))) {
		while ((c = getc(in)) != EOF)
			putc(c, m->out);
		fclose(in);
	}
	return fflush(m->out) == 0 ? 0 : -EIO;
}

static int make_manifest(const struct image_store *s, const char *name, const char *version, FILE *out)
{
	char vdir[PATH_MAX], scratch[PATH_MAX], paths[DIFF_MAX_STACK][PATH_MAX / 4];
	const char *lowers[DIFF_MAX_STACK];
	struct manifest_ctx m = { .out = out };
	struct sandbox sb = { 0 };
	json_t *meta, *stack;
	size_t n;
	int r;

	if ((r = image_store_meta(s, name, version, &meta)) < 0)
		return r;
	stack = json_object_get(meta, "stack");
	n = json_array_size(stack);
	if (n == 0 || n > DIFF_MAX_STACK || image_store_path(s, vdir, sizeof(vdir), name, version) < 0) {
		json_decref(meta);
		return -EBADMSG;
	}
	for (size_t i = 0; i < n; i++) {
		const char *rel = json_string_value(json_array_get(stack, i));
		if (!rel || strstr(rel, "..") || pathf(paths[i], sizeof(paths[i]), "%s/%s", vdir, rel) < 0) {
			json_decref(meta);
			return -EBADMSG;
		}
		lowers[i] = paths[i];
	}
	json_decref(meta);
	if (image_store_cache_path(s, scratch, sizeof(scratch), "tmp/diff-XXXXXX") < 0 || !mkdtemp(scratch))
		return -errno;
	sb.lowers = lowers;
	sb.n_lowers = n;
	sb.scratch = scratch;
	r = sandbox_run(&sb, manifest_fn, NULL, &m);
	remove_tree(scratch);
	return r;
}

struct entry {
	char *path;
	char *rest;     /* everything after the path: mode, owner, size, mtime, link */
};

struct pkg {
	char *name;
	char *version;
};

struct side {
	struct entry *e;
	size_t n;
	struct pkg *p;
	size_t np;
};

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->path, ((const struct entry *)b)->path);
}

static int cmp_pkg(const void *a, const void *b)
{
	return strcmp(((const struct pkg *)a)->name, ((const struct pkg *)b)->name);
}

/* dpkg status stanzas: Package, Status "... installed", Version. */
static void load_packages(FILE *f, struct side *sd, char *line, size_t size)
{
	char name[256] = "", ver[256] = "";
	bool installed = false;
	size_t cap = 0;

	while (fgets(line, (int)size, f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "Package: ", 9))
			copy_string(name, sizeof(name), line + 9);
		else if (!strncmp(line, "Version: ", 9))
			copy_string(ver, sizeof(ver), line + 9);
		else if (!strncmp(line, "Status: ", 8))
			installed = strstr(line, " installed") != NULL;
		else if (line[0] == '\0') {
			if (name[0] && installed) {
				if (sd->np == cap) {
					struct pkg *np = realloc(sd->p, (cap = cap ? cap * 2 : 256) * sizeof(*np));
					if (!np)
						return;
					sd->p = np;
				}
				sd->p[sd->np++] = (struct pkg){ xstrdup(name), xstrdup(ver) };
			}
			name[0] = ver[0] = '\0';
			installed = false;
		}
	}
	if (name[0] && installed && sd->np < cap)
		sd->p[sd->np++] = (struct pkg){ xstrdup(name), xstrdup(ver) };
	qsort(sd->p, sd->np, sizeof(*sd->p), cmp_pkg);
}

static int load(FILE *f, struct side *sd)
{
	char *line = malloc(1 << 16);
	size_t cap = 0;

	if (!line)
		return -ENOMEM;
	rewind(f);
	while (fgets(line, 1 << 16, f)) {
		char *tab;
		if (line[0] == '\x01') {
			load_packages(f, sd, line, 1 << 16);
			break;
		}
		line[strcspn(line, "\n")] = '\0';
		if (!(tab = strchr(line, '\t')) || sd->n >= DIFF_MAX_ENTRIES)
			continue;
		*tab = '\0';
		if (sd->n == cap) {
			struct entry *ne = realloc(sd->e, (cap = cap ? cap * 2 : 4096) * sizeof(*ne));
			if (!ne)
				break;
			sd->e = ne;
		}
		sd->e[sd->n++] = (struct entry){ xstrdup(line), xstrdup(tab + 1) };
	}
	free(line);
	qsort(sd->e, sd->n, sizeof(*sd->e), cmp_entry);
	return 0;
}

static void side_free(struct side *sd)
{
	for (size_t i = 0; i < sd->n; i++) {
		free(sd->e[i].path);
		free(sd->e[i].rest);
	}
	for (size_t i = 0; i < sd->np; i++) {
		free(sd->p[i].name);
		free(sd->p[i].version);
	}
	free(sd->e);
	free(sd->p);
}

static void print_diff(const struct side *a, const struct side *b, FILE *out)
{
	size_t i = 0, k = 0, added = 0, removed = 0, changed = 0;

	while (i < a->n || k < b->n) {
		int c = i == a->n ? 1 : k == b->n ? -1 : strcmp(a->e[i].path, b->e[k].path);
		if (c < 0) {
			fprintf(out, "- %s\n", a->e[i++].path);
			removed++;
		} else if (c > 0) {
			fprintf(out, "+ %s\n", b->e[k++].path);
			added++;
		} else {
			if (strcmp(a->e[i].rest, b->e[k].rest) && strcmp(a->e[i].path, "/")) {
				fprintf(out, "~ %s\n", a->e[i].path);
				changed++;
			}
			i++, k++;
		}
	}
	fprintf(out, "files: %zu added, %zu removed, %zu changed\n", added, removed, changed);
	added = removed = changed = i = k = 0;
	while (i < a->np || k < b->np) {
		int c = i == a->np ? 1 : k == b->np ? -1 : strcmp(a->p[i].name, b->p[k].name);
		if (c < 0) {
			fprintf(out, "- package %s %s\n", a->p[i].name, a->p[i].version);
			i++, removed++;
		} else if (c > 0) {
			fprintf(out, "+ package %s %s\n", b->p[k].name, b->p[k].version);
			k++, added++;
		} else {
			if (strcmp(a->p[i].version, b->p[k].version)) {
				fprintf(out, "~ package %s %s -> %s\n", a->p[i].name, a->p[i].version, b->p[k].version);
				changed++;
			}
			i++, k++;
		}
	}
	fprintf(out, "packages: %zu added, %zu removed, %zu changed\n", added, removed, changed);
}

int image_diff(const struct image_store *s, const char *name_a, const char *ver_a, const char *name_b,
	       const char *ver_b, FILE *out)
{
	FILE *fa = tmpfile(), *fb = tmpfile();
	struct side a = { 0 }, b = { 0 };
	int r = -ENOMEM;

	if (fa && fb && (r = make_manifest(s, name_a, ver_a, fa)) == 0 && (r = make_manifest(s, name_b, ver_b, fb)) == 0 &&
	    (r = load(fa, &a)) == 0 && (r = load(fb, &b)) == 0)
		print_diff(&a, &b, out);
	if (r < 0)
		fprintf(stderr, "labboot: image diff: %s\n", strerror(-r));
	side_free(&a);
	side_free(&b);
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	return r;
}
