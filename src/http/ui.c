/* The dashboard's requests (see ui.h): gathers the data each page shows,
 * has ui_render.c make the HTML, and turns its forms into actions. */
#include "http/ui.h"
#include "http/http_api.h"
#include "http/ui_assets.h"
#include "http/ui_form.h"
#include "http/ui_render.h"
#include "admin/actions.h"
#include "boot/boot_events.h"
#include "core/config.h"
#include "core/util.h"
#include "image/image_store.h"
#include "store/store.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UI_MAX_ROWS 65536             /* leases or discovered machines shown */
#define UI_MESSAGE_MAX 480            /* an action's outcome carried in the redirect */

/* No inline script or style anywhere: what the renderer never needs, an
 * injected string cannot use either. */
static const char csp[] = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
			  "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

bool ui_path(const char *url)
{
	return strncmp(url, "/ui", 3) == 0 && (url[3] == '\0' || url[3] == '/');
}

/* ---- responses -------------------------------------------------------------- */

static void secure(struct MHD_Response *r)
{
	MHD_add_response_header(r, "Content-Security-Policy", csp);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "same-origin");
}

static enum MHD_Result queue(struct MHD_Connection *c, unsigned status, struct MHD_Response *r)
{
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	secure(r);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Takes the page's buffer. */
static enum MHD_Result send_page(struct MHD_Connection *c, unsigned status, struct ui_buf *b)
{
	struct MHD_Response *r;

	if (b->err || !b->p) {
		ui_buf_free(b);
		r = MHD_create_response_from_buffer(4, (void *)"500\n", MHD_RESPMEM_PERSISTENT);
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
	} else {
		r = MHD_create_response_from_buffer(b->len, b->p, MHD_RESPMEM_MUST_FREE);
		if (!r)
			ui_buf_free(b);
		*b = (struct ui_buf){ 0 };
	}
	if (r) {
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/html; charset=utf-8");
		MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	}
	return queue(c, status, r);
}

static enum MHD_Result send_redirect(struct MHD_Connection *c, const char *location, const char *cookie)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);

	if (r) {
		MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, location);
		if (cookie)
			MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, cookie);
	}
	return queue(c, MHD_HTTP_SEE_OTHER, r);
}

static enum MHD_Result send_asset(struct MHD_Connection *c, const char *type, const char *data, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_PERSISTENT);

	if (r) {
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
		MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	}
	return queue(c, MHD_HTTP_OK, r);
}

static void frame_init(const struct api_request *rq, enum ui_page page, struct ui_frame *f)
{
	const char *ok = MHD_lookup_connection_value(rq->c, MHD_GET_ARGUMENT_KIND, "ok");

	*f = (struct ui_frame){ .page = page, .logged_in = http_authorized(rq->c, rq->token),
				.message = MHD_lookup_connection_value(rq->c, MHD_GET_ARGUMENT_KIND, "msg"),
				.message_ok = ok && !strcmp(ok, "1"), .now_ms = now_realtime_ms() };
}

/* A refusal as a page with the reason. */
static enum MHD_Result send_refusal(const struct api_request *rq, unsigned status, const char *why)
{
	struct ui_buf b = { 0 };
	struct ui_frame f;

	frame_init(rq, UI_PAGE_LOGIN, &f);
	f.message = why;
	f.message_ok = false;
	if (status == MHD_HTTP_UNAUTHORIZED)
		ui_render_login(&b, &f, false);
	else
		ui_render_notice(&b, &f, status == MHD_HTTP_NOT_FOUND ? "Not found" : "Refused");
	return send_page(rq->c, status, &b);
}

/* ---- hosts ---------------------------------------------------------------------- */

/* The host's NIC that booted last, its lease and that boot; with keep,
 * that NIC's events stay there (freed by the caller). */
static void load_host(const struct api_request *rq, const struct host *h, struct ui_host *u, struct boot_events *keep)
{
	struct boot_events best = { 0 };
	size_t best_nic = 0;

	*u = (struct ui_host){ .h = h, .image = h->image ? h->image : rq->cfg->boot_image };
	if (store_next_boot_get(rq->st, h->name, u->next_boot, sizeof(u->next_boot)) < 0)
		u->next_boot[0] = '\0';
	for (size_t i = 0; i < h->n_nics; i++) {
		struct boot_events ev;
		struct boot_timeline tl;
		if (boot_events_load(rq->st, h->nics[i].mac, 0, &ev) < 0)
			continue;
		boot_timeline_find(ev.ev, ev.n, &tl);
		if (tl.n && (!u->tl.n || tl.last_ms > u->tl.last_ms)) {
			boot_events_free(&best);
			best = ev;
			u->tl = tl;
			best_nic = i;
		} else {
			boot_events_free(&ev);
		}
	}
	ui_boot_failure(best.ev, &u->tl, u->failed, sizeof(u->failed));
	if (h->n_nics)
		u->has_lease = store_lease_by_mac(rq->st, h->nics[best_nic].mac, &u->lease) == 0;
	if (keep)
		*keep = best;
	else
		boot_events_free(&best);
}

/* local, netboot.xyz, each [entry], each image (sections and built). */
static const char **next_boot_choices(const struct config *cfg, struct ui_choices *c)
{
	const char **v = calloc(2 + cfg->n_entries + cfg->n_images, sizeof(*v));
	size_t n = 0;

	if (!v)
		return NULL;
	v[n++] = "local";
	v[n++] = "netboot.xyz";
	for (size_t i = 0; i < cfg->n_entries; i++)
		v[n++] = cfg->entries[i].name;
	for (size_t i = 0; i < cfg->n_images; i++)
		v[n++] = cfg->images[i].name;
	*c = (struct ui_choices){ .v = v, .n = n };
	return v;
}

static enum MHD_Result page_hosts(const struct api_request *rq)
{
	const struct config *cfg = rq->cfg;
	struct ui_host *hosts = calloc(cfg->n_hosts ? cfg->n_hosts : 1, sizeof(*hosts));
	struct ui_choices ch = { 0 };
	const char **v = next_boot_choices(cfg, &ch);
	struct ui_buf b = { 0 };
	struct ui_frame f;

	frame_init(rq, UI_PAGE_HOSTS, &f);
	if (hosts && v) {
		for (size_t i = 0; i < cfg->n_hosts; i++)
			load_host(rq, &cfg->hosts[i], &hosts[i], NULL);
		ui_render_hosts(&b, &f, hosts, cfg->n_hosts, &ch);
	}
	free(hosts);
	free(v);
	return send_page(rq->c, MHD_HTTP_OK, &b);
}

static enum MHD_Result page_host(const struct api_request *rq, const char *name)
{
	const struct host *h = config_host_by_name(rq->cfg, name);
	struct ui_choices ch = { 0 };
	const char **v;
	struct boot_events ev = { 0 };
	struct ui_buf b = { 0 };
	struct ui_host u;
	struct ui_frame f;

	if (!h)
		return send_refusal(rq, MHD_HTTP_NOT_FOUND, "There is no such host.");
	if (!(v = next_boot_choices(rq->cfg, &ch)))
		return MHD_NO;
	frame_init(rq, UI_PAGE_HOST, &f);
	load_host(rq, h, &u, &ev);
	ui_render_host(&b, &f, &u, ev.ev, ev.n, &ch);
	boot_events_free(&ev);
	free(v);
	return send_page(rq->c, MHD_HTTP_OK, &b);
}

/* ---- the other pages --------------------------------------------------------------- */

struct rows {
	void *v;
	size_t n, cap, size;
	const struct config *cfg;
};

static void *row_add(struct rows *r)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		void *grown;
		if (r->n >= UI_MAX_ROWS || !(grown = reallocarray(r->v, cap, r->size)))
			return NULL;
		r->v = grown;
		r->cap = cap;
	}
	return (char *)r->v + r->n++ * r->size;
}

static int add_machine(const struct machine *m, void *userdata)
{
	struct rows *r = userdata;
	struct machine *slot;

	if (config_host_by_mac(r->cfg, m->mac, NULL))
		return 0;
	if (!(slot = row_add(r)))
		return -ENOMEM;
	*slot = *m;
	return 0;
}

static enum MHD_Result page_discovered(const struct api_request *rq)
{
	struct rows r = { .size = sizeof(struct machine), .cfg = rq->cfg };
	struct ui_buf b = { 0 };
	struct ui_frame f;

	frame_init(rq, UI_PAGE_DISCOVERED, &f);
	store_machine_foreach(rq->st, add_machine, &r);
	ui_render_discovered(&b, &f, r.v, r.n);
	free(r.v);
	return send_page(rq->c, MHD_HTTP_OK, &b);
}

static int add_lease(const struct lease *l, void *userdata)
{
	struct lease *slot = row_add(userdata);

	if (!slot)
		return -ENOMEM;
	*slot = *l;
	return 0;
}

static enum MHD_Result page_leases(const struct api_request *rq)
{
	const struct config *cfg = rq->cfg;
	struct rows r = { .size = sizeof(struct lease) };
	struct ui_pool pools[CONFIG_MAX_POOLS];
	uint64_t now_s = now_realtime_ms() / 1000;
	struct ui_buf b = { 0 };
	struct ui_frame f;

	frame_init(rq, UI_PAGE_LEASES, &f);
	store_lease_foreach(rq->st, add_lease, &r);
	for (size_t i = 0; i < cfg->n_pools; i++) {
		const struct pool *p = &cfg->pools[i];
		uint32_t lo = ntohl(p->start.s_addr), hi = ntohl(p->end.s_addr);
		pools[i] = (struct ui_pool){ .name = p->name, .start = p->start, .end = p->end, .size = hi - lo + 1 };
		for (size_t k = 0; k < r.n; k++) {
			const struct lease *l = (const struct lease *)r.v + k;
			uint32_t a = ntohl(l->ip.s_addr);
			pools[i].used += a >= lo && a <= hi && l->state == LEASE_BOUND && l->expires > now_s;
		}
	}
	ui_render_leases(&b, &f, pools, cfg->n_pools, r.v, r.n);
	free(r.v);
	return send_page(rq->c, MHD_HTTP_OK, &b);
}

static enum MHD_Result page_images(const struct api_request *rq)
{
	const struct config *cfg = rq->cfg;
	struct image_store s;
	char **names = NULL;
	int n = 0;
	struct ui_image *im;
	char (*current)[IMAGE_VERSION_MAX];
	size_t k = 0;
	struct ui_buf b = { 0 };
	struct ui_frame f;

	frame_init(rq, UI_PAGE_IMAGES, &f);
	if (image_store_init(&s, cfg->images_root) < 0 || (n = image_store_names(&s, &names)) < 0)
		n = 0;
	im = calloc((size_t)n + cfg->n_images + 1, sizeof(*im));
	current = calloc((size_t)n + 1, sizeof(*current));
	if (im && current) {
		for (int i = 0; i < n; i++, k++) {
			im[k] = (struct ui_image){ .name = names[i], .built = true, .current = current[i] };
			image_store_current(&s, names[i], current[i], sizeof(current[i]));
			im[k].n_versions = image_store_versions(&s, names[i], &im[k].versions);
			im[k].n_versions = im[k].n_versions > 0 ? im[k].n_versions : 0;
		}
		for (size_t i = 0; i < cfg->n_images; i++)
			if (!cfg->images[i].built)
				im[k++] = (struct ui_image){ .name = cfg->images[i].name, .kernel = cfg->images[i].kernel };
		ui_render_images(&b, &f, im, k);
		for (int i = 0; i < n; i++)
			image_store_free_list(im[i].versions, im[i].n_versions);
	}
	if (names)
		image_store_free_list(names, n);
	free(im);
	free(current);
	return send_page(rq->c, MHD_HTTP_OK, &b);
}

struct log_rows {
	struct ui_log_line v[LOG_RECENT_MAX];
	size_t n;
};

static void add_log_line(uint64_t ts_ms, const char *line, void *userdata)
{
	struct log_rows *l = userdata;

	if (l->n < LOG_RECENT_MAX) {
		l->v[l->n].ts_ms = ts_ms;
		copy_string(l->v[l->n].line, sizeof(l->v[l->n].line), line);
		l->n++;
	}
}

static enum MHD_Result page_log(const struct api_request *rq)
{
	struct log_rows *l = calloc(1, sizeof(*l));
	struct ui_buf b = { 0 };
	struct ui_frame f;

	frame_init(rq, UI_PAGE_LOG, &f);
	if (l) {
		log_recent(add_log_line, l);
		ui_render_log(&b, &f, l->v, l->n);
	}
	free(l);
	return send_page(rq->c, MHD_HTTP_OK, &b);
}

static enum MHD_Result page_login(const struct api_request *rq)
{
	struct ui_buf b = { 0 };
	struct ui_frame f;

	frame_init(rq, UI_PAGE_LOGIN, &f);
	ui_render_login(&b, &f, false);
	return send_page(rq->c, MHD_HTTP_OK, &b);
}

/* ---- login and changes ------------------------------------------------------------------ */

/* RFC 6265 4.1.1 cookie-octet: what a token must be made of to travel in one. */
static bool cookie_safe(const char *s)
{
	for (; *s; s++)
		if (*s <= 0x20 || *s >= 0x7f || *s == '"' || *s == ',' || *s == ';' || *s == '\\')
			return false;
	return true;
}

static enum MHD_Result serve_login(const struct api_request *rq)
{
	char token[UI_FORM_FIELD_MAX + 1], cookie[UI_FORM_FIELD_MAX + 96];
	struct ui_buf b = { 0 };
	struct ui_frame f;
	int n;

	if (!http_same_origin(rq->c))
		return send_refusal(rq, MHD_HTTP_FORBIDDEN, "Refused: the login did not come from a page of this server.");
	n = ui_form_get(rq->body, rq->body_len, "token", token, sizeof(token));
	if (n <= 0 || !rq->token || !*rq->token || !http_same_secret(token, (size_t)n, rq->token)) {
		frame_init(rq, UI_PAGE_LOGIN, &f);
		ui_render_login(&b, &f, true);
		return send_page(rq->c, MHD_HTTP_FORBIDDEN, &b);
	}
	if (!cookie_safe(token))
		return send_refusal(rq, MHD_HTTP_BAD_REQUEST,
				    "This token cannot be kept in a cookie: give [http] api-token letters and digits only.");
	snprintf(cookie, sizeof(cookie), "labboot_token=%s; Path=/; HttpOnly; SameSite=Strict", token);
	return send_redirect(rq->c, "/ui/hosts", cookie);
}

static enum MHD_Result serve_logout(const struct api_request *rq)
{
	if (!http_same_origin(rq->c))
		return send_refusal(rq, MHD_HTTP_FORBIDDEN, "Refused: not from a page of this server.");
	return send_redirect(rq->c, "/ui/hosts", "labboot_token=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict");
}

/* A page to come back to: ours, in plain characters. */
static bool back_valid(const char *s)
{
	return strncmp(s, "/ui/", 4) == 0 && strlen(s) < 160 && !strstr(s, "..") && !strstr(s, "//") &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_.-") == strlen(s);
}

struct form {
	char what[32], back[256], host[128], entry[STORE_ENTRY_MAX], name[128], mac[32], ip[32], image[160],
		version[IMAGE_VERSION_MAX];
};

static void form_read(const struct api_request *rq, struct form *fm)
{
	struct {
		const char *key;
		char *out;
		size_t size;
	} fields[] = {
		{ "do", fm->what, sizeof(fm->what) },       { "back", fm->back, sizeof(fm->back) },
		{ "host", fm->host, sizeof(fm->host) },     { "entry", fm->entry, sizeof(fm->entry) },
		{ "name", fm->name, sizeof(fm->name) },     { "mac", fm->mac, sizeof(fm->mac) },
		{ "ip", fm->ip, sizeof(fm->ip) },           { "image", fm->image, sizeof(fm->image) },
		{ "version", fm->version, sizeof(fm->version) },
	};

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (ui_form_get(rq->body, rq->body_len, fields[i].key, fields[i].out, fields[i].size) < 0)
			fields[i].out[0] = '\0';
}

/* Has the daemon apply a change of the runtime hosts, as the API does. */
static int apply_hosts(const struct config *cfg, int r, FILE *out)
{
	char *reply = NULL;
	size_t len = 0;
	FILE *ignored;
	int told = 1;

	if (r < 0 || !(ignored = open_memstream(&reply, &len)))
		return r;
	told = action_tell_daemon(cfg, "hosts", ignored);
	fclose(ignored);
	free(reply);
	if (told != 0)
		fprintf(out, " (stored; the running daemon did not apply it)");
	return r;
}

static int run_action(const struct api_request *rq, struct form *fm, FILE *out)
{
	const struct config *cfg = rq->cfg;
	char assign[200], *assigns[1] = { assign };
	int r;

	if (!strcmp(fm->what, "host-add")) {
		if (!fm->name[0]) {
			fprintf(out, "a new host needs a name");
			return -EINVAL;
		}
		snprintf(assign, sizeof(assign), "image=%s", fm->image);
		r = action_host_put(cfg, rq->st, true, fm->name, fm->mac, fm->ip[0] ? fm->ip : NULL, assigns,
				    fm->image[0] ? 1 : 0, out);
		if (r == 0)
			fprintf(out, "host %s added", fm->name);
		return apply_hosts(cfg, r, out);
	}
	if (!strcmp(fm->what, "host-rm")) {
		if ((r = action_host_delete(cfg, rq->st, fm->host, out)) == 0)
			fprintf(out, "host %s removed", fm->host);
		return apply_hosts(cfg, r, out);
	}
	if (!strcmp(fm->what, "next-boot") || !strcmp(fm->what, "next-boot-clear")) {
		bool clear = !strcmp(fm->what, "next-boot-clear");
		if ((r = action_next_boot(cfg, rq->st, fm->host, clear ? NULL : fm->entry, out)) == 0 && clear)
			fprintf(out, "%s: next boot cleared", fm->host);
		return r;
	}
	if (!strcmp(fm->what, "wake"))
		return action_wake(cfg, fm->host, out);
	if (!strcmp(fm->what, "image-current"))
		return action_image_current(cfg, fm->image, fm->version, out);
	fprintf(out, "unknown action");
	return -EINVAL;
}

static enum MHD_Result serve_action(const struct api_request *rq)
{
	char *text = NULL, msg[UI_MESSAGE_MAX], location[UI_MESSAGE_MAX * 3 + 300];
	size_t len = 0;
	struct form fm;
	FILE *out;
	int r;

	if (!http_same_origin(rq->c))
		return send_refusal(rq, MHD_HTTP_FORBIDDEN, "Refused: the change did not come from a page of this server.");
	if (!http_authorized(rq->c, rq->token))
		return send_refusal(rq, MHD_HTTP_UNAUTHORIZED, "A change needs the API token: log in first.");
	form_read(rq, &fm);
	if (!back_valid(fm.back))
		snprintf(fm.back, sizeof(fm.back), "/ui/hosts");
	if (!(out = open_memstream(&text, &len)))
		return MHD_NO;
	r = run_action(rq, &fm, out);
	fclose(out);
	/* one line: the action's own words, trimmed */
	snprintf(msg, sizeof(msg), "%s", text ? text : "");
	free(text);
	for (char *p = msg; *p; p++)
		*p = *p == '\n' ? ' ' : *p;
	if (!msg[0])
		snprintf(msg, sizeof(msg), "%s", r == 0 ? "done" : strerror(-r));
	len = (size_t)snprintf(location, sizeof(location), "%s?ok=%d&msg=", fm.back, r == 0);
	ui_url_encode(msg, location + len, sizeof(location) - len);
	return send_redirect(rq->c, location, NULL);
}

/* ---- dispatch ------------------------------------------------------------------------- */

static const struct {
	const char *path;
	enum MHD_Result (*get)(const struct api_request *rq);
	enum MHD_Result (*post)(const struct api_request *rq);
} routes[] = {
	{ "/ui/hosts", page_hosts, NULL },   { "/ui/discovered", page_discovered, NULL },
	{ "/ui/leases", page_leases, NULL }, { "/ui/images", page_images, NULL },
	{ "/ui/log", page_log, NULL },       { "/ui/login", page_login, serve_login },
	{ "/ui/logout", NULL, serve_logout }, { "/ui/action", NULL, serve_action },
};

enum MHD_Result ui_serve(const struct api_request *rq)
{
	bool post = !strcmp(rq->method, "POST");
	const char *url = rq->url;

	if (!strcmp(url, "/ui") || !strcmp(url, "/ui/"))
		return send_redirect(rq->c, "/ui/hosts", NULL);
	if (!post && !strcmp(url, "/ui/static/ui.js"))
		return send_asset(rq->c, "text/javascript; charset=utf-8", ui_asset_js, ui_asset_js_len);
	if (!post && !strcmp(url, "/ui/static/ui.css"))
		return send_asset(rq->c, "text/css; charset=utf-8", ui_asset_css, ui_asset_css_len);
	if (!post && !strncmp(url, "/ui/hosts/", 10) && url[10] && !strchr(url + 10, '/'))
		return page_host(rq, url + 10);
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (strcmp(url, routes[i].path) != 0)
			continue;
		if (post ? routes[i].post : routes[i].get)
			return post ? routes[i].post(rq) : routes[i].get(rq);
		return send_refusal(rq, MHD_HTTP_METHOD_NOT_ALLOWED, "Not with this method.");
	}
	return send_refusal(rq, MHD_HTTP_NOT_FOUND, "There is no such page.");
}
