/* Control socket (see control.h). Requests are tiny and rare: at most a
 * few connections are kept, each read without blocking the loop. */
#include "daemon/control.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define CONTROL_MAX_CONNS 4
#define CONTROL_LINE_MAX 256

struct control_conn {
	struct control *ctl;
	int fd;
	char line[CONTROL_LINE_MAX];
	size_t len;
};

struct control {
	struct loop *loop;
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	control_fn fn;
	void *userdata;
	struct control_conn *conns[CONTROL_MAX_CONNS];
	size_t next_victim;
};

static int socket_address(const char *state_dir, struct sockaddr_un *sa)
{
	*sa = (struct sockaddr_un){ .sun_family = AF_UNIX };
	return pathf(sa->sun_path, sizeof(sa->sun_path), "%s/%s", state_dir, CONTROL_SOCKET);
}

static void conn_close(struct control_conn *cn)
{
	struct control *ctl = cn->ctl;

	for (size_t i = 0; i < CONTROL_MAX_CONNS; i++)
		if (ctl->conns[i] == cn)
			ctl->conns[i] = NULL;
	loop_del_fd(ctl->loop, cn->fd);
	close(cn->fd);
	free(cn);
}

static void reply(struct control_conn *cn, int r, const char *detail, size_t len)
{
	const char *head = r == 0 ? "ok\n" : "error\n";

	/* a reply is a few lines: the socket buffer takes it without waiting */
	(void)!send(cn->fd, head, strlen(head), MSG_NOSIGNAL | MSG_DONTWAIT);
	if (len)
		(void)!send(cn->fd, detail, len, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void run(struct control_conn *cn)
{
	char *detail = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&detail, &len);
	int r;

	cn->line[strcspn(cn->line, "\r\n")] = '\0';
	if (!out) {
		reply(cn, -ENOMEM, "out of memory\n", 14);
		return;
	}
	log_info("control: %s", cn->line);
	r = cn->ctl->fn(cn->ctl->userdata, cn->line, out);
	fclose(out);
	reply(cn, r, detail, len);
	free(detail);
}

static void on_conn(int fd, uint32_t events, void *userdata)
{
	struct control_conn *cn = userdata;
	ssize_t n = read(fd, cn->line + cn->len, sizeof(cn->line) - 1 - cn->len);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(cn);
		return;
	}
	cn->len += (size_t)n;
	cn->line[cn->len] = '\0';
	if (!strchr(cn->line, '\n') && cn->len < sizeof(cn->line) - 1)
		return; /* the rest of the line is on its way */
	run(cn);
	conn_close(cn);
}

static void on_accept(int fd, uint32_t events, void *userdata)
{
	struct control *ctl = userdata;
	struct control_conn *cn;
	int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	size_t slot = CONTROL_MAX_CONNS;

	if (cfd < 0)
		return;
	for (size_t i = 0; i < CONTROL_MAX_CONNS && slot == CONTROL_MAX_CONNS; i++)
		if (!ctl->conns[i])
			slot = i;
	if (slot == CONTROL_MAX_CONNS) { /* all taken by clients that say nothing */
		slot = ctl->next_victim++ % CONTROL_MAX_CONNS;
		conn_close(ctl->conns[slot]);
	}
	if (!(cn = calloc(1, sizeof(*cn)))) {
		close(cfd);
		return;
	}
	*cn = (struct control_conn){ .ctl = ctl, .fd = cfd };
	if (loop_add_fd(ctl->loop, cfd, EPOLLIN, on_conn, cn) < 0) {
		close(cfd);
		free(cn);
		return;
	}
	ctl->conns[slot] = cn;
}

int control_new(struct loop *loop, const char *state_dir, control_fn fn, void *userdata, struct control **ret)
{
	struct control *ctl = calloc(1, sizeof(*ctl));
	struct sockaddr_un sa;
	int r;

	if (!ctl)
		return -ENOMEM;
	*ctl = (struct control){ .loop = loop, .fd = -1, .fn = fn, .userdata = userdata };
	if ((r = socket_address(state_dir, &sa)) < 0)
		goto fail;
	memcpy(ctl->path, sa.sun_path, sizeof(ctl->path));
	unlink(ctl->path); /* a previous run's */
	ctl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ctl->fd < 0 || bind(ctl->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(ctl->path, 0600) < 0 ||
	    listen(ctl->fd, 8) < 0) {
		r = -errno;
		goto fail;
	}
	if ((r = loop_add_fd(loop, ctl->fd, EPOLLIN, on_accept, ctl)) < 0)
		goto fail;
	*ret = ctl;
	return 0;
fail:
	log_err("control: %s: %s", ctl->path[0] ? ctl->path : state_dir, strerror(-r));
	control_free(ctl);
	return r;
}

void control_free(struct control *ctl)
{
	if (!ctl)
		return;
	for (size_t i = 0; i < CONTROL_MAX_CONNS; i++)
		if (ctl->conns[i])
			conn_close(ctl->conns[i]);
	if (ctl->fd >= 0) {
		loop_del_fd(ctl->loop, ctl->fd);
		close(ctl->fd);
		unlink(ctl->path);
	}
	free(ctl);
}

int control_request(const char *state_dir, const char *cmd, FILE *out)
{
	struct sockaddr_un sa;
	struct timeval tv = { .tv_sec = 30 };
	char buf[4096];
	bool first = true, ok = false;
	ssize_t n;
	int fd, r;

	if ((r = socket_address(state_dir, &sa)) < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    dprintf(fd, "%s\n", cmd) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		size_t skip = 0;
		if (first) {
			ok = n >= 3 && memcmp(buf, "ok\n", 3) == 0;
			skip = ok ? 3 : (size_t)n >= 6 && memcmp(buf, "error\n", 6) == 0 ? 6 : 0;
			first = false;
		}
		fwrite(buf + skip, 1, (size_t)n - skip, out);
	}
	r = n < 0 ? -errno : first ? -EPROTO : ok ? 0 : -EPROTO;
	close(fd);
	return r;
}
