/* The dashboard's HTML (see ui_render.h). */
#include "http/ui_render.h"
#include "core/config.h"
#include "core/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the buffer -------------------------------------------------------------- */

void ui_buf_free(struct ui_buf *b)
{
	free(b->p);
	*b = (struct ui_buf){ 0 };
}

static void put(struct ui_buf *b, const char *s, size_t n)
{
	size_t need;
	char *grown;

	if (b->err)
		return;
	if (__builtin_add_overflow(b->len, n + 1, &need) || need > UI_PAGE_MAX) {
		b->err = -E2BIG;
		return;
	}
	if (need > b->cap) {
		size_t cap = b->cap ? b->cap : 8192;
		while (cap < need)
			cap *= 2;
		if (!(grown = realloc(b->p, cap))) {
			b->err = -ENOMEM;
			return;
		}
		b->p = grown;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void ui_raw(struct ui_buf *b, const char *s)
{
	put(b, s, strlen(s));
}

void ui_text(struct ui_buf *b, const char *s)
{
	while (s && *s) {
		size_t plain = strcspn(s, "&<>\"'");
		put(b, s, plain);
		s += plain;
		switch (*s) {
		case '&': ui_raw(b, "&amp;"); break;
		case '<': ui_raw(b, "&lt;"); break;
		case '>': ui_raw(b, "&gt;"); break;
		case '"': ui_raw(b, "&quot;"); break;
		case '\'': ui_raw(b, "&#39;"); break;
		default: return;
		}
		s++;
	}
}

void ui_fmt(struct ui_buf *b, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(small)) {
		b->err = b->err ? b->err : -E2BIG;
		return;
	}
	put(b, small, (size_t)n);
}

/* ---- small parts ------------------------------------------------------------- */

static void ui_time(struct ui_buf *b, uint64_t ms)
{
	char out[32];
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!ms || !gmtime_r(&t, &tm) || !strftime(out, sizeof(out), "%Y-%m-%d %H:%M:%S", &tm)) {
		ui_raw(b, "-");
		return;
	}
	ui_raw(b, out);
}

static void ui_ago(struct ui_buf *b, uint64_t now_ms, uint64_t ms)
{
	uint64_t s = now_ms > ms ? (now_ms - ms) / 1000 : 0;

	if (!ms)
		ui_raw(b, "never");
	else if (s < 120)
		ui_fmt(b, "%llu s ago", (unsigned long long)s);
	else if (s < 7200)
		ui_fmt(b, "%llu min ago", (unsigned long long)s / 60);
	else if (s < 172800)
		ui_fmt(b, "%llu h ago", (unsigned long long)s / 3600);
	else
		ui_fmt(b, "%llu days ago", (unsigned long long)s / 86400);
}

static void ui_secs(struct ui_buf *b, int64_t ms)
{
	if (ms < 0)
		ui_raw(b, "?");
	else
		ui_fmt(b, "%.2f s", (double)ms / 1000.0);
}

static void ui_mac(struct ui_buf *b, const uint8_t mac[6])
{
	char m[18];
	ui_raw(b, format_mac(m, mac));
}

static void ui_ip(struct ui_buf *b, struct in_addr a)
{
	char ip[16];
	ui_raw(b, format_ipv4(ip, a));
}

/* The start of a form that changes something: every one posts to
 * /ui/action with what to do and the page to come back to. */
static void form_begin(struct ui_buf *b, const char *action, const char *back, const char *cls)
{
	ui_raw(b, "<form method=\"post\" action=\"/ui/action\" class=\"");
	ui_text(b, cls);
	ui_raw(b, "\"><input type=\"hidden\" name=\"do\" value=\"");
	ui_text(b, action);
	ui_raw(b, "\"><input type=\"hidden\" name=\"back\" value=\"");
	ui_text(b, back);
	ui_raw(b, "\">");
}

static void hidden(struct ui_buf *b, const char *name, const char *value)
{
	ui_raw(b, "<input type=\"hidden\" name=\"");
	ui_text(b, name);
	ui_raw(b, "\" value=\"");
	ui_text(b, value);
	ui_raw(b, "\">");
}

static void button(struct ui_buf *b, const char *label, const char *id)
{
	ui_raw(b, "<button type=\"submit\"");
	if (id) {
		ui_raw(b, " id=\"");
		ui_text(b, id);
		ui_raw(b, "\"");
	}
	ui_raw(b, ">");
	ui_text(b, label);
	ui_raw(b, "</button></form>");
}

/* The end of a table: a row that says it has none, if so. */
static void table_end(struct ui_buf *b, size_t n_rows, int cols, const char *none)
{
	if (n_rows == 0) {
		ui_fmt(b, "<tr><td colspan=\"%d\" class=\"dim\">", cols);
		ui_text(b, none);
		ui_raw(b, "</td></tr>");
	}
	ui_raw(b, "</tbody></table>");
}

/* ---- the frame -------------------------------------------------------------- */

static const struct {
	enum ui_page page;
	const char *path, *label;
} nav[] = {
	{ UI_PAGE_HOSTS, "/ui/hosts", "Hosts" },        { UI_PAGE_DISCOVERED, "/ui/discovered", "Discovered" },
	{ UI_PAGE_LEASES, "/ui/leases", "Leases" },     { UI_PAGE_IMAGES, "/ui/images", "Images" },
	{ UI_PAGE_LOG, "/ui/log", "Log" },
};

static void page_begin(struct ui_buf *b, const struct ui_frame *f, const char *title)
{
	ui_raw(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
		  "<link rel=\"stylesheet\" href=\"/ui/static/ui.css\">"
		  "<script src=\"/ui/static/ui.js\" defer></script><title>");
	ui_text(b, title);
	ui_raw(b, " - labboot</title></head>\n<body><header><span class=\"brand\">labboot</span><nav>");
	for (size_t i = 0; i < sizeof(nav) / sizeof(nav[0]); i++) {
		bool here = nav[i].page == f->page || (f->page == UI_PAGE_HOST && nav[i].page == UI_PAGE_HOSTS);
		ui_fmt(b, "<a href=\"%s\"%s>%s</a>", nav[i].path, here ? " class=\"here\"" : "", nav[i].label);
	}
	ui_raw(b, "</nav><span class=\"who\"><span id=\"live-status\"></span> ");
	if (f->logged_in)
		ui_raw(b, "<form method=\"post\" action=\"/ui/logout\" class=\"inline\">"
			  "<button type=\"submit\" id=\"logout\">Log out</button></form>");
	else
		ui_raw(b, "<a href=\"/ui/login\" id=\"login-link\">Log in</a>");
	ui_raw(b, "</span></header>\n<main>");
	if (f->message && *f->message) {
		ui_fmt(b, "<p class=\"msg %s\" id=\"message\">", f->message_ok ? "ok" : "bad");
		ui_text(b, f->message);
		ui_raw(b, "</p>");
	}
	ui_raw(b, "<h1>");
	ui_text(b, title);
	ui_raw(b, "</h1>\n");
}

static void page_end(struct ui_buf *b)
{
	ui_raw(b, "</main></body></html>\n");
}

static void read_only_note(struct ui_buf *b, const struct ui_frame *f)
{
	if (!f->logged_in)
		ui_raw(b, "<p class=\"note\">Read-only: <a href=\"/ui/login\">log in</a> with the API token to make changes.</p>\n");
}

/* ---- hosts -------------------------------------------------------------------- */

void ui_boot_failure(const struct boot_event *ev, const struct boot_timeline *tl, char *out, size_t size)
{
	const struct boot_event *bad = NULL;

	if (size)
		out[0] = '\0';
	for (size_t i = tl->first; tl->n && i < tl->first + tl->n; i++)
		if (strstr(ev[i].kind, "error") || (!strncmp(ev[i].kind, "dhcp-", 5) && !strncmp(ev[i].detail, "NAK", 3)))
			bad = &ev[i];
	if (bad && size)
		snprintf(out, size, "%s %s", bad->kind, bad->detail);
}

/* The phase a boot is in (or stopped in): the one after the last it
 * finished; the whole boot once it is up. */
static const char *boot_reached(const struct boot_timeline *tl)
{
	int last = -1;

	if (tl->up)
		return "up";
	for (int p = 0; p < BOOT_PHASE_COUNT_; p++)
		if (tl->phase_ms[p] >= 0)
			last = p;
	return last + 1 < BOOT_PHASE_COUNT_ ? boot_phase_name((enum boot_phase)(last + 1)) : "up";
}

/* The phases as one bar: an SVG whose rectangles have their widths as
 * attributes (no style attribute, which the CSP forbids). */
static void boot_bar(struct ui_buf *b, const struct boot_timeline *tl)
{
	int64_t sum = 0, x = 0;

	for (int p = 0; p < BOOT_PHASE_COUNT_; p++)
		sum += tl->phase_ms[p] > 0 ? tl->phase_ms[p] : 0;
	ui_raw(b, "<svg class=\"bar\" viewBox=\"0 0 1000 12\" preserveAspectRatio=\"none\" role=\"img\">");
	if (sum == 0)
		ui_raw(b, "<rect class=\"none\" x=\"0\" y=\"0\" width=\"1000\" height=\"12\"></rect>");
	for (int p = 0; p < BOOT_PHASE_COUNT_ && sum; p++) {
		int64_t w;
		if (tl->phase_ms[p] <= 0)
			continue;
		w = tl->phase_ms[p] * 1000 / sum;
		ui_fmt(b, "<rect class=\"p%d\" x=\"%lld\" y=\"0\" width=\"%lld\" height=\"12\"><title>%s ", p,
		       (long long)x, (long long)(w > 0 ? w : 1), boot_phase_name((enum boot_phase)p));
		ui_secs(b, tl->phase_ms[p]);
		ui_raw(b, "</title></rect>");
		x += w;
	}
	ui_raw(b, "</svg>");
}

static void boot_summary(struct ui_buf *b, const struct ui_frame *f, const struct ui_host *u)
{
	const struct boot_timeline *tl = &u->tl;

	if (tl->n == 0) {
		ui_raw(b, "<span class=\"dim\">never booted</span>");
		return;
	}
	boot_bar(b, tl);
	ui_raw(b, "<div class=\"phases\">");
	for (int p = 0; p < BOOT_PHASE_COUNT_; p++) {
		if (tl->phase_ms[p] < 0)
			continue;
		ui_fmt(b, "<span class=\"ph p%d\">%s ", p, boot_phase_name((enum boot_phase)p));
		ui_secs(b, tl->phase_ms[p]);
		ui_raw(b, "</span> ");
	}
	ui_raw(b, "</div><div>");
	if (tl->up && tl->total_ms >= 0) {
		ui_raw(b, "<span class=\"state up\">up</span> after ");
		ui_secs(b, tl->total_ms);
	} else {
		ui_raw(b, tl->up ? "<span class=\"state\">" : "<span class=\"state\">in ");
		ui_text(b, tl->up ? "up" : boot_reached(tl));
		ui_raw(b, "</span> after ");
		ui_secs(b, (int64_t)(tl->last_ms - tl->start_ms));
	}
	ui_raw(b, ", started ");
	ui_ago(b, f->now_ms, tl->start_ms);
	ui_raw(b, "</div>");
	if (u->failed[0]) {
		ui_raw(b, "<div class=\"failed\">failed: ");
		ui_text(b, u->failed);
		ui_raw(b, "</div>");
	}
}

static void host_link(struct ui_buf *b, const char *name)
{
	ui_raw(b, "<a href=\"/ui/hosts/");
	ui_text(b, name);
	ui_raw(b, "\">");
	ui_text(b, name);
	ui_raw(b, "</a>");
}

static void next_boot_form(struct ui_buf *b, const struct ui_host *u, const struct ui_choices *c, const char *back)
{
	form_begin(b, "next-boot", back, "inline");
	hidden(b, "host", u->h->name);
	ui_raw(b, "<select name=\"entry\" aria-label=\"next boot\">");
	for (size_t i = 0; i < c->n; i++) {
		ui_raw(b, "<option>");
		ui_text(b, c->v[i]);
		ui_raw(b, "</option>");
	}
	ui_raw(b, "</select>");
	button(b, "Next boot", NULL);
	if (u->next_boot[0]) {
		form_begin(b, "next-boot-clear", back, "inline");
		hidden(b, "host", u->h->name);
		button(b, "Clear", NULL);
	}
	form_begin(b, "wake", back, "inline");
	hidden(b, "host", u->h->name);
	button(b, "Wake", NULL);
}

static void host_cells(struct ui_buf *b, const struct ui_frame *f, const struct ui_host *u)
{
	const struct host *h = u->h;

	ui_raw(b, "<td>");
	for (size_t i = 0; i < h->n_nics; i++) {
		ui_raw(b, i ? "<br>" : "");
		ui_mac(b, h->nics[i].mac);
		if (h->nics[i].ip.s_addr) {
			ui_raw(b, " ");
			ui_ip(b, h->nics[i].ip);
		}
	}
	if (u->has_lease) {
		ui_raw(b, "<br><span class=\"dim\">lease ");
		ui_ip(b, u->lease.ip);
		ui_raw(b, " ");
		ui_text(b, lease_state_name(u->lease.state));
		ui_raw(b, "</span>");
	}
	ui_raw(b, "</td><td>");
	ui_text(b, u->image ? u->image : "-");
	ui_raw(b, "</td><td class=\"next\">");
	ui_text(b, u->next_boot[0] ? u->next_boot : "-");
	ui_raw(b, "</td><td class=\"boot\">");
	boot_summary(b, f, u);
	ui_raw(b, "</td>");
}

static void host_from(struct ui_buf *b, const struct host *h)
{
	if (h->runtime)
		ui_raw(b, "<span class=\"tag\">runtime</span>");
	else
		ui_fmt(b, "<span class=\"tag file\">file:%d</span>", h->line);
}

static void add_host_form(struct ui_buf *b)
{
	ui_raw(b, "<h2>Add a host</h2>");
	form_begin(b, "host-add", "/ui/hosts", "grid");
	ui_raw(b, "<label>Name <input name=\"name\" id=\"add-name\" required pattern=\"[A-Za-z0-9_.-]+\"></label>"
		  "<label>MAC <input name=\"mac\" id=\"add-mac\" required placeholder=\"52:54:00:00:00:01\"></label>"
		  "<label>IP <input name=\"ip\" id=\"add-ip\" placeholder=\"dynamic\"></label>"
		  "<label>Image <input name=\"image\" id=\"add-image\" placeholder=\"the default\"></label>");
	button(b, "Add host", "add-submit");
}

void ui_render_hosts(struct ui_buf *b, const struct ui_frame *f, const struct ui_host *hosts, size_t n,
		     const struct ui_choices *choices)
{
	page_begin(b, f, "Hosts");
	read_only_note(b, f);
	ui_raw(b, "<div id=\"hosts\" data-live><table><thead><tr><th>Name</th><th>From</th><th>MAC, IP</th>"
		  "<th>Image</th><th>Next boot</th><th>Last boot</th>");
	ui_raw(b, f->logged_in ? "<th></th></tr></thead><tbody>\n" : "</tr></thead><tbody>\n");
	for (size_t i = 0; i < n; i++) {
		ui_raw(b, "<tr class=\"host\" data-host=\"");
		ui_text(b, hosts[i].h->name);
		ui_raw(b, "\"><td>");
		host_link(b, hosts[i].h->name);
		ui_raw(b, "</td><td>");
		host_from(b, hosts[i].h);
		ui_raw(b, "</td>");
		host_cells(b, f, &hosts[i]);
		if (f->logged_in) {
			ui_raw(b, "<td class=\"actions\">");
			next_boot_form(b, &hosts[i], choices, "/ui/hosts");
			ui_raw(b, "</td>");
		}
		ui_raw(b, "</tr>\n");
	}
	table_end(b, n, 7, "no hosts");
	ui_raw(b, "</div>\n");
	if (f->logged_in)
		add_host_form(b);
	page_end(b);
}

void ui_render_host(struct ui_buf *b, const struct ui_frame *f, const struct ui_host *u,
		    const struct boot_event *ev, size_t n_ev, const struct ui_choices *choices)
{
	char back[160];

	snprintf(back, sizeof(back), "/ui/hosts/%s", u->h->name);
	page_begin(b, f, u->h->name);
	read_only_note(b, f);
	ui_raw(b, "<div id=\"host\" data-live><table><thead><tr><th>From</th><th>MAC, IP</th><th>Image</th>"
		  "<th>Next boot</th><th>Last boot</th></tr></thead><tbody><tr><td>");
	host_from(b, u->h);
	ui_raw(b, "</td>");
	host_cells(b, f, u);
	ui_raw(b, "</tr></tbody></table>\n<h2>Last boot</h2>");
	if (u->tl.n == 0 || n_ev < u->tl.first + u->tl.n) {
		ui_raw(b, "<p class=\"dim\">no boot recorded</p>");
	} else {
		ui_raw(b, "<table class=\"events\"><thead><tr><th>+s</th><th>Time (UTC)</th><th>Event</th><th>Detail</th>"
			  "</tr></thead><tbody>\n");
		for (size_t i = u->tl.first; i < u->tl.first + u->tl.n; i++) {
			bool bad = strstr(ev[i].kind, "error") != NULL;
			ui_fmt(b, "<tr%s><td>%.2f</td><td>", bad ? " class=\"bad\"" : "",
			       (double)(ev[i].ts_ms - u->tl.start_ms) / 1000.0);
			ui_time(b, ev[i].ts_ms);
			ui_raw(b, "</td><td>");
			ui_text(b, ev[i].kind);
			ui_raw(b, "</td><td>");
			ui_text(b, ev[i].detail);
			ui_raw(b, "</td></tr>\n");
		}
		ui_raw(b, "</tbody></table>");
	}
	ui_raw(b, "</div>\n");
	if (f->logged_in) {
		ui_raw(b, "<h2>Actions</h2><div class=\"actions\">");
		next_boot_form(b, u, choices, back);
		if (u->h->runtime) {
			form_begin(b, "host-rm", "/ui/hosts", "inline confirm");
			hidden(b, "host", u->h->name);
			button(b, "Remove host", "remove");
		}
		ui_raw(b, "</div>");
	}
	page_end(b);
}

/* ---- discovered, leases, images, log --------------------------------------------- */

void ui_render_discovered(struct ui_buf *b, const struct ui_frame *f, const struct machine *m, size_t n)
{
	page_begin(b, f, "Discovered machines");
	ui_raw(b, "<p class=\"note\">Machines that netbooted here without being a host.</p>");
	read_only_note(b, f);
	ui_raw(b, "<div id=\"discovered\" data-live><table><thead><tr><th>MAC</th><th>First seen</th><th>Last seen</th>"
		  "<th>Detail</th>");
	ui_raw(b, f->logged_in ? "<th>Make it a host</th></tr></thead><tbody>\n" : "</tr></thead><tbody>\n");
	for (size_t i = 0; i < n; i++) {
		char mac[18];
		format_mac(mac, m[i].mac);
		ui_fmt(b, "<tr class=\"machine\" data-mac=\"%s\"><td>%s</td><td>", mac, mac);
		ui_time(b, m[i].first_ms);
		ui_raw(b, "</td><td>");
		ui_ago(b, f->now_ms, m[i].last_ms);
		ui_raw(b, "</td><td>");
		ui_text(b, m[i].detail);
		ui_raw(b, "</td>");
		if (f->logged_in) {
			ui_raw(b, "<td>");
			form_begin(b, "host-add", "/ui/discovered", "inline");
			hidden(b, "mac", mac);
			ui_raw(b, "<input name=\"name\" required placeholder=\"name\" aria-label=\"name\" size=\"10\">"
				  "<input name=\"ip\" placeholder=\"IP (dynamic)\" aria-label=\"IP\" size=\"12\">"
				  "<input name=\"image\" placeholder=\"image\" aria-label=\"image\" size=\"8\">");
			button(b, "Add", NULL);
			ui_raw(b, "</td>");
		}
		ui_raw(b, "</tr>\n");
	}
	table_end(b, n, 5, "none");
	ui_raw(b, "</div>\n");
	page_end(b);
}

void ui_render_leases(struct ui_buf *b, const struct ui_frame *f, const struct ui_pool *pools, size_t n_pools,
		      const struct lease *leases, size_t n_leases)
{
	page_begin(b, f, "Leases and pools");
	ui_raw(b, "<div id=\"leases\" data-live><h2>Pools</h2><table><thead><tr><th>Pool</th><th>Range</th><th>Use</th>"
		  "</tr></thead><tbody>\n");
	for (size_t i = 0; i < n_pools; i++) {
		ui_raw(b, "<tr class=\"pool\"><td>");
		ui_text(b, pools[i].name ? pools[i].name : "-");
		ui_raw(b, "</td><td>");
		ui_ip(b, pools[i].start);
		ui_raw(b, " - ");
		ui_ip(b, pools[i].end);
		ui_fmt(b, "</td><td><meter min=\"0\" max=\"%u\" value=\"%u\" high=\"%u\"></meter> %u of %u</td></tr>\n",
		       pools[i].size, pools[i].used, pools[i].size - pools[i].size / 10, pools[i].used, pools[i].size);
	}
	table_end(b, n_pools, 3, "no pools");
	ui_raw(b, "<h2>Leases</h2><table><thead><tr><th>IP</th><th>MAC</th><th>State</th>"
		  "<th>Expires (UTC)</th><th>Hostname</th></tr></thead><tbody>\n");
	for (size_t i = 0; i < n_leases; i++) {
		ui_raw(b, "<tr class=\"lease\"><td>");
		ui_ip(b, leases[i].ip);
		ui_raw(b, "</td><td>");
		ui_mac(b, leases[i].mac);
		ui_raw(b, "</td><td>");
		ui_text(b, lease_state_name(leases[i].state));
		ui_raw(b, "</td><td>");
		ui_time(b, leases[i].expires * 1000);
		ui_raw(b, "</td><td>");
		ui_text(b, leases[i].hostname);
		ui_raw(b, "</td></tr>\n");
	}
	table_end(b, n_leases, 5, "no leases");
	ui_raw(b, "</div>\n");
	page_end(b);
}

static void image_versions(struct ui_buf *b, const struct ui_frame *f, const struct ui_image *im)
{
	int cur = -1;

	for (int k = 0; k < im->n_versions; k++)
		if (im->current && strcmp(im->versions[k], im->current) == 0)
			cur = k;
	ui_raw(b, "<ul class=\"versions\">");
	for (int k = im->n_versions - 1; k >= 0; k--) {
		ui_raw(b, k == cur ? "<li class=\"current\">" : "<li>");
		ui_text(b, im->versions[k]);
		if (k == cur) {
			ui_raw(b, " <span class=\"tag\">default</span>");
		} else if (f->logged_in) {
			form_begin(b, "image-current", "/ui/images", "inline");
			hidden(b, "image", im->name);
			hidden(b, "version", im->versions[k]);
			button(b, cur >= 0 && k < cur ? "Roll back to it" : "Promote", NULL);
		}
		ui_raw(b, "</li>");
	}
	ui_raw(b, "</ul>");
}

void ui_render_images(struct ui_buf *b, const struct ui_frame *f, const struct ui_image *images, size_t n)
{
	page_begin(b, f, "Images");
	read_only_note(b, f);
	ui_raw(b, "<div id=\"images\" data-live><table><thead><tr><th>Image</th><th>Kind</th><th>Versions</th>"
		  "</tr></thead><tbody>\n");
	for (size_t i = 0; i < n; i++) {
		ui_raw(b, "<tr class=\"image\" data-image=\"");
		ui_text(b, images[i].name);
		ui_raw(b, "\"><td>");
		ui_text(b, images[i].name);
		ui_raw(b, images[i].built ? "</td><td>built</td><td>" : "</td><td>[image] section</td><td>kernel ");
		if (images[i].built)
			image_versions(b, f, &images[i]);
		else
			ui_text(b, images[i].kernel ? images[i].kernel : "-");
		ui_raw(b, "</td></tr>\n");
	}
	table_end(b, n, 3, "no images");
	ui_raw(b, "</div>\n");
	page_end(b);
}

void ui_render_log(struct ui_buf *b, const struct ui_frame *f, const struct ui_log_line *lines, size_t n)
{
	page_begin(b, f, "Recent log");
	ui_raw(b, "<div id=\"log\" data-live><pre class=\"log\">");
	for (size_t i = 0; i < n; i++) {
		ui_time(b, lines[i].ts_ms);
		ui_raw(b, "  ");
		ui_text(b, lines[i].line);
		ui_raw(b, "\n");
	}
	if (n == 0)
		ui_raw(b, "(nothing yet)");
	ui_raw(b, "</pre></div>\n");
	page_end(b);
}

void ui_render_notice(struct ui_buf *b, const struct ui_frame *f, const char *title)
{
	page_begin(b, f, title);
	ui_raw(b, "<p><a href=\"/ui/hosts\">Back to the hosts</a></p>\n");
	page_end(b);
}

void ui_render_login(struct ui_buf *b, const struct ui_frame *f, bool wrong)
{
	page_begin(b, f, "Log in");
	if (wrong)
		ui_raw(b, "<p class=\"msg bad\" id=\"message\">That is not the token.</p>");
	ui_raw(b, "<p class=\"note\">Changes need the API token: <code>[http] api-token</code>, else the file "
		  "<code>STATE/api-token</code> on the server. It is kept in a cookie for this site only.</p>"
		  "<form method=\"post\" action=\"/ui/login\" class=\"grid\">"
		  "<label>Token <input type=\"password\" name=\"token\" id=\"token\" required autocomplete=\"current-password\">"
		  "</label><button type=\"submit\" id=\"login\">Log in</button></form>\n");
	page_end(b);
}
