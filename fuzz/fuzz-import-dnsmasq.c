/* libFuzzer: a dnsmasq configuration through the importer. The input is the
 * main file; conf-file / conf-dir / host files are served from the same
 * input split at "\n---\n" (a file whose name starts with 'a' is the
 * second part, any other the third, /etc/hosts and /etc/ethers too; a
 * directory lists "a" and "b"), so includes, loops and depth are reached.
 * The result is then loaded as labboot.conf; with FUZZ_IMPORT_STRICT set,
 * one that does not load is a crash (the importer should never write what
 * labboot's parser rejects). */
#include "core/config.h"
#include "core/log.h"
#include "import/import_dnsmasq.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct parts {
	char *p[3];
	int calls;
};

/* Includes fanning out are capped by the importer (IMPORT_MAX_INCLUDES, a
 * unit test); here a few reads per input keep the fuzzer fast. */
#define FUZZ_MAX_INCLUDES 24

static int include(void *userdata, const char *path, enum import_include_kind kind, char **ret_text)
{
	struct parts *parts = userdata;
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

	if (++parts->calls > FUZZ_MAX_INCLUDES)
		return -EMFILE;
	if (kind == IMPORT_INCLUDE_DIR)
		return (*ret_text = strdup("a\nb\n.hidden\nc~\n")) ? 0 : -ENOMEM;
	if (base[0] == 'a' && parts->p[1])
		return (*ret_text = strdup(parts->p[1])) ? 0 : -ENOMEM;
	if (base[0] != 'a' && parts->p[2]) /* also /etc/ethers, /etc/hosts, resolv.conf */
		return (*ret_text = strdup(parts->p[2])) ? 0 : -ENOMEM;
	return -ENOENT;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct parts parts = { 0 };
	struct import_result res;
	struct config *cfg = NULL;
	char *text = malloc(size + 1), *s;
	struct import_options opts = { .interface = "br0", .address = "198.18.0.1", .include = include, .userdata = &parts };

	if (!devnull) {
		log_set_level(LOG_LEVEL_ERR);
		devnull = fopen("/dev/null", "w");
	}
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	parts.p[0] = text;
	s = text;
	for (int i = 1; i < 3 && (s = strstr(s, "\n---\n")); i++) {
		*s = '\0';
		s += 5;
		parts.p[i] = s;
	}
	if (import_dnsmasq("fuzz.conf", text, &opts, &res) == 0) {
		char *errors = NULL;
		size_t errors_len = 0;
		FILE *err = open_memstream(&errors, &errors_len);
		struct config_source src = { .path = "imported.conf", .text = res.config, .errors = err ? err : devnull };
		if (config_load_from(&src, &cfg) == 0)
			config_free(cfg);
		else if (err && getenv("FUZZ_IMPORT_STRICT")) {
			fflush(err);
			fprintf(stderr, "the imported configuration does not load:\n%s\n%s", res.config, errors);
			abort();
		}
		if (err)
			fclose(err);
		free(errors);
		import_result_free(&res);
	}
	free(text);
	return 0;
}
