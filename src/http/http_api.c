#include "http/http_api.h"
#include "core/config.h"
#include "core/util.h"
#include "store/store.h"

#include <jansson.h>
#include <stdio.h>

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

enum MHD_Result http_api_serve(const struct config *cfg, struct store *st, struct MHD_Connection *c,
			       const char *url)
{
	char name[64];
	json_t *j;

	if (strcmp(url, "/api/v1/leases") == 0) {
		j = json_array();
		store_lease_foreach(st, add_lease, j);
		return send_json(c, MHD_HTTP_OK, j);
	}
	if (strcmp(url, "/api/v1/hosts") == 0) {
		j = json_array();
		for (size_t i = 0; i < cfg->n_hosts; i++)
			json_array_append_new(j, host_json(cfg, st, &cfg->hosts[i]));
		return send_json(c, MHD_HTTP_OK, j);
	}
	if (sscanf(url, "/api/v1/hosts/%63[^/]/events", name) == 1) {
		j = host_events(cfg, st, name);
		if (j)
			return send_json(c, MHD_HTTP_OK, j);
	}
	return send_json(c, MHD_HTTP_NOT_FOUND, json_pack("{s:s}", "error", "not found"));
}
