/* The squashfs packer and walker: a tree with every kind of entry (device
 * nodes, whiteouts, owners and trusted.* xattrs when root) packs, and the
 * walk gives back every attribute; packing is byte-for-byte deterministic
 * (twice, other worker counts, a copy of the tree); every compressor works;
 * third-party readers agree (unsquashfs extracts the same tree, sqfsdiff
 * finds no difference to gensquashfs's image of it); damaged images give
 * errors, not crashes; failures leave no output behind. */
#include "image/sqfs_pack.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#define MAX_SEEN 256

struct dir {
	char path[64];
	char tree[96];
	char img[96];
	bool root;
};

static void writef(const char *path, const void *data, size_t size, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, size), (ssize_t)size);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void pathf(char *buf, size_t size, const char *a, const char *b)
{
	assert_true(snprintf(buf, size, "%s/%s", a, b) < (int)size);
}

static int run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* The tree: regular files of several sizes (fragments, full blocks, a sparse
 * one, an empty one), a setuid file, a sticky directory, a symlink, hard
 * links across directories, a fifo, a socket, names that sort differently
 * bytewise than by locale, user.* xattrs; as root also owners, char and
 * block devices, an overlayfs whiteout (0/0), trusted.overlay.opaque and
 * security.capability. Fixed mtimes throughout. */
static void make_tree(const char *t, bool root)
{
	static uint8_t big[700000];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char p[256], q[256];
	int fd;

	umask(0);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)((i * 2654435761u) >> 13 ^ i / 4096);
	assert_int_equal(mkdir(t, 0755), 0);
	pathf(p, sizeof(p), t, "a");
	assert_int_equal(mkdir(p, 0750), 0);
	pathf(p, sizeof(p), t, "b");
	assert_int_equal(mkdir(p, 0755), 0);
	pathf(p, sizeof(p), t, "b/deep");
	assert_int_equal(mkdir(p, 0755), 0);
	pathf(p, sizeof(p), t, "b/deep/er");
	assert_int_equal(mkdir(p, 0700), 0);
	pathf(p, sizeof(p), t, "tmp");
	assert_int_equal(mkdir(p, 01777), 0);
	assert_int_equal(chmod(p, 01777), 0);

	pathf(p, sizeof(p), t, "a/big");
	writef(p, big, sizeof(big), 0644);
	pathf(p, sizeof(p), t, "a/small");
	writef(p, "hello\n", 6, 0600);
	pathf(p, sizeof(p), t, "a/small-dup"); /* same tail end: deduplicated */
	writef(p, "hello\n", 6, 0644);
	pathf(p, sizeof(p), t, "a/empty");
	writef(p, "", 0, 0644);
	pathf(p, sizeof(p), t, "a/suid");
	writef(p, "#!/bin/sh\n", 10, 04755);
	pathf(p, sizeof(p), t, "b/deep/er/leaf");
	writef(p, big, 131072, 0444); /* exactly one block */
	assert_int_equal(chmod(p, 0444), 0);

	pathf(p, sizeof(p), t, "sparse");
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "x", 1, 3 << 20), 1);
	close(fd);

	pathf(p, sizeof(p), t, "a/big");
	pathf(q, sizeof(q), t, "b/hardlink");
	assert_int_equal(link(p, q), 0);
	pathf(q, sizeof(q), t, "hardlink2");
	assert_int_equal(link(p, q), 0);

	pathf(p, sizeof(p), t, "link");
	assert_int_equal(symlink("a/big", p), 0);
	pathf(p, sizeof(p), t, "dangling");
	assert_int_equal(symlink("/nonexistent/target", p), 0);
	pathf(p, sizeof(p), t, "fifo");
	assert_int_equal(mkfifo(p, 0640), 0);

	pathf(p, sizeof(p), t, "sock");
	assert_true(strlen(p) < sizeof(sa.sun_path));
	strcpy(sa.sun_path, p);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);

	/* Bytewise: "B" < "_" < "a" < "\xc3\xa9". */
	pathf(p, sizeof(p), t, "B");
	writef(p, "B", 1, 0644);
	pathf(p, sizeof(p), t, "_");
	writef(p, "_", 1, 0644);
	pathf(p, sizeof(p), t, "\xc3\xa9t\xc3\xa9");
	writef(p, "summer", 6, 0644);

	pathf(p, sizeof(p), t, "a/small");
	assert_int_equal(setxattr(p, "user.comment", "hi there", 8, 0), 0);
	assert_int_equal(setxattr(p, "user.empty", "", 0, 0), 0);
	pathf(p, sizeof(p), t, "a/big");
	assert_int_equal(setxattr(p, "user.mime_type", "application/octet-stream", 24, 0), 0);

	if (root) {
		/* VFS_CAP_REVISION_2, cap_net_bind_service permitted+effective. */
		static const uint8_t cap[20] = { 0x01, 0x00, 0x00, 0x02, 0x00, 0x04 };

		pathf(p, sizeof(p), t, "a/suid");
		assert_int_equal(chown(p, 0, 0), 0);
		assert_int_equal(chmod(p, 04755), 0); /* chown drops setuid */
		assert_int_equal(setxattr(p, "security.capability", cap, sizeof(cap), 0), 0);
		pathf(p, sizeof(p), t, "b");
		assert_int_equal(setxattr(p, "trusted.overlay.opaque", "y", 1, 0), 0);
		assert_int_equal(chown(p, 1000, 1000), 0);
		pathf(p, sizeof(p), t, "a/small");
		assert_int_equal(chown(p, 65534, 100), 0);
		assert_int_equal(setxattr(p, "trusted.x", "1", 1, 0), 0);
		pathf(p, sizeof(p), t, "link");
		assert_int_equal(lchown(p, 4242, 4343), 0);
		pathf(p, sizeof(p), t, "null");
		assert_int_equal(mknod(p, S_IFCHR | 0666, makedev(1, 3)), 0);
		pathf(p, sizeof(p), t, "loop0");
		assert_int_equal(mknod(p, S_IFBLK | 0660, makedev(7, 300)), 0);
		pathf(p, sizeof(p), t, "big-dev");
		assert_int_equal(mknod(p, S_IFCHR | 0600, makedev(4000, 1000000)), 0);
		pathf(p, sizeof(p), t, "b/gone"); /* overlayfs whiteout */
		assert_int_equal(mknod(p, S_IFCHR | 0000, makedev(0, 0)), 0);
		pathf(p, sizeof(p), t, "b/gone");
		assert_int_equal(setxattr(p, "trusted.overlay.whiteout", "", 0, 0), 0);
	}
	/* Fixed times, leaves first so directories keep theirs. */
	assert_int_equal(run("cd '%s' && find . -depth -exec touch -h -d @1700000000 {} +", t), 0);
	pathf(p, sizeof(p), t, "a/big");
	assert_int_equal(utimensat(AT_FDCWD, p, (struct timespec[]){ { 0, 0 }, { 1234567890, 0 } }, 0), 0);
	pathf(p, sizeof(p), t, "link");
	assert_int_equal(utimensat(AT_FDCWD, p, (struct timespec[]){ { 0, 0 }, { 1600000000, 0 } },
				   AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(utimensat(AT_FDCWD, t, (struct timespec[]){ { 0, 0 }, { 1750000000, 0 } }, 0), 0);
}

static int setup(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));

	snprintf(d->path, sizeof(d->path), "/tmp/labboot-test-sqfs.XXXXXX");
	assert_non_null(mkdtemp(d->path));
	pathf(d->tree, sizeof(d->tree), d->path, "tree");
	pathf(d->img, sizeof(d->img), d->path, "img.sqfs");
	d->root = geteuid() == 0;
	make_tree(d->tree, d->root);
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	struct dir *d = *state;

	assert_int_equal(run("rm -rf '%s'", d->path), 0);
	free(d);
	return 0;
}

/* ---- checking a walk against the tree on disk ---------------------------- */

static void sha256_file(const char *path, uint8_t out[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t buf[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(EVP_DigestInit_ex(md, EVP_sha256(), NULL), 1);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		assert_int_equal(EVP_DigestUpdate(md, buf, (size_t)n), 1);
	assert_int_equal(n, 0);
	assert_int_equal(EVP_DigestFinal_ex(md, out, NULL), 1);
	EVP_MD_CTX_free(md);
	close(fd);
}

struct seen {
	char path[MAX_SEEN][256];
	uint64_t ino[MAX_SEEN];
	size_t n;
	size_t xattrs;
	const char *tree;
	bool hashed;
};

/* Compares E with what lstat and l*xattr say of the same path in the tree. */
static int check_entry(const struct sqfs_entry *e, const uint8_t *sha, void *userdata)
{
	struct seen *s = userdata;
	char p[512], names[4096];
	struct stat st;
	ssize_t len;
	unsigned n_x = 0;

	assert_true(s->n < MAX_SEEN);
	snprintf(s->path[s->n], sizeof(s->path[0]), "%s", e->path);
	s->ino[s->n++] = e->ino;
	snprintf(p, sizeof(p), "%s%s", s->tree, strcmp(e->path, "/") ? e->path : "");
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(e->mode, st.st_mode);
	assert_int_equal(e->uid, st.st_uid);
	assert_int_equal(e->gid, st.st_gid);
	assert_int_equal(e->mtime, st.st_mtim.tv_sec);
	if (S_ISREG(st.st_mode)) {
		assert_int_equal(e->size, st.st_size);
		assert_int_equal(sha != NULL, s->hashed);
		if (sha) {
			uint8_t want[32];

			sha256_file(p, want);
			assert_memory_equal(sha, want, 32);
		}
	} else {
		assert_null(sha);
	}
	if (S_ISLNK(st.st_mode)) {
		char target[256];
		ssize_t tl = readlink(p, target, sizeof(target) - 1);

		assert_true(tl > 0);
		target[tl] = '\0';
		assert_non_null(e->link_target);
		assert_string_equal(e->link_target, target);
	} else {
		assert_null(e->link_target);
	}
	if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
		assert_int_equal(e->rdev_major, major(st.st_rdev));
		assert_int_equal(e->rdev_minor, minor(st.st_rdev));
	}
	len = llistxattr(p, names, sizeof(names));
	assert_true(len >= 0);
	for (ssize_t i = 0; i < len; i += (ssize_t)strlen(names + i) + 1) {
		uint8_t want[256];
		ssize_t vl = lgetxattr(p, names + i, want, sizeof(want));
		unsigned j;

		if (!strncmp(names + i, "system.", 7))
			continue;
		n_x++;
		for (j = 0; j < e->n_xattrs && strcmp(e->xattrs[j].key, names + i); j++)
			;
		assert_true(j < e->n_xattrs);
		assert_int_equal(e->xattrs[j].size, vl);
		assert_memory_equal(e->xattrs[j].value, want, (size_t)vl);
	}
	assert_int_equal(e->n_xattrs, n_x);
	s->xattrs += n_x;
	return 0;
}

static size_t seen_index(const struct seen *s, const char *path)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->path[i], path))
			return i;
	fail_msg("%s not in the image", path);
	return 0;
}

/* Parents before children, siblings in bytewise order: each path sorts after
 * the one before it when '/' sorts first. */
static int path_cmp(const char *a, const char *b)
{
	for (; *a && *a == *b; a++, b++)
		;
	if (*a == *b)
		return 0;
	if (*a == '/' || !*a)
		return *b ? -1 : 1;
	if (*b == '/' || !*b)
		return 1;
	return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
}

/* Walks IMG and checks it against TREE (the original, or a copy that some
 * tool extracted from IMG). */
static void check_walk(const struct dir *d, const char *tree, const char *img, bool hash)
{
	static struct seen s;
	char out[256];
	FILE *f;
	size_t n_tree = 0;

	memset(&s, 0, sizeof(s));
	s.tree = tree;
	s.hashed = hash;
	assert_int_equal(sqfs_walk(img, hash, check_entry, &s), 0);

	/* Every entry of the tree, once. */
	snprintf(out, sizeof(out), "find '%s' | wc -l", tree);
	f = popen(out, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%zu", &n_tree), 1);
	pclose(f);
	assert_int_equal(s.n, n_tree);
	assert_string_equal(s.path[0], "/");
	for (size_t i = 1; i < s.n; i++)
		assert_true(path_cmp(s.path[i - 1], s.path[i]) < 0);

	/* Hard links share one inode, nothing else does. */
	assert_int_equal(s.ino[seen_index(&s, "/a/big")], s.ino[seen_index(&s, "/b/hardlink")]);
	assert_int_equal(s.ino[seen_index(&s, "/a/big")], s.ino[seen_index(&s, "/hardlink2")]);
	for (size_t i = 0; i < s.n; i++)
		for (size_t j = i + 1; j < s.n; j++)
			if (s.ino[i] == s.ino[j])
				assert_true(strstr("/a/big /b/hardlink /hardlink2", s.path[i]) &&
					    strstr("/a/big /b/hardlink /hardlink2", s.path[j]));
	/* user.comment, user.empty, user.mime_type on three names of a/big;
	 * as root also security.capability, trusted.x, trusted.overlay.opaque
	 * and the whiteout's empty trusted.overlay.whiteout. */
	assert_int_equal(s.xattrs, d->root ? 9 : 5);
}

static void pack(const char *tree, const char *img, const char *comp, unsigned workers,
		 struct sqfs_pack_stats *stats)
{
	struct sqfs_pack_opts o = { .compressor = comp, .workers = workers };

	assert_int_equal(sqfs_pack_dir(tree, img, &o, stats), 0);
}

/* ---- tests ---------------------------------------------------------------- */

static void roundtrip(void **state)
{
	struct dir *d = *state;
	struct sqfs_pack_stats st;
	struct stat sb;

	pack(d->tree, d->img, NULL, 0, &st);
	assert_int_equal(stat(d->img, &sb), 0);
	assert_int_equal(st.bytes_out, sb.st_size);
	assert_int_equal(sb.st_size % 4096, 0);
	/* Three names of big count once; sparse is read as its 3 MiB. */
	assert_int_equal(st.bytes_in, 700000 + 6 + 6 + 10 + 131072 + (3 << 20) + 1 + 1 + 1 + 6);
	check_walk(d, d->tree, d->img, true);
	check_walk(d, d->tree, d->img, false);
}

static void deterministic(void **state)
{
	struct dir *d = *state;
	char img2[128], img3[128], copy[128];

	pathf(img2, sizeof(img2), d->path, "img2.sqfs");
	pathf(img3, sizeof(img3), d->path, "img3.sqfs");
	pathf(copy, sizeof(copy), d->path, "copy");
	pack(d->tree, d->img, "zstd", 2, NULL);
	pack(d->tree, img2, "zstd", 2, NULL);
	assert_int_equal(run("cmp -s '%s' '%s'", d->img, img2), 0);
	pack(d->tree, img2, "zstd", 1, NULL);
	assert_int_equal(run("cmp -s '%s' '%s'", d->img, img2), 0);
	/* Another directory, other inode numbers and readdir order. */
	assert_int_equal(run("cp -a '%s' '%s'", d->tree, copy), 0);
	pack(copy, img3, "zstd", 3, NULL);
	assert_int_equal(run("cmp -s '%s' '%s'", d->img, img3), 0);
}

static void compressors(void **state)
{
	struct dir *d = *state;
	static const char *const names[] = { "xz", "zstd", "gzip", "lz4" };
	struct sqfs_pack_stats st[4];

	for (size_t i = 0; i < 4; i++) {
		pack(d->tree, d->img, names[i], 2, &st[i]);
		check_walk(d, d->tree, d->img, true);
		assert_int_equal(run("unsquashfs -s '%s' | grep -q 'Compression %s'", d->img, names[i]), 0);
	}
	assert_true(st[0].bytes_out < st[3].bytes_out); /* xz packs tighter than lz4 */
}

/* unsquashfs (squashfs-tools, the kernel's reference) extracts our image;
 * the extracted tree matches the original entry for entry. */
static void unsquashfs_agrees(void **state)
{
	struct dir *d = *state;
	char out[128], listing[160];

	pack(d->tree, d->img, "xz", 2, NULL);
	pathf(out, sizeof(out), d->path, "extracted");
	pathf(listing, sizeof(listing), d->path, "listing");
	assert_int_equal(run("unsquashfs -lln '%s' > '%s'", d->img, listing), 0);
	assert_int_equal(run("grep -q 'lrwxrwxrwx .*squashfs-root/link -> a/big' '%s'", listing), 0);
	assert_int_equal(run("grep -q '^srw.* squashfs-root/sock$' '%s'", listing), 0);
	if (d->root) {
		assert_int_equal(run("grep -q '^crw-rw-rw- 0/0 *1, *3 .*squashfs-root/null' '%s'", listing), 0);
		assert_int_equal(run("grep -q '^c--------- 0/0 *0, *0 .*squashfs-root/b/gone' '%s'", listing), 0);
		assert_int_equal(run("grep -q '^-rwsr-xr-x 0/0 .*squashfs-root/a/suid' '%s'", listing), 0);
	}
	assert_int_equal(run("unsquashfs -q -n -d '%s' '%s' >/dev/null", out, d->img), 0);
	/* Owners, modes, times, sizes, targets, device numbers and xattrs of
	 * what unsquashfs made, entry by entry, against our walk of the image
	 * (which roundtrip checked against the original). Not as a user:
	 * unsquashfs then keeps neither owners nor setuid bits. */
	if (!d->root)
		return;
	check_walk(d, out, d->img, true);
	assert_int_equal(run("test \"$(stat -c %%i '%s/a/big')\" = \"$(stat -c %%i '%s/b/hardlink')\"",
				     out, out), 0);
}

/* sqfsdiff compares contents, owners, permissions, timestamps and inode
 * types of our image with gensquashfs's image of the same tree. Two things
 * gensquashfs does differently are evened out first: it drops xattrs with
 * empty values (so the whiteout's inode would be basic there, extended
 * here), and it gives the root the mtime and owner of its -d defaults. */
static void sqfsdiff_agrees(void **state)
{
	struct dir *d = *state;
	char gen[128], p[256], defaults[64];

	pathf(gen, sizeof(gen), d->path, "gen.sqfs");
	pathf(p, sizeof(p), d->tree, "a/small");
	assert_int_equal(removexattr(p, "user.empty"), 0);
	if (d->root) {
		pathf(p, sizeof(p), d->tree, "b/gone");
		assert_int_equal(removexattr(p, "trusted.overlay.whiteout"), 0);
	}
	pack(d->tree, d->img, "zstd", 2, NULL);
	snprintf(defaults, sizeof(defaults), "mtime=1750000000,uid=%u,gid=%u", getuid(), getgid());
	assert_int_equal(run("gensquashfs -q -c zstd -j 2 -k -x -d %s -D '%s' '%s'", defaults, d->tree, gen),
			 0);
	assert_int_equal(run("sqfsdiff -T -a '%s' -b '%s'", gen, d->img), 0);
	/* And it does see a difference when there is one. */
	assert_int_equal(run("touch -h -d @1 '%s/B' && gensquashfs -q -f -c zstd -k -x -d %s -D '%s' '%s'",
			     d->tree, defaults, d->tree, gen), 0);
	assert_int_not_equal(run("sqfsdiff -T -a '%s' -b '%s' >/dev/null", gen, d->img), 0);
}

static int count_entry(const struct sqfs_entry *e, const uint8_t *sha, void *userdata)
{
	(*(size_t *)userdata)++;
	return 0;
}

static int stop_at_three(const struct sqfs_entry *e, const uint8_t *sha, void *userdata)
{
	return ++*(size_t *)userdata == 3 ? -ECANCELED : 0;
}

/* Truncated, garbage and bit-flipped images: an error or (for a flip that
 * hit padding or data nobody reads without hashing) success; never a crash,
 * which ASan/UBSan builds make sure of. */
static void damaged_images(void **state)
{
	struct dir *d = *state;
	char bad[128];
	struct stat sb;
	size_t n = 0;
	uint8_t *img;
	int fd;

	pack(d->tree, d->img, "gzip", 1, NULL);
	assert_int_equal(stat(d->img, &sb), 0);
	img = malloc((size_t)sb.st_size);
	fd = open(d->img, O_RDONLY);
	assert_int_equal(read(fd, img, (size_t)sb.st_size), sb.st_size);
	close(fd);
	pathf(bad, sizeof(bad), d->path, "bad.sqfs");

	assert_int_equal(sqfs_walk(d->img, false, stop_at_three, &n), -ECANCELED);
	assert_int_equal(n, 3);
	assert_int_equal(sqfs_walk(bad, false, count_entry, &n), -ENOENT);

	/* Truncated anywhere: no superblock, missing tables. */
	for (size_t len = 0; len < (size_t)sb.st_size - 4096; len += len < 200 ? 37 : 4001) {
		writef(bad, img, len, 0644);
		assert_true(sqfs_walk(bad, true, count_entry, &n) < 0);
	}
	/* Garbage with a valid magic. */
	for (unsigned seed = 1; seed < 20; seed++) {
		uint8_t junk[8192];

		srand(seed);
		for (size_t i = 0; i < sizeof(junk); i++)
			junk[i] = (uint8_t)rand();
		memcpy(junk, "hsqs", 4);
		writef(bad, junk, sizeof(junk), 0644);
		assert_true(sqfs_walk(bad, true, count_entry, &n) < 0);
	}
	/* Single flipped bytes, everywhere in the metadata and some data. */
	srand(42);
	for (unsigned i = 0; i < 600; i++) {
		size_t off = i < 400 ? (size_t)sb.st_size - 1 - (size_t)rand() % 12000 : (size_t)rand() % (size_t)sb.st_size;
		uint8_t old = img[off];
		int r;

		img[off] ^= (uint8_t)(1u << (rand() % 8));
		writef(bad, img, (size_t)sb.st_size, 0644);
		r = sqfs_walk(bad, true, count_entry, &n);
		assert_true(r == 0 || (r < 0 && r >= -4095));
		img[off] = old;
	}
	free(img);
}

static void progress_cb(void *userdata, uint64_t done)
{
	uint64_t *last = userdata;

	assert_true(done >= *last);
	*last = done;
}

/* Failures return -errno and leave nothing claiming to be an image. */
static void errors(void **state)
{
	struct dir *d = *state;
	struct sqfs_pack_opts o = { 0 };
	struct sqfs_pack_stats st;
	uint64_t last = 0;
	char p[256];

	assert_int_equal(sqfs_pack_dir("/nonexistent", d->img, NULL, NULL), -ENOENT);
	assert_int_equal(access(d->img, F_OK), -1);
	o.compressor = "lzma";
	assert_int_equal(sqfs_pack_dir(d->tree, d->img, &o, NULL), -EINVAL);
	o.compressor = NULL;
	o.block_size = 100000;
	assert_int_equal(sqfs_pack_dir(d->tree, d->img, &o, NULL), -EINVAL);
	o.block_size = 0;
	assert_int_equal(sqfs_pack_dir(d->tree, "/nonexistent/dir/x.sqfs", &o, NULL), -ENOENT);
	/* The image inside the tree it packs. */
	pathf(p, sizeof(p), d->tree, "self.sqfs");
	writef(p, "", 0, 0644);
	assert_int_equal(sqfs_pack_dir(d->tree, p, &o, NULL), -EINVAL);
	assert_int_equal(access(p, F_OK), -1);
	/* Unreadable file (as root, mode bits do not stop us: skip). */
	if (!d->root) {
		pathf(p, sizeof(p), d->tree, "a/small");
		assert_int_equal(chmod(p, 0), 0);
		assert_int_equal(sqfs_pack_dir(d->tree, d->img, &o, NULL), -EACCES);
		assert_int_equal(access(d->img, F_OK), -1);
		assert_int_equal(chmod(p, 0600), 0);
	}
	/* Progress: non-decreasing, ending at the bytes read. */
	o.progress = progress_cb;
	o.userdata = &last;
	assert_int_equal(sqfs_pack_dir(d->tree, d->img, &o, &st), 0);
	assert_int_equal(last, st.bytes_in);
	assert_int_equal(st.inodes, d->root ? 24 : 20); /* entries, less 2 for the hard links */
}

/* LEVELS nested directories named NAME_LEN times 'd' below BASE (made with
 * *at() calls: no path of that length is ever spelled out). */
static void make_deep(const char *base, unsigned levels, size_t name_len)
{
	char name[256];
	int fd;

	memset(name, 'd', name_len);
	name[name_len] = '\0';
	assert_int_equal(mkdir(base, 0755), 0);
	fd = open(base, O_RDONLY | O_DIRECTORY);
	for (unsigned i = 0; i < levels; i++) {
		int sub;

		assert_int_equal(mkdirat(fd, name, 0755), 0);
		sub = openat(fd, name, O_RDONLY | O_DIRECTORY);
		assert_true(sub >= 0);
		close(fd);
		fd = sub;
	}
	close(fd);
}

/* Depth and path-length caps hold on packing. */
static void caps(void **state)
{
	struct dir *d = *state;
	char deep[128];

	pathf(deep, sizeof(deep), d->path, "deep");
	make_deep(deep, SQFS_PACK_MAX_DEPTH + 1, 1);
	assert_int_equal(sqfs_pack_dir(deep, d->img, NULL, NULL), -ELOOP);
	assert_int_equal(access(d->img, F_OK), -1);
	assert_int_equal(run("rm -rf '%s'", deep), 0);
	make_deep(deep, SQFS_PACK_MAX_DEPTH, 1); /* just fits */
	assert_int_equal(sqfs_pack_dir(deep, d->img, NULL, NULL), 0);
	assert_int_equal(run("rm -rf '%s'", deep), 0);
	make_deep(deep, 18, 250);
	assert_int_equal(sqfs_pack_dir(deep, d->img, NULL, NULL), -ENAMETOOLONG);
	assert_int_equal(run("rm -rf '%s'", deep), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(deterministic, setup, teardown),
		cmocka_unit_test_setup_teardown(compressors, setup, teardown),
		cmocka_unit_test_setup_teardown(unsquashfs_agrees, setup, teardown),
		cmocka_unit_test_setup_teardown(sqfsdiff_agrees, setup, teardown),
		cmocka_unit_test_setup_teardown(damaged_images, setup, teardown),
		cmocka_unit_test_setup_teardown(errors, setup, teardown),
		cmocka_unit_test_setup_teardown(caps, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
