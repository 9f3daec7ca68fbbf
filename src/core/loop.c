#include "core/loop.h"
#include "core/log.h"
#include "core/util.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

#define LOOP_MAX_EVENTS 64

/* Each registered fd has a watch; epoll's data.ptr points at it. Watches are
 * kept on a list so that deleting one during dispatch is safe: it is marked
 * dead and freed after the dispatch round. */
struct watch {
	int fd;
	loop_io_fn fn;
	void *userdata;
	bool dead;
	struct watch *next;
};

struct loop_timer {
	struct loop *loop;
	int fd;
	loop_timer_fn fn;
	void *userdata;
};

struct loop {
	int epfd;
	int sigfd;
	bool quit;
	struct watch *watches;
	loop_hup_fn on_hup;
	void *hup_userdata;
};

static struct watch *watch_find(struct loop *loop, int fd)
{
	for (struct watch *w = loop->watches; w; w = w->next)
		if (w->fd == fd && !w->dead)
			return w;
	return NULL;
}

int loop_add_fd(struct loop *loop, int fd, uint32_t events, loop_io_fn fn, void *userdata)
{
	struct watch *w = calloc(1, sizeof(*w));
	struct epoll_event ev = { .events = events };

	if (!w)
		return -ENOMEM;
	*w = (struct watch){ .fd = fd, .fn = fn, .userdata = userdata, .next = loop->watches };
	ev.data.ptr = w;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int r = -errno;
		free(w);
		return r;
	}
	loop->watches = w;
	return 0;
}

int loop_mod_fd(struct loop *loop, int fd, uint32_t events)
{
	struct watch *w = watch_find(loop, fd);
	struct epoll_event ev = { .events = events };

	if (!w)
		return -ENOENT;
	ev.data.ptr = w;
	return epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

void loop_del_fd(struct loop *loop, int fd)
{
	struct watch *w = watch_find(loop, fd);

	if (!w)
		return;
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	w->dead = true;
}

static void reap_dead_watches(struct loop *loop)
{
	struct watch **pp = &loop->watches;

	while (*pp) {
		struct watch *w = *pp;
		if (w->dead) {
			*pp = w->next;
			free(w);
		} else {
			pp = &w->next;
		}
	}
}

static void timer_ready(int fd, uint32_t events, void *userdata)
{
	struct loop_timer *t = userdata;
	uint64_t expirations;

	if (read(fd, &expirations, sizeof(expirations)) != sizeof(expirations))
		return; /* disarmed meanwhile */
	t->fn(t, t->userdata);
}

int loop_timer_new(struct loop *loop, loop_timer_fn fn, void *userdata, struct loop_timer **ret)
{
	struct loop_timer *t;
	int r;

	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (t->fd < 0) {
		r = -errno;
		free(t);
		return r;
	}
	t->loop = loop;
	t->fn = fn;
	t->userdata = userdata;
	r = loop_add_fd(loop, t->fd, EPOLLIN, timer_ready, t);
	if (r < 0) {
		close(t->fd);
		free(t);
		return r;
	}
	*ret = t;
	return 0;
}

int loop_timer_arm(struct loop_timer *t, uint64_t delay_ms)
{
	struct itimerspec its = { 0 };

	if (delay_ms == 0)
		delay_ms = 1; /* zero would disarm */
	its.it_value.tv_sec = (time_t)(delay_ms / 1000);
	its.it_value.tv_nsec = (long)(delay_ms % 1000) * 1000000;
	return timerfd_settime(t->fd, 0, &its, NULL) < 0 ? -errno : 0;
}

void loop_timer_disarm(struct loop_timer *t)
{
	struct itimerspec its = { 0 };
	timerfd_settime(t->fd, 0, &its, NULL);
}

void loop_timer_free(struct loop_timer *t)
{
	if (!t)
		return;
	loop_del_fd(t->loop, t->fd);
	close(t->fd);
	free(t);
}

static void signal_ready(int fd, uint32_t events, void *userdata)
{
	struct loop *loop = userdata;
	struct signalfd_siginfo si;

	if (read(fd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo == SIGHUP) {
		if (loop->on_hup)
			loop->on_hup(loop->hup_userdata);
		else
			log_info("SIGHUP: nothing to reload");
		return;
	}
	log_info("received signal %u, shutting down", si.ssi_signo);
	loop->quit = true;
}

void loop_on_hup(struct loop *loop, loop_hup_fn fn, void *userdata)
{
	loop->on_hup = fn;
	loop->hup_userdata = userdata;
}

int loop_new(struct loop **ret)
{
	struct loop *loop;
	sigset_t mask;
	int r;

	loop = calloc(1, sizeof(*loop));
	if (!loop)
		return -ENOMEM;
	loop->sigfd = -1;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		r = -errno;
		goto fail;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	/* Block in every thread created later too, so the signalfd sees them. */
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	loop->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (loop->sigfd < 0) {
		r = -errno;
		goto fail;
	}
	r = loop_add_fd(loop, loop->sigfd, EPOLLIN, signal_ready, loop);
	if (r < 0)
		goto fail;
	*ret = loop;
	return 0;
fail:
	loop_free(loop);
	return r;
}

void loop_free(struct loop *loop)
{
	if (!loop)
		return;
	for (struct watch *w = loop->watches; w; w = w->next)
		w->dead = true;
	reap_dead_watches(loop);
	if (loop->sigfd >= 0)
		close(loop->sigfd);
	if (loop->epfd >= 0)
		close(loop->epfd);
	free(loop);
}

int loop_run(struct loop *loop)
{
	struct epoll_event events[LOOP_MAX_EVENTS];

	while (!loop->quit) {
		int n = epoll_wait(loop->epfd, events, LOOP_MAX_EVENTS, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n; i++) {
			struct watch *w = events[i].data.ptr;
			if (!w->dead)
				w->fn(w->fd, events[i].events, w->userdata);
		}
		reap_dead_watches(loop);
	}
	return 0;
}

void loop_quit(struct loop *loop)
{
	loop->quit = true;
}
