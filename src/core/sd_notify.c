/* sd_notify(3) protocol, sender side (see sd_notify.h). */
#include "core/sd_notify.h"
#include "core/util.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>

int sd_notify_address(const char *name, struct sockaddr_un *ret_addr)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len;

	if (!name || (name[0] != '/' && name[0] != '@') || name[1] == '\0')
		return -EINVAL;
	len = strlen(name);
	/* A path needs its NUL in sun_path; an abstract name is counted by length. */
	if (len > sizeof(sa.sun_path) - (name[0] == '/'))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, name, len);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	*ret_addr = sa;
	return (int)(offsetof(struct sockaddr_un, sun_path) + len + (name[0] == '/'));
}

int sd_notify_build_reloading(char *buf, size_t size, uint64_t monotonic_usec)
{
	int n = snprintf(buf, size, "RELOADING=1\nMONOTONIC_USEC=%llu", (unsigned long long)monotonic_usec);

	return n < 0 || (size_t)n >= size ? -ENOSPC : n;
}

int sd_notify_build_status(char *buf, size_t size, const char *text)
{
	int n = snprintf(buf, size, "STATUS=%s", text);

	if (n < 0 || (size_t)n >= size)
		return -ENOSPC;
	for (char *c = buf; *c; c++)
		if (*c == '\n')
			*c = ' ';
	return n;
}

int sd_notify_send(const char *state)
{
	const char *name = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	size_t len = strlen(state);
	int addr_len;

	if (!name)
		return 0;
	if ((addr_len = sd_notify_address(name, &sa)) < 0)
		return addr_len;
	if (len == 0 || len > SD_NOTIFY_MAX)
		return -EINVAL;
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (sendto(fd, state, len, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&sa, (socklen_t)addr_len) < 0)
		return -errno;
	return 1;
}

int sd_notify_ready(void)
{
	return sd_notify_send("READY=1");
}

int sd_notify_stopping(void)
{
	return sd_notify_send("STOPPING=1");
}

int sd_notify_reloading(void)
{
	char buf[64];
	struct timespec ts;
	int r;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		return -errno;
	r = sd_notify_build_reloading(buf, sizeof(buf), (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
	return r < 0 ? r : sd_notify_send(buf);
}

int sd_notify_status(const char *text)
{
	char buf[SD_NOTIFY_MAX + 1];
	int r = sd_notify_build_status(buf, sizeof(buf), text);

	return r < 0 ? r : sd_notify_send(buf);
}
