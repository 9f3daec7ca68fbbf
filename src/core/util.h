/* Small helpers shared by every subsystem: cleanup attributes, bounded
 * parsing of numbers/addresses from text, big-endian wire access, time. */
#pragma once
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* Cleanup idiom used everywhere: variables that own a resource are declared
 * with _cleanup_xxx_ and handed out with TAKE_PTR/TAKE_FD. */
#define _cleanup_(f) __attribute__((cleanup(f)))
static inline void freep(void *p) { free(*(void **)p); }
static inline void closep(int *fd) { if (*fd >= 0) close(*fd); }
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define TAKE_PTR(p) ({ __typeof__(p) _p = (p); (p) = NULL; _p; })
#define TAKE_FD(fd) ({ int _fd = (fd); (fd) = -1; _fd; })

static inline uint16_t rd_be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t rd_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void wr_be16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = v & 0xff; }
static inline void wr_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24; p[1] = (v >> 16) & 0xff; p[2] = (v >> 8) & 0xff; p[3] = v & 0xff;
}

uint64_t now_monotonic_ms(void);
uint64_t now_realtime_ms(void);

/* strtonum-like: whole string must be a number in [min, max]. */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *ret);
/* "48h", "30m", "90s", "2d", "600" (seconds). Result in seconds. */
int parse_duration_s(const char *s, uint32_t *ret);
/* yes/no/true/false/on/off/1/0 */
int parse_bool(const char *s, bool *ret);
int parse_ipv4(const char *s, struct in_addr *ret);
/* "aa:bb:cc:dd:ee:ff" or with '-' separators. */
int parse_mac(const char *s, uint8_t ret[6]);
/* Writes "aa:bb:cc:dd:ee:ff" (18 bytes with NUL). */
char *format_mac(char buf[static 18], const uint8_t mac[6]);
char *format_ipv4(char buf[static 16], struct in_addr a);

/* Split on whitespace and commas into at most max tokens (in place).
 * Returns the token count or -E2BIG. */
int split_words(char *s, char **tokens, size_t max);
/* The same on a copy of src made in buf (-ENAMETOOLONG if it does not fit). */
int split_words_copy(const char *src, char *buf, size_t size, char **tokens, size_t max);
/* Bounded copy that always terminates; -ENAMETOOLONG if src was cut. */
int copy_string(char *dst, size_t size, const char *src);

/* Opens a file for reading below dir_fd; "..", absolute paths and symlinks
 * that would leave the directory fail (openat2 RESOLVE_BENEATH). -errno. */
int open_beneath(int dir_fd, const char *rel);

/* Strict strdup that aborts on OOM: used only at configuration time. */
char *xstrdup(const char *s);

/* snprintf for paths: -ENAMETOOLONG instead of a silently cut result. */
__attribute__((format(printf, 3, 4))) int pathf(char *buf, size_t size, const char *fmt, ...);

/* Text appended into a fixed buffer; an overflow is remembered (and the
 * text kept NUL-terminated), so a renderer checks once at the end. */
struct textbuf {
	char *buf;
	size_t size, len;
	bool overflow;
};
__attribute__((format(printf, 2, 3))) void textbuf_printf(struct textbuf *o, const char *fmt, ...);

/* "4G", "2048M", "512MiB", "1T" or a bare number of MiB, into MiB. */
int parse_size_mib(const char *s, uint32_t *ret);
