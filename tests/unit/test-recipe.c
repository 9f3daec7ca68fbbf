/* Recipe parser: the minimal recipe, every instruction and option,
 * continuations, and hostile input with the exact "NAME:LINE: message". Every
 * input is handed over in a buffer of exactly its length (no NUL after it),
 * so ASan sees any read past the end. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/recipe.h"

#define HEX "0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789abcdef"
#define FROM_LINE "FROM ./debian-live.iso sha256:" HEX "\n"
#define NAME "t.recipe"

static const uint8_t hex_bytes[32] = {
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
};

/* Parses LEN bytes copied into a buffer of exactly that size. */
static int parse_exact(const char *text, size_t len, struct recipe **ret, char *err, size_t errlen)
{
	char *buf = malloc(len ? len : 1);
	int r;

	assert_non_null(buf);
	memcpy(buf, text, len);
	r = recipe_parse(NAME, buf, len, ret, err, errlen);
	free(buf);
	return r;
}

static struct recipe *parse_ok_len(const char *text, size_t len)
{
	struct recipe *r = NULL;
	char err[1024];
	int rc = parse_exact(text, len, &r, err, sizeof(err));

	if (rc != 0)
		fail_msg("parse failed (%d): %s\n--- input ---\n%s", rc, err, text);
	assert_non_null(r);
	assert_string_equal(err, "");
	return r;
}

static struct recipe *parse_ok(const char *text)
{
	return parse_ok_len(text, strlen(text));
}

/* Fails to parse TEXT (NUL-terminated) with exactly the message WANT. */
#define expect_error(text, want) expect_error_len((text), strlen(text), (want))

static void expect_error_len(const char *text, size_t len, const char *want)
{
	struct recipe *sentinel = (struct recipe *)&sentinel, *r = sentinel;
	char err[1024];
	int rc = parse_exact(text, len, &r, err, sizeof(err));

	if (rc == 0)
		fail_msg("parsed, expected '%s'\n--- input ---\n%s", want, text);
	assert_int_equal(rc, -EINVAL);
	assert_ptr_equal(r, sentinel); /* *ret untouched on failure */
	assert_string_equal(err, want);
}

/* ---- the recipe ------------------------------------------------ */

static const char minimal[] = "# minimal.recipe\n"
			      "FROM ./debian-live.iso sha256:" HEX "\n"
			      "RUN echo \"built by labboot\" > /etc/motd\n"
			      "COPY files/hello.txt /etc/hello.txt\n";

static void check_minimal(const struct recipe *r)
{
	const struct recipe_step *s;

	assert_int_equal(r->n_steps, 3);
	s = &r->steps[0];
	assert_int_equal(s->op, RECIPE_FROM);
	assert_int_equal(s->line, 2);
	assert_string_equal(s->text, "FROM ./debian-live.iso sha256:" HEX);
	assert_string_equal(s->arg, "./debian-live.iso");
	assert_int_equal(s->from_kind, RECIPE_FROM_ISO_PATH);
	assert_true(s->has_sha256);
	assert_memory_equal(s->sha256, hex_bytes, 32);
	assert_false(recipe_step_makes_layer(s));
	s = &r->steps[1];
	assert_int_equal(s->op, RECIPE_RUN);
	assert_int_equal(s->line, 3);
	assert_string_equal(s->text, "RUN echo \"built by labboot\" > /etc/motd");
	assert_string_equal(s->arg, "echo \"built by labboot\" > /etc/motd");
	assert_true(recipe_step_makes_layer(s));
	s = &r->steps[2];
	assert_int_equal(s->op, RECIPE_COPY);
	assert_int_equal(s->line, 4);
	assert_string_equal(s->text, "COPY files/hello.txt /etc/hello.txt");
	assert_int_equal(s->n_sources, 1);
	assert_string_equal(s->sources[0], "files/hello.txt");
	assert_string_equal(s->dest, "/etc/hello.txt");
	assert_null(s->chown);
	assert_false(s->has_chmod);
	assert_null(s->arg);
	assert_true(recipe_step_makes_layer(s));
}

static void parses_the_minimal_recipe(void **state)
{
	struct recipe *r = parse_ok(minimal);

	check_minimal(r);
	recipe_free(r);
}

static void parses_the_minimal_recipe_with_crlf(void **state)
{
	struct recipe *r = parse_ok("# minimal.recipe\r\n"
				    "FROM ./debian-live.iso sha256:" HEX "\r\n"
				    "RUN echo \"built by labboot\" > /etc/motd\r\n"
				    "COPY files/hello.txt /etc/hello.txt\r\n");

	check_minimal(r);
	recipe_free(r);
	/* no newline at the end, trailing blanks, indentation */
	r = parse_ok("# minimal.recipe\n"
		     "  FROM ./debian-live.iso sha256:" HEX " \t\n"
		     "\tRUN echo \"built by labboot\" > /etc/motd\n"
		     "COPY files/hello.txt /etc/hello.txt");
	check_minimal(r);
	recipe_free(r);
}

/* ---- FROM ---------------------------------------------------------------- */

static void parses_from_empty_layers(void **state)
{
	struct recipe *r = parse_ok("FROM --empty=minimal.standard --empty=x_y-1 ./u.iso sha256:" HEX "\n");

	assert_int_equal(r->steps[0].n_empty, 2);
	assert_string_equal(r->steps[0].empty[0], "minimal.standard");
	assert_string_equal(r->steps[0].empty[1], "x_y-1");
	assert_string_equal(r->steps[0].arg, "./u.iso");
	recipe_free(r);
	expect_error("FROM --empty= ./u.iso sha256:" HEX "\n", NAME ":1: FROM --empty=: not a squashfs name like minimal.standard");
	expect_error("FROM --empty=a/b ./u.iso sha256:" HEX "\n", NAME ":1: FROM --empty=a/b: not a squashfs name like minimal.standard");
	expect_error("FROM --bogus ./u.iso sha256:" HEX "\n", NAME ":1: FROM: unknown option '--bogus' (--empty=LAYER)");
	expect_error("FROM --empty=a image:x\n", NAME ":1: FROM --empty applies to an ISO's layers, not to image:");
	expect_error("FROM --empty=a --empty=b --empty=c --empty=d --empty=e ./u.iso sha256:" HEX "\n",
		     NAME ":1: FROM: more than 4 --empty layers");
}

static void parses_from_kinds(void **state)
{
	static const struct {
		const char *line;
		enum recipe_from_kind kind;
		const char *arg;
		bool sha;
	} v[] = {
		{ "FROM ./debian-live.iso sha256:" HEX, RECIPE_FROM_ISO_PATH, "./debian-live.iso", true },
		{ "FROM /srv/iso/debian-12.iso sha256:" HEX, RECIPE_FROM_ISO_PATH, "/srv/iso/debian-12.iso", true },
		{ "FROM http://198.18.0.1/d.iso sha256:" HEX, RECIPE_FROM_ISO_URL, "http://198.18.0.1/d.iso", true },
		{ "FROM https://releases.ubuntu.com/24.04/u.iso sha256:" HEX, RECIPE_FROM_ISO_URL,
		  "https://releases.ubuntu.com/24.04/u.iso", true },
		{ "FROM ftp://x/d.iso sha256:" HEX, RECIPE_FROM_ISO_PATH, "ftp://x/d.iso", true },
		{ "FROM image:lab-base", RECIPE_FROM_IMAGE, "image:lab-base", false },
		{ "FROM image:lab-base@2026-12-01.1", RECIPE_FROM_IMAGE, "image:lab-base@2026-12-01.1", false },
		{ "from\timage:x", RECIPE_FROM_IMAGE, "image:x", false },
	};
	char buf[512];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(buf, sizeof(buf), "%s\n", v[i].line);
		struct recipe *r = parse_ok(buf);
		const struct recipe_step *s = &r->steps[0];
		assert_int_equal(r->n_steps, 1);
		assert_int_equal(s->op, RECIPE_FROM);
		assert_int_equal(s->line, 1);
		assert_int_equal(s->from_kind, v[i].kind);
		assert_string_equal(s->arg, v[i].arg);
		assert_string_equal(s->text, v[i].line);
		assert_int_equal(s->has_sha256, v[i].sha);
		if (v[i].sha)
			assert_memory_equal(s->sha256, hex_bytes, 32);
		recipe_free(r);
	}
}

/* ---- the other instructions -------------------------------------------- */

static void parses_copy_options_and_sources(void **state)
{
	struct recipe *r = parse_ok(FROM_LINE
				    "COPY --chown=student:staff --chmod=0644 files/a files/b c /home/student/\n"
				    "COPY --chmod=755 --chown=1000 bin/x /usr/local/bin/x\n"
				    "COPY --chown=root a /a\n"
				    "COPY --chmod=4755 a /a\n"
				    "COPY --chown=a --chown=b:c a /a\n");
	const struct recipe_step *s = &r->steps[1];

	assert_int_equal(r->n_steps, 6);
	assert_int_equal(s->op, RECIPE_COPY);
	assert_int_equal(s->n_sources, 3);
	assert_string_equal(s->sources[0], "files/a");
	assert_string_equal(s->sources[1], "files/b");
	assert_string_equal(s->sources[2], "c");
	assert_string_equal(s->dest, "/home/student/");
	assert_string_equal(s->chown, "student:staff");
	assert_true(s->has_chmod);
	assert_int_equal(s->chmod, 0644);
	assert_string_equal(s->text, "COPY --chown=student:staff --chmod=0644 files/a files/b c /home/student/");
	s = &r->steps[2];
	assert_string_equal(s->chown, "1000");
	assert_int_equal(s->chmod, 0755);
	assert_int_equal(s->n_sources, 1);
	assert_string_equal(s->dest, "/usr/local/bin/x");
	s = &r->steps[3];
	assert_string_equal(s->chown, "root");
	assert_false(s->has_chmod);
	assert_int_equal(r->steps[4].chmod, 04755);
	assert_string_equal(r->steps[5].chown, "b:c"); /* the last one wins */
	recipe_free(r);
}

static void copy_takes_up_to_max_sources(void **state)
{
	char buf[2048];
	size_t n;
	struct recipe *r;

	n = (size_t)snprintf(buf, sizeof(buf), "%sCOPY", FROM_LINE);
	for (unsigned i = 0; i < RECIPE_MAX_COPY_SOURCES; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, " s%u", i);
	snprintf(buf + n, sizeof(buf) - n, " /dst/\n");
	r = parse_ok(buf);
	assert_int_equal(r->steps[1].n_sources, RECIPE_MAX_COPY_SOURCES);
	assert_string_equal(r->steps[1].sources[RECIPE_MAX_COPY_SOURCES - 1], "s63");
	assert_string_equal(r->steps[1].dest, "/dst/");
	recipe_free(r);
	snprintf(buf + n, sizeof(buf) - n, " s64 /dst/\n");
	expect_error_len(buf, strlen(buf), NAME ":2: COPY: more than 64 sources");
}

static void parses_patch_and_cmdline(void **state)
{
	struct recipe *r = parse_ok(FROM_LINE
				    "PATCH rootfs patches/gdm-autologin.diff\n"
				    "PATCH initrd patches/casper-nfs.diff\n"
				    "CMDLINE quiet splash console=ttyS0,115200\n");
	const struct recipe_step *s = &r->steps[1];

	assert_int_equal(r->n_steps, 4);
	assert_int_equal(s->op, RECIPE_PATCH);
	assert_int_equal(s->patch_target, RECIPE_PATCH_ROOTFS);
	assert_string_equal(s->arg, "patches/gdm-autologin.diff");
	assert_true(recipe_step_makes_layer(s));
	s = &r->steps[2];
	assert_int_equal(s->patch_target, RECIPE_PATCH_INITRD);
	assert_string_equal(s->arg, "patches/casper-nfs.diff");
	assert_false(recipe_step_makes_layer(s)); /* goes into the second initrd */
	s = &r->steps[3];
	assert_int_equal(s->op, RECIPE_CMDLINE);
	assert_string_equal(s->arg, "quiet splash console=ttyS0,115200");
	assert_string_equal(s->text, "CMDLINE quiet splash console=ttyS0,115200");
	assert_false(recipe_step_makes_layer(s));
	recipe_free(r);
}

static void parses_every_feature(void **state)
{
	static const struct {
		const char *line;
		enum recipe_feature f;
		const char *arg;
	} v[] = {
		{ "FEATURE hostname", FEATURE_HOSTNAME, "" },
		{ "FEATURE networkd", FEATURE_NETWORKD, "" },
		{ "FEATURE user student", FEATURE_USER, "student" },
		{ "FEATURE user a_b-1", FEATURE_USER, "a_b-1" },
		{ "FEATURE user abcdefghijklmnopqrstuvwxyz012345", FEATURE_USER, "abcdefghijklmnopqrstuvwxyz012345" },
		{ "FEATURE toram", FEATURE_TORAM, "" },
		{ "FEATURE ssh-key ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMq lab@admin", FEATURE_SSH_KEY,
		  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMq lab@admin" },
		{ "FEATURE timezone Europe/Amsterdam", FEATURE_TIMEZONE, "Europe/Amsterdam" },
		{ "FEATURE timezone UTC", FEATURE_TIMEZONE, "UTC" },
		{ "FEATURE nfs-home 192.0.2.10:/srv/home", FEATURE_NFS_HOME, "192.0.2.10:/srv/home" },
		{ "FEATURE nfs-home", FEATURE_NFS_HOME, "" },
		{ "FEATURE callback", FEATURE_CALLBACK, "" },
		{ "feature   user    student", FEATURE_USER, "student" },
	};
	char buf[512];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(buf, sizeof(buf), FROM_LINE "%s\n", v[i].line);
		struct recipe *r = parse_ok(buf);
		const struct recipe_step *s = &r->steps[1];
		assert_int_equal(r->n_steps, 2);
		assert_int_equal(s->op, RECIPE_FEATURE);
		assert_int_equal(s->feature, v[i].f);
		assert_string_equal(s->arg, v[i].arg);
		assert_string_equal(s->text, v[i].line);
		assert_false(recipe_step_makes_layer(s));
		recipe_free(r);
	}
}

static void keywords_in_any_case(void **state)
{
	struct recipe *r = parse_ok("from ./a.iso sha256:" HEX "\n"
				    "Run true\n"
				    "cOpY a /b\n"
				    "patch rootfs p.diff\n"
				    "CmdLine quiet\n"
				    "FeAtUrE toram\n");
	static const enum recipe_op ops[] = { RECIPE_FROM, RECIPE_RUN, RECIPE_COPY,
					      RECIPE_PATCH, RECIPE_CMDLINE, RECIPE_FEATURE };

	assert_int_equal(r->n_steps, 6);
	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(r->steps[i].op, ops[i]);
		assert_int_equal(r->steps[i].line, i + 1);
	}
	assert_string_equal(r->steps[1].text, "Run true"); /* as written */
	assert_string_equal(r->steps[4].text, "CmdLine quiet");
	recipe_free(r);
}

/* ---- continuations ---------------------------------------------------- */

static void joins_continuations(void **state)
{
	struct recipe *r = parse_ok("# lab\n"
				    "FROM ./a.iso\\\n"
				    "   sha256:" HEX "\n"
				    "\n"
				    "RUN apt-get update &&\\\n"
				    "    # the editor the students asked for\n"
				    "    apt-get install -y\\\n"
				    "\tvim\\\n"
				    "      git\n"
				    "COPY --chmod=0644\\\r\n"
				    "  a\\\r\n"
				    "  /b\r\n"
				    "CMDLINE quiet\\\n"
				    "\n"
				    "RUN last\\");
	const struct recipe_step *s;

	assert_int_equal(r->n_steps, 5);
	s = &r->steps[0];
	assert_int_equal(s->line, 2);
	assert_string_equal(s->text, "FROM ./a.iso sha256:" HEX);
	assert_string_equal(s->arg, "./a.iso");
	assert_true(s->has_sha256);
	s = &r->steps[1];
	assert_int_equal(s->line, 5);
	assert_string_equal(s->text, "RUN apt-get update && apt-get install -y vim git");
	assert_string_equal(s->arg, "apt-get update && apt-get install -y vim git");
	s = &r->steps[2];
	assert_int_equal(s->line, 10);
	assert_string_equal(s->text, "COPY --chmod=0644 a /b");
	assert_int_equal(s->chmod, 0644);
	assert_string_equal(s->dest, "/b");
	s = &r->steps[3];
	assert_int_equal(s->line, 13); /* an empty line ends the continuation */
	assert_string_equal(s->text, "CMDLINE quiet");
	s = &r->steps[4];
	assert_int_equal(s->line, 15); /* a backslash at the end of the file */
	assert_string_equal(s->text, "RUN last");
	assert_string_equal(s->arg, "last");
	recipe_free(r);

	r = parse_ok(FROM_LINE "RUN last \\\n");
	assert_int_equal(r->n_steps, 2);
	assert_string_equal(r->steps[1].arg, "last"); /* blanks before the backslash go */
	recipe_free(r);
}

static void lines_count_blank_and_comment_lines(void **state)
{
	struct recipe *r = parse_ok("\n# one\n\n" FROM_LINE "  # indented comment\n\t\n"
				    "RUN a\\\n# in\n b\\\n c\nRUN d\n");

	assert_int_equal(r->n_steps, 3);
	assert_int_equal(r->steps[0].line, 4);
	assert_int_equal(r->steps[1].line, 7);
	assert_string_equal(r->steps[1].text, "RUN a b c");
	assert_int_equal(r->steps[2].line, 11);
	recipe_free(r);
}

/* ---- errors ------------------------------------------------------------ */

struct error_vec {
	const char *input;
	size_t len;          /* 0: strlen(input) */
	const char *err;
};

#define E(in, msg) { in, 0, NAME ":" msg }
#define EL(in, msg) { in, sizeof(in) - 1, NAME ":" msg }

static const struct error_vec error_vecs[] = {
	/* FROM */
	E("", "1: empty recipe: it needs at least a FROM line"),
	E("# only a comment\n\n   \n", "1: empty recipe: it needs at least a FROM line"),
	E("RUN true\n", "1: the recipe must start with FROM"),
	E("# c\n\nRUN true\n" FROM_LINE, "3: the recipe must start with FROM"),
	E("FEATURE toram\n" FROM_LINE, "1: the recipe must start with FROM"),
	E(FROM_LINE FROM_LINE, "2: only one FROM, and it comes first"),
	E(FROM_LINE "RUN a\nfrom image:x\n", "3: only one FROM, and it comes first"),
	E("FROM\n", "1: FROM needs an ISO (path or URL) and its sha256, or image:NAME[@VERSION]"),
	E("FROM a.iso\n", "1: FROM a.iso: the ISO's sha256 is missing (FROM FILE sha256:HEX)"),
	E("FROM https://x/a.iso\n", "1: FROM https://x/a.iso: the ISO's sha256 is missing (FROM FILE sha256:HEX)"),
	E("FROM a.iso sha256:0123abc\n", "1: FROM: 'sha256:0123abc' is not sha256: followed by 64 hex digits"),
	E("FROM a.iso sha256:\n", "1: FROM: 'sha256:' is not sha256: followed by 64 hex digits"),
	E("FROM a.iso sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg\n",
	  "1: FROM: 'sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg' is not sha256: "
	  "followed by 64 hex digits"),
	E("FROM a.iso sha256:" HEX "0\n", "1: FROM: 'sha256:" HEX "0' is not sha256: followed by 64 hex digits"),
	E("FROM a.iso md5:" HEX "\n", "1: FROM: 'md5:" HEX "' is not sha256: followed by 64 hex digits"),
	E("FROM a.iso " HEX "\n", "1: FROM: '" HEX "' is not sha256: followed by 64 hex digits"),
	E("FROM a.iso sha256:" HEX " extra\n", "1: FROM: unexpected 'extra'"),
	E("FROM image:\n", "1: FROM image:NAME[@VERSION]: bad image name ''"),
	E("FROM image:../x\n", "1: FROM image:NAME[@VERSION]: bad image name '../x'"),
	E("FROM image:x sha256:" HEX "\n", "1: FROM: unexpected 'sha256:" HEX "'"),
	/* instructions */
	E(FROM_LINE "ADD a /b\n", "2: unknown instruction 'ADD' (FROM, RUN, COPY, PATCH, CMDLINE, FEATURE)"),
	E(FROM_LINE "ENTRYPOINT [\"x\"]\n",
	  "2: unknown instruction 'ENTRYPOINT' (FROM, RUN, COPY, PATCH, CMDLINE, FEATURE)"),
	E(FROM_LINE "RUNX a\n", "2: unknown instruction 'RUNX' (FROM, RUN, COPY, PATCH, CMDLINE, FEATURE)"),
	E("FRO M x\n", "1: unknown instruction 'FRO' (FROM, RUN, COPY, PATCH, CMDLINE, FEATURE)"),
	E(FROM_LINE "RUN\n", "2: RUN needs a command"),
	E(FROM_LINE "RUN   \\\n  \n", "2: RUN needs a command"),
	E(FROM_LINE "CMDLINE\n", "2: CMDLINE needs kernel arguments"),
	/* FEATURE */
	E(FROM_LINE "FEATURE\n", "2: FEATURE needs a name"),
	E(FROM_LINE "FEATURE zeroconf\n", "2: unknown FEATURE 'zeroconf' (hostname, networkd, user, toram, ssh-key, "
					  "timezone, nfs-home, callback, root)"),
	E(FROM_LINE "FEATURE Hostname\n", "2: unknown FEATURE 'Hostname' (hostname, networkd, user, toram, ssh-key, "
					  "timezone, nfs-home, callback, root)"),
	E(FROM_LINE "FEATURE hostname lab1\n", "2: FEATURE hostname takes no value"),
	E(FROM_LINE "FEATURE networkd yes\n", "2: FEATURE networkd takes no value"),
	E(FROM_LINE "FEATURE toram 1\n", "2: FEATURE toram takes no value"),
	E(FROM_LINE "FEATURE callback http://x\n", "2: FEATURE callback takes no value"),
	E(FROM_LINE "FEATURE root\n", "2: FEATURE root needs a value"),
	E(FROM_LINE "FEATURE root iscsi\n", "2: FEATURE root: 'iscsi' is not http or nfs"),
	E(FROM_LINE "FEATURE user\n", "2: FEATURE user needs a value"),
	E(FROM_LINE "FEATURE ssh-key\n", "2: FEATURE ssh-key needs a value"),
	E(FROM_LINE "FEATURE timezone   \n", "2: FEATURE timezone needs a value"),
	E(FROM_LINE "FEATURE user student extra\n", "2: FEATURE user: 'student extra' is not a user name"),
	E(FROM_LINE "FEATURE user Student\n", "2: FEATURE user: 'Student' is not a user name"),
	E(FROM_LINE "FEATURE user -rf\n", "2: FEATURE user: '-rf' is not a user name"),
	E(FROM_LINE "FEATURE user ../root\n", "2: FEATURE user: '../root' is not a user name"),
	E(FROM_LINE "FEATURE user abcdefghijklmnopqrstuvwxyz0123456\n",
	  "2: FEATURE user: 'abcdefghijklmnopqrstuvwxyz0123456' is not a user name"),
	E(FROM_LINE "FEATURE timezone Europe/Amsterdam extra\n",
	  "2: FEATURE timezone: 'Europe/Amsterdam extra' is not a zone name like Europe/Amsterdam"),
	E(FROM_LINE "FEATURE timezone ../../etc/shadow\n",
	  "2: FEATURE timezone: '../../etc/shadow' is not a zone name like Europe/Amsterdam"),
	E(FROM_LINE "FEATURE timezone /etc/localtime\n",
	  "2: FEATURE timezone: '/etc/localtime' is not a zone name like Europe/Amsterdam"),
	/* COPY */
	E(FROM_LINE "COPY\n", "2: COPY needs SOURCE... DEST"),
	E(FROM_LINE "COPY files/hello.txt\n", "2: COPY needs SOURCE... DEST"),
	E(FROM_LINE "COPY --chmod=0644 /etc/x\n", "2: COPY needs SOURCE... DEST"),
	E(FROM_LINE "COPY files/hello.txt etc/hello.txt\n",
	  "2: COPY: the destination 'etc/hello.txt' must be an absolute path in the image"),
	E(FROM_LINE "COPY a b ./c\n", "2: COPY: the destination './c' must be an absolute path in the image"),
	E(FROM_LINE "COPY http://198.18.0.1/x /x\n",
	  "2: COPY: 'http://198.18.0.1/x': URLs are not copied, download them in a RUN step"),
	E(FROM_LINE "COPY a https://x/y /x\n", "2: COPY: 'https://x/y': URLs are not copied, download them in a RUN step"),
	E(FROM_LINE "COPY --chmod=0648 a /b\n", "2: COPY --chmod=0648: expected an octal mode like 0644"),
	E(FROM_LINE "COPY --chmod=64 a /b\n", "2: COPY --chmod=64: expected an octal mode like 0644"),
	E(FROM_LINE "COPY --chmod=01644 a /b\n", "2: COPY --chmod=01644: expected an octal mode like 0644"),
	E(FROM_LINE "COPY --chmod=u+x a /b\n", "2: COPY --chmod=u+x: expected an octal mode like 0644"),
	E(FROM_LINE "COPY --chmod= a /b\n", "2: COPY --chmod=: expected an octal mode like 0644"),
	E(FROM_LINE "COPY --chown= a /b\n", "2: COPY --chown=USER[:GROUP]: empty owner"),
	E(FROM_LINE "COPY --link a /b\n", "2: COPY: unknown option '--link' (--chown=USER[:GROUP], --chmod=MODE)"),
	E(FROM_LINE "COPY --chown a /b\n", "2: COPY: unknown option '--chown' (--chown=USER[:GROUP], --chmod=MODE)"),
	/* PATCH */
	E(FROM_LINE "PATCH\n", "2: PATCH needs rootfs|initrd FILE"),
	E(FROM_LINE "PATCH rootfs\n", "2: PATCH needs rootfs|initrd FILE"),
	E(FROM_LINE "PATCH rootfs a b\n", "2: PATCH needs rootfs|initrd FILE"),
	E(FROM_LINE "PATCH kernel a.diff\n", "2: PATCH: 'kernel' is neither rootfs nor initrd"),
	E(FROM_LINE "PATCH ROOTFS a.diff\n", "2: PATCH: 'ROOTFS' is neither rootfs nor initrd"),
	/* the first line of a continued instruction */
	E(FROM_LINE "RUN true\nCOPY a \\\n  b \\\n  c\n",
	  "3: COPY: the destination 'c' must be an absolute path in the image"),
	E(FROM_LINE "FEATURE \\\n# note\n  zeroconf\n",
	  "2: unknown FEATURE 'zeroconf' (hostname, networkd, user, toram, ssh-key, timezone, nfs-home, callback, root)"),
	E("FROM a.iso \\\r\n sha256:abc\r\n", "1: FROM: 'sha256:abc' is not sha256: followed by 64 hex digits"),
	/* NUL and control characters */
	EL(FROM_LINE "RUN a\0b\n", "2: NUL byte in the recipe"),
	EL(FROM_LINE "RUN a\n# comment \0\n", "3: NUL byte in the recipe"),
	EL("\0", "1: NUL byte in the recipe"),
	E(FROM_LINE "COPY a\x01 /b\n", "2: COPY: control characters in a path"),
	E(FROM_LINE "COPY a /b\x1b[31m\n", "2: COPY: control characters in a path"),
	E(FROM_LINE "COPY a\x7f /b\n", "2: COPY: control characters in a path"),
	E(FROM_LINE "COPY a\rb /c\n", "2: COPY: control characters in a path"),
	E(FROM_LINE "COPY --chown=a\x01 a /b\n", "2: COPY --chown=USER[:GROUP]: empty owner"),
	E(FROM_LINE "PATCH rootfs a\x02.diff\n", "2: PATCH: control characters in a path"),
	E(FROM_LINE "FEATURE ssh-key ssh-ed25519 AAAA\x1b]0;x\x07\n", "2: FEATURE ssh-key: control characters"),
	E(FROM_LINE "FEATURE ssh-key ssh-ed25519\tAAAA\n", "2: FEATURE ssh-key: control characters"),
	E(FROM_LINE "FEATURE nfs-home srv:/home\x0b\n", "2: FEATURE nfs-home: control characters"),
	E(FROM_LINE "FEATURE timezone Europe/\x01\n", "2: FEATURE timezone: control characters"),
};

static void rejects_wrong_and_hostile_recipes(void **state)
{
	for (size_t i = 0; i < sizeof(error_vecs) / sizeof(error_vecs[0]); i++) {
		const struct error_vec *v = &error_vecs[i];
		expect_error_len(v->input, v->len ? v->len : strlen(v->input), v->err);
	}
}

/* A recipe of FROM then COUNT one-byte-argument RUN lines. */
static char *many_steps(unsigned count, size_t *ret_len)
{
	size_t size = sizeof(FROM_LINE) + (size_t)count * 8, n;
	char *buf = malloc(size);

	assert_non_null(buf);
	n = (size_t)snprintf(buf, size, "%s", FROM_LINE);
	for (unsigned i = 0; i < count; i++)
		n += (size_t)snprintf(buf + n, size - n, "RUN x\n");
	*ret_len = n;
	return buf;
}

static void caps_the_number_of_steps(void **state)
{
	size_t len;
	char *buf = many_steps(RECIPE_MAX_STEPS - 1, &len);
	struct recipe *r = parse_ok_len(buf, len);

	assert_int_equal(r->n_steps, RECIPE_MAX_STEPS);
	assert_int_equal(r->steps[RECIPE_MAX_STEPS - 1].line, RECIPE_MAX_STEPS);
	recipe_free(r);
	free(buf);
	buf = many_steps(RECIPE_MAX_STEPS, &len);
	expect_error_len(buf, len, NAME ":257: more than 256 instructions");
	free(buf);
}

/* "RUN " then Y up to LEN bytes of instruction. */
static char *long_instruction(const char *prefix, size_t len, const char *suffix, size_t *ret_len)
{
	size_t pl = strlen(prefix), sl = strlen(suffix);
	char *buf = malloc(pl + len + sl);

	assert_non_null(buf);
	memcpy(buf, prefix, pl);
	memcpy(buf + pl, "RUN ", 4);
	memset(buf + pl + 4, 'y', len - 4);
	memcpy(buf + pl + len, suffix, sl);
	*ret_len = pl + len + sl;
	return buf;
}

static void caps_the_instruction_length(void **state)
{
	size_t len;
	char *buf = long_instruction(FROM_LINE, RECIPE_MAX_LINE - 1, "\n", &len);
	struct recipe *r = parse_ok_len(buf, len);

	assert_int_equal(strlen(r->steps[1].text), RECIPE_MAX_LINE - 1);
	recipe_free(r);
	free(buf);
	buf = long_instruction(FROM_LINE, RECIPE_MAX_LINE, "\n", &len);
	expect_error_len(buf, len, NAME ":2: instruction longer than 65536 bytes");
	free(buf);
	/* joined from several lines: the error names the first */
	buf = long_instruction(FROM_LINE "RUN a\\\n# c\n", RECIPE_MAX_LINE - 6, "\\\nmore\n", &len);
	expect_error_len(buf, len, NAME ":2: instruction longer than 65536 bytes");
	free(buf);
}

static void caps_the_recipe_size(void **state)
{
	size_t len = RECIPE_MAX_BYTES, n;
	char *buf = malloc(len + 1);
	struct recipe *r;

	assert_non_null(buf);
	n = (size_t)snprintf(buf, len, "%sRUN x\n", FROM_LINE);
	memset(buf + n, '#', len - n); /* one long comment line */
	r = parse_ok_len(buf, len);
	assert_int_equal(r->n_steps, 2);
	recipe_free(r);
	buf[len] = '\n';
	/* no line has been read: the message carries line 0 */
	expect_error_len(buf, len + 1, NAME ":1: recipe larger than 1048576 bytes");
	free(buf);
}

static void error_buffer_is_bounded(void **state)
{
	struct recipe *r = NULL;
	char err[12];

	memset(err, 'x', sizeof(err));
	assert_int_equal(recipe_parse(NAME, "RUN x\n", 6, &r, err, 8), -EINVAL);
	assert_string_equal(err, "t.recip");
	assert_int_equal(err[8], 'x');
	assert_int_equal(recipe_parse(NAME, "RUN x\n", 6, &r, NULL, 0), -EINVAL);
	assert_null(r);
}

/* ---- helpers ----------------------------------------------------------- */

static void parses_modes_and_digests(void **state)
{
	static const struct {
		const char *s;
		int rc;
		mode_t m;
	} modes[] = {
		{ "644", 0, 0644 }, { "0644", 0, 0644 }, { "755", 0, 0755 }, { "0000", 0, 0 }, { "7777", 0, 07777 },
		{ "", -EINVAL, 0 }, { "64", -EINVAL, 0 }, { "12345", -EINVAL, 0 }, { "0648", -EINVAL, 0 },
		{ "-644", -EINVAL, 0 }, { " 644", -EINVAL, 0 }, { "0x1a", -EINVAL, 0 },
	};
	uint8_t sha[32];
	char hex[65];

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		mode_t m = 01;
		assert_int_equal(recipe_parse_mode(modes[i].s, &m), modes[i].rc);
		assert_int_equal(m, modes[i].rc == 0 ? modes[i].m : 01);
	}
	assert_int_equal(parse_sha256_hex(HEX, sha), 0);
	assert_memory_equal(sha, hex_bytes, 32);
	format_sha256_hex(hex, sha);
	assert_string_equal(hex, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	memset(sha, 0x5a, sizeof(sha));
	assert_int_equal(parse_sha256_hex(HEX "0", sha), -EINVAL);
	assert_int_equal(parse_sha256_hex("0123", sha), -EINVAL);
	assert_int_equal(parse_sha256_hex("", sha), -EINVAL);
	assert_int_equal(parse_sha256_hex("x123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", sha),
			 -EINVAL);
	assert_int_equal(parse_sha256_hex("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde ", sha),
			 -EINVAL);
	for (size_t i = 0; i < 32; i++)
		assert_int_equal(sha[i], 0x5a); /* untouched on failure */
}

static void names_ops_and_features(void **state)
{
	assert_string_equal(recipe_op_name(RECIPE_FROM), "FROM");
	assert_string_equal(recipe_op_name(RECIPE_FEATURE), "FEATURE");
	assert_string_equal(recipe_op_name((enum recipe_op)99), "?");
	assert_string_equal(recipe_feature_name(FEATURE_SSH_KEY), "ssh-key");
	assert_string_equal(recipe_feature_name(FEATURE_NFS_HOME), "nfs-home");
	assert_string_equal(recipe_feature_name(FEATURE_COUNT_), "?");
	assert_string_equal(recipe_feature_name((enum recipe_feature)-1), "?");
	recipe_free(NULL);
}

/* ---- found by these tests: disabled until src/image/recipe.c is fixed --- */

/* BUG: a comment line after a trailing backslash at the end of the file drops
 * the instruction being continued. The comment is "continue"d and the loop
 * ends with the joined text still in the buffer, never parsed: the recipe
 * parses with the RUN step missing (or, for a lone FROM, fails as empty). */
static void bug_comment_after_final_continuation(void **state)
{
	struct recipe *r = parse_ok(FROM_LINE "RUN make install \\\n# the end\n");

	assert_int_equal(r->n_steps, 2);
	assert_string_equal(r->steps[1].arg, "make install");
	recipe_free(r);
	r = parse_ok("FROM ./a.iso sha256:" HEX " \\\n# only comments follow\n");
	assert_int_equal(r->n_steps, 1);
	recipe_free(r);
}

/* BUG (hardening): control characters are refused in COPY, PATCH and FEATURE
 * but accepted in the FROM path (a path, which printable() says must have
 * none), in CMDLINE (copied into the kernel command line and the iPXE script)
 * and in the keyword, which the error message then echoes unescaped. */
static void bug_control_characters_in_from_and_cmdline(void **state)
{
	expect_error_len("FROM ./a\x1b[2J.iso sha256:" HEX "\n", strlen("FROM ./a\x1b[2J.iso sha256:" HEX "\n"),
			 NAME ":1: FROM: control characters in a path");
	expect_error_len(FROM_LINE "CMDLINE quiet\rinitrd=evil\n",
			 strlen(FROM_LINE "CMDLINE quiet\rinitrd=evil\n"), NAME ":2: CMDLINE: control characters");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_the_minimal_recipe),
		cmocka_unit_test(parses_the_minimal_recipe_with_crlf),
		cmocka_unit_test(parses_from_kinds),
		cmocka_unit_test(parses_from_empty_layers),
		cmocka_unit_test(parses_copy_options_and_sources),
		cmocka_unit_test(copy_takes_up_to_max_sources),
		cmocka_unit_test(parses_patch_and_cmdline),
		cmocka_unit_test(parses_every_feature),
		cmocka_unit_test(keywords_in_any_case),
		cmocka_unit_test(joins_continuations),
		cmocka_unit_test(lines_count_blank_and_comment_lines),
		cmocka_unit_test(rejects_wrong_and_hostile_recipes),
		cmocka_unit_test(caps_the_number_of_steps),
		cmocka_unit_test(caps_the_instruction_length),
		cmocka_unit_test(caps_the_recipe_size),
		cmocka_unit_test(error_buffer_is_bounded),
		cmocka_unit_test(parses_modes_and_digests),
		cmocka_unit_test(names_ops_and_features),
		cmocka_unit_test(bug_comment_after_final_continuation),
		cmocka_unit_test(bug_control_characters_in_from_and_cmdline),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	return failed;
}
