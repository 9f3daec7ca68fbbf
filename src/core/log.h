/* One-line, levelled log messages on stderr, and rate limiting for lines
 * that hostile input could otherwise trigger without bound. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum log_level {
	LOG_LEVEL_ERR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

void log_set_level(enum log_level max_level);

/* The most recent lines at info level and above ("LEVEL message"), oldest
 * first, each with its time (unix ms). fn runs under a lock: no logging
 * in it. Returns how many. */
#define LOG_RECENT_MAX 200
#define LOG_RECENT_LINE 256
typedef void (*log_recent_fn)(uint64_t ts_ms, const char *line, void *userdata);
size_t log_recent(log_recent_fn fn, void *userdata);
bool log_enabled(enum log_level level);
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...)   log_msg(LOG_LEVEL_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) \
	do { if (log_enabled(LOG_LEVEL_DEBUG)) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__); } while (0)

/* At most `burst` lines per `interval_ms`; the rest are counted and the count
 * reported with the next line that gets through. */
struct ratelimit {
	uint64_t interval_ms;
	unsigned burst;
	uint64_t window_start_ms;
	unsigned printed;
	unsigned long suppressed;
};
#define RATELIMIT_INIT(ms, n) { .interval_ms = (ms), .burst = (n) }

/* Returns true if a line may be printed now; *ret_suppressed receives how
 * many lines were dropped since the last one that got through. */
bool ratelimit_allow(struct ratelimit *rl, unsigned long *ret_suppressed);

#define log_ratelimited(rl, level, fmt, ...)                                        \
	do {                                                                        \
		unsigned long _sup;                                                 \
		if (ratelimit_allow((rl), &_sup)) {                                 \
			if (_sup)                                                   \
				log_msg((level), fmt " (%lu similar suppressed)",   \
					##__VA_ARGS__, _sup);                       \
			else                                                        \
				log_msg((level), fmt, ##__VA_ARGS__);               \
		}                                                                   \
	} while (0)

/* Escape untrusted bytes for a log line: printable ASCII kept, the rest \xNN.
 * Always NUL-terminates dst (dst_size > 0). Returns dst. */
char *log_escape(char *dst, size_t dst_size, const void *src, size_t len);
