/* The dashboard's pages as HTML, pure: from data the caller gathered
 * (ui.c), with every string that came from outside (names, MACs, event
 * details, log lines, messages) escaped. The markup carries no script and
 * no style attribute, so the Content-Security-Policy can forbid both
 * inline; /ui/static/ui.js and ui.css do the rest. Blocks marked
 * data-live are what the script refreshes every few seconds. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boot/timeline.h"
#include "core/log.h"
#include "store/store.h"

#define UI_PAGE_MAX (8u << 20)        /* a page larger than this is an error */
#define UI_FAILED_MAX 320

/* A growing page; the first failure sticks in err and later writes are
 * dropped, so a renderer checks once at the end. */
struct ui_buf {
	char *p;
	size_t len, cap;
	int err;                      /* 0 or -ENOMEM / -E2BIG */
};
void ui_buf_free(struct ui_buf *b);
void ui_raw(struct ui_buf *b, const char *s);
/* s escaped for text and for a quoted attribute value: & < > " ' */
void ui_text(struct ui_buf *b, const char *s);
/* Raw: for numbers and constants only, never for strings from outside. */
void ui_fmt(struct ui_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

enum ui_page { UI_PAGE_HOSTS, UI_PAGE_HOST, UI_PAGE_DISCOVERED, UI_PAGE_LEASES, UI_PAGE_IMAGES, UI_PAGE_LOG,
	       UI_PAGE_LOGIN };

/* What every page shows around its content. */
struct ui_frame {
	enum ui_page page;
	bool logged_in;               /* forms that change things are shown */
	const char *message;          /* the outcome of the last change, or NULL */
	bool message_ok;
	uint64_t now_ms;              /* for "12 s ago" */
};

struct ui_host {
	const struct host *h;
	const char *image;            /* its own or the default, NULL: none */
	char next_boot[STORE_ENTRY_MAX]; /* "" none */
	bool has_lease;
	struct lease lease;           /* of the NIC that booted last */
	struct boot_timeline tl;      /* tl.n == 0: never booted */
	char failed[UI_FAILED_MAX];   /* the last boot's last failure, "" none */
};

/* The last failure in the boot tl found in ev: an *-error event or a DHCP
 * NAK, as "KIND DETAIL"; "" if none. */
void ui_boot_failure(const struct boot_event *ev, const struct boot_timeline *tl, char *out, size_t size);

struct ui_pool {
	const char *name;
	struct in_addr start, end;
	uint32_t size, used;          /* addresses, bound or offered leases in it */
};

struct ui_image {
	const char *name;
	bool built;                   /* in the image store (else an [image] section) */
	const char *current;          /* built: the default version */
	char **versions;              /* built: oldest first */
	int n_versions;
	const char *kernel;           /* a section's */
};

struct ui_log_line {
	uint64_t ts_ms;
	char line[LOG_RECENT_LINE];
};

/* The targets a next boot can name (local, netboot.xyz, entries, images). */
struct ui_choices {
	const char *const *v;
	size_t n;
};

void ui_render_hosts(struct ui_buf *b, const struct ui_frame *f, const struct ui_host *hosts, size_t n,
		     const struct ui_choices *choices);
/* One host: its summary, its last boot's events (ev[tl.first..n)), its buttons. */
void ui_render_host(struct ui_buf *b, const struct ui_frame *f, const struct ui_host *host,
		    const struct boot_event *ev, size_t n_ev, const struct ui_choices *choices);
void ui_render_discovered(struct ui_buf *b, const struct ui_frame *f, const struct machine *m, size_t n);
void ui_render_leases(struct ui_buf *b, const struct ui_frame *f, const struct ui_pool *pools, size_t n_pools,
		      const struct lease *leases, size_t n_leases);
void ui_render_images(struct ui_buf *b, const struct ui_frame *f, const struct ui_image *images, size_t n);
void ui_render_log(struct ui_buf *b, const struct ui_frame *f, const struct ui_log_line *lines, size_t n);
/* A page with nothing but the frame's message (a refusal, a page not found). */
void ui_render_notice(struct ui_buf *b, const struct ui_frame *f, const char *title);
/* wrong: the last attempt's token was not it. */
void ui_render_login(struct ui_buf *b, const struct ui_frame *f, bool wrong);
