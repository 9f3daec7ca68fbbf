/* The build: recipe -> steps with cache keys (pure) -> for each step a
 * cached layer or a sandboxed run -> a version directory published by an
 * atomic rename (build_publish.c); the base comes from build_base.c. The ISO's squashfs is extracted once per ISO and reused as
 * it is; only what a step changed is ever compressed. */
#include "image/build.h"
#include "image/build_int.h"

#include "core/config.h"
#include "core/log.h"
#include "core/util.h"
#include "image/cache_key.h"
#include "image/features.h"
#include "image/image_store.h"
#include "image/initrd_patch.h"
#include "image/iso_read.h"
#include "image/merge.h"
#include "image/recipe.h"
#include "image/sandbox.h"
#include "image/sqfs_pack.h"
#include "image/step_exec.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A line for the user and the build log. */
__attribute__((format(printf, 2, 3))) void say(struct build *b, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (b->tty)
		fputs("\r\033[K", stdout);
	fwrite(line, 1, (size_t)n, stdout);
	fflush(stdout);
	if (b->log_fd >= 0)
		(void)!write(b->log_fd, line, (size_t)n);
}

void human(char *buf, size_t size, uint64_t bytes)
{
	if (bytes >= (1ull << 30))
		snprintf(buf, size, "%.2f GiB", (double)bytes / (1u << 30));
	else if (bytes >= (1u << 20))
		snprintf(buf, size, "%.1f MiB", (double)bytes / (1u << 20));
	else
		snprintf(buf, size, "%.1f KiB", (double)bytes / 1024);
}

/* ---- progress on a terminal --------------------------------------------- */

void show_progress(struct progress *p, uint64_t done)
{
	char d[32], t[32];
	double el = now_s() - p->start, eta;

	if (!p->b->tty)
		return;
	human(d, sizeof(d), done);
	if (p->total && done > 0 && done <= p->total) {
		human(t, sizeof(t), p->total);
		eta = el * (double)(p->total - done) / (double)done;
		printf("\r\033[K  %s: %s / %s (%.0f%%), ETA %.0f s", p->what, d, t, 100.0 * (double)done / (double)p->total, eta);
	} else {
		printf("\r\033[K  %s: %s, %.0f s", p->what, d, el);
	}
	fflush(stdout);
}

static void pack_progress(void *ud, uint64_t done)
{
	show_progress(ud, done);
}

/* ---- command output: a pipe whose reader copies to the log and stdout ---- */

struct tee {
	int rfd, wfd;
	struct build *b;
	pthread_t thread;
};

static void *tee_main(void *arg)
{
	struct tee *t = arg;
	char buf[8192];
	ssize_t n;

	while ((n = read(t->rfd, buf, sizeof(buf))) > 0) {
		(void)!write(t->b->log_fd, buf, (size_t)n);
		(void)!write(STDOUT_FILENO, buf, (size_t)n);
	}
	return NULL;
}

static int tee_start(struct tee *t, struct build *b)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	t->rfd = p[0];
	t->wfd = p[1];
	t->b = b;
	if (pthread_create(&t->thread, NULL, tee_main, t) != 0) {
		close(p[0]);
		close(p[1]);
		return -EAGAIN;
	}
	return 0;
}

static void tee_stop(struct tee *t)
{
	close(t->wfd);
	pthread_join(t->thread, NULL);
	close(t->rfd);
}

/* ---- layers ------------------------------------------------------------- */

int layer_path(struct build *b, const uint8_t key[32], char *out, size_t size)
{
	char hex[65], sub[128];

	format_sha256_hex(hex, key);
	snprintf(sub, sizeof(sub), "layers/%s.squashfs", hex);
	return image_store_cache_path(&b->store, out, size, sub);
}

/* zstd at level 6 packs a root about seven times faster than its default
 * (15, mksquashfs's too) for a fifth more bytes: iteration speed first;
 * `[images] level` chooses otherwise. */
unsigned pack_level(const struct config *cfg)
{
	if (cfg->images_level)
		return cfg->images_level;
	return strcmp(cfg->images_compressor, "zstd") == 0 ? 6 : 0;
}

int pack(struct build *b, const char *dir, const char *out, struct layer *l)
{
	char tmp[PATH_MAX];
	struct progress pr = { b, "compressing", now_s(), 0 };
	struct sqfs_pack_opts po = { .compressor = b->o->cfg->images_compressor, .level = pack_level(b->o->cfg),
				     .progress = pack_progress, .userdata = &pr };
	struct sqfs_pack_stats stats = { 0 };
	int r;

	if (pathf(tmp, sizeof(tmp), "%s.tmp%d", out, (int)getpid()) < 0)
		return -ENAMETOOLONG;
	r = sqfs_pack_dir(dir, tmp, &po, &stats);
	if (r == 0)
		r = fsync_path(tmp);
	if (r == 0 && rename(tmp, out) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return r;
	}
	l->bytes = stats.bytes_out;
	return 0;
}

void stack_paths(struct build *b, const char **paths)
{
	for (size_t i = 0; i < b->n_layers; i++)
		paths[i] = b->layers[i].path;
}

int make_workdirs(struct build *b, char *top, char *upper, char *work, char *scratch)
{
	if (image_store_cache_path(&b->store, top, PATH_MAX, "tmp/step-XXXXXX") < 0 || !mkdtemp(top))
		return -errno;
	if (pathf(upper, PATH_MAX, "%s/upper", top) < 0 || pathf(work, PATH_MAX, "%s/work", top) < 0 ||
	    pathf(scratch, PATH_MAX, "%s/mnt", top) < 0)
		return -ENAMETOOLONG;
	if (mkdir(upper, 0755) < 0 || mkdir(work, 0700) < 0 || mkdir(scratch, 0700) < 0)
		return -errno;
	return 0;
}

static int run_layer_step(struct build *b, size_t idx, const uint8_t key[32], struct layer *l)
{
	const struct recipe_step *s = &b->recipe->steps[idx];
	char top[PATH_MAX], upper[PATH_MAX], work[PATH_MAX], scratch[PATH_MAX];
	const char *lowers[BUILD_MAX_STACK];
	struct step_ctx ctx = { .step = s, .recipe_dir = b->recipe_dir };
	struct tee tee;
	int r;

	if ((r = make_workdirs(b, top, upper, work, scratch)) < 0)
		return r;
	stack_paths(b, lowers);
	if ((r = tee_start(&tee, b)) < 0)
		goto out;
	ctx.log_fd = tee.wfd;
	r = step_exec(&ctx, lowers, b->n_layers, upper, work, scratch);
	tee_stop(&tee);
	if (r > 0) {
		say(b, "%s:%u: %s failed with exit status %d", b->o->recipe_path, s->line, recipe_op_name(s->op), r);
		r = -ECANCELED;
		goto out;
	}
	if (r < 0) {
		say(b, "%s:%u: %s: %s", b->o->recipe_path, s->line, recipe_op_name(s->op), strerror(-r));
		goto out;
	}
	l->pruned = ctx.pruned_files;
	r = pack(b, upper, l->path, l);
	if (r < 0)
		say(b, "%s:%u: packing the layer: %s", b->o->recipe_path, s->line, strerror(-r));
out:
	remove_tree(top);
	(void)key;
	return r;
}

/* The instruction without its keyword, cut to fit a line. */
static const char *short_text(const char *s, char *buf, size_t size)
{
	size_t n;

	s += strcspn(s, " \t");
	s += strspn(s, " \t");
	n = strlen(s);
	if (n < size)
		return s;
	snprintf(buf, size, "%.*s...", (int)size - 4, s);
	return buf;
}

static int add_layer_step(struct build *b, size_t idx, size_t n_makes, size_t *k)
{
	const struct recipe_step *s = &b->recipe->steps[idx];
	struct layer *l = &b->layers[b->n_layers];
	uint8_t inputs[32], key[32];
	char txt[80], sz[32];
	struct stat st;
	double t0 = now_s();
	int r;

	if ((r = step_inputs_digest(s, b->recipe_dir, inputs)) < 0) {
		say(b, "%s:%u: %s: %s", b->o->recipe_path, s->line, recipe_op_name(s->op), strerror(-r));
		return r;
	}
	cache_key_step(b->top_key, s, r > 0 ? inputs : NULL, key);
	memset(l, 0, sizeof(*l));
	l->step = (int)idx;
	format_sha256_hex(l->key, key);
	if ((r = layer_path(b, key, l->path, sizeof(l->path))) < 0)
		return r;
	(*k)++;
	if (!b->o->no_cache && stat(l->path, &st) == 0) {
		l->cached = true;
		l->bytes = (uint64_t)st.st_size;
		say(b, "step %zu/%zu: %s %s (cached)", *k, n_makes, recipe_op_name(s->op), short_text(s->text, txt, sizeof(txt)));
	} else {
		say(b, "step %zu/%zu: %s %s", *k, n_makes, recipe_op_name(s->op), short_text(s->text, txt, sizeof(txt)));
		if ((r = run_layer_step(b, idx, key, l)) < 0)
			return r;
		l->seconds = now_s() - t0;
		human(sz, sizeof(sz), l->bytes);
		if (l->pruned)
			say(b, "  done in %.1f s: layer %s (%llu entries the step rewrote unchanged dropped)", l->seconds, sz,
			    (unsigned long long)l->pruned);
		else
			say(b, "  done in %.1f s: layer %s", l->seconds, sz);
	}
	memcpy(b->top_key, key, 32);
	b->n_layers++;
	return 0;
}

static int features_key(struct build *b, uint8_t out[32])
{
	struct sha256_ctx *c = sha256_new();

	if (!c)
		return -ENOMEM;
	sha256_str(c, CACHE_KEY_VERSION);
	sha256_field(c, b->top_key, 32);
	sha256_str(c, "features");
	sha256_str(c, FEATURES_VERSION);
	for (size_t i = 0; i < b->recipe->n_steps; i++)
		if (b->recipe->steps[i].op == RECIPE_FEATURE)
			sha256_str(c, b->recipe->steps[i].text);
	sha256_final(c, out);
	return 0;
}

static int add_features_layer(struct build *b)
{
	struct layer *l = &b->layers[b->n_layers];
	char top[PATH_MAX], upper[PATH_MAX], work[PATH_MAX], scratch[PATH_MAX];
	uint8_t key[32];
	struct stat st;
	int r;

	if ((r = features_key(b, key)) < 0)
		return r;
	memset(l, 0, sizeof(*l));
	l->step = -2;
	format_sha256_hex(l->key, key);
	if ((r = layer_path(b, key, l->path, sizeof(l->path))) < 0)
		return r;
	if (b->o->no_cache || stat(l->path, &st) < 0) {
		if ((r = make_workdirs(b, top, upper, work, scratch)) < 0)
			return r;
		r = features_write_tree(b->recipe, upper);
		if (r == 0)
			r = pack(b, upper, l->path, l);
		remove_tree(top);
		if (r < 0) {
			say(b, "features layer: %s", strerror(-r));
			return r;
		}
	} else {
		l->cached = true;
		l->bytes = (uint64_t)st.st_size;
	}
	memcpy(b->top_key, key, 32);
	b->n_layers++;
	return 0;
}

/* ---- publishing the stack as fewer squashfs (--merge, --flatten) ---------
 * Both make one layer from the whole stack in the sandbox, cached under a
 * key of the stack's key, what was made and how it is compressed. */

struct derive_ctx {
	struct build *b;
	const char *out_dir;        /* an empty directory on the cache's filesystem */
	const char *layer;          /* the squashfs to write */
	struct layer *l;
};

/* --flatten: everything the stack shows, packed (recompressed) whole. */
static int flatten_fn(const char *root, void *ud)
{
	struct derive_ctx *d = ud;
	return pack(d->b, root, d->layer, d->l);
}

/* --merge: the layers above the base folded into one (merge.c); in the
 * sandbox, layer i is mounted alone at l/i (its cwd is the scratch dir). */
static int merge_fn(const char *root, void *ud)
{
	struct derive_ctx *d = ud;
	char *tops[MERGE_MAX_LAYERS], *base[ISO_MAX_SQUASHFS + MERGE_MAX_LAYERS];
	size_t n = 0, nb = 0;
	int r;

	for (size_t i = d->b->n_layers; i-- > d->b->n_base && n < MERGE_MAX_LAYERS;) {
		char p[32];
		snprintf(p, sizeof(p), "l/%zu", i);
		tops[n++] = xstrdup(p);
	}
	for (size_t i = 0; i < d->b->n_base && nb < ARRAY_SIZE(base); i++) {
		char p[32];
		snprintf(p, sizeof(p), "l/%zu", i);
		base[nb++] = xstrdup(p);
	}
	r = merge_layers(tops, n, base, nb, d->out_dir, NULL);
	for (size_t i = 0; i < n; i++)
		free(tops[i]);
	for (size_t i = 0; i < nb; i++)
		free(base[i]);
	return r < 0 ? r : pack(d->b, d->out_dir, d->layer, d->l);
}

static int derive_layer(struct build *b, const char *what, int step, sandbox_fn fn, struct layer *out)
{
	char top[PATH_MAX], upper[PATH_MAX], work[PATH_MAX], scratch[PATH_MAX];
	const char *lowers[BUILD_MAX_STACK];
	struct sha256_ctx *c = sha256_new();
	uint8_t key[32];
	struct stat st;
	int r;

	if (!c)
		return -ENOMEM;
	*out = (struct layer){ .step = step };
	sha256_field(c, b->top_key, 32);
	sha256_str(c, what);
	sha256_str(c, b->o->cfg->images_compressor);
	sha256_field(c, &(unsigned){ pack_level(b->o->cfg) }, sizeof(unsigned));
	sha256_final(c, key);
	format_sha256_hex(out->key, key);
	if ((r = layer_path(b, key, out->path, sizeof(out->path))) < 0)
		return r;
	if (!b->o->no_cache && stat(out->path, &st) == 0) {
		out->cached = true;
		out->bytes = (uint64_t)st.st_size;
		return 0;
	}
	double t0 = now_s();
	struct derive_ctx d = { b, upper, out->path, out };
	struct sandbox sb = { .lowers = lowers, .n_lowers = b->n_layers, .scratch = scratch };

	if (step == -3)
		say(b, "flattening %zu layers into one squashfs", b->n_layers);
	else
		say(b, "merging the %zu layers above the base into one", b->n_layers - b->n_base);
	if ((r = make_workdirs(b, top, upper, work, scratch)) < 0)
		return r;
	stack_paths(b, lowers);
	r = sandbox_run(&sb, fn, NULL, &d);
	remove_tree(top);
	if (r == 0 && stat(out->path, &st) < 0) /* packed in the sandbox's process */
		r = -errno;
	if (r < 0) {
		say(b, "%s: %s", what, strerror(-r));
		return r;
	}
	out->bytes = (uint64_t)st.st_size;
	out->seconds = now_s() - t0;
	return 0;
}

static int merge(struct build *b)
{
	struct layer merged;
	int r;

	if (b->n_layers <= b->n_base + 1)
		return 0; /* nothing to fold */
	if ((r = derive_layer(b, "merge-3", -4, merge_fn, &merged)) < 0) /* bump the tag when the merge changes */
		return r;
	b->layers[b->n_base] = merged;
	b->n_layers = b->n_base + 1;
	return 0;
}

static int flatten(struct build *b)
{
	struct layer flat;
	int r;

	if ((r = derive_layer(b, "flatten", -3, flatten_fn, &flat)) < 0)
		return r;
	b->layers[0] = flat;
	b->n_layers = 1;
	return 0;
}

/* ---- the recipe ---------------------------------------------------------- */

static int read_recipe(struct build *b)
{
	char err[1024], *copy;
	_cleanup_free_ char *buf = malloc(RECIPE_MAX_BYTES + 1);
	_cleanup_close_ int fd = -1;
	ssize_t n, len = 0;
	int r;

	if (!buf)
		return -ENOMEM;
	if (!realpath(b->o->recipe_path, b->recipe_real) || (fd = open(b->recipe_real, O_RDONLY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "labboot: %s: %s\n", b->o->recipe_path, strerror(errno));
		return -errno;
	}
	while ((n = read(fd, buf + len, (size_t)(RECIPE_MAX_BYTES + 1 - len))) > 0)
		len += n;
	if (n < 0)
		return -errno;
	if ((r = recipe_parse(b->o->recipe_path, buf, (size_t)len, &b->recipe, err, sizeof(err))) < 0) {
		fprintf(stderr, "%s\n", err);
		return r;
	}
	copy = xstrdup(b->recipe_real);
	copy_string(b->recipe_dir, sizeof(b->recipe_dir), dirname(copy));
	free(copy);
	return 0;
}

/* Everything a build reads is checked before anything runs. */
static int check_inputs(struct build *b)
{
	char p[PATH_MAX];
	int errors = 0;

	for (size_t i = 1; i < b->recipe->n_steps; i++) {
		const struct recipe_step *s = &b->recipe->steps[i];
		for (size_t k = 0; k < s->n_sources + (s->op == RECIPE_PATCH); k++) {
			const char *src = s->op == RECIPE_PATCH ? s->arg : s->sources[k];
			if (recipe_path(p, sizeof(p), b->recipe_dir, src) < 0 || access(p, R_OK) < 0) {
				fprintf(stderr, "%s:%u: %s: %s: %s\n", b->o->recipe_path, s->line, recipe_op_name(s->op), src,
					strerror(errno ? errno : ENAMETOOLONG));
				errors++;
			}
		}
	}
	return errors ? -EINVAL : 0;
}

static void name_from_recipe(struct build *b)
{
	const char *base = strrchr(b->o->recipe_path, '/') ? strrchr(b->o->recipe_path, '/') + 1 : b->o->recipe_path;
	size_t n = strlen(base);

	if (n > 7 && strcmp(base + n - 7, ".recipe") == 0)
		n -= 7;
	snprintf(b->name, sizeof(b->name), "%.*s", (int)MIN(n, sizeof(b->name) - 1), base);
}

/* Leftovers of a build that was killed: temp dirs in the cache and the
 * image's directory (the cache's are named for no image: all go, under the
 * image lock only this image's). */
static void clean_leftovers(struct build *b)
{
	char p[PATH_MAX], cmdpath[PATH_MAX];
	DIR *d;
	struct dirent *de;

	if (image_store_path(&b->store, p, sizeof(p), b->name, NULL) < 0 || !(d = opendir(p)))
		return;
	while ((de = readdir(d)))
		if (strncmp(de->d_name, ".tmp-", 5) == 0 && pathf(cmdpath, sizeof(cmdpath), "%s/%s", p, de->d_name) == 0)
			remove_tree(cmdpath);
	closedir(d);
}

/* The initrd's cache key: the ISO's and every PATCH initrd step with the
 * content of its diff, in order. 0 and OUT filled, 1 if there is none. */
static int initrd_key(struct build *b, uint8_t out[32])
{
	struct sha256_ctx *c = sha256_new();
	uint8_t d[32];
	int n = 0, r;

	if (!c)
		return -ENOMEM;
	sha256_str(c, CACHE_KEY_VERSION);
	sha256_str(c, "initrd");
	sha256_field(c, b->base_key, 32);
	sha256_str(c, b->layout.initrd);
	for (size_t i = 1; i < b->recipe->n_steps; i++) {
		const struct recipe_step *s = &b->recipe->steps[i];
		if (s->op != RECIPE_PATCH || s->patch_target != RECIPE_PATCH_INITRD)
			continue;
		if ((r = step_inputs_digest(s, b->recipe_dir, d)) < 0) {
			sha256_free(c);
			return r;
		}
		sha256_str(c, s->text);
		sha256_field(c, d, 32);
		n++;
	}
	sha256_final(c, out);
	return n ? 0 : 1;
}

static int prepare_initrd(struct build *b)
{
	const char *patches[RECIPE_MAX_STEPS];
	char top[PATH_MAX], work[PATH_MAX], tmp[PATH_MAX], in[PATH_MAX], hex[65], sub[128], err[512] = "";
	uint8_t key[32];
	size_t n = 0;
	struct stat st;
	double t0 = now_s();
	int r;

	if ((r = initrd_key(b, key)) < 0)
		return r;
	if (r == 1)
		return pathf(b->initrd, sizeof(b->initrd), "%s/%s", b->base_dir, b->layout.initrd);
	format_sha256_hex(hex, key);
	snprintf(sub, sizeof(sub), "layers/%s.initrd", hex);
	if ((r = image_store_cache_path(&b->store, b->initrd, sizeof(b->initrd), sub)) < 0)
		return r;
	if (!b->o->no_cache && stat(b->initrd, &st) == 0) {
		say(b, "PATCH initrd (cached)");
		return 0;
	}
	for (size_t i = 1; i < b->recipe->n_steps; i++) {
		const struct recipe_step *s = &b->recipe->steps[i];
		char *p;
		if (s->op != RECIPE_PATCH || s->patch_target != RECIPE_PATCH_INITRD)
			continue;
		if (!(p = malloc(PATH_MAX)) || recipe_path(p, PATH_MAX, b->recipe_dir, s->arg) < 0) {
			free(p);
			r = -ENOMEM;
			goto out;
		}
		patches[n++] = p;
	}
	say(b, "PATCH initrd: %zu patch(es) on %s", n, b->layout.initrd);
	if (image_store_cache_path(&b->store, top, sizeof(top), "tmp/initrd-XXXXXX") < 0 || !mkdtemp(top) ||
	    pathf(work, sizeof(work), "%s/root", top) < 0 || mkdir(work, 0755) < 0 ||
	    pathf(tmp, sizeof(tmp), "%s.tmp%d", b->initrd, (int)getpid()) < 0 ||
	    pathf(in, sizeof(in), "%s/%s", b->base_dir, b->layout.initrd) < 0) {
		r = -errno;
		goto out;
	}
	r = initrd_patch(in, tmp, patches, n, work, b->log_fd, err, sizeof(err));
	if (r == 0 && rename(tmp, b->initrd) < 0)
		r = -errno;
	remove_tree(top);
	unlink(tmp);
	if (r < 0)
		say(b, "%s: PATCH initrd: %s", b->o->recipe_path, err[0] ? err : strerror(-r));
	else
		say(b, "  done in %.1f s", now_s() - t0);
out:
	for (size_t i = 0; i < n; i++)
		free((char *)patches[i]);
	return r;
}

static int build_stack(struct build *b)
{
	size_t n_makes = 0, k = 0;
	int r;

	memcpy(b->top_key, b->base_key, 32);
	b->n_layers = 0;
	for (size_t i = 0; i < b->n_base; i++) {
		struct layer *l = &b->layers[b->n_layers++];
		memset(l, 0, sizeof(*l));
		l->step = -1;
		l->cached = true;
		format_sha256_hex(l->key, b->top_key);
		if (b->base_empty[i] ? pathf(l->path, sizeof(l->path), "%s", b->empty_layer) < 0
				     : pathf(l->path, sizeof(l->path), "%s/%s", b->base_dir, b->base_rel[i]) < 0)
			return -ENAMETOOLONG;
		struct stat st;
		if (stat(l->path, &st) == 0)
			l->bytes = (uint64_t)st.st_size;
	}
	for (size_t i = 1; i < b->recipe->n_steps; i++)
		n_makes += recipe_step_makes_layer(&b->recipe->steps[i]);
	for (size_t i = 1; i < b->recipe->n_steps; i++) {
		const struct recipe_step *s = &b->recipe->steps[i];
		if (s->op == RECIPE_CMDLINE) {
			size_t n = strlen(b->cmdline);
			snprintf(b->cmdline + n, sizeof(b->cmdline) - n, "%s%s", n ? " " : "", s->arg);
		} else if (recipe_step_makes_layer(s) && (r = add_layer_step(b, i, n_makes, &k)) < 0) {
			return r;
		}
	}
	if ((r = features_cmdline(b->recipe, b->layout.kind, b->cmdline, sizeof(b->cmdline))) < 0 ||
	    (r = add_features_layer(b)) < 0 || (r = prepare_initrd(b)) < 0)
		return r;
	return b->o->flatten ? flatten(b) : b->o->merge ? merge(b) : 0;
}

int image_check(const char *recipe_path)
{
	struct build_opts o = { .recipe_path = recipe_path };
	struct build *b = calloc(1, sizeof(*b));
	int r;

	if (!b)
		return -ENOMEM;
	b->o = &o;
	b->log_fd = -1;
	if ((r = read_recipe(b)) == 0 && (r = check_inputs(b)) == 0)
		printf("%s: ok (%zu instructions)\n", recipe_path, b->recipe->n_steps);
	recipe_free(b->recipe);
	free(b);
	return r;
}

int image_build(const struct build_opts *o)
{
	struct build *b = calloc(1, sizeof(*b));
	char p[PATH_MAX];
	int lock = -1, r;

	if (!b)
		return -ENOMEM;
	b->o = o;
	b->log_fd = -1;
	b->t_start = now_s();
	b->tty = isatty(STDOUT_FILENO);
	if ((r = read_recipe(b)) < 0 || (r = check_inputs(b)) < 0)
		goto out;
	if (o->name)
		copy_string(b->name, sizeof(b->name), o->name);
	else
		name_from_recipe(b);
	if (!image_name_valid(b->name)) {
		fprintf(stderr, "labboot: '%s' is not an image name (letters, digits, '.', '_', '-'); use --name\n", b->name);
		r = -EINVAL;
		goto out;
	}
	if ((r = image_store_init(&b->store, o->cfg->images_root)) < 0) {
		fprintf(stderr, "labboot: image store %s: %s\n", o->cfg->images_root, strerror(-r));
		goto out;
	}
	if ((lock = image_store_lock(&b->store, b->name)) < 0) {
		r = lock;
		goto out;
	}
	clean_leftovers(b);
	if ((r = image_store_path(&b->store, p, sizeof(p), b->name, NULL)) < 0 || (mkdir(p, 0755) < 0 && errno != EEXIST) ||
	    pathf(b->tmp_version, sizeof(b->tmp_version), "%s/.tmp-XXXXXX", p) < 0 || !mkdtemp(b->tmp_version) ||
	    chmod(b->tmp_version, 0755) < 0 || /* served over HTTP and NFS */
	    pathf(p, sizeof(p), "%s/build.log", b->tmp_version) < 0 ||
	    (b->log_fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0) {
		r = -errno;
		fprintf(stderr, "labboot: %s: %s\n", p, strerror(errno));
		goto out;
	}
	say(b, "building %s from %s", b->name, b->o->recipe_path);
	if ((r = prepare_base(b)) < 0 || (r = build_stack(b)) < 0)
		goto out;
	r = publish(b);
out:
	if (r < 0 && b->tmp_version[0])
		say(b, "nothing published");
	if (b->tmp_version[0])
		remove_tree(b->tmp_version);
	if (b->log_fd >= 0)
		close(b->log_fd);
	if (lock >= 0)
		close(lock);
	recipe_free(b->recipe);
	free(b);
	return r;
}
