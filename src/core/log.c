/* Log lines: "LEVEL message" on stderr, one write per line so threads and
 * processes sharing stderr do not interleave within a line. */
#include "core/log.h"
#include "core/util.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static enum log_level max_level = LOG_LEVEL_INFO;

/* The last lines at info and above, for the dashboard: a ring of
 * fixed-size slots, so logging never allocates. */
static struct {
	pthread_mutex_t lock;
	char lines[LOG_RECENT_MAX][LOG_RECENT_LINE];
	uint64_t ts_ms[LOG_RECENT_MAX];
	uint64_t next;                /* lines ever kept */
} recent = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void keep_recent(const char *line, size_t len)
{
	pthread_mutex_lock(&recent.lock);
	size_t slot = recent.next++ % LOG_RECENT_MAX;
	snprintf(recent.lines[slot], LOG_RECENT_LINE, "%.*s", (int)len, line);
	recent.ts_ms[slot] = now_realtime_ms();
	pthread_mutex_unlock(&recent.lock);
}

size_t log_recent(log_recent_fn fn, void *userdata)
{
	size_t n = 0;

	pthread_mutex_lock(&recent.lock);
	uint64_t first = recent.next > LOG_RECENT_MAX ? recent.next - LOG_RECENT_MAX : 0;
	for (uint64_t i = first; i < recent.next; i++, n++)
		fn(recent.ts_ms[i % LOG_RECENT_MAX], recent.lines[i % LOG_RECENT_MAX], userdata);
	pthread_mutex_unlock(&recent.lock);
	return n;
}

static const char *const level_names[] = {
	[LOG_LEVEL_ERR] = "error",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

void log_set_level(enum log_level level)
{
	max_level = level;
}

bool log_enabled(enum log_level level)
{
	return level <= max_level;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	int n, m;

	if (!log_enabled(level))
		return;
	n = snprintf(line, sizeof(line), "%-5s ", level_names[level]);
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	if (level <= LOG_LEVEL_INFO)
		keep_recent(line, (size_t)n);
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, (size_t)n);
}

bool ratelimit_allow(struct ratelimit *rl, unsigned long *ret_suppressed)
{
	uint64_t now = now_monotonic_ms();

	*ret_suppressed = 0;
	if (now - rl->window_start_ms >= rl->interval_ms) {
		rl->window_start_ms = now;
		rl->printed = 0;
	}
	if (rl->printed >= rl->burst) {
		rl->suppressed++;
		return false;
	}
	rl->printed++;
	*ret_suppressed = rl->suppressed;
	rl->suppressed = 0;
	return true;
}

char *log_escape(char *dst, size_t dst_size, const void *src, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *s = src;
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		uint8_t c = s[i];
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			if (o + 1 >= dst_size)
				break;
			dst[o++] = (char)c;
		} else {
			if (o + 4 >= dst_size)
				break;
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 15];
		}
	}
	dst[o] = '\0';
	return dst;
}
