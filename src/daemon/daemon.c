/* The daemon (see daemon.h). Every server runs on the loop's thread except
 * HTTP's pool, which reads the configuration through the live config; a
 * reload builds a whole new configuration, points the servers at it and
 * swaps it in, so a reload never changes one halfway. */
#include "daemon/daemon.h"
#include "core/config.h"
#include "core/live_config.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/metrics.h"
#include "core/privs.h"
#include "core/sd_notify.h"
#include "core/util.h"
#include "daemon/control.h"
#include "daemon/mac_watch.h"
#include "daemon/reload_keep.h"
#include "daemon/runtime_config.h"
#include "dhcp/dhcp_server.h"
#include "dns/dns_server.h"
#include "http/http_server.h"
#include "ndp/ndp_server.h"
#include "nfs/nfs_sync.h"
#include "store/store.h"
#include "tftp/tftp_server.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct daemon {
	struct live_config live;
	struct loop *loop;
	struct store *st;
	struct metrics *metrics;
	struct dhcp_server *dhcp;
	struct tftp_server *tftp;
	struct http_server *http;
	struct dns_server *dns;
	struct ndp_server *ndp;
	struct control *ctl;
	struct mac_watch *macw;
};

static void dns_lease_hook(void *userdata, const char *hostname, struct in_addr ip, bool bound)
{
	dns_server_lease_changed(userdata, hostname, ip, bound);
}

static bool ndp_filter(void *userdata, const uint8_t mac[6])
{
	return dhcp_server_recent_netboot(userdata, mac);
}

static int start_servers(struct daemon *d)
{
	const struct config *cfg = d->live.cur;
	int r;

	if (cfg->dns_enable && (r = dns_server_new(cfg, d->loop, d->st, d->metrics, &d->dns)) < 0)
		return r;
	if (cfg->tftp_enable && (r = tftp_server_new(cfg, d->loop, d->st, d->metrics, &d->tftp)) < 0)
		return r;
	if (cfg->http_enable && (r = http_server_new(&d->live, d->loop, d->st, d->metrics, &d->http)) < 0)
		return r;
	if (cfg->n_ifaces && (r = mac_watch_new(cfg, d->loop, &d->macw)) < 0) /* not fatal */
		log_warn("mac: cannot watch the interfaces' MAC addresses: %s", strerror(-r));
	if (cfg->dhcp_mode == DHCP_MODE_OFF)
		return 0;
	if ((r = dhcp_server_new(cfg, d->loop, d->st, d->metrics, &d->dhcp)) < 0)
		return r;
	if (d->dns)
		dhcp_server_set_lease_hook(d->dhcp, dns_lease_hook, d->dns);
	if (cfg->boot_ipv6_ra && (r = ndp_server_new(cfg, d->loop, ndp_filter, d->dhcp, &d->ndp)) < 0)
		return r;
	return 0;
}

/* Loads the next configuration: the file read again (reread) or the text
 * in force, with the runtime hosts as the store has them now. */
static int load_next(struct daemon *d, bool reread, FILE *out, struct config **ret)
{
	const struct config *cur = d->live.cur;
	struct config *next;
	int r = runtime_config_load(cur->path, reread ? NULL : cur->text, d->st, out, &next);

	if (r < 0)
		return r;
	reload_keep_running(next, cur);
	*ret = next;
	return 0;
}

/* Points every server at next, then makes it current. If one cannot
 * switch (out of memory), those that did keep next and the others the
 * running configuration, which is then never freed: both stay valid. */
static int apply(struct daemon *d, struct config *next)
{
	int r = 0;

	if (d->dhcp && (r = dhcp_server_reconfigure(d->dhcp, next)) < 0) {
		config_free(next); /* nothing uses it yet */
		return r;
	}
	if (d->dns && (r = dns_server_reconfigure(d->dns, next)) < 0)
		(void)live_config_get(&d->live); /* the DNS server still reads it */
	if (d->tftp)
		tftp_server_reconfigure(d->tftp, next);
	live_config_swap(&d->live, next);
	if (nfs_sync(next, NULL) < 0)
		log_warn("nfs: the exports are not up to date after the reload");
	return r;
}

static int reload(struct daemon *d, bool reread, FILE *out)
{
	struct config *next;
	size_t n_hosts;
	int r;

	if ((r = load_next(d, reread, out, &next)) < 0) {
		log_err("reload: the configuration has errors; the running one is kept");
		fprintf(out, "the running configuration is kept\n");
		return r;
	}
	n_hosts = next->n_hosts;
	if ((r = apply(d, next)) < 0) {
		log_err("reload: %s", strerror(-r));
		return r;
	}
	log_info("reload: %s applied, %zu hosts", reread ? d->live.cur->path : "runtime hosts", n_hosts);
	fprintf(out, "%zu hosts\n", n_hosts);
	return 0;
}

/* systemd's view of a reload: RELOADING=1, then READY=1 when done,
 * whether the new configuration was taken or refused. */
static int reload_notified(struct daemon *d, bool reread, FILE *out)
{
	int r;

	sd_notify_reloading();
	r = reload(d, reread, out);
	sd_notify_ready();
	return r;
}

static void on_hup(void *userdata)
{
	reload_notified(userdata, true, stderr);
}

static int on_control(void *userdata, const char *cmd, FILE *out)
{
	if (strcmp(cmd, "reload") == 0)
		return reload_notified(userdata, true, out);
	if (strcmp(cmd, "hosts") == 0)
		return reload(userdata, false, out);
	fprintf(out, "unknown command (reload, hosts)\n");
	return -EINVAL;
}

static void __attribute__((format(printf, 2, 3))) log_warning(void *userdata, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_warn("%s", line);
}

static void stop(struct daemon *d)
{
	control_free(d->ctl);
	mac_watch_free(d->macw);
	ndp_server_free(d->ndp);
	dhcp_server_free(d->dhcp);
	http_server_free(d->http);
	tftp_server_free(d->tftp);
	dns_server_free(d->dns);
	store_close(d->st);
	metrics_free(d->metrics);
	loop_free(d->loop);
	live_config_destroy(&d->live);
}

int daemon_serve(struct config *cfg)
{
	struct daemon d = { 0 };
	int r;

	live_config_init(&d.live, cfg);
	privs_raise_nofile();
	if ((r = loop_new(&d.loop)) < 0 || (r = store_open(cfg->state_dir, &d.st)) < 0 ||
	    (r = metrics_new(&d.metrics)) < 0)
		goto out;
	if ((r = start_servers(&d)) < 0)
		goto out;
	if (nfs_sync(cfg, NULL) < 0)
		log_warn("nfs: the exports are not up to date; built images may not boot with root = nfs");
	if ((r = privs_drop(cfg->user, cfg->state_dir)) < 0)
		goto out;
	if ((r = control_new(d.loop, cfg->state_dir, on_control, &d, &d.ctl)) < 0)
		goto out;
	loop_on_hup(d.loop, on_hup, &d);
	config_warnings(cfg, log_warning, NULL);
	if ((r = sd_notify_ready()) < 0) /* every socket is bound, privileges are dropped */
		log_warn("systemd: cannot send READY=1 to $NOTIFY_SOCKET: %s", strerror(-r));
	log_info("labboot %s serving (config %s, %zu hosts)", LABBOOT_VERSION, cfg->path, cfg->n_hosts);
	r = loop_run(d.loop);
	sd_notify_stopping();
out:
	if (r < 0)
		log_err("serve: %s", strerror(-r));
	stop(&d);
	return r < 0 ? 1 : 0;
}
