/* The daemon's event loop: epoll over file descriptors, timers as timerfds,
 * and SIGINT/SIGTERM (quit) and SIGHUP (a hook) through a signalfd. Single-threaded; callbacks run on
 * the loop's thread. */
#pragma once
#include <stdint.h>

struct loop;
struct loop_timer;

typedef void (*loop_io_fn)(int fd, uint32_t events, void *userdata);
typedef void (*loop_timer_fn)(struct loop_timer *t, void *userdata);

int loop_new(struct loop **ret);
void loop_free(struct loop *loop);

/* events: EPOLLIN/EPOLLOUT. The fd stays owned by the caller; call
 * loop_del_fd() before closing it. */
int loop_add_fd(struct loop *loop, int fd, uint32_t events, loop_io_fn fn, void *userdata);
int loop_mod_fd(struct loop *loop, int fd, uint32_t events);
void loop_del_fd(struct loop *loop, int fd);

/* A one-shot timer; arm again from its callback for periodic work. */
int loop_timer_new(struct loop *loop, loop_timer_fn fn, void *userdata, struct loop_timer **ret);
int loop_timer_arm(struct loop_timer *t, uint64_t delay_ms);
void loop_timer_disarm(struct loop_timer *t);
void loop_timer_free(struct loop_timer *t);

/* Runs until loop_quit() or a termination signal. Returns 0 or -errno. */
int loop_run(struct loop *loop);
void loop_quit(struct loop *loop);

/* SIGHUP calls fn on the loop's thread (without one it is logged). */
typedef void (*loop_hup_fn)(void *userdata);
void loop_on_hup(struct loop *loop, loop_hup_fn fn, void *userdata);
