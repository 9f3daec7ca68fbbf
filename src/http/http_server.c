/* HTTP server on libmicrohttpd's own threads, so large downloads never
 * stall the DHCP/TFTP loop: static files (sendfile, Range, conditional
 * GET), Debian's iPXE binaries, per-host iPXE scripts, the "booted"
 * callback, a small JSON API and /metrics. The configuration is read-only,
 * the store is thread-safe and the metrics atomic, so handlers need no
 * locking of their own. */
#include "http/http_server.h"
#include "http/http_api.h"
#include "http/http_limits.h"
#include "http/http_parse.h"
#include "http/http_send.h"
#include "http/ui.h"
#include "image/image_boot.h"
#include "image/image_store.h"
#include "isos/iso_catalog.h"
#include "isos/iso_http.h"
#include "boot/boot_events.h"
#include "boot/ipxe_script.h"
#include "boot/timeline.h"
#include "http/boot_script.h"
#include "core/live_config.h"
#include "core/config.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/util.h"
#include "store/store.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#define HTTP_MAX_CONNECTIONS 1024
#define HTTP_BOOT_EVENTS_MS (6 * 3600 * 1000) /* how far back a boot's events are read */

struct http_server {
	struct live_config *live;
	char token[HTTP_TOKEN_LEN + 1];  /* STATE/api-token, unless [http] api-token */
	struct store *st;
	struct metrics *metrics;      /* NULL: no /metrics */
	struct MHD_Daemon *daemon;
	int root_fd;                  /* [http] root, -1 if missing */
	int ipxe_fd;                  /* [boot] ipxe-dir, -1 if missing */
	int images_fd;                /* [images] root: built images under /images/ */
	struct iso_catalog *isos;     /* [isos] dir's scans, kept between boots */
	struct ratelimit rl;
	struct http_limits *limits;   /* fair shares per client address */
};

/* ---- responses ---------------------------------------------------------- */

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status, const char *type, const char *text)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* iPXE's connection is closed after its script: UEFI iPXE (snponly.efi on
 * OVMF) that reused it for the kernel after the menu's wait sometimes got
 * no answer and timed out after ~100 s; a fresh connection per boot costs
 * one handshake. Other clients (scripts, monitoring) keep keep-alive. */
static bool client_is_ipxe(struct MHD_Connection *c)
{
	const char *ua = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_USER_AGENT);
	return ua && strncmp(ua, "iPXE/", 5) == 0;
}

static enum MHD_Result send_script(struct MHD_Connection *c, const char *script)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(script), (void *)script, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain");
	if (client_is_ipxe(c))
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status)
{
	char body[64];

	snprintf(body, sizeof(body), "%u\n", status);
	return send_text(c, status, "text/plain", body);
}

/* The peer's address, for logs and to find its lease. */
static struct in_addr peer_addr(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	struct in_addr a = { 0 };

	if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
		a = ((const struct sockaddr_in *)ci->client_addr)->sin_addr;
	return a;
}

/* Who is asking: from ?mac= if given, else from the lease of the peer. */
static bool identify_client(struct http_server *srv, struct MHD_Connection *c, uint8_t mac[6])
{
	const char *q = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "mac");
	struct lease l;

	if (q && parse_mac(q, mac) == 0)
		return true;
	if (store_lease_by_ip(srv->st, peer_addr(c), &l) == 0) {
		memcpy(mac, l.mac, 6);
		return true;
	}
	return false;
}

static void base_url(const struct config *cfg, struct MHD_Connection *c, char *out, size_t size)
{
	const union MHD_ConnectionInfo *ci;
	char ip[16];

	if (cfg->boot_url) {
		snprintf(out, size, "%s", cfg->boot_url);
		return;
	}
	/* the address the client reached us on */
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct sockaddr_in sa = { 0 };
	socklen_t len = sizeof(sa);
	if (ci && getsockname(ci->connect_fd, (struct sockaddr *)&sa, &len) == 0 && sa.sin_family == AF_INET)
		format_ipv4(ip, sa.sin_addr);
	else
		format_ipv4(ip, cfg->address);
	if (cfg->http_port == 80)
		snprintf(out, size, "http://%s", ip);
	else
		snprintf(out, size, "http://%s:%u", ip, cfg->http_port);
}

/* ---- iPXE scripts and the booted callback -------------------------------- */


static enum MHD_Result serve_script(struct http_server *srv, const struct config *cfg, struct MHD_Connection *c,
				    uint64_t *ret_body)
{
	struct boot_script bs = { .cfg = cfg, .st = srv->st, .root_fd = srv->root_fd, .rl = &srv->rl, .isos = srv->isos };
	char url[256], mac[18];
	_cleanup_free_ char *script = malloc(IPXE_SCRIPT_MAX);
	int n;

	if (!script)
		return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR);
	if (!identify_client(srv, c, bs.mac))
		return send_text(c, MHD_HTTP_NOT_FOUND, "text/plain", "#!ipxe\necho labboot: unknown machine (no ?mac=)\nexit 1\n");
	base_url(cfg, c, url, sizeof(url));
	bs.base_url = url;
	bs.ipxe_https = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "https") != NULL;
	if ((n = boot_script_render(&bs, script, IPXE_SCRIPT_MAX)) < 0) {
		log_warn("http: cannot render the script for %s: %s", format_mac(mac, bs.mac), strerror(-n));
		return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR);
	}
	if (bs.once && store_next_boot_clear(srv->st, bs.host->name, bs.entry) == 0) {
		store_event_add(srv->st, bs.mac, bs.host->name, "next-boot", "%s (used, cleared)", bs.entry);
		log_info("http: %s: next boot %s used", bs.host->name, bs.entry);
	}
	store_event_add(srv->st, bs.mac, bs.host ? bs.host->name : "", "script", "boot.ipxe %d bytes", n);
	log_info("http: boot script for %s%s%s", format_mac(mac, bs.mac), bs.host ? " host " : "",
		 bs.host ? bs.host->name : "");
	*ret_body = (uint64_t)n;
	return send_script(c, script);
}

/* A millisecond count from the query string; 0 if absent or not one. */
static unsigned long long query_ms(struct MHD_Connection *c, const char *key)
{
	const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, key);
	uint64_t ms;

	return v && parse_u64(v, 0, UINT64_C(1) << 40, &ms) == 0 ? (unsigned long long)ms : 0;
}

/* The boot that just called back, observed once: at its first callback. */
static void observe_boot(struct http_server *srv, const uint8_t mac[6])
{
	struct boot_events ev;
	struct boot_timeline tl;

	if (!srv->metrics || boot_events_load(srv->st, mac, now_realtime_ms() - HTTP_BOOT_EVENTS_MS, &ev) < 0)
		return;
	boot_timeline_find(ev.ev, ev.n, &tl);
	if (tl.up && tl.n_booted == 1)
		metrics_observe_boot(srv->metrics, &tl);
	boot_events_free(&ev);
}

static enum MHD_Result serve_booted(struct http_server *srv, const struct config *cfg, struct MHD_Connection *c)
{
	uint8_t mac[6];
	char m[18], ip[16];
	const struct host *h;

	if (!identify_client(srv, c, mac))
		return send_error(c, MHD_HTTP_BAD_REQUEST);
	h = config_host_by_mac(cfg, mac, NULL);
	/* the booted system's own clock: ms since its kernel started, now, at
	 * systemd's start in the real root and at multi-user.target */
	store_event_add(srv->st, mac, h ? h->name : "", "booted", "from %s up_ms %llu userspace_ms %llu ready_ms %llu",
			format_ipv4(ip, peer_addr(c)), query_ms(c, "up_ms"), query_ms(c, "userspace_ms"),
			query_ms(c, "ready_ms"));
	log_info("http: %s%s%s is up", format_mac(m, mac), h ? " host " : "", h ? h->name : "");
	observe_boot(srv, mac);
	return send_text(c, MHD_HTTP_OK, "text/plain", "ok\n");
}

/* ---- files ----------------------------------------------------------------- */


/* What a file a boot fetches is, by the name's look. */
static enum metric_http_class file_class(const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

	if (strstr(base, "vmlinuz") || strstr(base, "linux") || strstr(base, "kernel") || strstr(base, "bzImage"))
		return METRIC_HTTP_KERNEL;
	if (strstr(base, "initrd") || strstr(base, "initramfs") || strstr(base, ".cpio"))
		return METRIC_HTTP_INITRD;
	if (strstr(base, ".efi") || strstr(base, "pxe"))
		return METRIC_HTTP_BOOTLOADER;
	if (strstr(base, "squashfs") || strstr(base, ".module") || strstr(base, ".sfs") ||
	    (strlen(base) > 4 && strcasecmp(base + strlen(base) - 4, ".iso") == 0)) /* a live ISO fetched whole */
		return METRIC_HTTP_ROOT;
	return METRIC_HTTP_FILE;
}

/* The boot event of such a file; NULL for any other file. */
static const char *file_event_kind(const char *rel)
{
	static const char *const kinds[METRIC_HTTP_CLASS_COUNT_] = {
		[METRIC_HTTP_KERNEL] = "kernel", [METRIC_HTTP_INITRD] = "initrd",
		[METRIC_HTTP_BOOTLOADER] = "bootloader", [METRIC_HTTP_ROOT] = "root",
	};
	return kinds[file_class(rel)];
}

static void record_file_event(struct http_server *srv, const struct config *cfg, struct MHD_Connection *c,
			      const char *rel, bool head,
			      unsigned status, uint64_t bytes)
{
	const char *kind = file_event_kind(rel);
	uint8_t mac[6];
	const struct host *h;

	if (!kind || !identify_client(srv, c, mac))
		return;
	h = config_host_by_mac(cfg, mac, NULL);
	/* EDK2's HTTP boot asks for the size with HEAD before the GET */
	store_event_add(srv->st, mac, h ? h->name : "", kind, "http%s %s %u %llu bytes", head ? " HEAD" : "", rel,
			status, head ? 0ULL : (unsigned long long)bytes);
}

/* A machine that fails to fetch a boot file: its timeline shows why. */
static void record_file_error(struct http_server *srv, const struct config *cfg, struct MHD_Connection *c,
			      const char *rel, unsigned status)
{
	uint8_t mac[6];
	const struct host *h;
	char ip[16];

	if (!identify_client(srv, c, mac))
		return;
	h = config_host_by_mac(cfg, mac, NULL);
	store_event_add(srv->st, mac, h ? h->name : "", "http-error", "%s %u", rel, status);
	log_warn("http: %s: %s %u", format_ipv4(ip, peer_addr(c)), rel, status);
}

static enum MHD_Result serve_file(struct http_server *srv, const struct config *cfg, struct MHD_Connection *c,
				  int dir_fd, const char *url_path, bool head, uint64_t *ret_body)
{
	char rel[1024], ip[16];
	struct stat sb;
	enum MHD_Result ret;
	unsigned status = MHD_HTTP_OK;
	int fd, e;

	if (dir_fd < 0 || (e = http_path_to_relative(url_path, rel, sizeof(rel))) < 0) {
		log_ratelimited(&srv->rl, LOG_LEVEL_WARN, "http: refused path from %s", format_ipv4(ip, peer_addr(c)));
		return send_error(c, MHD_HTTP_FORBIDDEN);
	}
	fd = open_beneath(dir_fd, rel);
	if (fd < 0) {
		status = fd == -ENOENT || fd == -ENOTDIR ? MHD_HTTP_NOT_FOUND : MHD_HTTP_FORBIDDEN;
		if (fd == -EXDEV || fd == -ELOOP)
			log_ratelimited(&srv->rl, LOG_LEVEL_WARN, "http: %s leaves the root, refused", rel);
		record_file_error(srv, cfg, c, rel, status);
		return send_error(c, status);
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return send_error(c, MHD_HTTP_NOT_FOUND);
	}
	ret = http_send_extent(c, fd, 0, (uint64_t)sb.st_size, sb.st_mtime, &status, ret_body);
	if (status == MHD_HTTP_OK || status == MHD_HTTP_PARTIAL_CONTENT)
		record_file_event(srv, cfg, c, rel, head, status, *ret_body);
	return ret;
}

/* A file inside an ISO of [isos] dir, or the whole ISO: a boot event too. */
static enum MHD_Result serve_iso(struct http_server *srv, const struct config *cfg, struct MHD_Connection *c,
				 const char *url, bool head, uint64_t *ret_body)
{
	unsigned status = 0;
	enum MHD_Result ret = iso_http_serve(c, cfg->isos_dir, url + 6, &status, ret_body);

	if (status == MHD_HTTP_OK || status == MHD_HTTP_PARTIAL_CONTENT)
		record_file_event(srv, cfg, c, url + 1, head, status, *ret_body);
	return ret;
}

/* /images/NAME/... is the image store's when NAME is a built image there
 * (or the store's hidden cache), else the HTTP root's own images/ directory,
 * as before there was a store. */
static bool is_built_image(struct http_server *srv, const char *rest)
{
	char name[IMAGE_NAME_MAX];
	size_t n = strcspn(rest, "/");
	struct stat st;

	if (srv->images_fd < 0 || n == 0 || n >= sizeof(name))
		return false;
	if (rest[0] == '.')
		return true;
	memcpy(name, rest, n);
	name[n] = '\0';
	return image_name_valid(name) && fstatat(srv->images_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

/* Read-only and open, as Prometheus scrapes it. */
static enum MHD_Result serve_metrics(struct http_server *srv, struct MHD_Connection *c, uint64_t *ret_body)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char *text;
	size_t len;

	if (!srv->metrics)
		return send_error(c, MHD_HTTP_NOT_FOUND);
	if (metrics_text(srv->metrics, &text, &len) < 0)
		return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR);
	if (!(r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE))) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	*ret_body = len;
	return ret;
}

/* ---- dispatch ------------------------------------------------------------------ */

/* A request's body, kept for the API (bounded); the rest are drained. */
struct http_conn {
	char *body;
	size_t len;
	bool too_big;
	/* for the metrics, counted when the request ends */
	enum metric_http_class cls;
	unsigned status;              /* 0: not answered yet */
	uint64_t sent;                /* the response body's size, where known */
};

static void keep_body(struct http_conn *conn, const char *url, const char *data, size_t size)
{
	char *grown;

	if ((strncmp(url, "/api/", 5) != 0 && !ui_path(url)) || conn->too_big)
		return;
	if (conn->len + size > HTTP_BODY_MAX || !(grown = realloc(conn->body, conn->len + size + 1))) {
		conn->too_big = true;
		return;
	}
	memcpy(grown + conn->len, data, size);
	conn->len += size;
	grown[conn->len] = '\0';
	conn->body = grown;
}

static enum metric_http_class request_class(const char *url)
{
	if (strcmp(url, "/boot.ipxe") == 0)
		return METRIC_HTTP_SCRIPT;
	if (strcmp(url, "/booted") == 0)
		return METRIC_HTTP_BOOTED;
	if (strncmp(url, "/api/", 5) == 0 || ui_path(url))
		return METRIC_HTTP_API;
	if (strcmp(url, "/metrics") == 0)
		return METRIC_HTTP_METRICS;
	return file_class(url);
}

/* The status queued; a request left without a response is the server's
 * failure. */
static unsigned queued_status(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_HTTP_STATUS);

	return ci && ci->http_status ? ci->http_status : MHD_HTTP_INTERNAL_SERVER_ERROR;
}

static void count_request(struct metrics *m, const struct http_conn *conn, enum MHD_RequestTerminationCode toe)
{
	if (conn->status)
		metrics_http_request(m, conn->cls, conn->status);
	if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
		metrics_add(m, METRIC_HTTP_SENT_BYTES, conn->cls, conn->sent);
	else
		metrics_count(m, METRIC_HTTP_INCOMPLETE, (unsigned)toe - 1);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct http_server *srv = cls;
	struct http_conn *conn = *con_cls;

	if (conn) {
		http_limits_request_done(srv->limits, c);
		count_request(srv->metrics, conn, toe);
		free(conn->body);
		free(conn);
		*con_cls = NULL;
	}
}

static enum MHD_Result dispatch(struct http_server *srv, const struct config *cfg, struct MHD_Connection *c,
				struct http_conn *conn, const char *url, const char *method, bool head)
{
	if (strcmp(url, "/boot.ipxe") == 0)
		return serve_script(srv, cfg, c, &conn->sent);
	if (strcmp(url, "/booted") == 0)
		return serve_booted(srv, cfg, c);
	if (strncmp(url, "/api/", 5) == 0 || ui_path(url)) { /* the dashboard's requests are the API's kind */
		struct api_request rq = { .cfg = cfg, .st = srv->st, .c = c, .url = url, .method = method,
					  .body = conn->body ? conn->body : "", .body_len = conn->len,
					  .token = cfg->http_api_token ? cfg->http_api_token : srv->token };
		if (conn->too_big)
			return send_error(c, MHD_HTTP_CONTENT_TOO_LARGE);
		return ui_path(url) ? ui_serve(&rq) : http_api_serve(&rq);
	}
	if (strcmp(method, MHD_HTTP_METHOD_POST) == 0)
		return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED);
	if (strcmp(url, "/metrics") == 0)
		return serve_metrics(srv, c, &conn->sent);
	if (strncmp(url, "/isos/", 6) == 0)
		return serve_iso(srv, cfg, c, url, head, &conn->sent);
	if (strncmp(url, "/ipxe/", 6) == 0)
		return serve_file(srv, cfg, c, srv->ipxe_fd, url + 5, head, &conn->sent);
	if (strncmp(url, "/images/", 8) == 0 && is_built_image(srv, url + 8)) /* the cache and temp dirs are not served */
		return strstr(url, "/.") ? send_error(c, MHD_HTTP_FORBIDDEN)
					  : serve_file(srv, cfg, c, srv->images_fd, url + 7, head, &conn->sent);
	return serve_file(srv, cfg, c, srv->root_fd, url, head, &conn->sent);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct http_server *srv = cls;
	struct http_conn *conn = *con_cls;
	bool head = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
	const struct config *cfg;
	enum MHD_Result ret;

	/* MHD closes the connection after a response queued before the whole
	 * request was read; answer on the second call to keep it alive. */
	if (!conn) {
		if (!(*con_cls = calloc(1, sizeof(struct http_conn))))
			return MHD_NO;
		http_limits_request_read(srv->limits, c);
		return MHD_YES;
	}
	if (*upload_size) {
		keep_body(conn, url, upload_data, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	conn->cls = request_class(url);
	if (!head && strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_POST) != 0 &&
	    (strncmp(url, "/api/", 5) != 0 || (strcmp(method, "PUT") != 0 && strcmp(method, "DELETE") != 0))) {
		ret = send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED);
	} else {
		cfg = live_config_get(srv->live);
		ret = dispatch(srv, cfg, c, conn, url, method, head);
		live_config_put(srv->live, cfg);
	}
	conn->status = queued_status(c);
	if (head)
		conn->sent = 0;
	return ret;
}

static int open_dir(const char *path, const char *what)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		log_warn("http: %s %s: %s (nothing served from it)", what, path, strerror(errno));
	return fd;
}

int http_server_new(struct live_config *live, struct loop *loop, struct store *st, struct metrics *metrics,
		    struct http_server **ret)
{
	const struct config *cfg = live->cur; /* the loop thread's: no reload yet */
	struct http_server *srv = calloc(1, sizeof(*srv));
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(cfg->http_port), .sin_addr = cfg->address };

	if (!srv)
		return -ENOMEM;
	srv->live = live;
	srv->st = st;
	srv->metrics = metrics;
	srv->rl = (struct ratelimit)RATELIMIT_INIT(10000, 5);
	srv->isos = iso_catalog_new();
	srv->root_fd = open_dir(cfg->http_root, "root");
	srv->ipxe_fd = open_dir(cfg->ipxe_dir, "ipxe-dir");
	{
		struct image_store is;
		if (image_store_init(&is, cfg->images_root) < 0)
			log_warn("http: image store %s cannot be created", cfg->images_root);
		srv->images_fd = open_dir(cfg->images_root, "images");
	}
	if (!cfg->http_api_token && http_api_token_load(cfg->state_dir, srv->token) < 0)
		log_warn("http: no API token in %s: changes through the API are refused", cfg->state_dir);
	if (http_limits_new(cfg->http_max_per_client, cfg->http_request_timeout_s, metrics, &srv->limits) < 0) {
		http_server_free(srv);
		return -ENOMEM;
	}
	srv->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO,
				       cfg->http_port, http_limits_accept, srv->limits, on_request, srv,
				       MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				       MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->http_threads,
				       MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_MAX_CONNECTIONS,
				       MHD_OPTION_CONNECTION_TIMEOUT, http_limits_request_timeout(srv->limits),
				       MHD_OPTION_NOTIFY_CONNECTION, http_limits_notify, srv->limits,
				       MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
				       MHD_OPTION_END);
	if (!srv->daemon) {
		char ip[16];
		log_err("http: cannot listen on %s:%u", format_ipv4(ip, cfg->address), cfg->http_port);
		http_server_free(srv);
		return -EADDRINUSE;
	}
	log_info("http: serving %s on port %u (%u threads, %u connections per client)", cfg->http_root, cfg->http_port,
		 cfg->http_threads, cfg->http_max_per_client);
	*ret = srv;
	return 0;
}

void http_server_free(struct http_server *srv)
{
	if (!srv)
		return;
	if (srv->daemon)
		MHD_stop_daemon(srv->daemon);
	http_limits_free(srv->limits);
	if (srv->root_fd >= 0)
		close(srv->root_fd);
	if (srv->ipxe_fd >= 0)
		close(srv->ipxe_fd);
	if (srv->images_fd >= 0)
		close(srv->images_fd);
	iso_catalog_free(srv->isos);
	free(srv);
}
