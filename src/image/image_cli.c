/* `labboot image ...`: build, ls, show, promote, rollback, rm, gc, diff. A
 * thin client of the builder and the store. */
#include "image/image_cli.h"

#include "core/config.h"
#include "core/util.h"
#include "image/build.h"
#include "image/image_diff.h"
#include "image/image_store.h"
#include "nfs/nfs_sync.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

static void image_usage(FILE *out)
{
	fputs("Usage: labboot image COMMAND [-c CONFIG] ...\n"
	      "\n"
	      "  build [--name NAME] [--no-cache] [--layers|--merge|--flatten] [--no-promote] RECIPE\n"
	      "                      build a new version (it becomes the default unless --no-promote);\n"
	      "                      publish a squashfs per step, the ISO's and one for the rest, or one\n"
	      "                      ([images] publish sets the default)\n"
	      "  check RECIPE        parse the recipe and check the files it names, run nothing\n"
	      "  ls [NAME]           one line per version: NAME VERSION [default] size layers date\n"
	      "  show NAME[@VERSION] a version's metadata: layers, inputs, sizes, timings\n"
	      "  promote NAME@VERSION [--host HOST]...\n"
	      "                      make it the default, or the image of the given hosts\n"
	      "  rollback NAME       make the version before the default the default\n"
	      "  rm NAME@VERSION     remove a version (not the default, not one assigned to a host)\n"
	      "  gc [--keep N]       keep the N newest versions of each image (default 3) and what is\n"
	      "                      in use; drop cache entries no version uses\n"
	      "  diff A B            files and packages added, removed and changed between versions\n",
	      out);
}

static int open_store(const struct config *cfg, struct image_store *s)
{
	int r = image_store_init(s, cfg->images_root);

	if (r < 0)
		fprintf(stderr, "labboot: image store %s: %s\n", cfg->images_root, strerror(-r));
	return r;
}

/* ---- host assignments: ROOT/.cache/assign/HOST holds NAME@VERSION --------- */

static int assign_path(const struct image_store *s, const char *host, char *buf, size_t size)
{
	if (!image_name_valid(host))
		return -EINVAL;
	return pathf(buf, size, "%s/.cache/assign/%s", s->root, host);
}

int image_assignment(const struct image_store *s, const char *host, char *ref, size_t size)
{
	char p[PATH_MAX];
	FILE *f;
	int r = -ENOENT;

	if (assign_path(s, host, p, sizeof(p)) < 0 || !(f = fopen(p, "re")))
		return -ENOENT;
	if (fgets(ref, (int)size, f)) {
		ref[strcspn(ref, "\n")] = '\0';
		r = image_ref_valid(ref) ? 0 : -EINVAL;
	}
	fclose(f);
	return r;
}

static int assign(const struct image_store *s, const char *host, const char *ref)
{
	char p[PATH_MAX], tmp[PATH_MAX], d[PATH_MAX];
	FILE *f;

	if (pathf(d, sizeof(d), "%s/.cache/assign", s->root) < 0 || (mkdir(d, 0755) < 0 && errno != EEXIST))
		return -errno;
	if (assign_path(s, host, p, sizeof(p)) < 0 || pathf(tmp, sizeof(tmp), "%s.tmp", p) < 0)
		return -EINVAL;
	if (!(f = fopen(tmp, "we")))
		return -errno;
	fprintf(f, "%s\n", ref);
	if (fflush(f) != 0 || fsync(fileno(f)) < 0) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	return rename(tmp, p) < 0 ? -errno : fsync_path(d);
}

/* A version is in use when it is the default, pinned by a host of the
 * configuration (image = NAME@VERSION) or assigned to a host. */
static bool in_use(const struct config *cfg, const struct image_store *s, const char *name, const char *version)
{
	char cur[IMAGE_VERSION_MAX], ref[256], p[PATH_MAX];
	DIR *d;
	struct dirent *de;
	bool used = false;

	snprintf(ref, sizeof(ref), "%s@%s", name, version);
	if (image_store_current(s, name, cur, sizeof(cur)) == 0 && strcmp(cur, version) == 0)
		return true;
	for (size_t i = 0; i < cfg->n_hosts; i++)
		if (cfg->hosts[i].image && strcmp(cfg->hosts[i].image, ref) == 0)
			return true;
	if (cfg->boot_image && strcmp(cfg->boot_image, ref) == 0)
		return true;
	if (pathf(p, sizeof(p), "%s/.cache/assign", s->root) < 0 || !(d = opendir(p)))
		return false;
	while (!used && (de = readdir(d))) {
		char r2[256];
		if (de->d_name[0] != '.' && image_assignment(s, de->d_name, r2, sizeof(r2)) == 0)
			used = strcmp(r2, ref) == 0;
	}
	closedir(d);
	return used;
}

/* ---- commands ------------------------------------------------------------- */

static int cmd_build(const struct config *cfg, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "name", required_argument, NULL, 'n' },  { "no-cache", no_argument, NULL, 'N' },
		{ "flatten", no_argument, NULL, 'f' },     { "no-promote", no_argument, NULL, 'P' },
		{ "merge", no_argument, NULL, 'm' },      { "layers", no_argument, NULL, 'L' },
		{ "config", required_argument, NULL, 'c' }, { 0 },
	};
	struct build_opts o = { .cfg = cfg, .flatten = !strcmp(cfg->images_publish, "flatten"),
				.merge = !strcmp(cfg->images_publish, "merge") };
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': o.name = optarg; break;
		case 'N': o.no_cache = true; break;
		case 'f': o.flatten = true; o.merge = false; break;
		case 'm': o.merge = true; o.flatten = false; break;
		case 'L': o.merge = o.flatten = false; break;
		case 'P': o.no_promote = true; break;
		case 'c': break;
		default: image_usage(stderr); return 2;
		}
	}
	if (optind + 1 != argc) {
		image_usage(stderr);
		return 2;
	}
	o.recipe_path = argv[optind];
	return image_build(&o) < 0 ? 1 : 0;
}

static int cmd_check(const struct config *cfg, int argc, char **argv)
{
	if (argc != 2) {
		image_usage(stderr);
		return 2;
	}
	return image_check(argv[1]) < 0 ? 1 : 0;
}

static void print_version(const struct image_store *s, const char *name, const char *version, const char *cur)
{
	char when[32] = "?";
	json_t *m = NULL;
	json_int_t bytes = 0, created = 0;
	size_t layers = 0;

	if (image_store_meta(s, name, version, &m) == 0) {
		bytes = json_integer_value(json_object_get(m, "root_bytes"));
		created = json_integer_value(json_object_get(m, "created"));
		layers = json_array_size(json_object_get(m, "stack"));
		json_decref(m);
	}
	if (created) {
		time_t t = (time_t)created;
		struct tm tm;
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime_r(&t, &tm));
	}
	printf("%s %s %s %.1f MiB %zu squashfs %s\n", name, version, strcmp(version, cur) ? "-" : "default",
	       (double)bytes / (1 << 20), layers, when);
}

static int cmd_ls(const struct config *cfg, int argc, char **argv)
{
	struct image_store s;
	char **names, **versions, cur[IMAGE_VERSION_MAX];
	int n, r;

	if (open_store(cfg, &s) < 0)
		return 1;
	n = image_store_names(&s, &names);
	if (n < 0)
		return 1;
	for (int i = 0; i < n; i++) {
		if (argc > 1 && strcmp(argv[1], names[i]))
			continue;
		if (image_store_current(&s, names[i], cur, sizeof(cur)) < 0)
			cur[0] = '\0';
		r = image_store_versions(&s, names[i], &versions);
		for (int k = 0; k < r; k++)
			print_version(&s, names[i], versions[k], cur);
		image_store_free_list(versions, r > 0 ? r : 0);
	}
	image_store_free_list(names, n);
	return 0;
}

static int resolve_or_say(const struct image_store *s, const char *ref, char *name, char *version)
{
	int r = image_store_resolve(s, ref, name, version);

	if (r < 0)
		fprintf(stderr, "labboot: image %s: %s\n", ref, r == -ENOENT ? "no such version" : strerror(-r));
	return r;
}

static int cmd_show(const struct config *cfg, int argc, char **argv)
{
	struct image_store s;
	char name[IMAGE_NAME_MAX], version[IMAGE_VERSION_MAX];
	json_t *m;

	if (argc != 2 || open_store(cfg, &s) < 0 || resolve_or_say(&s, argv[1], name, version) < 0)
		return argc != 2 ? 2 : 1;
	if (image_store_meta(&s, name, version, &m) < 0) {
		fprintf(stderr, "labboot: %s@%s: no readable meta.json\n", name, version);
		return 1;
	}
	json_dumpf(m, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	putchar('\n');
	json_decref(m);
	return 0;
}

static int cmd_promote(const struct config *cfg, int argc, char **argv)
{
	struct image_store s;
	char name[IMAGE_NAME_MAX], version[IMAGE_VERSION_MAX], ref[256];
	int r, hosts = 0;

	if (argc < 2 || open_store(cfg, &s) < 0 || resolve_or_say(&s, argv[1], name, version) < 0)
		return argc < 2 ? 2 : 1;
	snprintf(ref, sizeof(ref), "%s@%s", name, version);
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--host") || i + 1 == argc) {
			image_usage(stderr);
			return 2;
		}
		if (!config_host_by_name(cfg, argv[++i])) {
			fprintf(stderr, "labboot: no host %s in %s\n", argv[i], cfg->path);
			return 1;
		}
		if ((r = assign(&s, argv[i], ref)) < 0) {
			fprintf(stderr, "labboot: assigning %s to %s: %s\n", ref, argv[i], strerror(-r));
			return 1;
		}
		printf("%s boots %s\n", argv[i], ref);
		hosts++;
	}
	if (hosts)
		return 0;
	if ((r = image_store_set_current(&s, name, version)) < 0) {
		fprintf(stderr, "labboot: %s: %s\n", ref, strerror(-r));
		return 1;
	}
	printf("%s is now the default of %s\n", version, name);
	return 0;
}

static int cmd_rollback(const struct config *cfg, int argc, char **argv)
{
	struct image_store s;
	char cur[IMAGE_VERSION_MAX], **v;
	int n, r = 1;

	if (argc != 2 || open_store(cfg, &s) < 0)
		return 2;
	if (image_store_current(&s, argv[1], cur, sizeof(cur)) < 0) {
		fprintf(stderr, "labboot: image %s has no default version\n", argv[1]);
		return 1;
	}
	n = image_store_versions(&s, argv[1], &v);
	for (int i = n - 1; i > 0; i--) {
		if (strcmp(v[i], cur) != 0)
			continue;
		if (image_store_set_current(&s, argv[1], v[i - 1]) == 0) {
			printf("%s is now the default of %s (was %s)\n", v[i - 1], argv[1], cur);
			r = 0;
		}
		break;
	}
	if (r)
		fprintf(stderr, "labboot: %s: no version older than %s\n", argv[1], cur);
	image_store_free_list(v, n > 0 ? n : 0);
	return r;
}

static int remove_version(const struct config *cfg, const struct image_store *s, const char *name, const char *version)
{
	int lock = image_store_lock(s, name), r;

	if (lock < 0)
		return lock;
	r = in_use(cfg, s, name, version) ? -EBUSY : image_store_remove(s, name, version);
	close(lock);
	return r;
}

static int cmd_rm(const struct config *cfg, int argc, char **argv)
{
	struct image_store s;
	char name[IMAGE_NAME_MAX], version[IMAGE_VERSION_MAX];
	int r;

	if (argc != 2 || !strchr(argv[1], '@')) {
		fprintf(stderr, "labboot: image rm NAME@VERSION\n");
		return 2;
	}
	if (open_store(cfg, &s) < 0 || resolve_or_say(&s, argv[1], name, version) < 0)
		return 1;
	if ((r = remove_version(cfg, &s, name, version)) < 0) {
		fprintf(stderr, "labboot: %s: %s\n", argv[1],
			r == -EBUSY ? "in use (the default, pinned or assigned to a host)" : strerror(-r));
		return 1;
	}
	printf("removed %s\n", argv[1]);
	return 0;
}

/* Cache entries are hard-linked into the versions that use them: a layer or
 * base squashfs with one link left is used by none. */
static int gc_cache(const struct image_store *s, const char *sub, uint64_t *freed)
{
	char p[PATH_MAX], f[PATH_MAX];
	DIR *d;
	struct dirent *de;
	struct stat st;
	int n = 0;

	if (image_store_cache_path(s, p, sizeof(p), sub) < 0 || !(d = opendir(p)))
		return 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || pathf(f, sizeof(f), "%s/%s", p, de->d_name) < 0 || lstat(f, &st) < 0)
			continue;
		if (S_ISREG(st.st_mode) && st.st_nlink == 1 && unlink(f) == 0) {
			*freed += (uint64_t)st.st_size;
			n++;
		}
	}
	closedir(d);
	return n;
}

/* An ISO extraction whose squashfs no version links any more, and temp
 * dirs of killed builds (an hour old: a running build's are younger). */
static int gc_bases(const struct image_store *s, uint64_t *freed)
{
	char p[PATH_MAX], dir[PATH_MAX];
	DIR *d;
	struct dirent *de;
	int n = 0;

	if (image_store_cache_path(s, p, sizeof(p), "base") < 0 || !(d = opendir(p)))
		return 0;
	while ((de = readdir(d))) {
		char lj[PATH_MAX];
		json_t *j;
		bool used = false;
		if (de->d_name[0] == '.' || pathf(dir, sizeof(dir), "%s/%s", p, de->d_name) < 0 ||
		    pathf(lj, sizeof(lj), "%s/layout.json", dir) < 0 || !(j = json_load_file(lj, 0, NULL)))
			continue;
		json_t *sq = json_object_get(j, "squashfs");
		for (size_t i = 0; i < json_array_size(sq) && !used; i++) {
			char f[PATH_MAX];
			struct stat st;
			const char *rel = json_string_value(json_array_get(sq, i));
			used = !rel || pathf(f, sizeof(f), "%s/%s", dir, rel) < 0 || stat(f, &st) < 0 || st.st_nlink > 1;
			if (!used)
				*freed += (uint64_t)st.st_size;
		}
		json_decref(j);
		if (!used && remove_tree(dir) == 0)
			n++;
	}
	closedir(d);
	return n;
}

static void gc_tmp(const struct image_store *s)
{
	char p[PATH_MAX], f[PATH_MAX];
	DIR *d;
	struct dirent *de;
	struct stat st;

	if (image_store_cache_path(s, p, sizeof(p), "tmp") < 0 || !(d = opendir(p)))
		return;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && pathf(f, sizeof(f), "%s/%s", p, de->d_name) == 0 && lstat(f, &st) == 0 &&
		    st.st_mtime < time(NULL) - 3600)
			remove_tree(f);
	closedir(d);
}

static int cmd_gc(const struct config *cfg, int argc, char **argv)
{
	struct image_store s;
	char **names, **v;
	uint64_t keep = 3, freed = 0;
	int n, removed = 0, cached;

	if (argc == 3 && strcmp(argv[1], "--keep") == 0) {
		if (parse_u64(argv[2], 1, 100000, &keep) < 0) {
			fprintf(stderr, "labboot: --keep N: a number from 1\n");
			return 2;
		}
	} else if (argc != 1) {
		image_usage(stderr);
		return 2;
	}
	if (open_store(cfg, &s) < 0 || (n = image_store_names(&s, &names)) < 0)
		return 1;
	for (int i = 0; i < n; i++) {
		int nv = image_store_versions(&s, names[i], &v);
		for (int k = 0; k + (int)keep < nv; k++) {
			if (in_use(cfg, &s, names[i], v[k])) {
				printf("kept %s@%s (in use)\n", names[i], v[k]);
				continue;
			}
			if (remove_version(cfg, &s, names[i], v[k]) == 0) {
				printf("removed %s@%s\n", names[i], v[k]);
				removed++;
			}
		}
		image_store_free_list(v, nv > 0 ? nv : 0);
	}
	image_store_free_list(names, n);
	cached = gc_cache(&s, "layers", &freed);
	cached += gc_bases(&s, &freed);
	gc_tmp(&s);
	printf("%d versions removed, %d cache entries no version uses removed (%.1f MiB)\n", removed, cached,
	       (double)freed / (1 << 20));
	return 0;
}

static int cmd_diff(const struct config *cfg, int argc, char **argv)
{
	struct image_store s;
	char na[IMAGE_NAME_MAX], va[IMAGE_VERSION_MAX], nb[IMAGE_NAME_MAX], vb[IMAGE_VERSION_MAX];

	if (argc != 3)
		return 2;
	if (open_store(cfg, &s) < 0 || resolve_or_say(&s, argv[1], na, va) < 0 || resolve_or_say(&s, argv[2], nb, vb) < 0)
		return 1;
	return image_diff(&s, na, va, nb, vb, stdout) < 0 ? 1 : 0;
}

int image_cli(const struct config *cfg, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(const struct config *, int, char **);
	} cmds[] = {
		{ "build", cmd_build }, { "check", cmd_check }, { "ls", cmd_ls }, { "show", cmd_show }, { "promote", cmd_promote },
		{ "rollback", cmd_rollback }, { "rm", cmd_rm }, { "gc", cmd_gc }, { "diff", cmd_diff },
	};

	if (argc < 1) {
		image_usage(stderr);
		return 2;
	}
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		if (strcmp(argv[0], cmds[i].name) != 0)
			continue;
		int r = cmds[i].fn(cfg, argc, argv);
		/* versions came or went: the NFS server exports what is there */
		if (r == 0 && (cmds[i].fn == cmd_build || cmds[i].fn == cmd_rm || cmds[i].fn == cmd_gc) &&
		    nfs_sync(cfg, NULL) < 0)
			fprintf(stderr, "labboot: the NFS exports are not up to date (labboot exports)\n");
		return r;
	}
	fprintf(stderr, "labboot: unknown image command '%s'\n", argv[0]);
	image_usage(stderr);
	return 2;
}

bool image_cli_wants_help(int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			image_usage(stdout);
			return true;
		}
	return false;
}
