/* libFuzzer: a runtime host's settings and the KEY=VALUE edits of `labboot
 * host set` / the API (lines of the input: the first half the stored
 * settings, the rest the assignments), then the result parsed as the
 * runtime hosts over a fixed configuration, as the daemon does, and a
 * one-shot next boot entry (the last line) resolved against it. */
#include "admin/host_edit.h"
#include "boot/next_boot.h"
#include "core/config.h"
#include "core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char base[] = "[server]\ninterface = br0\naddress = 198.18.0.1\n"
			   "[dhcp]\nrange = 198.18.0.100 198.18.0.200\n"
			   "[host \"alpha\"]\nmac = 52:54:00:00:00:0a\nip = 198.18.0.10\n"
			   "[image \"tiny\"]\nkernel = vmlinuz\n[entry \"memtest\"]\nrun = chain memtest.efi\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	char *text = malloc(size + 1), *lines[HOST_EDIT_MAX_ASSIGN + 2], *out = NULL, *hosts = NULL;
	size_t n = 0;
	struct config *cfg = NULL;
	struct next_boot nb;

	if (!devnull) {
		log_set_level(LOG_LEVEL_ERR);
		devnull = fopen("/dev/null", "w");
	}
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (char *p = text; p && n < HOST_EDIT_MAX_ASSIGN + 2; n++) {
		lines[n] = p;
		p = strchr(p, '\n');
		if (p)
			*p++ = '\0';
	}
	const char *entry = n > 1 ? lines[--n] : "local";
	if (host_settings_edit(n ? lines[0] : "", lines + (n > 0), n > 0 ? n - 1 : 0, &out) == 0 &&
	    asprintf(&hosts, "[host \"fuzz\"]\n%s", out) >= 0 &&
	    config_load_from(&(struct config_source){ .path = "fuzz.conf", .text = base, .runtime_hosts = hosts,
						      .errors = devnull }, &cfg) == 0) {
		if (out[0] && !config_host_by_name(cfg, "fuzz"))
			abort(); /* it loaded with a key: the host is there */
		next_boot_parse(cfg, entry, &nb);
		config_free(cfg);
	}
	free(hosts);
	free(out);
	free(text);
	return 0;
}
