/* `labboot import dnsmasq FILE [-o OUT] [--root DIR] [--interface IF]
 * [--address IP]`: the I/O around the pure converter. Files the dnsmasq
 * configuration names are read below DIR (default /), so a copy of another
 * machine's /etc can be converted. Exit: 0 everything translated, 1 the
 * output was written but the notes on stderr list what was not, 2 usage or
 * I/O error. */
#include "import/import_cli.h"
#include "import/import_dnsmasq.h"
#include "core/util.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* A whole file, at most IMPORT_MAX_FILE bytes (+1 so "too large" is seen). */
static int read_all(const char *path, char **ret)
{
	FILE *f = fopen(path, "re");
	size_t n = 0, cap = IMPORT_MAX_FILE + 2;
	struct stat st;
	char *buf;

	if (!f)
		return -errno;
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(f);
		return -EISDIR; /* dhcp-hostsfile and addn-hosts may name a directory */
	}
	buf = malloc(cap);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(buf, 1, cap - 1, f);
	if (ferror(f)) {
		fclose(f);
		free(buf);
		return -EIO;
	}
	fclose(f);
	buf[n] = '\0';
	*ret = buf;
	return 0;
}

static int list_dir(const char *path, char **ret)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char *out = NULL;
	size_t len = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (strchr(e->d_name, '\n') || e->d_type == DT_DIR || len + n + 2 > (1u << 20))
			continue;
		char *grown = realloc(out, len + n + 2);
		if (!grown)
			break;
		out = grown;
		memcpy(out + len, e->d_name, n);
		len += n;
		out[len++] = '\n';
		out[len] = '\0';
	}
	closedir(d);
	*ret = out ? out : strdup("");
	return *ret ? 0 : -ENOMEM;
}

static int include_below_root(void *userdata, const char *path, enum import_include_kind kind, char **ret_text)
{
	const char *root = userdata;
	char full[4096];

	if (pathf(full, sizeof(full), "%s/%s", root, path) < 0)
		return -ENAMETOOLONG;
	return kind == IMPORT_INCLUDE_DIR ? list_dir(full, ret_text) : read_all(full, ret_text);
}

static void usage(FILE *out)
{
	fputs("Usage: labboot import dnsmasq FILE [-o OUT] [--root DIR] [--interface IF] [--address IP]\n"
	      "Writes labboot.conf for a dnsmasq configuration (stdout without -o); what cannot be\n"
	      "translated is listed on stderr. Exit 0: all translated; 1: see the notes; 2: error.\n", out);
}

int import_cli(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' }, { "root", required_argument, NULL, 'r' },
		{ "interface", required_argument, NULL, 'i' }, { "address", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' }, { 0 },
	};
	struct import_options opts = { .include = include_below_root, .userdata = (void *)"" };
	struct import_result res = { 0 };
	const char *out_path = NULL;
	char *text = NULL;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': out_path = optarg; break;
		case 'r': opts.userdata = optarg; break;
		case 'i': opts.interface = optarg; break;
		case 'a': opts.address = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (argc - optind != 2 || strcmp(argv[optind], "dnsmasq") != 0) {
		usage(stderr);
		return 2;
	}
	const char *in = argv[optind + 1];
	if ((r = read_all(in, &text)) < 0) {
		fprintf(stderr, "labboot: %s: %s\n", in, strerror(-r));
		return 2;
	}
	if (strlen(text) > IMPORT_MAX_FILE) {
		fprintf(stderr, "labboot: %s: larger than %u bytes\n", in, IMPORT_MAX_FILE);
		free(text);
		return 2;
	}
	r = import_dnsmasq(in, text, &opts, &res);
	free(text);
	if (r < 0) {
		fprintf(stderr, "labboot: import: %s\n", r == -EINVAL ? "invalid --address" : strerror(-r));
		return 2;
	}
	for (size_t i = 0; i < res.n_notes; i++)
		fprintf(stderr, "%s\n", res.notes[i].text);
	FILE *out = out_path ? fopen(out_path, "we") : stdout;
	if (!out || fputs(res.config, out) < 0 || (out_path ? fclose(out) : fflush(out)) != 0) {
		fprintf(stderr, "labboot: %s: %s\n", out_path ? out_path : "stdout", strerror(errno));
		import_result_free(&res);
		return 2;
	}
	r = res.n_untranslated ? 1 : 0;
	if (r)
		fprintf(stderr, "labboot: %zu thing(s) not translated\n", res.n_untranslated);
	import_result_free(&res);
	return r;
}
