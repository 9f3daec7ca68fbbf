#include "http/http_api.h"
#include "http/ui_form.h"
#include "admin/actions.h"
#include "boot/timeline.h"
#include "core/log.h"
#include "image/image_store.h"
#include "core/config.h"
#include "core/util.h"
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#define API_MAX_EVENTS 1000

static json_t *lease_json(const struct lease *l)
{
	char ip[16], mac[18];

	return json_pack("{s:s, s:s, s:s, s:I, s:s}", "ip", format_ipv4(ip, l->ip), "mac", format_mac(mac, l->mac),
			 "state", lease_state_name(l->state), "expires", (json_int_t)l->expires, "hostname", l->hostname);
}

static int add_lease(const struct lease *l, void *userdata)
{
	json_array_append_new(userdata, lease_json(l));
	return 0;
}

struct event_list {
	json_t *array;
	size_t n;
};

static int add_event(const struct boot_event *ev, void *userdata)
{
	struct event_list *el = userdata;
	char mac[18];

	if (el->n++ >= API_MAX_EVENTS)
		json_array_remove(el->array, 0); /* keep the newest */
	json_array_append_new(el->array, json_pack("{s:I, s:s, s:s, s:s, s:s}", "ts_ms", (json_int_t)ev->ts_ms,
						  "mac", ev->has_mac ? format_mac(mac, ev->mac) : "", "host", ev->host,
						  "kind", ev->kind, "detail", ev->detail));
	return 0;
}

static json_t *host_json(const struct config *cfg, struct store *st, const struct host *h)
{
	json_t *nics = json_array();
	char mac[18], ip[16];

	for (size_t i = 0; i < h->n_nics; i++) {
		struct lease l;
		json_t *nic = json_pack("{s:s, s:s?}", "mac", format_mac(mac, h->nics[i].mac), "reserved_ip",
					h->nics[i].ip.s_addr ? format_ipv4(ip, h->nics[i].ip) : NULL);
		if (store_lease_by_mac(st, h->nics[i].mac, &l) == 0)
			json_object_set_new(nic, "lease", lease_json(&l));
		json_array_append_new(nics, nic);
	}
	return json_pack("{s:s, s:o, s:s?, s:s?}", "name", h->name, "nics", nics, "image",
			 h->image ? h->image : cfg->boot_image, "menu", h->menu ? h->menu : cfg->boot_menu);
}

static json_t *host_events(const struct config *cfg, struct store *st, const char *name)
{
	const struct host *h = config_host_by_name(cfg, name);
	struct event_list el = { .array = json_array() };

	if (!h) {
		json_decref(el.array);
		return NULL;
	}
	for (size_t i = 0; i < h->n_nics; i++)
		store_event_foreach(st, h->nics[i].mac, 0, add_event, &el);
	return el.array;
}

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, json_t *j)
{
	char *text = json_dumps(j, JSON_INDENT(1));
	struct MHD_Response *r;
	enum MHD_Result ret;

	json_decref(j);
	if (!text)
		return MHD_NO;
	r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* ---- the credential ------------------------------------------------------ */

int http_api_token_load(const char *state_dir, char token[HTTP_TOKEN_LEN + 1])
{
	char path[4096];
	uint8_t raw[HTTP_TOKEN_LEN / 2];
	ssize_t n;
	int fd, r = 0;

	if (pathf(path, sizeof(path), "%s/api-token", state_dir) < 0)
		return -ENAMETOOLONG;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		n = read(fd, token, HTTP_TOKEN_LEN);
		close(fd);
		if (n == HTTP_TOKEN_LEN) {
			token[HTTP_TOKEN_LEN] = '\0';
			return 0;
		}
		log_warn("http: %s is not a token: making a new one", path);
		unlink(path);
	}
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return -errno;
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(token + 2 * i, 3, "%02x", raw[i]);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, token, HTTP_TOKEN_LEN) != HTTP_TOKEN_LEN || fsync(fd) < 0)
		r = -errno;
	if (fd >= 0)
		close(fd);
	if (r == 0)
		log_info("http: made the API token %s (changes need it)", path);
	return r;
}

bool http_same_secret(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);
	unsigned char diff = alen != blen;

	for (size_t i = 0; i < alen && i < blen; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

bool http_authorized(struct MHD_Connection *c, const char *token)
{
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	const char *cookie = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "labboot_token");

	if (!token || !*token)
		return false;
	if (auth && strncmp(auth, "Bearer ", 7) == 0 && http_same_secret(auth + 7, strlen(auth + 7), token))
		return true;
	return cookie && http_same_secret(cookie, strlen(cookie), token);
}

bool http_same_origin(struct MHD_Connection *c)
{
	return ui_same_origin(MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST),
			      MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin"),
			      MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_REFERER));
}

/* A browser sends the cookie along with a request another page makes:
 * with it (no Bearer), a change must come from a page of this server. */
static bool change_authorized(struct MHD_Connection *c, const char *token)
{
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	bool bearer = auth && strncmp(auth, "Bearer ", 7) == 0;

	return http_authorized(c, token) && (bearer || http_same_origin(c));
}

/* ---- reads ---------------------------------------------------------------- */

struct machines {
	const struct config *cfg;
	json_t *array;
};

static int add_discovered(const struct machine *m, void *userdata)
{
	struct machines *ms = userdata;
	char mac[18];

	if (config_host_by_mac(ms->cfg, m->mac, NULL))
		return 0;
	json_array_append_new(ms->array, json_pack("{s:s, s:I, s:I, s:s}", "mac", format_mac(mac, m->mac), "first_ms",
						    (json_int_t)m->first_ms, "last_ms", (json_int_t)m->last_ms,
						    "detail", m->detail));
	return 0;
}

static json_t *images_json(const struct config *cfg)
{
	struct image_store s;
	char **names = NULL;
	json_t *j = json_array();
	int n;

	if (image_store_init(&s, cfg->images_root) < 0 || (n = image_store_names(&s, &names)) < 0)
		return j;
	for (int i = 0; i < n; i++) {
		char **versions = NULL, current[IMAGE_VERSION_MAX] = "";
		int nv = image_store_versions(&s, names[i], &versions);
		json_t *vs = json_array();
		image_store_current(&s, names[i], current, sizeof(current));
		for (int k = 0; k < nv; k++)
			json_array_append_new(vs, json_string(versions[k]));
		json_array_append_new(j, json_pack("{s:s, s:s, s:o}", "name", names[i], "current", current, "versions", vs));
		image_store_free_list(versions, nv > 0 ? nv : 0);
	}
	image_store_free_list(names, n);
	return j;
}

static void add_log_line(uint64_t ts_ms, const char *line, void *userdata)
{
	json_array_append_new(userdata, json_pack("{s:I, s:s}", "ts_ms", (json_int_t)ts_ms, "line", line));
}

static enum MHD_Result serve_read(const struct api_request *rq)
{
	const struct config *cfg = rq->cfg;
	char name[64];
	json_t *j;

	if (strcmp(rq->url, "/api/v1/leases") == 0) {
		j = json_array();
		store_lease_foreach(rq->st, add_lease, j);
		return send_json(rq->c, MHD_HTTP_OK, j);
	}
	if (strcmp(rq->url, "/api/v1/hosts") == 0) {
		j = json_array();
		for (size_t i = 0; i < cfg->n_hosts; i++)
			json_array_append_new(j, host_json(cfg, rq->st, &cfg->hosts[i]));
		return send_json(rq->c, MHD_HTTP_OK, j);
	}
	if (strcmp(rq->url, "/api/v1/discovered") == 0) {
		struct machines ms = { .cfg = cfg, .array = json_array() };
		store_machine_foreach(rq->st, add_discovered, &ms);
		return send_json(rq->c, MHD_HTTP_OK, ms.array);
	}
	if (strcmp(rq->url, "/api/v1/images") == 0)
		return send_json(rq->c, MHD_HTTP_OK, images_json(cfg));
	if (strcmp(rq->url, "/api/v1/log") == 0) {
		j = json_array();
		log_recent(add_log_line, j);
		return send_json(rq->c, MHD_HTTP_OK, j);
	}
	if (sscanf(rq->url, "/api/v1/hosts/%63[^/]/events", name) == 1 && (j = host_events(cfg, rq->st, name)))
		return send_json(rq->c, MHD_HTTP_OK, j);
	if (sscanf(rq->url, "/api/v1/hosts/%63[^/]", name) == 1 && !strchr(rq->url + 14, '/') &&
	    config_host_by_name(cfg, name))
		return send_json(rq->c, MHD_HTTP_OK, host_json(cfg, rq->st, config_host_by_name(cfg, name)));
	return send_json(rq->c, MHD_HTTP_NOT_FOUND, json_pack("{s:s}", "error", "not found"));
}

/* ---- changes -------------------------------------------------------------- */

/* "set": {KEY: VALUE} as KEY=VALUE strings (freed by the caller). */
static int assignments(json_t *set, char **out, size_t max, size_t *n)
{
	const char *key;
	json_t *v;

	*n = 0;
	if (!set)
		return 0;
	if (!json_is_object(set))
		return -EINVAL;
	json_object_foreach(set, key, v) {
		if (*n == max || !json_is_string(v) || asprintf(&out[*n], "%s=%s", key, json_string_value(v)) < 0)
			return -EINVAL;
		(*n)++;
	}
	return 0;
}

/* 507 for a full state disk, 503 for one that cannot be written now,
 * 500 for a damaged database, 4xx for the request's own problems. */
static unsigned change_status(int r)
{
	switch (r) {
	case 0: return MHD_HTTP_OK;
	case -ENOENT: return MHD_HTTP_NOT_FOUND;
	case -EPERM: return MHD_HTTP_FORBIDDEN;
	case -EEXIST: return MHD_HTTP_CONFLICT;
	case -ENOSPC: return MHD_HTTP_INSUFFICIENT_STORAGE;
	case -EROFS: case -EBUSY: return MHD_HTTP_SERVICE_UNAVAILABLE;
	case -EIO: case -EBADMSG: case -ENOMEM: return MHD_HTTP_INTERNAL_SERVER_ERROR;
	default: return MHD_HTTP_BAD_REQUEST;
	}
}

/* A change's outcome: 200 (applied or stored), 4xx with the problems. */
static enum MHD_Result outcome(const struct api_request *rq, int r, char *text, bool hosts_changed)
{
	char *reply = NULL;
	_cleanup_free_ char *reply_free = NULL;
	size_t len = 0;
	int told = 1;
	unsigned status;

	if (r == 0 && hosts_changed) {
		FILE *out = open_memstream(&reply, &len);
		if (out) {
			told = action_tell_daemon(rq->cfg, "hosts", out);
			fclose(out);
		}
	}
	status = change_status(r);
	if (status >= 500 && (!text || !*text)) /* the state disk or database: say which */
		text = reply_free = strdup(strerror(-r));
	json_t *j = json_pack("{s:b, s:s}", "ok", r == 0, "message", text ? text : "");
	if (hosts_changed && r == 0)
		json_object_set_new(j, "applied", json_boolean(told == 0));
	free(reply);
	return send_json(rq->c, status, j);
}

static enum MHD_Result change_host(const struct api_request *rq, json_t *body, const char *name, bool create)
{
	char *assign[32] = { 0 }, *text = NULL;
	size_t n = 0, len = 0;
	FILE *out = open_memstream(&text, &len);
	json_t *set = json_object_get(body, "set");
	const char *mac = json_string_value(json_object_get(body, "mac"));
	const char *ip = json_string_value(json_object_get(body, "ip"));
	int r;

	if (!out)
		return MHD_NO;
	if (create)
		name = json_string_value(json_object_get(body, "name"));
	if (!name || assignments(set, assign, 32, &n) < 0) {
		fprintf(out, "want {\"name\", \"mac\", \"ip\"?, \"set\": {KEY: VALUE}?}");
		r = -EINVAL;
	} else {
		r = action_host_put(rq->cfg, rq->st, create, name, mac, ip, assign, n, out);
	}
	fclose(out);
	for (size_t i = 0; i < n; i++)
		free(assign[i]);
	enum MHD_Result ret = outcome(rq, r, text, true);
	free(text);
	return ret;
}

static enum MHD_Result serve_change(const struct api_request *rq)
{
	json_t *body = rq->body_len ? json_loadb(rq->body, rq->body_len, 0, NULL) : json_object();
	char name[64], *text = NULL;
	size_t len = 0;
	bool post = !strcmp(rq->method, "POST"), put = !strcmp(rq->method, "PUT"), del = !strcmp(rq->method, "DELETE");
	enum MHD_Result ret;
	FILE *out;
	int r = -ENOENT;

	if (!json_is_object(body)) {
		json_decref(body);
		return send_json(rq->c, MHD_HTTP_BAD_REQUEST, json_pack("{s:b, s:s}", "ok", 0, "message", "the body is not a JSON object"));
	}
	if (post && strcmp(rq->url, "/api/v1/hosts") == 0) {
		ret = change_host(rq, body, NULL, true);
		json_decref(body);
		return ret;
	}
	if (put && sscanf(rq->url, "/api/v1/hosts/%63[^/]", name) == 1 && !strchr(rq->url + 14, '/')) {
		ret = change_host(rq, body, name, false);
		json_decref(body);
		return ret;
	}
	if (!(out = open_memstream(&text, &len))) {
		json_decref(body);
		return MHD_NO;
	}
	bool hosts = false;
	char tail[32] = "";
	if (sscanf(rq->url, "/api/v1/hosts/%63[^/]/%31s", name, tail) >= 1) {
		hosts = del && !tail[0];
		if (hosts)
			r = action_host_delete(rq->cfg, rq->st, name, out);
		else if ((post || del) && !strcmp(tail, "next-boot"))
			r = action_next_boot(rq->cfg, rq->st, name, post ? json_string_value(json_object_get(body, "entry")) : NULL, out);
		else if (post && !strcmp(tail, "wake"))
			r = action_wake(rq->cfg, name, out);
		if (post && !strcmp(tail, "next-boot") && !json_is_string(json_object_get(body, "entry")))
			r = -EINVAL;
	} else if (post && sscanf(rq->url, "/api/v1/images/%63[^/]/current", name) == 1) {
		const char *v = json_string_value(json_object_get(body, "version"));
		r = v ? action_image_current(rq->cfg, name, v, out) : -EINVAL;
	} else if (post && strcmp(rq->url, "/api/v1/reload") == 0) {
		r = action_tell_daemon(rq->cfg, "reload", out);
		r = r == 1 ? -ENOENT : r;
	}
	fclose(out);
	json_decref(body);
	ret = outcome(rq, r, text, hosts);
	free(text);
	return ret;
}

enum MHD_Result http_api_serve(const struct api_request *rq)
{
	if (!strcmp(rq->method, "GET") || !strcmp(rq->method, "HEAD"))
		return serve_read(rq);
	if (!change_authorized(rq->c, rq->token)) {
		struct MHD_Response *r;
		enum MHD_Result ret;
		static const char msg[] = "{\"ok\": false, \"message\": \"a change needs the API token\"}\n";
		r = MHD_create_response_from_buffer(sizeof(msg) - 1, (void *)msg, MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"labboot\"");
		ret = MHD_queue_response(rq->c, MHD_HTTP_UNAUTHORIZED, r);
		MHD_destroy_response(r);
		return ret;
	}
	return serve_change(rq);
}
