/* `labboot isos` (see isos_cli.h): the same scan the boot scripts use. */
#include "isos/isos_cli.h"
#include "isos/iso_catalog.h"
#include "core/config.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_CONFIG "/etc/labboot/labboot.conf"

/* The URL machines reach us at, as the boot script would say it. */
static void server_url(const struct config *cfg, char *out, size_t size)
{
	char ip[16];

	if (cfg->boot_url)
		snprintf(out, size, "%s", cfg->boot_url);
	else if (cfg->http_port == 80)
		snprintf(out, size, "http://%s", cfg->address.s_addr ? format_ipv4(ip, cfg->address) : "SERVER");
	else
		snprintf(out, size, "http://%s:%u", cfg->address.s_addr ? format_ipv4(ip, cfg->address) : "SERVER",
			 cfg->http_port);
}

static void print_item(const struct iso_item *it, const char *base)
{
	char url[512], cmdline[1024];

	if (it->status < 0) {
		printf("%s\n  unusable: %s\n", it->name, it->reason);
		return;
	}
	snprintf(url, sizeof(url), "%s/isos/%s", base, it->name);
	printf("%s\n  layout: %s\n", it->name, iso_kind_name(it->boot.kind));
	if (it->boot.kind == ISO_KIND_SANBOOT) {
		printf("  boots: sanboot %s\n", url);
	} else {
		if (iso_boot_cmdline(&it->boot, url, cmdline, sizeof(cmdline)) < 0)
			snprintf(cmdline, sizeof(cmdline), "(too long)");
		printf("  kernel: %s/%s\n  initrd: %s/%s\n  cmdline: %s\n", url, it->boot.kernel, url, it->boot.initrd,
		       cmdline);
	}
	if (it->reason[0])
		printf("  note: %s\n", it->reason);
}

int isos_cli(int argc, char **argv)
{
	const char *path = DEFAULT_CONFIG;
	struct config *cfg = NULL;
	struct iso_item *items = NULL;
	char base[256];
	size_t n = 0;
	int r;

	for (int i = 0; i < argc; i++) {
		if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) && i + 1 < argc) {
			path = argv[++i];
		} else {
			fprintf(stderr, "usage: labboot isos [-c FILE]\n");
			return 2;
		}
	}
	if (config_load(path, &cfg) < 0)
		return 1;
	if ((r = iso_catalog_list(NULL, cfg->isos_dir, &items, &n)) < 0) {
		fprintf(stderr, "labboot: %s: %s\n", cfg->isos_dir, strerror(-r));
		config_free(cfg);
		return 1;
	}
	server_url(cfg, base, sizeof(base));
	if (n == 0)
		printf("no ISOs in %s\n", cfg->isos_dir);
	for (size_t i = 0; i < n; i++)
		print_item(&items[i], base);
	free(items);
	config_free(cfg);
	return 0;
}
