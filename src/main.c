/* labboot: one binary, subcommands. The daemon (serve) wires the servers to
 * one event loop; the other subcommands read the configuration and state. */
#include "admin/admin_cli.h"
#include "boot/boot_events.h"
#include "boot/timeline.h"
#include "core/config.h"
#include "core/log.h"
#include "core/util.h"
#include "daemon/daemon.h"
#include "daemon/runtime_config.h"
#include "image/image_cli.h"
#include "import/import_cli.h"
#include "isos/isos_cli.h"
#include "nfs/nfs_sync.h"
#include "store/store.h"

#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <stdio.h>
#include <time.h>

#define DEFAULT_CONFIG "/etc/labboot/labboot.conf"

struct cli {
	const char *config_path;
	int verbose;
};

static void usage(FILE *out)
{
	fputs("Usage: labboot COMMAND [OPTIONS]\n"
	      "\n"
	      "Network-boot provisioning: DHCP, TFTP, HTTP, DNS and iPXE menus in one daemon.\n"
	      "\n"
	      "Commands:\n"
	      "  serve       run the daemon (SIGHUP or labboot reload re-reads the configuration)\n"
	      "  check       validate the configuration file (and the runtime hosts)\n"
	      "  reload      make the running daemon re-read its configuration\n"
	      "  leases      list DHCP leases\n"
	      "  hosts       list hosts and their last boot timeline\n"
	      "  host        ls | add NAME MAC [IP] [KEY=VALUE...] | set NAME KEY=VALUE... | rm NAME\n"
	      "  discovered  machines that netbooted without a reservation\n"
	      "  next-boot   HOST [ENTRY | --clear]: boot ENTRY once (local, netboot.xyz, an entry, an image)\n"
	      "  wake        HOST|MAC: send a Wake-on-LAN packet on the host's interface\n"
	      "  explain     MAC [--arch bios|efi64|arm64|http]: what labboot would answer, dry run\n"
	      "  exports     write the NFS exports ([nfs]) and reload the NFS server\n"
	      "  image       build and manage live images (labboot image --help)\n"
	      "  import      dnsmasq FILE [-o OUT] [--root DIR]: labboot.conf from a dnsmasq configuration\n"
	      "  isos        the ISOs in [isos] dir and how each boots\n"
	      "\n"
	      "Options:\n"
	      "  -c, --config FILE   configuration file (default " DEFAULT_CONFIG ")\n"
	      "  -v, --verbose       debug logging\n"
	      "  -h, --help          this help\n"
	      "  -V, --version       print the version\n", out);
}

static int parse_cli(int argc, char **argv, struct cli *cli)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	int c;

	cli->config_path = DEFAULT_CONFIG;
	while ((c = getopt_long(argc, argv, "c:vhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': cli->config_path = optarg; break;
		case 'v': cli->verbose++; break;
		case 'h': usage(stdout); exit(0);
		case 'V': puts("labboot " LABBOOT_VERSION); exit(0);
		default: usage(stderr); return -EINVAL;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "labboot: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

static int print_lease(const struct lease *l, void *userdata)
{
	char ip[16], mac[18], when[32];
	time_t t = (time_t)l->expires;
	struct tm tm;

	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", gmtime_r(&t, &tm));
	printf("%-15s %s %-9s %s UTC  %s\n", format_ipv4(ip, l->ip), format_mac(mac, l->mac),
	       lease_state_name(l->state), when, l->hostname[0] ? l->hostname : "-");
	return 0;
}

static int cmd_leases(const struct config *cfg)
{
	struct store *st;
	int r = store_open(cfg->state_dir, &st);

	if (r < 0)
		return 1;
	printf("%-15s %-17s %-9s %-23s  %s\n", "ADDRESS", "MAC", "STATE", "EXPIRES", "HOSTNAME");
	r = store_lease_foreach(st, print_lease, NULL);
	store_close(st);
	return r < 0 ? 1 : 0;
}

/* Prints the export file [nfs] asks for and brings the server in line. */
static int cmd_exports(const struct config *cfg)
{
	char *text = NULL;
	bool changed;
	int r;

	if (strcmp(cfg->nfs_server, "none") == 0) {
		fprintf(stderr, "labboot: [nfs] server = none: labboot keeps no NFS exports\n");
		return 0;
	}
	if ((r = nfs_render_current(cfg, &text)) < 0) {
		fprintf(stderr, "labboot: cannot render the exports: %s\n", strerror(-r));
		return 1;
	}
	fputs(text, stdout);
	free(text);
	if ((r = nfs_sync(cfg, &changed)) < 0)
		return 1;
	fprintf(stderr, "labboot: %s: %s\n", cfg->nfs_exports, changed ? "written, server reloaded" : "unchanged");
	return 0;
}

static void print_phases(const struct boot_timeline *tl)
{
	const char *sep = "    ";

	for (size_t p = 0; p < BOOT_PHASE_COUNT_; p++) {
		if (tl->phase_ms[p] < 0)
			continue;
		printf("%s%s %.2fs", sep, boot_phase_name((enum boot_phase)p), (double)tl->phase_ms[p] / 1000.0);
		if (p == BOOT_PHASE_ROOT && tl->root_bytes)
			printf(" (%.1f MB over HTTP", (double)tl->root_bytes / 1e6);
		if (p == BOOT_PHASE_ROOT && tl->root_bytes && tl->root_fetch_ms > 0)
			printf(", fetched in %.1fs: %.1f MB/s", (double)tl->root_fetch_ms / 1000.0,
			       (double)tl->root_bytes / 1e3 / (double)tl->root_fetch_ms);
		if (p == BOOT_PHASE_ROOT && tl->root_bytes)
			printf(")");
		sep = " | ";
	}
	if (strcmp(sep, " | ") == 0)
		printf("\n");
}

static void print_host_boot(struct store *st, const uint8_t mac[6])
{
	struct boot_events l = { 0 };
	struct boot_timeline tl;

	(void)boot_events_load(st, mac, 0, &l);
	boot_timeline_find(l.ev, l.n, &tl);
	if (tl.n == 0) {
		printf("    never booted\n");
		boot_events_free(&l);
		return;
	}
	if (tl.up && tl.total_ms >= 0)
		printf("  last boot: %zu events, up after %.2fs%s\n", tl.n, (double)tl.total_ms / 1000.0,
		       tl.phase_ms[BOOT_PHASE_OS] >= 0 ? " (multi-user.target)" : "");
	else
		printf("  last boot: %zu events, %s after %.2fs\n", tl.n, tl.up ? "up" : "not up (yet)",
		       (double)(tl.last_ms - tl.start_ms) / 1000.0);
	print_phases(&tl);
	for (size_t i = tl.first; i < l.n; i++)
		printf("    +%6.2fs  %-14s %s\n", (double)(l.ev[i].ts_ms - tl.start_ms) / 1000.0, l.ev[i].kind,
		       l.ev[i].detail);
	boot_events_free(&l);
}

static int cmd_hosts(const struct config *cfg)
{
	struct store *st;
	int r = store_open(cfg->state_dir, &st);

	if (r < 0)
		return 1;
	for (size_t i = 0; i < cfg->n_hosts; i++) {
		const struct host *h = &cfg->hosts[i];
		for (size_t j = 0; j < h->n_nics; j++) {
			char mac[18], ip[16];
			printf("%s %s %s\n", h->name, format_mac(mac, h->nics[j].mac),
			       h->nics[j].ip.s_addr ? format_ipv4(ip, h->nics[j].ip) : "dynamic");
			print_host_boot(st, h->nics[j].mac);
		}
	}
	store_close(st);
	return 0;
}

/* `labboot image SUB ARGS [-c FILE]`: -c may stand anywhere; the rest goes
 * to the image commands as they are. */
static int cmd_image(int argc, char **argv)
{
	const char *path = DEFAULT_CONFIG;
	struct config *cfg = NULL;
	char **args = calloc((size_t)argc + 1, sizeof(*args));
	int n = 0, r;

	if (!args)
		return 1;
	if (argc == 0 || image_cli_wants_help(argc, argv)) {
		if (argc == 0)
			image_cli(NULL, 0, NULL);
		free(args);
		return argc == 0 ? 2 : 0;
	}
	for (int i = 0; i < argc; i++) {
		if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) && i + 1 < argc)
			path = argv[++i];
		else if (!strncmp(argv[i], "--config=", 9))
			path = argv[i] + 9;
		else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose"))
			log_set_level(LOG_LEVEL_DEBUG);
		else
			args[n++] = argv[i];
	}
	if (config_load(path, &cfg) < 0) {
		free(args);
		return 1;
	}
	r = image_cli(cfg, n, args);
	config_free(cfg);
	free(args);
	return r;
}

static void print_warning(void *userdata, const char *fmt, ...)
{
	va_list ap;

	fputs("warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int main(int argc, char **argv)
{
	struct config *cfg = NULL;
	struct cli cli = { 0 };
	const char *cmd;
	int r;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	cmd = argv[1];
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
		puts("labboot " LABBOOT_VERSION);
		return 0;
	}
	if (strcmp(cmd, "image") == 0)
		return cmd_image(argc - 2, argv + 2);
	if (strcmp(cmd, "import") == 0)
		return import_cli(argc - 1, argv + 1);
	if (strcmp(cmd, "isos") == 0)
		return isos_cli(argc - 2, argv + 2);
	if (admin_cli_has(cmd))
		return admin_cli(cmd, argc - 2, argv + 2);
	if (parse_cli(argc - 1, argv + 1, &cli) < 0)
		return 2;
	log_set_level(cli.verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);
	if (strcmp(cmd, "serve") && strcmp(cmd, "check") && strcmp(cmd, "leases") && strcmp(cmd, "hosts") &&
	    strcmp(cmd, "exports")) {
		fprintf(stderr, "labboot: unknown command '%s'\n", cmd);
		usage(stderr);
		return 2;
	}
	if (runtime_config_open(cli.config_path, &cfg, NULL) < 0)
		return 1;
	if (strcmp(cmd, "check") == 0) {
		config_warnings(cfg, print_warning, NULL);
		printf("%s: ok (%zu hosts, %zu pools, dhcp %s)\n", cfg->path, cfg->n_hosts, cfg->n_pools,
		       dhcp_mode_name(cfg->dhcp_mode));
		r = 0;
	} else if (strcmp(cmd, "serve") == 0) {
		return daemon_serve(cfg); /* it owns cfg */
	} else if (strcmp(cmd, "leases") == 0) {
		r = cmd_leases(cfg);
	} else if (strcmp(cmd, "exports") == 0) {
		r = cmd_exports(cfg);
	} else {
		r = cmd_hosts(cfg);
	}
	config_free(cfg);
	return r;
}
