#include "core/privs.h"
#include "core/log.h"
#include "core/util.h"

#include <errno.h>
#include <stdio.h>
#include <grp.h>
#include <pwd.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static const cap_value_t kept_caps[] = { CAP_NET_ADMIN, CAP_NET_RAW, CAP_NET_BIND_SERVICE };

static int keep_caps(void)
{
	cap_t caps = cap_init();
	int r = 0;

	if (!caps)
		return -ENOMEM;
	if (cap_set_flag(caps, CAP_PERMITTED, ARRAY_SIZE(kept_caps), kept_caps, CAP_SET) < 0 ||
	    cap_set_flag(caps, CAP_EFFECTIVE, ARRAY_SIZE(kept_caps), kept_caps, CAP_SET) < 0 ||
	    cap_set_proc(caps) < 0)
		r = -errno;
	cap_free(caps);
	return r;
}

static int chown_tree_top(const char *dir, uid_t uid, gid_t gid)
{
	char path[4096];
	static const char *const files[] = { "", "/labboot.db", "/labboot.db-wal", "/labboot.db-shm" };

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		snprintf(path, sizeof(path), "%s%s", dir, files[i]);
		if (chown(path, uid, gid) < 0 && errno != ENOENT)
			return -errno;
	}
	return 0;
}

int privs_drop(const char *user, const char *state_dir)
{
	struct passwd *pw;
	int r;

	if (!user)
		return 0;
	pw = getpwnam(user);
	if (pw && getuid() == pw->pw_uid && geteuid() == pw->pw_uid) {
		/* Started as the user with the capabilities it needs (systemd's
		 * User= and AmbientCapabilities=): nothing left to drop. */
		log_debug("privs: already running as %s (uid %u)", user, (unsigned)pw->pw_uid);
		return 0;
	}
	if (geteuid() != 0) {
		log_warn("privs: not root, cannot switch to user %s", user);
		return 0;
	}
	if (!pw) {
		log_err("privs: no user %s", user);
		return -ESRCH;
	}
	if ((r = chown_tree_top(state_dir, pw->pw_uid, pw->pw_gid)) < 0) {
		log_err("privs: cannot hand %s to %s: %s", state_dir, user, strerror(-r));
		return r;
	}
	/* Keep the permitted set across setuid, then reduce it to what we use. */
	if (prctl(PR_SET_KEEPCAPS, 1) < 0 || setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0) {
		r = -errno;
		log_err("privs: cannot become %s: %s", user, strerror(errno));
		return r;
	}
	if ((r = keep_caps()) < 0) {
		log_err("privs: cannot keep network capabilities: %s", strerror(-r));
		return r;
	}
	prctl(PR_SET_KEEPCAPS, 0);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	log_info("privs: running as %s (uid %u) with network capabilities only", user, (unsigned)pw->pw_uid);
	return 0;
}

void privs_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
		log_warn("limits: cannot read the open files limit: %s", strerror(errno));
		return;
	}
	if (rl.rlim_cur < rl.rlim_max) {
		rlim_t was = rl.rlim_cur;
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
			log_warn("limits: cannot raise the open files limit from %llu to %llu: %s",
				 (unsigned long long)was, (unsigned long long)rl.rlim_max, strerror(errno));
			return;
		}
	}
	log_info("limits: %llu open files", (unsigned long long)rl.rlim_cur);
}
