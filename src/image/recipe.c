/* Recipe parser: physical lines are joined at a trailing backslash (as in a
 * Dockerfile; comment lines inside a continuation are skipped), '#' starts a
 * comment line, keywords are case-insensitive. Everything is checked here,
 * before a build runs anything. */
#include "image/recipe.h"

#include "core/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

struct parser {
	const char *name;
	char *err;
	size_t errlen;
	unsigned line;
};

__attribute__((format(printf, 2, 3))) static int fail(struct parser *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->errlen)
		snprintf(p->err, p->errlen, "%s:%u: %s", p->name, p->line, msg);
	return -EINVAL;
}

static const char *const op_names[] = {
	[RECIPE_FROM] = "FROM", [RECIPE_RUN] = "RUN", [RECIPE_COPY] = "COPY",
	[RECIPE_PATCH] = "PATCH", [RECIPE_CMDLINE] = "CMDLINE", [RECIPE_FEATURE] = "FEATURE",
};

static const struct {
	const char *name;
	bool value;               /* takes a value */
	bool value_optional;
} features[FEATURE_COUNT_] = {
	[FEATURE_HOSTNAME] = { "hostname", false, false },
	[FEATURE_NETWORKD] = { "networkd", false, false },
	[FEATURE_USER] = { "user", true, false },
	[FEATURE_TORAM] = { "toram", false, false },
	[FEATURE_SSH_KEY] = { "ssh-key", true, false },
	[FEATURE_TIMEZONE] = { "timezone", true, false },
	[FEATURE_NFS_HOME] = { "nfs-home", true, true },
	[FEATURE_CALLBACK] = { "callback", false, false },
	[FEATURE_ROOT] = { "root", true, false },
};

const char *recipe_op_name(enum recipe_op op)
{
	return (unsigned)op < ARRAY_SIZE(op_names) ? op_names[op] : "?";
}

const char *recipe_feature_name(enum recipe_feature f)
{
	return (unsigned)f < FEATURE_COUNT_ ? features[f].name : "?";
}

bool recipe_step_makes_layer(const struct recipe_step *s)
{
	return s->op == RECIPE_RUN || s->op == RECIPE_COPY ||
	       (s->op == RECIPE_PATCH && s->patch_target == RECIPE_PATCH_ROOTFS);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int parse_sha256_hex(const char *s, uint8_t out[32])
{
	uint8_t tmp[32];

	if (strlen(s) != 64)
		return -EINVAL;
	for (size_t i = 0; i < 32; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		tmp[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(out, tmp, 32);
	return 0;
}

void format_sha256_hex(char out[static 65], const uint8_t sha[32])
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < 32; i++) {
		out[2 * i] = hex[sha[i] >> 4];
		out[2 * i + 1] = hex[sha[i] & 15];
	}
	out[64] = '\0';
}

int recipe_parse_mode(const char *s, mode_t *ret)
{
	size_t n = strlen(s);
	mode_t m = 0;

	if (n < 3 || n > 4)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '7')
			return -EINVAL;
		m = m << 3 | (mode_t)(s[i] - '0');
	}
	*ret = m;
	return 0;
}

static char *skip_space(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* Next whitespace-separated word of *s (NUL-terminated in place), or NULL. */
static char *next_word(char **s)
{
	char *w = skip_space(*s), *e;

	if (!*w)
		return NULL;
	for (e = w; *e && *e != ' ' && *e != '\t'; e++)
		;
	if (*e)
		*e++ = '\0';
	*s = e;
	return w;
}

/* A word from the recipe made safe to show: control bytes become '?', in
 * place (the word is a copy owned by the parser). */
static char *visible(char *s)
{
	for (char *c = s; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return s;
}

static bool is_url(const char *s)
{
	return strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0;
}

/* A path in a recipe must stay readable in logs and keys: no control bytes. */
static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* FROM --empty=LAYER: the ISO's squashfs named LAYER ("minimal.standard")
 * is replaced by an empty one (the reference notes' way to drop Ubuntu
 * 24.04's desktop applications without touching the other layers). */
static int parse_from_option(struct parser *p, struct recipe_step *st, const char *w)
{
	const char *name = w + 8;

	if (strncmp(w, "--empty=", 8) != 0)
		return fail(p, "FROM: unknown option '%s' (--empty=LAYER)", visible((char *)w));
	if (!*name || strlen(name) > 64 || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
						       strlen(name))
		return fail(p, "FROM --empty=%s: not a squashfs name like minimal.standard", visible((char *)name));
	if (st->n_empty == RECIPE_MAX_EMPTY)
		return fail(p, "FROM: more than %u --empty layers", RECIPE_MAX_EMPTY);
	st->empty[st->n_empty++] = xstrdup(name);
	return 0;
}

static int parse_from(struct parser *p, struct recipe_step *st, char *rest)
{
	char *src, *sum;
	int r;

	while ((src = next_word(&rest)) && strncmp(src, "--", 2) == 0)
		if ((r = parse_from_option(p, st, src)) < 0)
			return r;
	sum = next_word(&rest);
	if (!src)
		return fail(p, "FROM needs an ISO (path or URL) and its sha256, or image:NAME[@VERSION]");
	if (!printable(src))
		return fail(p, "FROM: control characters in a path");
	if (strncmp(src, "image:", 6) == 0) {
		if (!src[6] || strchr(src + 6, '/'))
			return fail(p, "FROM image:NAME[@VERSION]: bad image name '%s'", src + 6);
		st->from_kind = RECIPE_FROM_IMAGE;
	} else {
		st->from_kind = is_url(src) ? RECIPE_FROM_ISO_URL : RECIPE_FROM_ISO_PATH;
		if (!sum)
			return fail(p, "FROM %s: the ISO's sha256 is missing (FROM FILE sha256:HEX)", src);
		if (strncmp(sum, "sha256:", 7) != 0 || parse_sha256_hex(sum + 7, st->sha256) < 0)
			return fail(p, "FROM: '%s' is not sha256: followed by 64 hex digits", sum);
		st->has_sha256 = true;
		sum = next_word(&rest);
	}
	if (sum)
		return fail(p, "FROM: unexpected '%s'", sum);
	if (st->n_empty && st->from_kind == RECIPE_FROM_IMAGE)
		return fail(p, "FROM --empty applies to an ISO's layers, not to image:");
	st->arg = xstrdup(src);
	return 0;
}

static int parse_copy(struct parser *p, struct recipe_step *st, char *rest)
{
	char *words[RECIPE_MAX_COPY_SOURCES + 1], *w;
	size_t n = 0;

	while ((w = next_word(&rest))) {
		if (n == 0 && strncmp(w, "--chown=", 8) == 0) {
			if (!w[8] || !printable(w + 8) || strchr(w + 8, ' '))
				return fail(p, "COPY --chown=USER[:GROUP]: empty owner");
			free(st->chown);
			st->chown = xstrdup(w + 8);
			continue;
		}
		if (n == 0 && strncmp(w, "--chmod=", 8) == 0) {
			if (recipe_parse_mode(w + 8, &st->chmod) < 0)
				return fail(p, "COPY --chmod=%s: expected an octal mode like 0644", w + 8);
			st->has_chmod = true;
			continue;
		}
		if (w[0] == '-' && w[1] == '-' && n == 0)
			return fail(p, "COPY: unknown option '%s' (--chown=USER[:GROUP], --chmod=MODE)", w);
		if (n == ARRAY_SIZE(words))
			return fail(p, "COPY: more than %u sources", RECIPE_MAX_COPY_SOURCES);
		if (!printable(w))
			return fail(p, "COPY: control characters in a path");
		words[n++] = w;
	}
	if (n < 2)
		return fail(p, "COPY needs SOURCE... DEST");
	if (words[n - 1][0] != '/')
		return fail(p, "COPY: the destination '%s' must be an absolute path in the image", words[n - 1]);
	for (size_t i = 0; i + 1 < n; i++)
		if (is_url(words[i]))
			return fail(p, "COPY: '%s': URLs are not copied, download them in a RUN step", words[i]);
	st->sources = calloc(n - 1, sizeof(*st->sources));
	if (!st->sources)
		return -ENOMEM;
	for (size_t i = 0; i + 1 < n; i++)
		st->sources[st->n_sources++] = xstrdup(words[i]);
	st->dest = xstrdup(words[n - 1]);
	return 0;
}

static int parse_patch(struct parser *p, struct recipe_step *st, char *rest)
{
	char *target = next_word(&rest), *file = next_word(&rest);

	if (!target || !file || next_word(&rest))
		return fail(p, "PATCH needs rootfs|initrd FILE");
	if (strcmp(target, "rootfs") == 0)
		st->patch_target = RECIPE_PATCH_ROOTFS;
	else if (strcmp(target, "initrd") == 0)
		st->patch_target = RECIPE_PATCH_INITRD;
	else
		return fail(p, "PATCH: '%s' is neither rootfs nor initrd", target);
	if (!printable(file))
		return fail(p, "PATCH: control characters in a path");
	st->arg = xstrdup(file);
	return 0;
}

static int parse_feature(struct parser *p, struct recipe_step *st, char *rest)
{
	char *name = next_word(&rest), *value;
	size_t f;

	if (!name)
		return fail(p, "FEATURE needs a name");
	for (f = 0; f < FEATURE_COUNT_; f++)
		if (strcmp(features[f].name, name) == 0)
			break;
	if (f == FEATURE_COUNT_)
		return fail(p, "unknown FEATURE '%s' (hostname, networkd, user, toram, ssh-key, timezone, nfs-home, callback, root)",
			    visible(name));
	st->feature = (enum recipe_feature)f;
	value = skip_space(rest);
	if (*value && !features[f].value)
		return fail(p, "FEATURE %s takes no value", name);
	if (!*value && features[f].value && !features[f].value_optional)
		return fail(p, "FEATURE %s needs a value", name);
	if (f == FEATURE_USER && (strlen(value) > 32 || strspn(value, "abcdefghijklmnopqrstuvwxyz0123456789_-") !=
						   strlen(value) || value[0] == '-'))
		return fail(p, "FEATURE user: '%s' is not a user name", value);
	if (f == FEATURE_TIMEZONE && (strstr(value, "..") || value[0] == '/' || strchr(value, ' ')))
		return fail(p, "FEATURE timezone: '%s' is not a zone name like Europe/Amsterdam", value);
	if (f == FEATURE_ROOT && strcmp(value, "http") && strcmp(value, "nfs"))
		return fail(p, "FEATURE root: '%s' is not http or nfs", value);
	if (!printable(value))
		return fail(p, "FEATURE %s: control characters", name);
	st->arg = xstrdup(value);
	return 0;
}

static int parse_instruction(struct parser *p, struct recipe *r, const char *text)
{
	_cleanup_free_ char *words = xstrdup(text); /* tokenised in place */
	char *rest = words, *kw = next_word(&rest), *args;
	struct recipe_step *st;
	size_t op;
	int ret;

	for (op = 0; op < ARRAY_SIZE(op_names); op++)
		if (strcasecmp(kw, op_names[op]) == 0)
			break;
	if (op == ARRAY_SIZE(op_names))
		return fail(p, "unknown instruction '%s' (FROM, RUN, COPY, PATCH, CMDLINE, FEATURE)", visible(kw));
	if (op == RECIPE_FROM && r->n_steps > 0)
		return fail(p, "only one FROM, and it comes first");
	if (op != RECIPE_FROM && r->n_steps == 0)
		return fail(p, "the recipe must start with FROM");
	if (r->n_steps == RECIPE_MAX_STEPS)
		return fail(p, "more than %u instructions", RECIPE_MAX_STEPS);
	st = &r->steps[r->n_steps];
	memset(st, 0, sizeof(*st));
	st->op = (enum recipe_op)op;
	st->line = p->line;
	args = skip_space(rest);
	switch (st->op) {
	case RECIPE_FROM: ret = parse_from(p, st, args); break;
	case RECIPE_COPY: ret = parse_copy(p, st, args); break;
	case RECIPE_PATCH: ret = parse_patch(p, st, args); break;
	case RECIPE_FEATURE: ret = parse_feature(p, st, args); break;
	case RECIPE_RUN:
	case RECIPE_CMDLINE:
		if (!*args) {
			ret = fail(p, "%s needs %s", op_names[op], op == RECIPE_RUN ? "a command" : "kernel arguments");
			break;
		}
		if (op == RECIPE_CMDLINE && !printable(args)) {
			ret = fail(p, "CMDLINE: control characters");
			break;
		}
		st->arg = xstrdup(args);
		ret = 0;
		break;
	default: ret = -EINVAL;
	}
	r->n_steps++; /* counted even on failure, so recipe_free frees what it holds */
	if (ret < 0)
		return ret;
	st->text = xstrdup(text);
	return 0;
}

/* Appends one physical line to the instruction being joined. */
static int append(char *buf, size_t *len, const char *s, size_t n)
{
	if (*len && n) {
		if (*len + 1 >= RECIPE_MAX_LINE)
			return -E2BIG;
		buf[(*len)++] = ' ';
	}
	if (n >= RECIPE_MAX_LINE - *len)
		return -E2BIG;
	memcpy(buf + *len, s, n);
	*len += n;
	buf[*len] = '\0';
	return 0;
}

static int parse_lines(struct parser *p, struct recipe *r, const char *buf, size_t len)
{
	_cleanup_free_ char *ins = malloc(RECIPE_MAX_LINE);
	size_t ins_len = 0, pos = 0;
	unsigned lineno = 0, start = 0;
	int ret;

	if (!ins)
		return -ENOMEM;
	ins[0] = '\0';
	while (pos < len) {
		const char *l = buf + pos, *nl = memchr(l, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - l) : len - pos;
		bool cont;

		pos += n + (nl ? 1 : 0);
		lineno++;
		if (memchr(l, '\0', n)) {
			p->line = lineno;
			return fail(p, "NUL byte in the recipe");
		}
		while (n && (l[n - 1] == '\r' || l[n - 1] == ' ' || l[n - 1] == '\t'))
			n--;
		while (n && (*l == ' ' || *l == '\t'))
			l++, n--;
		if (n && *l == '#')
			continue; /* a comment, also inside a continuation */
		cont = n && l[n - 1] == '\\';
		if (cont)
			n--;
		while (cont && n && (l[n - 1] == ' ' || l[n - 1] == '\t'))
			n--;
		if (ins_len == 0)
			start = lineno;
		p->line = start;
		if (append(ins, &ins_len, l, n) < 0)
			return fail(p, "instruction longer than %u bytes", RECIPE_MAX_LINE);
		if (cont && pos < len)
			continue;
		if (ins_len && (ret = parse_instruction(p, r, ins)) < 0)
			return ret;
		ins_len = 0;
		ins[0] = '\0';
	}
	/* A continuation that ran into the end (after a comment line, say). */
	if (ins_len) {
		p->line = start;
		return parse_instruction(p, r, ins);
	}
	return 0;
}

int recipe_parse(const char *name, const char *buf, size_t len, struct recipe **ret, char *err,
		 size_t errlen)
{
	struct parser p = { .name = name, .err = err, .errlen = errlen, .line = 0 };
	struct recipe *r;
	int rc;

	if (errlen)
		err[0] = '\0';
	if (len > RECIPE_MAX_BYTES) {
		p.line = 1;
		return fail(&p, "recipe larger than %u bytes", RECIPE_MAX_BYTES);
	}
	r = calloc(1, sizeof(*r));
	if (!r || !(r->steps = calloc(RECIPE_MAX_STEPS, sizeof(*r->steps)))) {
		free(r);
		return -ENOMEM;
	}
	rc = parse_lines(&p, r, buf, len);
	if (rc == 0 && r->n_steps == 0) {
		p.line = 1;
		rc = fail(&p, "empty recipe: it needs at least a FROM line");
	}
	if (rc < 0) {
		if (rc != -EINVAL && errlen)
			snprintf(err, errlen, "%s: %s", name, strerror(-rc));
		recipe_free(r);
		return rc;
	}
	*ret = r;
	return 0;
}

void recipe_free(struct recipe *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_steps; i++) {
		struct recipe_step *s = &r->steps[i];
		free(s->text);
		free(s->arg);
		for (size_t j = 0; j < s->n_sources; j++)
			free(s->sources[j]);
		free(s->sources);
		free(s->dest);
		free(s->chown);
		for (size_t j = 0; j < s->n_empty; j++)
			free(s->empty[j]);
	}
	free(r->steps);
	free(r);
}

const char *recipe_feature_value(const struct recipe *r, enum recipe_feature f)
{
	const char *v = NULL;

	for (size_t i = 0; i < r->n_steps; i++)
		if (r->steps[i].op == RECIPE_FEATURE && r->steps[i].feature == f)
			v = r->steps[i].arg ? r->steps[i].arg : "";
	return v;
}
