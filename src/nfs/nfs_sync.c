/* Export file upkeep (see nfs_sync.h). */
#include "nfs/nfs_sync.h"

#include "core/config.h"
#include "core/log.h"
#include "core/util.h"
#include "image/fsutil.h"
#include "image/image_store.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NFS_MAX_EXPORTS 4096
#define NFS_FILE_MAX (NFS_MAX_EXPORTS * 512)

static void add_client(struct nfs_client *out, size_t *n, size_t max, struct in_addr addr, uint32_t mask)
{
	struct nfs_client c = { .net.s_addr = htonl(ntohl(addr.s_addr) & mask) };

	for (uint32_t m = mask; m; m <<= 1)
		c.prefix++;
	for (size_t i = 0; i < *n; i++)
		if (out[i].net.s_addr == c.net.s_addr && out[i].prefix == c.prefix)
			return;
	if (*n < max)
		out[(*n)++] = c;
}

int nfs_clients_of(const struct config *cfg, struct nfs_client *out, size_t max)
{
	size_t n = 0;

	if (cfg->nfs_clients) {
		char buf[1024], *w[NFS_MAX_CLIENTS];
		int k = split_words_copy(cfg->nfs_clients, buf, sizeof(buf), w, ARRAY_SIZE(w));
		for (int i = 0; i < k && n < max; i++)
			if (nfs_client_parse(w[i], &out[n]) == 0)
				n++;
		return (int)n;
	}
	for (size_t i = 0; i < cfg->n_pools; i++) {
		const struct pool *p = &cfg->pools[i];
		uint32_t mask = ntohl(p->params.netmask.s_addr ? p->params.netmask.s_addr : cfg->dhcp.netmask.s_addr);
		add_client(out, &n, max, p->start, mask);
	}
	if (cfg->address.s_addr)
		add_client(out, &n, max, cfg->address, ntohl(cfg->dhcp.netmask.s_addr));
	for (size_t i = 0; i < cfg->n_hosts; i++)
		for (size_t j = 0; j < cfg->hosts[i].n_nics; j++)
			if (cfg->hosts[i].nics[j].ip.s_addr)
				add_client(out, &n, max, cfg->hosts[i].nics[j].ip, ntohl(cfg->dhcp.netmask.s_addr));
	return (int)n;
}

int nfs_version_path(const struct config *cfg, const char *name, const char *version, char *buf, size_t size)
{
	char root[PATH_MAX];

	if (!realpath(cfg->images_root, root) && copy_string(root, sizeof(root), cfg->images_root) < 0)
		return -ENAMETOOLONG;
	return pathf(buf, size, "%s/%s/%s", root, name, version);
}

struct export_list {
	struct nfs_export e[NFS_MAX_EXPORTS];
	char *paths[NFS_MAX_EXPORTS];
	size_t n;
};

static void free_exports(struct export_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->paths[i]);
	free(l);
}

static bool id_taken(const struct export_list *l, uint16_t id)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->e[i].id == id)
			return true;
	return false;
}

static int add_export(struct export_list *l, const char *path, bool rw)
{
	uint16_t id = nfs_export_id(path);

	if (l->n == NFS_MAX_EXPORTS)
		return -E2BIG;
	if (!nfs_path_valid(path)) {
		log_warn("nfs: not exporting \"%s\": not a path NFS can export", path);
		return 0;
	}
	while (id_taken(l, id)) /* a hash collision: the next free id */
		id = id == UINT16_MAX ? 2 : (uint16_t)(id + 1);
	l->paths[l->n] = xstrdup(path);
	l->e[l->n] = (struct nfs_export){ .path = l->paths[l->n], .rw = rw, .id = id };
	l->n++;
	return 0;
}

static int add_versions(const struct config *cfg, struct export_list *l)
{
	struct image_store s;
	char **names = NULL, **versions, path[PATH_MAX];
	int n_names, r = 0;

	if (copy_string(s.root, sizeof(s.root), cfg->images_root) < 0)
		return -ENAMETOOLONG;
	if ((n_names = image_store_names(&s, &names)) < 0)
		return n_names == -ENOENT ? 0 : n_names;
	for (int i = 0; i < n_names && r == 0; i++) {
		int n_versions = image_store_versions(&s, names[i], &versions);
		for (int j = 0; j < n_versions && r == 0; j++)
			if ((r = nfs_version_path(cfg, names[i], versions[j], path, sizeof(path))) == 0)
				r = add_export(l, path, false);
		if (n_versions > 0)
			image_store_free_list(versions, n_versions);
	}
	image_store_free_list(names, n_names);
	return r;
}

int nfs_render_current(const struct config *cfg, char **ret)
{
	struct nfs_client clients[NFS_MAX_CLIENTS];
	struct export_list *l = calloc(1, sizeof(*l));
	enum nfs_backend b;
	char *text = NULL, home[PATH_MAX];
	int n_clients, r;

	if (!l)
		return -ENOMEM;
	if ((r = nfs_backend_parse(cfg->nfs_server, &b)) < 0 || (r = add_versions(cfg, l)) < 0)
		goto out;
	if (cfg->nfs_home) {
		if (mkdir_all(cfg->nfs_home, 0755) < 0 || !realpath(cfg->nfs_home, home))
			log_warn("nfs: [nfs] home %s: %m", cfg->nfs_home);
		else if ((r = add_export(l, home, true)) < 0)
			goto out;
	}
	if ((n_clients = nfs_clients_of(cfg, clients, ARRAY_SIZE(clients))) <= 0) {
		log_err("nfs: no client network to export to: set [nfs] clients");
		r = -EINVAL;
		goto out;
	}
	if (!(text = malloc(NFS_FILE_MAX))) {
		r = -ENOMEM;
		goto out;
	}
	r = nfs_exports_render(b, &(struct nfs_exports){ l->e, l->n, clients, (size_t)n_clients }, text, NFS_FILE_MAX);
out:
	free_exports(l);
	if (r < 0) {
		free(text);
		return r;
	}
	*ret = text;
	return 0;
}

/* The file's current content equals TEXT (a missing file equals nothing). */
static bool file_has(const char *path, const char *text)
{
	size_t n = strlen(text);
	_cleanup_free_ char *old = malloc(n + 2);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got;

	if (fd < 0 || !old)
		return false;
	got = read(fd, old, n + 1); /* one more byte: a longer file differs */
	return got == (ssize_t)n && memcmp(old, text, n) == 0;
}

static int write_atomic(const char *path, const char *text)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	size_t n = strlen(text);
	int fd, r = 0;

	if (pathf(tmp, sizeof(tmp), "%s.tmp-%d", path, (int)getpid()) < 0 || copy_string(dir, sizeof(dir), path) < 0)
		return -ENAMETOOLONG;
	if (strrchr(dir, '/')) {
		*strrchr(dir, '/') = '\0';
		if (dir[0] && (r = mkdir_all(dir, 0755)) < 0)
			return r;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
		return -errno;
	ssize_t w = write(fd, text, n);
	if (w != (ssize_t)n)
		r = w < 0 ? -errno : -EIO;
	else if (fsync(fd) < 0)
		r = -errno;
	close(fd);
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

/* A stale PID file may name another process by now: signal only Ganesha. */
static bool is_ganesha(long pid)
{
	char path[64], comm[32] = "";
	_cleanup_close_ int fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || (n = read(fd, comm, sizeof(comm) - 1)) <= 0)
		return false;
	comm[n] = '\0';
	return strncmp(comm, "ganesha.nfsd", 12) == 0;
}

static int reload_ganesha(const struct config *cfg)
{
	char buf[32] = "";
	_cleanup_close_ int fd = open(cfg->nfs_ganesha_pid, O_RDONLY | O_CLOEXEC);
	ssize_t got = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	long pid = got > 0 ? strtol(buf, NULL, 10) : 0;

	if (pid <= 1 || !is_ganesha(pid)) {
		log_info("nfs: Ganesha is not running (no ganesha.nfsd PID in %s); it reads the exports when it starts",
			 cfg->nfs_ganesha_pid);
		return 0;
	}
	if (kill((pid_t)pid, SIGHUP) < 0) {
		log_warn("nfs: cannot signal Ganesha (PID %ld from %s): %m", pid, cfg->nfs_ganesha_pid);
		return errno == ESRCH ? 0 : -errno;
	}
	log_info("nfs: Ganesha (PID %ld) reloads its exports", pid);
	return 0;
}

static int reload_kernel(void)
{
	char *argv[] = { "exportfs", "-ra", NULL };
	extern char **environ;
	pid_t pid;
	int status, r;

	if ((r = posix_spawnp(&pid, "exportfs", NULL, NULL, argv, environ)) != 0) {
		log_warn("nfs: cannot run exportfs -ra: %s", strerror(r));
		return -r;
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		log_warn("nfs: exportfs -ra failed (status %d)", status);
		return -EIO;
	}
	return 0;
}

int nfs_sync(const struct config *cfg, bool *changed)
{
	_cleanup_free_ char *text = NULL;
	enum nfs_backend b;
	int r;

	if (changed)
		*changed = false;
	if (nfs_backend_parse(cfg->nfs_server, &b) < 0 || b == NFS_BACKEND_NONE)
		return 0;
	if ((r = nfs_render_current(cfg, &text)) < 0)
		return r;
	if (file_has(cfg->nfs_exports, text))
		return 0;
	if ((r = write_atomic(cfg->nfs_exports, text)) < 0) {
		log_err("nfs: cannot write %s: %s", cfg->nfs_exports, strerror(-r));
		return r;
	}
	if (changed)
		*changed = true;
	log_info("nfs: wrote %s", cfg->nfs_exports);
	return b == NFS_BACKEND_GANESHA ? reload_ganesha(cfg) : reload_kernel();
}
