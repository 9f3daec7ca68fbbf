/* Step execution: COPY (Docker's rules for files and directories), RUN (in
 * the sandbox's chroot), PATCH rootfs (GNU patch -p1 on the merged tree), and
 * the trimming of the upper directory afterwards. */
#include "image/step_exec.h"

#include "core/log.h"
#include "core/util.h"
#include "image/cache_key.h"
#include "image/fsutil.h"
#include "image/sandbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#define COPY_MAX_DEPTH 64
#define XATTR_LIST_MAX_BYTES 65536

int recipe_path(char *buf, size_t size, const char *recipe_dir, const char *path)
{
	return path[0] == '/' ? pathf(buf, size, "%s", path) : pathf(buf, size, "%s/%s", recipe_dir, path);
}

/* ---- input digests ----------------------------------------------------- */

static int hash_file(struct sha256_ctx *c, const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	uint8_t buf[65536];
	ssize_t n;

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		sha256_update(c, buf, (size_t)n);
	return n < 0 ? -errno : 0;
}

static int hash_tree(struct sha256_ctx *c, const char *path, const char *rel, int depth)
{
	struct stat st;
	char link[PATH_MAX];
	ssize_t n;
	int r = 0;

	if (depth > COPY_MAX_DEPTH)
		return -ELOOP;
	if (lstat(path, &st) < 0)
		return -errno;
	sha256_str(c, rel);
	sha256_field(c, &(uint32_t){ (uint32_t)st.st_mode }, 4);
	if (S_ISREG(st.st_mode)) {
		sha256_field(c, &(uint64_t){ (uint64_t)st.st_size }, 8);
		return hash_file(c, path);
	}
	if (S_ISLNK(st.st_mode)) {
		if ((n = readlink(path, link, sizeof(link) - 1)) < 0)
			return -errno;
		sha256_field(c, link, (size_t)n);
		return 0;
	}
	if (!S_ISDIR(st.st_mode))
		return -EINVAL; /* devices and fifos are not copied from the host */
	char **names;
	int k = list_dir_sorted(path, &names);

	if (k < 0)
		return k;
	for (int i = 0; i < k && r == 0; i++) {
		char p[PATH_MAX], rp[PATH_MAX];
		if (pathf(p, sizeof(p), "%s/%s", path, names[i]) < 0 || pathf(rp, sizeof(rp), "%s/%s", rel, names[i]) < 0)
			r = -ENAMETOOLONG;
		else
			r = hash_tree(c, p, rp, depth + 1);
	}
	free_names(names, k);
	return r;
}

int step_inputs_digest(const struct recipe_step *s, const char *recipe_dir, uint8_t out[32])
{
	struct sha256_ctx *c;
	char p[PATH_MAX];
	int r = 0;

	if (s->op != RECIPE_COPY && s->op != RECIPE_PATCH)
		return 0;
	if (!(c = sha256_new()))
		return -ENOMEM;
	if (s->op == RECIPE_PATCH) {
		r = recipe_path(p, sizeof(p), recipe_dir, s->arg);
		if (r == 0)
			r = hash_tree(c, p, "patch", 0);
	}
	for (size_t i = 0; r == 0 && i < s->n_sources; i++) {
		r = recipe_path(p, sizeof(p), recipe_dir, s->sources[i]);
		if (r == 0)
			r = hash_tree(c, p, s->sources[i], 0);
	}
	if (r < 0) {
		sha256_free(c);
		return r;
	}
	sha256_final(c, out);
	return 1;
}

/* ---- COPY -------------------------------------------------------------- */

/* Looks NAME up in the image's passwd or group file (field 3: the id). */
static int lookup_id(const char *root, const char *file, const char *name, unsigned *ret)
{
	char p[PATH_MAX], line[1024];
	uint64_t v;
	FILE *f;
	int r = -ENOENT;

	if (parse_u64(name, 0, 0xfffffffe, &v) == 0) {
		*ret = (unsigned)v;
		return 0;
	}
	if (pathf(p, sizeof(p), "%s/etc/%s", root, file) < 0 || !(f = fopen(p, "re")))
		return -ENOENT;
	while (fgets(line, sizeof(line), f)) {
		char *save, *n = strtok_r(line, ":", &save), *pw, *id;
		if (!n || strcmp(n, name) || !(pw = strtok_r(NULL, ":", &save)) || !(id = strtok_r(NULL, ":", &save)))
			continue;
		if (parse_u64(id, 0, 0xfffffffe, &v) == 0) {
			*ret = (unsigned)v;
			r = 0;
		}
		break;
	}
	fclose(f);
	return r;
}

struct owner {
	uid_t uid;
	gid_t gid;
};

static int resolve_owner(const char *root, const char *spec, struct owner *o)
{
	char user[128], *colon;
	unsigned id;
	int r;

	o->uid = 0;
	o->gid = 0;
	if (!spec)
		return 0;
	if (copy_string(user, sizeof(user), spec) < 0)
		return -EINVAL;
	colon = strchr(user, ':');
	if (colon)
		*colon++ = '\0';
	if ((r = lookup_id(root, "passwd", user, &id)) < 0) {
		log_err("COPY --chown: no user '%s' in the image's /etc/passwd", user);
		return r;
	}
	o->uid = id;
	o->gid = id;
	if (colon && (r = lookup_id(root, "group", colon, &id)) < 0) {
		log_err("COPY --chown: no group '%s' in the image's /etc/group", colon);
		return r;
	}
	if (colon)
		o->gid = id;
	return 0;
}

struct copy_job {
	struct owner owner;
	bool has_chmod;
	mode_t chmod;
};

static int copy_file(const char *src, const char *dst, const struct stat *st, const struct copy_job *j)
{
	_cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC), out = -1;
	struct timespec times[2] = { st->st_atim, st->st_mtim };
	mode_t mode = j->has_chmod ? j->chmod : st->st_mode & 07777;
	uint8_t buf[1 << 16];
	ssize_t n;

	if (in < 0)
		return -errno;
	unlink(dst); /* replace, never write through a symlink in the image */
	if ((out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
		return -errno;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			return errno ? -errno : -EIO;
	if (n < 0 || fchown(out, j->owner.uid, j->owner.gid) < 0 || fchmod(out, mode) < 0 ||
	    futimens(out, times) < 0)
		return -errno;
	return 0;
}

static int copy_tree(const char *src, const char *dst, const struct copy_job *j, int depth);

static int copy_dir_contents(const char *src, const char *dst, const struct copy_job *j, int depth)
{
	DIR *d = opendir(src);
	struct dirent *de;
	int r = 0;

	if (!d)
		return -errno;
	while (r == 0 && (de = readdir(d))) {
		char s[PATH_MAX], t[PATH_MAX];
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (pathf(s, sizeof(s), "%s/%s", src, de->d_name) < 0 || pathf(t, sizeof(t), "%s/%s", dst, de->d_name) < 0)
			r = -ENAMETOOLONG;
		else
			r = copy_tree(s, t, j, depth + 1);
	}
	closedir(d);
	return r;
}

static int copy_tree(const char *src, const char *dst, const struct copy_job *j, int depth)
{
	struct stat st, dt;
	char link[PATH_MAX];
	ssize_t n;

	if (depth > COPY_MAX_DEPTH)
		return -ELOOP;
	if (lstat(src, &st) < 0)
		return -errno;
	if (S_ISREG(st.st_mode))
		return copy_file(src, dst, &st, j);
	if (S_ISLNK(st.st_mode)) {
		if ((n = readlink(src, link, sizeof(link) - 1)) < 0)
			return -errno;
		link[n] = '\0';
		unlink(dst);
		if (symlink(link, dst) < 0 || lchown(dst, j->owner.uid, j->owner.gid) < 0)
			return -errno;
		return 0;
	}
	if (!S_ISDIR(st.st_mode))
		return -EINVAL;
	if (lstat(dst, &dt) < 0) {
		if (mkdir(dst, 0700) < 0 || chown(dst, j->owner.uid, j->owner.gid) < 0 ||
		    chmod(dst, j->has_chmod ? (j->chmod | 0111) & 07777 : st.st_mode & 07777) < 0)
			return -errno;
	} else if (!S_ISDIR(dt.st_mode)) {
		return -ENOTDIR;
	}
	return copy_dir_contents(src, dst, j, depth);
}

/* mkdir -p inside the image, root-owned 0755 for what it creates. */
static int mkdir_in_image(const char *root, const char *path)
{
	char p[PATH_MAX];

	return pathf(p, sizeof(p), "%s%s", root, path) < 0 ? -ENAMETOOLONG : mkdir_all(p, 0755);
}

static bool is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Docker's COPY: several sources, or a DEST ending in '/', copy into the
 * directory DEST; a directory source copies its contents. */
static int do_copy(struct step_ctx *ctx, const char *root)
{
	const struct recipe_step *s = ctx->step;
	size_t dlen = strlen(s->dest);
	bool into_dir = s->n_sources > 1 || s->dest[dlen - 1] == '/';
	struct copy_job j = { .has_chmod = s->has_chmod, .chmod = s->chmod };
	char dst[PATH_MAX], src[PATH_MAX], parent[PATH_MAX];
	int r;

	if (strstr(s->dest, "/../") || (dlen >= 3 && strcmp(s->dest + dlen - 3, "/..") == 0))
		return -EINVAL;
	if ((r = resolve_owner(root, s->chown, &j.owner)) < 0)
		return r;
	for (size_t i = 0; i < s->n_sources; i++) {
		const char *base;
		if ((r = recipe_path(src, sizeof(src), ctx->recipe_dir, s->sources[i])) < 0)
			return r;
		base = strrchr(src, '/') ? strrchr(src, '/') + 1 : src;
		if (pathf(dst, sizeof(dst), "%s%s", root, s->dest) < 0)
			return -ENAMETOOLONG;
		if (is_dir(src) || into_dir || is_dir(dst)) {
			if ((r = mkdir_in_image(root, s->dest)) < 0)
				return r;
			if (!is_dir(src) && pathf(dst, sizeof(dst), "%s%s/%s", root, s->dest, base) < 0)
				return -ENAMETOOLONG;
		} else {
			if (pathf(parent, sizeof(parent), "%s", s->dest) < 0)
				return -ENAMETOOLONG;
			*strrchr(parent, '/') = '\0';
			if (parent[0] && (r = mkdir_in_image(root, parent)) < 0)
				return r;
		}
		if ((r = copy_tree(src, dst, &j, 0)) < 0) {
			log_err("COPY %s %s: %s", s->sources[i], s->dest, strerror(-r));
			return r;
		}
	}
	return 0;
}

/* ---- PATCH rootfs ------------------------------------------------------ */

static int do_patch(struct step_ctx *ctx, const char *root)
{
	char file[PATH_MAX];
	pid_t pid;
	int status, r;

	if ((r = recipe_path(file, sizeof(file), ctx->recipe_dir, ctx->step->arg)) < 0)
		return r;
	fflush(NULL);
	if ((pid = fork()) < 0)
		return -errno;
	if (pid == 0) {
		dup2(ctx->log_fd, 1);
		dup2(ctx->log_fd, 2);
		execlp("patch", "patch", "-p1", "--batch", "--forward", "--no-backup-if-mismatch", "-d", root, "-i",
		       file, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int run_step(const char *root, void *userdata)
{
	struct step_ctx *ctx = userdata;

	switch (ctx->step->op) {
	case RECIPE_RUN: return sandbox_exec(root, ctx->step->arg, ctx->log_fd);
	case RECIPE_COPY: return do_copy(ctx, root);
	case RECIPE_PATCH: return do_patch(ctx, root);
	default: return -EINVAL;
	}
}

/* ---- trimming the upper directory ------------------------------------- */

/* overlayfs bookkeeping that must not travel into a layer (the opaque marker
 * must: it is what hides a replaced directory's lower content). */
static void strip_overlay_xattrs(const char *path)
{
	static const char *const names[] = { "trusted.overlay.origin", "trusted.overlay.impure",
					     "trusted.overlay.nlink", "trusted.overlay.upper" };
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		lremovexattr(path, names[i]);
}

static bool same_xattrs(const char *a, const char *b)
{
	char la[XATTR_LIST_MAX_BYTES], lb[XATTR_LIST_MAX_BYTES];
	ssize_t na = llistxattr(a, la, sizeof(la)), nb = llistxattr(b, lb, sizeof(lb));

	if (na < 0 || nb < 0)
		return false;
	if (na == 0 && nb == 0)
		return true;
	/* Rare on the files a step rewrites; compare only when both have none. */
	return false;
}

static bool same_content(const char *a, const char *b, off_t size)
{
	_cleanup_close_ int fa = open(a, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	_cleanup_close_ int fb = open(b, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	static __thread uint8_t ba[1 << 16], bb[1 << 16];
	off_t done = 0;

	if (fa < 0 || fb < 0)
		return false;
	while (done < size) {
		ssize_t na = read(fa, ba, sizeof(ba)), nb;
		if (na <= 0)
			return false;
		nb = read(fb, bb, (size_t)na);
		if (nb != na || memcmp(ba, bb, (size_t)na))
			return false;
		done += na;
	}
	return true;
}

/* True if the upper entry says nothing the lower one does not. */
static bool unchanged(const char *up, const struct stat *us, const char *low)
{
	struct stat ls;
	char lu[PATH_MAX], ll[PATH_MAX];
	ssize_t a, b;

	if (lstat(low, &ls) < 0 || (us->st_mode & S_IFMT) != (ls.st_mode & S_IFMT) || us->st_mode != ls.st_mode ||
	    us->st_uid != ls.st_uid || us->st_gid != ls.st_gid || !same_xattrs(up, low))
		return false;
	if (S_ISLNK(us->st_mode)) {
		a = readlink(up, lu, sizeof(lu));
		b = readlink(low, ll, sizeof(ll));
		return a >= 0 && a == b && memcmp(lu, ll, (size_t)a) == 0;
	}
	return S_ISREG(us->st_mode) && us->st_nlink == 1 && us->st_size == ls.st_size &&
	       same_content(up, low, us->st_size);
}

static bool dir_is_empty(const char *p)
{
	DIR *d = opendir(p);
	struct dirent *de;
	bool empty = true;

	if (!d)
		return false;
	while (empty && (de = readdir(d)))
		empty = !strcmp(de->d_name, ".") || !strcmp(de->d_name, "..");
	closedir(d);
	return empty;
}

static int prune(const char *up, const char *low, uint64_t *pruned, int depth);

static int prune_dir(const char *up, const char *low, uint64_t *pruned, int depth)
{
	DIR *d = opendir(up);
	struct dirent *de;
	int r = 0;

	if (!d)
		return -errno;
	while (r == 0 && (de = readdir(d))) {
		char u[PATH_MAX], l[PATH_MAX];
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (pathf(u, sizeof(u), "%s/%s", up, de->d_name) < 0 || pathf(l, sizeof(l), "%s/%s", low, de->d_name) < 0)
			continue; /* too deep to compare: kept as it is */
		r = prune(u, l, pruned, depth + 1);
	}
	closedir(d);
	return r;
}

static int prune(const char *up, const char *low, uint64_t *pruned, int depth)
{
	struct stat us, ls;
	char opaque[4];
	int r;

	if (lstat(up, &us) < 0)
		return -errno;
	strip_overlay_xattrs(up);
	if (!S_ISDIR(us.st_mode)) {
		if (depth > 0 && unchanged(up, &us, low) && unlink(up) == 0)
			(*pruned)++;
		return 0;
	}
	if (depth > COPY_MAX_DEPTH * 4)
		return 0;
	if ((r = prune_dir(up, low, pruned, depth)) < 0)
		return r;
	/* A directory copied up only to hold children that turned out unchanged. */
	if (depth > 0 && lgetxattr(up, "trusted.overlay.opaque", opaque, sizeof(opaque)) < 0 && dir_is_empty(up) &&
	    lstat(low, &ls) == 0 && S_ISDIR(ls.st_mode) && us.st_mode == ls.st_mode && us.st_uid == ls.st_uid &&
	    us.st_gid == ls.st_gid && rmdir(up) == 0)
		(*pruned)++;
	return 0;
}

static int after_step(const char *upper, const char *lower, void *userdata)
{
	struct step_ctx *ctx = userdata;

	/* The sandbox is a child process: the count goes back through memory
	 * shared with the parent. */
	return prune(upper, lower, ctx->shared_pruned, 0);
}

int step_exec(struct step_ctx *ctx, const char *const *lowers, size_t n_lowers, const char *upper,
	      const char *work, const char *scratch)
{
	struct sandbox sb = { .lowers = lowers, .n_lowers = n_lowers, .upper = upper, .work = work, .scratch = scratch };
	char abs_up[PATH_MAX], abs_work[PATH_MAX];

	uint64_t *shared;
	int r;

	if (!realpath(upper, abs_up) || !realpath(work, abs_work))
		return -errno;
	sb.upper = abs_up;
	sb.work = abs_work;
	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		return -errno;
	*shared = 0;
	ctx->shared_pruned = shared;
	r = sandbox_run(&sb, run_step, after_step, ctx);
	ctx->pruned_files = *shared;
	ctx->shared_pruned = NULL;
	munmap(shared, sizeof(*shared));
	return r;
}
