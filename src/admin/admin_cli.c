/* The everyday commands (see admin_cli.h). */
#include "admin/admin_cli.h"
#include "admin/actions.h"
#include "admin/explain.h"
#include "core/config.h"
#include "core/log.h"
#include "core/util.h"
#include "daemon/runtime_config.h"
#include "store/store.h"

#include <errno.h>
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

/* Tells a running daemon; says what happened either way. A change is
 * stored already, so no daemon is fine unless the command is for one. */
static int tell_daemon(const struct config *cfg, const char *cmd, const char *ok_prefix, bool need_daemon)
{
	char *reply = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&reply, &len);
	int r;

	if (!out)
		return -ENOMEM;
	r = action_tell_daemon(cfg, cmd, out);
	fclose(out);
	if (r == 0)
		printf("%s%s", ok_prefix, reply);
	else if (r == 1 && need_daemon)
		fprintf(stderr, "labboot: no daemon runs here (%s)\n", cfg->state_dir);
	else if (r == 1)
		printf("labboot is not running here: it applies when it starts\n");
	else
		fprintf(stderr, "labboot refused it:\n%s", reply);
	free(reply);
	return r == 1 ? (need_daemon ? -ENOENT : 0) : r;
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

static int done(struct ctx *c, int r, const char *name, const char *what)
{
	if (r < 0)
		return r;
	printf("host %s %s\n", name, what);
	return tell_daemon(c->cfg, "hosts", "applied by the running labboot: ", false);
}

static int host_add(struct ctx *c)
{
	struct args *a = c->a;
	int ip = a->n > 4 && !strchr(a->pos[4], '=');
	int first_kv = 4 + ip;

	if (a->n < 4) {
		fprintf(stderr, "usage: labboot host add NAME MAC [IP] [KEY=VALUE...]\n");
		return -EINVAL;
	}
	if (need_store(c) < 0)
		return -EIO;
	return done(c, action_host_put(c->cfg, c->st, true, a->pos[2], a->pos[3], ip ? a->pos[4] : NULL,
				       a->pos + first_kv, (size_t)(a->n - first_kv), stderr), a->pos[2], "added");
}

static int host_set(struct ctx *c)
{
	struct args *a = c->a;

	if (a->n < 4) {
		fprintf(stderr, "usage: labboot host set NAME KEY=VALUE... (KEY= removes KEY)\n");
		return -EINVAL;
	}
	if (need_store(c) < 0)
		return -EIO;
	return done(c, action_host_put(c->cfg, c->st, false, a->pos[2], NULL, NULL, a->pos + 3, (size_t)(a->n - 3),
				       stderr), a->pos[2], "changed");
}

static int host_rm(struct ctx *c)
{
	if (c->a->n != 3) {
		fprintf(stderr, "usage: labboot host rm NAME\n");
		return -EINVAL;
	}
	if (need_store(c) < 0)
		return -EIO;
	return done(c, action_host_delete(c->cfg, c->st, c->a->pos[2], stderr), c->a->pos[2], "removed");
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

/* ---- next-boot, wake ------------------------------------------------- */

static int cmd_next_boot(struct ctx *c)
{
	struct args *a = c->a;
	const struct host *h = a->n >= 2 ? config_host_by_name(c->cfg, a->pos[1]) : NULL;
	char entry[STORE_ENTRY_MAX];
	int r;

	if (a->n < 2 || a->n > 3 || (a->n == 3 && a->clear)) {
		fprintf(stderr, "usage: labboot next-boot HOST [ENTRY | --clear]\n"
				"  ENTRY: local, netboot.xyz, an [entry] name, an image NAME[@VERSION]\n");
		return -EINVAL;
	}
	if ((r = need_store(c)) < 0)
		return r;
	if (h && a->n == 2 && !a->clear) {
		r = store_next_boot_get(c->st, h->name, entry, sizeof(entry));
		printf("%s: %s%s\n", h->name, r == 0 ? "next boot " : "no next boot set", r == 0 ? entry : "");
		return r == -ENOENT ? 0 : r;
	}
	char *msg = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&msg, &len);
	if (!out)
		return -ENOMEM;
	r = action_next_boot(c->cfg, c->st, a->pos[1], a->clear ? NULL : a->pos[2], out);
	fclose(out);
	fputs(msg, r == 0 ? stdout : stderr);
	free(msg);
	if (r == 0 && a->clear)
		printf("%s: no next boot set\n", a->pos[1]);
	return r;
}

static int cmd_wake(struct ctx *c)
{
	if (c->a->n != 2) {
		fprintf(stderr, "usage: labboot wake HOST|MAC\n");
		return -EINVAL;
	}
	return action_wake(c->cfg, c->a->pos[1], stdout);
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
	return tell_daemon(c->cfg, "reload", "reloaded: ", true);
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
