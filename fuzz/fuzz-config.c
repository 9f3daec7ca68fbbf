/* libFuzzer: a configuration file (the INI parser, typed keys, cross
 * checks) and, when it loads, every host's iPXE script and kernel command
 * line rendered from it, and the input's tail as a script template. */
#include "boot/ipxe_script.h"
#include "core/config.h"
#include "core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void render_all(const struct config *cfg, const char *tmpl)
{
	static char buf[IPXE_SCRIPT_MAX];
	struct boot_target t = { .cfg = cfg, .mac = { 0x52, 0x54, 0, 0, 0, 1 }, .base_url = "http://198.18.0.1" };

	ipxe_script_render(&t, buf, sizeof(buf));
	ipxe_template_render(&t, tmpl, buf, sizeof(buf));
	for (size_t i = 0; i < cfg->n_hosts; i++) {
		t.host = &cfg->hosts[i];
		if (ipxe_script_render(&t, buf, sizeof(buf)) >= (int)sizeof(buf) ||
		    ipxe_template_render(&t, tmpl, buf, sizeof(buf)) >= (int)sizeof(buf))
			abort();
		ipxe_kernel_cmdline(&t, buf, 512); /* a short buffer on purpose */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int quiet;
	struct config *cfg = NULL;
	char path[64], *tmpl;
	int fd;

	if (!quiet) {
		log_set_level(LOG_LEVEL_ERR);
		quiet = 1;
	}
	fd = memfd_create("fuzz-config", 0);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (config_load(path, &cfg) == 0) {
		tmpl = strndup((const char *)data + size / 2, size - size / 2);
		if (tmpl)
			render_all(cfg, tmpl);
		free(tmpl);
		config_free(cfg);
	}
	close(fd);
	return 0;
}
