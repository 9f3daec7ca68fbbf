/* `labboot import dnsmasq`: a dnsmasq configuration turned into labboot.conf.
 * Pure: the text of the main file comes in, every other file (conf-file,
 * conf-dir, dhcp-hostsfile, addn-hosts, /etc/ethers, /etc/hosts,
 * resolv.conf) through the caller's include callback; the configuration
 * text and the list of what could not be carried over come out. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#define IMPORT_MAX_LINE 4096          /* a dnsmasq line longer than this is refused */
#define IMPORT_MAX_FILE (4u << 20)    /* bytes of one included file */
#define IMPORT_MAX_DEPTH 8            /* nested conf-file / conf-dir */
#define IMPORT_MAX_INCLUDES 256       /* files read in all (includes can fan out) */
#define IMPORT_MAX_DIRECTIVES 100000  /* over every file */
#define IMPORT_MAX_NOTES 1000
#define IMPORT_OUT_MAX_LINE 199       /* inih's line buffer (200 with the NUL) */
#define IMPORT_OUT_MAX_SECTION 49     /* inih's section name buffer (50): longer ones are cut */

enum import_include_kind {
	IMPORT_INCLUDE_FILE,          /* *ret_text: the file's contents */
	IMPORT_INCLUDE_DIR,           /* *ret_text: its entries' names, one a line */
};

/* Returns 0 with a malloc'd NUL-terminated *ret_text, or a negative errno
 * (-ENOENT: no such file). The path is as dnsmasq would open it. */
typedef int (*import_include_fn)(void *userdata, const char *path, enum import_include_kind kind,
				 char **ret_text);

struct import_options {
	const char *interface;        /* [server] interface if the file names none */
	const char *address;          /* [server] address: dnsmasq's own, "0.0.0.0" in options */
	import_include_fn include;    /* NULL: includes are not translated */
	void *userdata;
};

enum import_note_kind {
	IMPORT_NOT_TRANSLATED,        /* left out, or labboot behaves otherwise */
	IMPORT_NOTE,                  /* translated; a difference worth knowing */
};

struct import_note {
	enum import_note_kind kind;
	char *text;                   /* "FILE:LINE: not translated: WHAT (WHY)" */
};

struct import_result {
	char *config;                 /* labboot.conf text */
	struct import_note *notes;
	size_t n_notes;
	size_t n_untranslated;        /* notes of kind IMPORT_NOT_TRANSLATED */
};

/* Converts; 0, or a negative errno only for a caller's mistake or no memory
 * (what the file says never fails the import: it becomes a note). */
int import_dnsmasq(const char *path, const char *text, const struct import_options *opts,
		   struct import_result *ret);
void import_result_free(struct import_result *r);
