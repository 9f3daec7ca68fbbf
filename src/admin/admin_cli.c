/* The everyday commands (see admin_cli.h). */
#include "admin/admin_cli.h"
#include "admin/explain.h"
#include "admin/host_edit.h"
#include "admin/wol.h"
#include "boot/next_boot.h"
#include "core/config.h"
#include "core/log.h"
#include "core/util.h"
#include "daemon/control.h"
#include "daemon/runtime_config.h"
#include "image/image_store.h"
#include "store/store.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_CONFIG "/etc/labboot/labboot.conf"
#define MAX_ARGS 64

struct args {
	const char *config;
	const char *arch;
	bool clear;
	char *pos[MAX_ARGS];
	int n;
};

struct ctx {
	struct config *cfg;
	struct store *st;
	struct args *a;
};

static int parse_args(int argc, char **argv, struct args *a)
{
	*a = (struct args){ .config = DEFAULT_CONFIG };
	for (int i = 0; i < argc; i++) {
		if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) && i + 1 < argc)
			a->config = argv[++i];
		else if (!strcmp(argv[i], "--arch") && i + 1 < argc)
			a->arch = argv[++i];
		else if (!strcmp(argv[i], "--clear"))
			a->clear = true;
		else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose"))
			log_set_level(LOG_LEVEL_DEBUG);
		else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "labboot: unknown option '%s'\n", argv[i]);
			return -EINVAL;
		} else if (a->n == MAX_ARGS) {
			fprintf(stderr, "labboot: too many arguments\n");
			return -E2BIG;
		} else {
			a->pos[a->n++] = argv[i];
		}
	}
	return 0;
}

/* Tells a running daemon; says what happened either way. */
static int tell_daemon(const struct config *cfg, const char *cmd)
{
	char *reply = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&reply, &len);
	int r;

	if (!out)
		return -ENOMEM;
	r = control_request(cfg->state_dir, cmd, out);
	fclose(out);
	if (r == 0)
		printf("applied by the running labboot: %s", reply);
	else if (r == -ENOENT || r == -ECONNREFUSED)
		printf("labboot is not running here: it applies when it starts\n");
	else if (r == -EPROTO)
		fprintf(stderr, "labboot refused it:\n%s", reply);
	else
		fprintf(stderr, "labboot: cannot reach the daemon (%s/%s): %s\n", cfg->state_dir, CONTROL_SOCKET,
			strerror(-r));
	free(reply);
	return r == -ENOENT || r == -ECONNREFUSED ? 0 : r;
}

static int need_store(struct ctx *c)
{
	if (c->st)
		return 0;
	if (store_open(c->cfg->state_dir, &c->st) < 0) {
		fprintf(stderr, "labboot: cannot open the state database in %s\n", c->cfg->state_dir);
		return -EIO;
	}
	return 0;
}

/* ---- host ------------------------------------------------------------- */

static void print_host(struct ctx *c, const struct host *h)
{
	char mac[18], ip[16], where[48], next[STORE_ENTRY_MAX] = "-";

	if (h->runtime)
		snprintf(where, sizeof(where), "runtime");
	else
		snprintf(where, sizeof(where), "file:%d", h->line);
	if (c->st)
		store_next_boot_get(c->st, h->name, next, sizeof(next));
	for (size_t i = 0; i < h->n_nics; i++)
		printf("%-16s %-10s %s %-15s %-20s %s\n", i ? "" : h->name, i ? "" : where, format_mac(mac, h->nics[i].mac),
		       h->nics[i].ip.s_addr ? format_ipv4(ip, h->nics[i].ip) : "dynamic",
		       i ? "" : h->image ? h->image : c->cfg->boot_image ? c->cfg->boot_image : "-", i ? "" : next);
}

static int host_ls(struct ctx *c)
{
	printf("%-16s %-10s %-17s %-15s %-20s %s\n", "NAME", "FROM", "MAC", "IP", "IMAGE", "NEXT-BOOT");
	for (size_t i = 0; i < c->cfg->n_hosts; i++)
		print_host(c, &c->cfg->hosts[i]);
	return 0;
}

static int change(struct ctx *c, const char *name, const char *settings, const char *done)
{
	int r;

	if ((r = need_store(c)) < 0)
		return r;
	r = host_change(c->cfg->path, c->cfg->text, c->st, name, settings, stderr);
	if (r == -ENOENT)
		fprintf(stderr, "labboot: %s is no runtime host\n", name);
	if (r < 0)
		return r;
	printf("host %s %s\n", name, done);
	return tell_daemon(c->cfg, "hosts");
}

static int host_add(struct ctx *c)
{
	struct args *a = c->a;
	char *assign[HOST_EDIT_MAX_ASSIGN];
	char macline[64];
	_cleanup_free_ char *settings = NULL;
	size_t n = 0;
	int r;

	if (a->n < 4 || a->n > 4 + HOST_EDIT_MAX_ASSIGN - 1) {
		fprintf(stderr, "usage: labboot host add NAME MAC [IP] [KEY=VALUE...]\n");
		return -EINVAL;
	}
	if (config_host_by_name(c->cfg, a->pos[2])) {
		fprintf(stderr, "labboot: host %s exists (labboot host set changes it)\n", a->pos[2]);
		return -EEXIST;
	}
	int first_kv = a->n > 4 && !strchr(a->pos[4], '=') ? 5 : 4;
	snprintf(macline, sizeof(macline), "mac=%s%s%s", a->pos[3], first_kv == 5 ? " " : "", first_kv == 5 ? a->pos[4] : "");
	assign[n++] = macline;
	for (int i = first_kv; i < a->n; i++)
		assign[n++] = a->pos[i];
	if ((r = host_settings_edit("", assign, n, &settings)) < 0) {
		fprintf(stderr, "labboot: malformed KEY=VALUE\n");
		return r;
	}
	return change(c, a->pos[2], settings, "added");
}

static int host_set(struct ctx *c)
{
	struct args *a = c->a;
	_cleanup_free_ char *old = NULL, *settings = NULL;
	const struct host *h;
	int r;

	if (a->n < 4) {
		fprintf(stderr, "usage: labboot host set NAME KEY=VALUE... (KEY= removes KEY)\n");
		return -EINVAL;
	}
	h = config_host_by_name(c->cfg, a->pos[2]);
	if (h && !h->runtime) {
		fprintf(stderr, "labboot: host %s is in %s:%d: change it there\n", h->name, c->cfg->path, h->line);
		return -EPERM;
	}
	if (!h || need_store(c) < 0 || host_settings_get(c->st, h->name, &old) < 0) {
		fprintf(stderr, "labboot: no host %s (labboot host add creates one)\n", a->pos[2]);
		return -ENOENT;
	}
	if ((r = host_settings_edit(old, a->pos + 3, (size_t)(a->n - 3), &settings)) < 0) {
		fprintf(stderr, "labboot: malformed KEY=VALUE\n");
		return r;
	}
	return change(c, h->name, settings, "changed");
}

static int host_rm(struct ctx *c)
{
	const struct host *h = c->a->n == 3 ? config_host_by_name(c->cfg, c->a->pos[2]) : NULL;

	if (c->a->n != 3) {
		fprintf(stderr, "usage: labboot host rm NAME\n");
		return -EINVAL;
	}
	if (h && !h->runtime) {
		fprintf(stderr, "labboot: host %s is in %s:%d: remove it there\n", h->name, c->cfg->path, h->line);
		return -EPERM;
	}
	return change(c, h ? h->name : c->a->pos[2], NULL, "removed");
}

static int cmd_host(struct ctx *c)
{
	const char *sub = c->a->n > 1 ? c->a->pos[1] : "ls";

	if (!strcmp(sub, "ls") || !strcmp(sub, "list"))
		return host_ls(c);
	if (!strcmp(sub, "add"))
		return host_add(c);
	if (!strcmp(sub, "set"))
		return host_set(c);
	if (!strcmp(sub, "rm") || !strcmp(sub, "remove"))
		return host_rm(c);
	fprintf(stderr, "usage: labboot host ls | add NAME MAC [IP] [KEY=VALUE...] | set NAME KEY=VALUE... | rm NAME\n");
	return -EINVAL;
}

/* ---- discovered ------------------------------------------------------- */

/* The word after KEY in an event detail ("... arch 7 ..."). */
static void detail_word(const char *detail, const char *key, char *out, size_t size)
{
	const char *p = strstr(detail, key);

	out[0] = '\0';
	if (p && size)
		snprintf(out, size, "%.*s", (int)strcspn(p + strlen(key), " "), p + strlen(key));
}

static void format_time(uint64_t ms, char *out, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	strftime(out, size, "%Y-%m-%d %H:%M:%S", gmtime_r(&t, &tm));
}

static int print_machine(const struct machine *m, void *userdata)
{
	struct ctx *c = userdata;
	char mac[18], first[32], last[32], arch[16], vendor[64];

	if (config_host_by_mac(c->cfg, m->mac, NULL))
		return 0;
	format_time(m->first_ms, first, sizeof(first));
	format_time(m->last_ms, last, sizeof(last));
	detail_word(m->detail, " arch ", arch, sizeof(arch));
	detail_word(m->detail, " vendor ", vendor, sizeof(vendor));
	printf("%-17s %-19s %-19s %-5s %s\n", format_mac(mac, m->mac), first, last, arch, vendor[0] ? vendor : "-");
	return 0;
}

static int cmd_discovered(struct ctx *c)
{
	int r;

	if ((r = need_store(c)) < 0)
		return r;
	printf("%-17s %-19s %-19s %-5s %s\n", "MAC", "FIRST SEEN (UTC)", "LAST SEEN (UTC)", "ARCH", "VENDOR");
	r = store_machine_foreach(c->st, print_machine, c);
	printf("(labboot host add NAME MAC [IP] makes one a host)\n");
	return r;
}

/* ---- next-boot -------------------------------------------------------- */

static bool image_exists(const struct config *cfg, const char *ref)
{
	struct image_store s;
	char name[IMAGE_NAME_MAX], version[IMAGE_VERSION_MAX];

	return config_image_by_name(cfg, ref) ||
	       (image_store_init(&s, cfg->images_root) == 0 && image_store_resolve(&s, ref, name, version) == 0);
}

static int cmd_next_boot(struct ctx *c)
{
	struct args *a = c->a;
	const struct host *h = a->n >= 2 ? config_host_by_name(c->cfg, a->pos[1]) : NULL;
	char entry[STORE_ENTRY_MAX];
	struct next_boot nb;
	int r;

	if (a->n < 2 || a->n > 3 || (a->n == 3 && a->clear)) {
		fprintf(stderr, "usage: labboot next-boot HOST [ENTRY | --clear]\n"
				"  ENTRY: local, netboot.xyz, an [entry] name, an image NAME[@VERSION]\n");
		return -EINVAL;
	}
	if (!h) {
		fprintf(stderr, "labboot: no host %s\n", a->pos[1]);
		return -ENOENT;
	}
	if ((r = need_store(c)) < 0)
		return r;
	if (a->clear) {
		r = store_next_boot_clear(c->st, h->name, NULL);
		printf("%s: %s\n", h->name, r == 0 ? "next boot cleared" : "no next boot was set");
		return r == -ENOENT ? 0 : r;
	}
	if (a->n == 2) {
		r = store_next_boot_get(c->st, h->name, entry, sizeof(entry));
		printf("%s: %s%s\n", h->name, r == 0 ? "next boot " : "no next boot set", r == 0 ? entry : "");
		return r == -ENOENT ? 0 : r;
	}
	if (next_boot_parse(c->cfg, a->pos[2], &nb) < 0 || (nb.image[0] && !image_exists(c->cfg, nb.image))) {
		fprintf(stderr, "labboot: %s is neither local, netboot.xyz, an [entry] nor an image (labboot image ls)\n",
			a->pos[2]);
		return -EINVAL;
	}
	if ((r = next_boot_format(&nb, entry, sizeof(entry))) < 0 || (r = store_next_boot_set(c->st, h->name, entry)) < 0)
		return r;
	printf("%s: next boot %s, once\n", h->name, entry);
	return 0;
}

/* ---- wake ------------------------------------------------------------- */

/* The configured interface whose subnet holds ip, or NULL. */
static const char *iface_for(const struct config *cfg, struct in_addr ip, char *buf, size_t size)
{
	struct ifaddrs *ifa, *i;
	const char *found = NULL;

	if (!ip.s_addr || getifaddrs(&ifa) < 0)
		return NULL;
	for (i = ifa; i && !found; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !i->ifa_netmask)
			continue;
		uint32_t a = ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr;
		uint32_t m = ((struct sockaddr_in *)i->ifa_netmask)->sin_addr.s_addr;
		for (size_t k = 0; k < cfg->n_ifaces && !found; k++)
			if (!strcmp(cfg->ifaces[k], i->ifa_name) && (a & m) == (ip.s_addr & m))
				found = copy_string(buf, size, i->ifa_name) == 0 ? buf : NULL;
	}
	freeifaddrs(ifa);
	return found;
}

static int wake_mac(const struct config *cfg, const uint8_t mac[6], struct in_addr ip)
{
	char name[64], m[18];
	const char *ifname = iface_for(cfg, ip, name, sizeof(name));
	int sent = 0, r = 0;

	for (size_t k = 0; k < cfg->n_ifaces; k++) {
		if (ifname && strcmp(ifname, cfg->ifaces[k]) != 0)
			continue;
		if ((r = wol_send(cfg->ifaces[k], mac)) < 0) {
			fprintf(stderr, "labboot: wake %s on %s: %s\n", format_mac(m, mac), cfg->ifaces[k], strerror(-r));
			continue;
		}
		printf("magic packet for %s sent on %s\n", format_mac(m, mac), cfg->ifaces[k]);
		sent++;
	}
	return sent ? 0 : r ? r : -ENODEV;
}

static int cmd_wake(struct ctx *c)
{
	const struct host *h = c->a->n == 2 ? config_host_by_name(c->cfg, c->a->pos[1]) : NULL;
	uint8_t mac[6];
	int r = 0;

	if (c->a->n != 2) {
		fprintf(stderr, "usage: labboot wake HOST|MAC\n");
		return -EINVAL;
	}
	if (c->cfg->n_ifaces == 0) {
		fprintf(stderr, "labboot: [server] interface is empty: no interface to wake machines on\n");
		return -ENODEV;
	}
	if (!h) {
		if (parse_mac(c->a->pos[1], mac) < 0) {
			fprintf(stderr, "labboot: %s is neither a host nor a MAC\n", c->a->pos[1]);
			return -ENOENT;
		}
		return wake_mac(c->cfg, mac, (struct in_addr){ 0 });
	}
	for (size_t i = 0; i < h->n_nics && r == 0; i++)
		r = wake_mac(c->cfg, h->nics[i].mac, h->nics[i].ip);
	return r;
}

/* ---- explain, reload ---------------------------------------------------- */

static int cmd_explain(struct ctx *c)
{
	uint8_t mac[6];
	int r;

	if (c->a->n != 2 || parse_mac(c->a->pos[1], mac) < 0) {
		fprintf(stderr, "usage: labboot explain MAC [--arch bios|efi64|arm64|http]\n");
		return -EINVAL;
	}
	if ((r = need_store(c)) < 0)
		return r;
	return explain(c->cfg, c->st, mac, c->a->arch ? c->a->arch : "bios", stdout);
}

static int cmd_reload(struct ctx *c)
{
	char *reply = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&reply, &len);
	int r;

	if (!out)
		return -ENOMEM;
	r = control_request(c->cfg->state_dir, "reload", out);
	fclose(out);
	if (r == 0)
		printf("reloaded: %s", reply);
	else
		fprintf(stderr, "labboot: reload %s:\n%s", r == -EPROTO ? "refused" : strerror(-r), reply ? reply : "");
	free(reply);
	return r;
}

static const struct {
	const char *name;
	int (*fn)(struct ctx *c);
} commands[] = {
	{ "host", cmd_host },       { "discovered", cmd_discovered }, { "next-boot", cmd_next_boot },
	{ "wake", cmd_wake },       { "explain", cmd_explain },       { "reload", cmd_reload },
};

bool admin_cli_has(const char *cmd)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i].name, cmd))
			return true;
	return false;
}

int admin_cli(const char *cmd, int argc, char **argv)
{
	struct args a;
	struct ctx c = { .a = &a };
	int r = -EINVAL;

	if (parse_args(argc, argv, &a) < 0)
		return 2;
	/* pos[0] is the command itself, so subcommands read like the CLI */
	memmove(a.pos + 1, a.pos, sizeof(a.pos[0]) * (size_t)(a.n < MAX_ARGS ? a.n : MAX_ARGS - 1));
	a.pos[0] = (char *)cmd;
	a.n = a.n < MAX_ARGS ? a.n + 1 : MAX_ARGS;
	if (runtime_config_open(a.config, &c.cfg, &c.st) < 0)
		return 1;
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i].name, cmd))
			r = commands[i].fn(&c);
	store_close(c.st);
	config_free(c.cfg);
	return r == 0 ? 0 : r == -EINVAL ? 2 : 1;
}
