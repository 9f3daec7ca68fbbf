/* The build sandbox (see sandbox.h). Mount points live below the scratch
 * directory with short relative names, so a stack of many layers still fits
 * overlayfs's one-page option string. */
#include "image/sandbox.h"

#include "core/log.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/loop.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define SANDBOX_MAX_LOWERS 400        /* overlayfs allows 500 lower layers */
#define POLICY_RC_D "/usr/sbin/policy-rc.d"

/* The child must not outlive the process that forked it. */
static int die_with_parent(pid_t parent)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		return -errno;
	return getppid() == parent ? 0 : -ESRCH;
}

static int loop_attach(const char *file)
{
	_cleanup_close_ int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	_cleanup_close_ int ffd = open(file, O_RDONLY | O_CLOEXEC);

	if (ctl < 0 || ffd < 0)
		return -errno;
	for (int tries = 0; tries < 16; tries++) {
		struct loop_config cfg = { .fd = (uint32_t)ffd,
					   .info.lo_flags = LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR };
		char dev[32];
		int n = ioctl(ctl, LOOP_CTL_GET_FREE), lfd;

		if (n < 0)
			return -errno;
		snprintf(dev, sizeof(dev), "/dev/loop%d", n);
		if ((lfd = open(dev, O_RDONLY | O_CLOEXEC)) < 0)
			return -errno;
		if (ioctl(lfd, LOOP_CONFIGURE, &cfg) == 0)
			return lfd;
		close(lfd);
		if (errno != EBUSY)
			return -errno;
		/* another process took the free device between the two calls */
	}
	return -EBUSY;
}

static int mount_squashfs(const char *file, const char *target)
{
	char dev[64];
	int lfd = loop_attach(file), r = 0;

	if (lfd < 0)
		return lfd;
	snprintf(dev, sizeof(dev), "/proc/self/fd/%d", lfd);
	if (mkdir(target, 0755) < 0 && errno != EEXIST)
		r = -errno;
	else if (mount(dev, target, "squashfs", MS_RDONLY, NULL) < 0)
		r = -errno;
	close(lfd); /* the mount keeps the device; auto-clear frees it with the mount */
	return r;
}

/* lowerdir=l/TOP:...:l/0 (relative to the scratch directory, our cwd). */
static int lowerdir_option(size_t n, char *buf, size_t size)
{
	size_t off = 0;

	for (size_t i = n; i-- > 0;) {
		int k = snprintf(buf + off, size - off, "%sl/%zu", off ? ":" : "", i);
		if (k < 0 || (size_t)k >= size - off)
			return -E2BIG;
		off += (size_t)k;
	}
	return 0;
}

/* The bottom N layers (l/0 .. l/N-1) at TARGET, with SB's upper and work
 * directories when WITH_UPPER, else read-only. */
static int mount_layers(const struct sandbox *sb, size_t n, const char *target, bool with_upper)
{
	char opts[4096], lower[3500];
	int r;

	if (mkdir(target, 0755) < 0 && errno != EEXIST)
		return -errno;
	if (n == 1 && !with_upper)
		return mount("l/0", target, NULL, MS_BIND | MS_RDONLY, NULL) < 0 ? -errno : 0;
	if ((r = lowerdir_option(n, lower, sizeof(lower))) < 0)
		return r;
	if (with_upper)
		r = snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,workdir=%s,redirect_dir=off,index=off,metacopy=off,xino=off",
			     lower, sb->upper, sb->work);
	else
		r = snprintf(opts, sizeof(opts), "lowerdir=%s,redirect_dir=off,index=off,metacopy=off,xino=off", lower);
	if (r < 0 || (size_t)r >= sizeof(opts))
		return -E2BIG;
	return mount("overlay", target, "overlay", with_upper ? 0 : MS_RDONLY, opts) < 0 ? -errno : 0;
}

static int mount_stack(const struct sandbox *sb, const char *target, bool with_upper)
{
	return mount_layers(sb, sb->n_lowers, target, with_upper);
}

static int sandbox_child(const struct sandbox *sb, sandbox_fn fn, sandbox_after_fn after, void *userdata)
{
	char name[32];
	int r;

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	if (chdir(sb->scratch) < 0 || (mkdir("l", 0755) < 0 && errno != EEXIST))
		return -errno;
	for (size_t i = 0; i < sb->n_lowers; i++) {
		snprintf(name, sizeof(name), "l/%zu", i);
		if ((r = mount_squashfs(sb->lowers[i], name)) < 0) {
			log_err("sandbox: mounting %s: %s", sb->lowers[i], strerror(-r));
			return r;
		}
	}
	if ((r = mount_stack(sb, "root", sb->upper != NULL)) < 0) {
		log_err("sandbox: overlay: %s", strerror(-r));
		return r;
	}
	r = fn ? fn("root", userdata) : 0;
	if (umount2("root", MNT_DETACH) < 0 && r >= 0)
		r = -errno;
	if (r == 0 && after && sb->upper) {
		int ra = mount_stack(sb, "lower", false);
		if (ra == 0)
			ra = after(sb->upper, "lower", userdata);
		if (ra < 0)
			r = ra;
	}
	return r;
}

int sandbox_run(const struct sandbox *sb, sandbox_fn fn, sandbox_after_fn after, void *userdata)
{
	pid_t parent = getpid(), pid;
	int pfd[2], status, result = -EIO;

	if (sb->n_lowers == 0 || sb->n_lowers > SANDBOX_MAX_LOWERS)
		return -E2BIG;
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -errno;
	}
	if (pid == 0) {
		int r;
		close(pfd[0]);
		r = die_with_parent(parent);
		if (r == 0)
			r = sandbox_child(sb, fn, after, userdata);
		(void)!write(pfd[1], &r, sizeof(r));
		_exit(0);
	}
	close(pfd[1]);
	if (read(pfd[0], &result, sizeof(result)) != sizeof(result))
		result = -ECHILD; /* the child died without a word */
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return result;
}

/* ---- the chroot ------------------------------------------------------------ */

static int bind_dev_node(const char *root, const char *name)
{
	char host[64], target[PATH_MAX];
	int fd;

	pathf(host, sizeof(host), "/dev/%s", name);
	pathf(target, sizeof(target), "%s/dev/%s", root, name);
	if ((fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC, 0666)) < 0)
		return -errno;
	close(fd);
	return mount(host, target, NULL, MS_BIND, NULL) < 0 ? -errno : 0;
}

static int setup_dev(const char *root)
{
	static const char *const nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };
	static const char *const links[][2] = { { "/proc/self/fd", "fd" }, { "/proc/self/fd/0", "stdin" },
						{ "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
						{ "pts/ptmx", "ptmx" } };
	char p[PATH_MAX];
	int r;

	pathf(p, sizeof(p), "%s/dev", root);
	if (mount("tmpfs", p, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64m") < 0)
		return -errno;
	for (size_t i = 0; i < ARRAY_SIZE(nodes); i++)
		if ((r = bind_dev_node(root, nodes[i])) < 0)
			return r;
	for (size_t i = 0; i < ARRAY_SIZE(links); i++) {
		pathf(p, sizeof(p), "%s/dev/%s", root, links[i][1]);
		if (symlink(links[i][0], p) < 0)
			return -errno;
	}
	pathf(p, sizeof(p), "%s/dev/pts", root);
	if (mkdir(p, 0755) < 0 || mount("devpts", p, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620") < 0)
		return -errno;
	pathf(p, sizeof(p), "%s/dev/shm", root);
	if (mkdir(p, 01777) < 0 || mount("tmpfs", p, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
		return -errno;
	return 0;
}

static int mount_at(const char *root, const char *dir, const char *src, const char *type, unsigned long flags,
		    const char *opts)
{
	char p[PATH_MAX];

	pathf(p, sizeof(p), "%s%s", root, dir);
	if (mkdir(p, 0755) < 0 && errno != EEXIST)
		return -errno;
	return mount(src, p, type, flags, opts) < 0 ? -errno : 0;
}

/* Writes the host's resolv.conf to ROOT/REL ("run/systemd/resolve/..."),
 * creating the directories on the way (all on the /run tmpfs). */
static int copy_resolv_conf(const char *root, const char *rel)
{
	char p[PATH_MAX], buf[8192];
	_cleanup_close_ int in = open("/etc/resolv.conf", O_RDONLY | O_CLOEXEC), out = -1;
	ssize_t n;

	if (in < 0)
		return 0; /* the host has none either */
	pathf(p, sizeof(p), "%s/%s", root, rel);
	for (char *s = p + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if ((out = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
		return -errno;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			return -EIO;
	return n < 0 ? -errno : 0;
}

/* The build's name resolution: the host's resolv.conf bound over the
 * image's file, or written where the image's symlink points into /run
 * (systemd-resolved's stub), never left in a layer. */
static int setup_resolver(const char *root)
{
	char p[PATH_MAX], target[PATH_MAX];
	struct stat st;
	ssize_t n;

	pathf(p, sizeof(p), "%s/etc/resolv.conf", root);
	if (lstat(p, &st) == 0 && S_ISREG(st.st_mode))
		return mount("/etc/resolv.conf", p, NULL, MS_BIND | MS_RDONLY, NULL) < 0 ? -errno : 0;
	if (lstat(p, &st) == 0 && S_ISLNK(st.st_mode) && (n = readlink(p, target, sizeof(target) - 1)) > 0) {
		char *run;
		target[n] = '\0';
		if ((run = strstr(target, "run/")) && !strstr(run, ".."))
			return copy_resolv_conf(root, run);
	}
	return 0; /* no resolver in the image: commands that need one fail visibly */
}

static void exec_shell(const char *command)
{
	static char *const envp[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
				      "HOME=/root", "LANG=C.UTF-8", "DEBIAN_FRONTEND=noninteractive",
				      "TERM=dumb", NULL };
	char *argv[] = { "/bin/sh", "-c", (char *)command, NULL };

	execve("/bin/sh", argv, envp);
	fprintf(stderr, "labboot: /bin/sh in the image: %s\n", strerror(errno));
	_exit(127);
}

/* PID 1 of the step's PID namespace: mounts the API filesystems (proc must
 * be mounted from inside the new PID namespace), enters the root, runs the
 * shell and reaps orphans until it exits. */
static int step_init(const char *root, const char *command, int out_fd)
{
	pid_t sh;
	int status, r;

	if ((r = mount_at(root, "/proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)) < 0 ||
	    (r = mount_at(root, "/sys", "sysfs", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)) < 0 ||
	    (r = setup_dev(root)) < 0 ||
	    (r = mount_at(root, "/run", "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=256m")) < 0 ||
	    (r = setup_resolver(root)) < 0) {
		fprintf(stderr, "labboot: sandbox: %s\n", strerror(-r));
		return 126;
	}
	/* the step's own UTS namespace: a failure only leaves the host's name */
	if (sethostname("labboot-build", 13) < 0)
		fprintf(stderr, "labboot: sandbox: sethostname: %s\n", strerror(errno));
	if (chroot(root) < 0 || chdir("/") < 0)
		return 126;
	sh = fork();
	if (sh < 0)
		return 126;
	if (sh == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, 0);
		dup2(out_fd, 1);
		dup2(out_fd, 2);
		exec_shell(command);
	}
	for (;;) {
		pid_t p = wait(&status);
		if (p == sh)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		if (p < 0 && errno != EINTR)
			return 126;
	}
}

static int write_policy_rc_d(const char *root, bool *created)
{
	char p[PATH_MAX];
	int fd;

	pathf(p, sizeof(p), "%s" POLICY_RC_D, root);
	*created = false;
	if (access(p, F_OK) == 0)
		return 0;
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno; /* no /usr/sbin: nothing to keep from starting */
	(void)!write(fd, "#!/bin/sh\nexit 101\n", 19);
	close(fd);
	*created = true;
	return 0;
}

int sandbox_exec(const char *root, const char *command, int out_fd)
{
	char abs_root[PATH_MAX], p[PATH_MAX];
	pid_t parent = getpid(), pid;
	bool policy = false;
	int status, r;

	if (!realpath(root, abs_root))
		return -errno;
	if ((r = write_policy_rc_d(abs_root, &policy)) < 0)
		return r;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		/* A mount namespace of its own, so /proc, /dev, ... go with it. */
		if (die_with_parent(parent) < 0 || unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC) < 0)
			_exit(126);
		pid_t init = fork();
		if (init < 0)
			_exit(126);
		if (init == 0) {
			/* PID 1 of the new namespace sees its parent as 0 */
			if (die_with_parent(0) < 0)
				_exit(126);
			_exit(step_init(abs_root, command, out_fd));
		}
		while (waitpid(init, &status, 0) < 0 && errno == EINTR)
			;
		_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (policy) {
		pathf(p, sizeof(p), "%s" POLICY_RC_D, abs_root);
		unlink(p);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
