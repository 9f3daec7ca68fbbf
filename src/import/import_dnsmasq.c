/* The dnsmasq reader: lines into directives (following conf-file, conf-dir
 * and the host files through the caller's callback), then the directives
 * into the model, definitions (hosts, ranges, tags) before the options and
 * boot files that refer to them, as dnsmasq itself resolves tags after
 * reading everything. Semantics from dnsmasq(8). */
#include "import/import_int.h"
#include "core/util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

struct directive {
	struct dm_where at;
	char *name;
	char *value;                  /* NULL: a flag without '=' */
};

struct reader {
	struct dm *dm;
	struct directive *d;
	size_t n, cap;
	char **files;                 /* owned names the directives point to */
	size_t n_files;
	const char *stack[IMPORT_MAX_DEPTH];
	size_t depth;
	bool full;                    /* IMPORT_MAX_DIRECTIVES reached */
	size_t n_included;            /* files read through the callback */
};

/* ---- notes ------------------------------------------------------------ */

static void add_note(struct dm *dm, enum import_note_kind kind, const struct dm_where *at, const char *fmt,
		     va_list ap) __attribute__((format(printf, 4, 0)));
static void add_note(struct dm *dm, enum import_note_kind kind, const struct dm_where *at, const char *fmt,
		     va_list ap)
{
	struct import_result *res = dm->res;
	char msg[512], text[1024];
	struct import_note *grown;

	if (kind == IMPORT_NOT_TRANSLATED)
		res->n_untranslated++;
	if (res->n_notes > IMPORT_MAX_NOTES)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (res->n_notes == IMPORT_MAX_NOTES)
		snprintf(text, sizeof(text), "%s:%d: note: more notes left out", at->file, at->line);
	else if (at->line == 0)
		snprintf(text, sizeof(text), "%s: %s: %s", at->file,
			 kind == IMPORT_NOT_TRANSLATED ? "not translated" : "note", msg);
	else
		snprintf(text, sizeof(text), "%s:%d: %s: %s", at->file, at->line,
			 kind == IMPORT_NOT_TRANSLATED ? "not translated" : "note", msg);
	grown = realloc(res->notes, (res->n_notes + 1) * sizeof(*grown));
	if (!grown)
		abort();
	res->notes = grown;
	res->notes[res->n_notes++] = (struct import_note){ kind, xstrdup(text) };
}

void dm_untranslated(struct dm *dm, const struct dm_where *at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_note(dm, IMPORT_NOT_TRANSLATED, at, fmt, ap);
	va_end(ap);
}

void dm_note(struct dm *dm, const struct dm_where *at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_note(dm, IMPORT_NOTE, at, fmt, ap);
	va_end(ap);
}

/* ---- lexing ----------------------------------------------------------- */

/* dnsmasq's config syntax: "name=value" or "name"; '#' at the start or after
 * a blank starts a comment (not inside quotes). In place; 1 for nothing. */
static int lex_line(char *s, char **ret_name, char **ret_value)
{
	bool quoted = false, blank = true;
	char *eq, *end;

	for (char *p = s; *p; p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (!quoted && *p == '#' && blank) {
			*p = '\0';
			break;
		}
		blank = isspace((unsigned char)*p);
		if (blank)
			*p = ' ';
	}
	while (*s == ' ')
		s++;
	end = s + strlen(s);
	while (end > s && end[-1] == ' ')
		*--end = '\0';
	if (!*s)
		return 1;
	eq = strchr(s, '=');
	if (eq) {
		char *n = eq;
		*eq = '\0';
		while (n > s && n[-1] == ' ')
			*--n = '\0';
		eq++;
		while (*eq == ' ')
			eq++;
	}
	*ret_name = s;
	*ret_value = eq;
	return 0;
}

/* Splits on commas outside quotes; blanks trimmed; quotes removed and
 * remembered (a quoted value is text). Returns the count or -E2BIG. */
int dm_split_fields(char *s, char **f, bool *quoted, size_t max)
{
	size_t n = 0;

	if (!s)
		return 0;
	for (;;) {
		char *start = s, *w = s, *end;
		bool q = false, inq = false;
		while (*s == ' ')
			s++;
		start = w = s;
		for (; *s && (inq || *s != ','); s++) {
			if (*s == '"') {
				inq = !inq;
				q = true;
				continue;
			}
			*w++ = *s;
		}
		bool more = *s == ',';
		end = w;
		while (end > start && end[-1] == ' ' && !q)
			end--;
		*end = '\0';
		if (n == max)
			return -E2BIG;
		quoted[n] = q;
		f[n++] = start;
		if (!more)
			return (int)n;
		s++;
	}
}

bool dm_is_lease_time(const char *s)
{
	size_t len = strlen(s);

	if (strcmp(s, "infinite") == 0)
		return true;
	if (len == 0 || !isdigit((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i + 1 < len; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return isdigit((unsigned char)s[len - 1]) || strchr("smhdw", s[len - 1]);
}

/* dnsmasq lease time as labboot's duration; at least two minutes as dnsmasq. */
char *dm_lease_text(const char *s)
{
	char buf[32];
	uint64_t v, mult = 1;
	size_t len = strlen(s);

	if (strcmp(s, "infinite") == 0)
		return xstrdup("4294967295");
	switch (s[len - 1]) {
	case 'w': mult = 604800; break;
	case 'd': mult = 86400; break;
	case 'h': mult = 3600; break;
	case 'm': mult = 60; break;
	case 's': mult = 1; break;
	default: len++;
	}
	if (len - 1 >= sizeof(buf))
		return NULL;
	memcpy(buf, s, len - 1);
	buf[len - 1] = '\0';
	if (parse_u64(buf, 0, UINT32_MAX, &v) < 0 || __builtin_mul_overflow(v, mult, &v) || v > UINT32_MAX)
		return NULL;
	if (v < 120)
		v = 120;
	if (v % 86400 == 0)
		snprintf(buf, sizeof(buf), "%llud", (unsigned long long)(v / 86400));
	else if (v % 3600 == 0)
		snprintf(buf, sizeof(buf), "%lluh", (unsigned long long)(v / 3600));
	else if (v % 60 == 0)
		snprintf(buf, sizeof(buf), "%llum", (unsigned long long)(v / 60));
	else
		snprintf(buf, sizeof(buf), "%llus", (unsigned long long)v);
	return xstrdup(buf);
}

/* Names that change nothing a client sees (logs, files, process). */
static const char *const no_effect[] = {
	"bind-interfaces", "bind-dynamic", "log-queries", "log-dhcp", "log-facility", "log-async", "log-debug",
	"pid-file", "user", "group", "keep-in-foreground", "no-daemon", "dhcp-leasefile", "quiet-dhcp",
	"quiet-dhcp6", "quiet-ra", "quiet-tftp", "no-poll", "strict-order", "no-ping", "dhcp-no-override",
	"dhcp-lease-max", "tftp-secure", "tftp-no-fail", "enable-ra", "dns-loop-detect",
};

enum phase { PH_DEFINE, PH_USE };

static const struct handler {
	const char *name;
	enum phase phase;
	void (*fn)(struct dm *dm, const struct dm_where *at, char *value);
} handlers[] = {
	{ "dhcp-host", PH_DEFINE, h_dhcp_host },
	{ "\001ethers", PH_DEFINE, dm_ethers_line },
	{ "\001hosts", PH_DEFINE, dm_hosts_line },
	{ "\001resolv", PH_DEFINE, dm_resolv_line },
	{ "dhcp-range", PH_DEFINE, h_dhcp_range },
	{ "dhcp-match", PH_DEFINE, h_dhcp_match },
	{ "dhcp-vendorclass", PH_DEFINE, h_vendorclass },
	{ "dhcp-userclass", PH_DEFINE, h_userclass },
	{ "interface", PH_DEFINE, h_interface },
	{ "listen-address", PH_DEFINE, h_listen_address },
	{ "domain", PH_DEFINE, h_domain },
	{ "port", PH_DEFINE, h_port },
	{ "cache-size", PH_DEFINE, h_cache_size },
	{ "local-ttl", PH_DEFINE, h_local_ttl },
	{ "tftp-root", PH_DEFINE, h_tftp_root },
	{ "tftp-port", PH_DEFINE, h_tftp_port },
	{ "server", PH_DEFINE, h_server },
	{ "address", PH_DEFINE, h_address },
	{ "host-record", PH_DEFINE, h_host_record },
	{ "cname", PH_USE, h_cname },
	{ "ptr-record", PH_DEFINE, h_ptr_record },
	{ "txt-record", PH_DEFINE, h_txt_record },
	{ "local", PH_USE, h_local },
	{ "dhcp-option", PH_USE, h_dhcp_option },
	{ "dhcp-option-force", PH_USE, h_dhcp_option_force },
	{ "dhcp-boot", PH_USE, h_dhcp_boot },
	{ "pxe-service", PH_USE, h_pxe_service },
	{ "pxe-prompt", PH_USE, h_pxe_prompt },
};

static const char *const flags[] = {
	"enable-tftp", "no-resolv", "no-hosts", "read-ethers", "expand-hosts", "dhcp-authoritative", "resolv-file",
};

static void run_directive(struct dm *dm, const struct directive *d, enum phase phase)
{
	char *value = d->value ? xstrdup(d->value) : NULL;

	dm->raw = d->value ? d->value : "";

	for (size_t i = 0; i < ARRAY_SIZE(handlers); i++) {
		if (strcmp(handlers[i].name, d->name) == 0) {
			if (handlers[i].phase == phase)
				handlers[i].fn(dm, &d->at, value);
			goto out;
		}
	}
	if (phase != PH_DEFINE)
		goto out;
	for (size_t i = 0; i < ARRAY_SIZE(flags); i++) {
		if (strcmp(flags[i], d->name) == 0) {
			h_flag(dm, &d->at, d->name, value);
			goto out;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(no_effect); i++)
		if (strcmp(no_effect[i], d->name) == 0)
			goto out;
	dm_untranslated(dm, &d->at, "%s%s%s (%s)", d->name, d->value ? "=" : "", d->value ? d->value : "",
			!strcmp(d->name, "dhcp-ignore") ? "labboot answers every client of its ranges" :
			!strcmp(d->name, "domain-needed") || !strcmp(d->name, "bogus-priv") ?
				"labboot forwards what its zone does not answer" :
			"no labboot equivalent");
out:
	free(value);
}

/* ---- reading files ------------------------------------------------------- */

static void push(struct reader *rd, const struct dm_where *at, const char *name, const char *value)
{
	if (rd->n == IMPORT_MAX_DIRECTIVES) {
		if (!rd->full)
			dm_untranslated(rd->dm, at, "%s and what follows (more than %d directives)", name, IMPORT_MAX_DIRECTIVES);
		rd->full = true;
		return;
	}
	if (rd->n == rd->cap) {
		size_t cap = rd->cap ? rd->cap * 2 : 64;
		struct directive *grown = realloc(rd->d, cap * sizeof(*grown));
		if (!grown)
			abort();
		rd->d = grown;
		rd->cap = cap;
	}
	rd->d[rd->n++] = (struct directive){ *at, xstrdup(name), value ? xstrdup(value) : NULL };
}

static const char *keep_name(struct reader *rd, const char *path)
{
	char **grown = realloc(rd->files, (rd->n_files + 1) * sizeof(*grown));

	if (!grown)
		abort();
	rd->files = grown;
	return rd->files[rd->n_files++] = xstrdup(path);
}

enum file_kind { FK_CONF, FK_DHCP_HOSTS, FK_HOSTS, FK_ETHERS, FK_RESOLV };

static void read_text(struct reader *rd, const char *path, const char *text, enum file_kind kind);
static void include_dir(struct reader *rd, const struct dm_where *at, char *value, enum file_kind kind);

/* A file through the caller; `quiet`: a missing default file is no news. */
static void include_file(struct reader *rd, const struct dm_where *at, const char *path, enum file_kind kind, bool quiet)
{
	struct dm *dm = rd->dm;
	char *text = NULL;
	int r;

	for (size_t i = 0; i < rd->depth; i++) {
		if (strcmp(rd->stack[i], path) == 0) {
			dm_untranslated(dm, at, "%s (includes itself)", path);
			return;
		}
	}
	if (rd->depth == IMPORT_MAX_DEPTH) {
		dm_untranslated(dm, at, "%s (includes nested deeper than %d)", path, IMPORT_MAX_DEPTH);
		return;
	}
	if (!dm->o->include) {
		dm_untranslated(dm, at, "%s (not read)", path);
		return;
	}
	if (rd->n_included == IMPORT_MAX_INCLUDES) {
		dm_untranslated(dm, at, "%s (more than %d files read in all)", path, IMPORT_MAX_INCLUDES);
		return;
	}
	rd->n_included++;
	r = dm->o->include(dm->o->userdata, path, IMPORT_INCLUDE_FILE, &text);
	if (r == -EISDIR && (kind == FK_DHCP_HOSTS || kind == FK_HOSTS)) {
		char *dir = xstrdup(path);   /* dnsmasq(8): every file of the directory */
		include_dir(rd, at, dir, kind);
		free(dir);
		return;
	}
	if (r < 0) {
		if (!(quiet && r == -ENOENT))
			dm_untranslated(dm, at, "%s (cannot read it: %s)", path, strerror(-r));
		return;
	}
	if (strlen(text) > IMPORT_MAX_FILE)
		dm_untranslated(dm, at, "%s (larger than %u bytes)", path, IMPORT_MAX_FILE);
	else
		read_text(rd, keep_name(rd, path), text, kind);
	free(text);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* conf-dir=DIR[,.EXT...][,*.EXT...] and a dhcp-hostsfile naming a directory:
 * the files in alphabetical order, as dnsmasq reads them. */
static void include_dir(struct reader *rd, const struct dm_where *at, char *value, enum file_kind kind)
{
	struct dm *dm = rd->dm;
	char *f[DM_MAX_FIELDS], *list = NULL, *names[1024];
	bool quoted[DM_MAX_FIELDS], only = false;
	int n = dm_split_fields(value, f, quoted, DM_MAX_FIELDS), r;
	size_t n_names = 0;

	if (n < 1 || !f[0][0]) {
		dm_untranslated(dm, at, "conf-dir=%s (no directory)", value ? value : "");
		return;
	}
	if (!dm->o->include) {
		dm_untranslated(dm, at, "%s (not read)", f[0]);
		return;
	}
	if ((r = dm->o->include(dm->o->userdata, f[0], IMPORT_INCLUDE_DIR, &list)) < 0) {
		dm_untranslated(dm, at, "%s (cannot read it: %s)", f[0], strerror(-r));
		return;
	}
	for (int i = 1; i < n; i++)
		only = only || f[i][0] == '*';
	for (char *save = NULL, *name = strtok_r(list, "\n", &save); name; name = strtok_r(NULL, "\n", &save)) {
		size_t len = strlen(name);
		bool take = !only;
		if (name[0] == '.' || name[len - 1] == '~' || (name[0] == '#' && name[len - 1] == '#') || strchr(name, '/'))
			continue;
		for (int i = 1; i < n; i++) {
			const char *ext = f[i][0] == '*' ? f[i] + 1 : f[i];
			size_t el = strlen(ext);
			bool match = el && len >= el && strcmp(name + len - el, ext) == 0;
			if (match)
				take = f[i][0] == '*';
		}
		if (!take)
			continue;
		if (n_names == ARRAY_SIZE(names)) {
			dm_untranslated(dm, at, "%s (more than %zu files)", f[0], ARRAY_SIZE(names));
			break;
		}
		names[n_names++] = name;
	}
	qsort(names, n_names, sizeof(names[0]), cmp_str);
	for (size_t i = 0; i < n_names; i++) {
		char path[4096];
		if (pathf(path, sizeof(path), "%s/%s", f[0], names[i]) < 0)
			continue;
		include_file(rd, at, path, kind, false);
	}
	free(list);
}

static void read_text(struct reader *rd, const char *path, const char *text, enum file_kind kind)
{
	static const char *const kind_names[] = { "", "dhcp-host", "\001hosts", "\001ethers", "\001resolv" };
	struct dm *dm = rd->dm;
	struct dm_where at = { path, 0 };
	const char *p = text;

	rd->stack[rd->depth++] = path;
	while (*p && !rd->full) {
		size_t len = strcspn(p, "\n");
		char *line, *name, *value;
		at.line++;
		if (len > IMPORT_MAX_LINE) {
			dm_untranslated(dm, &at, "a line of %zu bytes (at most %d)", len, IMPORT_MAX_LINE);
			goto next;
		}
		line = strndup(p, len);
		if (!line)
			abort();
		if (len && line[len - 1] == '\r')
			line[len - 1] = '\0';
		if (kind != FK_CONF) {
			char *s = line + strspn(line, " \t");
			if (*s && *s != '#')
				push(rd, &at, kind_names[kind], s);
		} else if (lex_line(line, &name, &value) == 0) {
			if (!strcmp(name, "conf-file") && value && *value)
				include_file(rd, &at, value, FK_CONF, false);
			else if (!strcmp(name, "conf-dir"))
				include_dir(rd, &at, value, FK_CONF);
			else if ((!strcmp(name, "dhcp-hostsfile") || !strcmp(name, "addn-hosts")) && value && *value)
				include_file(rd, &at, value, name[0] == 'd' ? FK_DHCP_HOSTS : FK_HOSTS, false);
			else if (!strcmp(name, "dhcp-hostsdir"))
				include_dir(rd, &at, value, FK_DHCP_HOSTS);
			else
				push(rd, &at, name, value);
		}
		free(line);
	next:
		p += len;
		if (*p == '\n')
			p++;
	}
	rd->depth--;
}

/* ---- after every directive ----------------------------------------------- */

/* A host's file (dhcp-boot=tag:HOSTTAG) loses, for a firmware, to a later
 * dhcp-boot for that firmware (dnsmasq takes the last matching line). */
static void host_boot_shadowed(struct dm *dm, struct dm_host *h)
{
	static const char *const names[] = { "BIOS", "UEFI x86-64", "UEFI ARM64" };
	size_t n_set = 0, n_later = 0;
	char later[64] = "";

	if (!h->boot_file)
		return;
	for (int s = 0; s < SLOT_COUNT_; s++) {
		if (!dm->boot[s])
			continue;
		n_set++;
		if (dm->boot_seq[s] > h->boot_seq) {
			n_later++;
			snprintf(later + strlen(later), sizeof(later) - strlen(later), "%s%s", n_later > 1 ? ", " : "", names[s]);
		}
	}
	if (n_later == 0)
		return;
	if (n_later == n_set) {
		dm_note(dm, &h->at, "host %s boots the [boot] files: the later dhcp-boot lines for %s win over its %s, as in dnsmasq",
			h->name, later, h->boot_file);
		free(h->boot_file);
		h->boot_file = NULL;
		return;
	}
	dm_untranslated(dm, &h->at, "host %s's boot file %s only for some firmware (later dhcp-boot lines win for %s; "
				    "labboot's boot-file is for every firmware)", h->name, h->boot_file, later);
}

static void finish(struct dm *dm)
{
	/* dhcp-host=MAC,NAME takes NAME's address from /etc/hosts (dnsmasq(8)) */
	for (size_t i = 0; i < dm->n_hosts && !dm->dns_off; i++) {
		struct dm_host *h = &dm->hosts[i];
		if (!h->ip_from_hosts)
			continue;
		for (size_t k = 0; k < dm->n_hosts_file; k++) {
			if (strcasecmp(dm->hosts_file[k].name, h->name) != 0 &&
			    !(dm->domain && !strncasecmp(dm->hosts_file[k].name, h->name, strlen(h->name)) &&
			      dm->hosts_file[k].name[strlen(h->name)] == '.' &&
			      !strcasecmp(dm->hosts_file[k].name + strlen(h->name) + 1, dm->domain)))
				continue;
			const struct dm_host *o = dm_host_with_ip(dm, dm->hosts_file[k].ip);
			if (o && o != h) {
				dm_untranslated(dm, &h->at, "the address of %s from the hosts file (host %s has it)", h->name, o->name);
				break;
			}
			for (size_t j = 0; j < h->n_nics; j++)
				if (!h->nics[j].ip.s_addr)
					h->nics[j].ip = dm->hosts_file[k].ip;
			break;
		}
	}
	for (size_t i = 0; i < dm->n_hosts; i++) {
		const struct dm_host *h = &dm->hosts[i];
		if (h->fqdn_domain && (!dm->domain || strcasecmp(h->fqdn_domain, dm->domain) != 0))
			dm_note(dm, &h->at, "host %s.%s is %s in labboot's domain (%s)", h->name, h->fqdn_domain, h->name,
				dm->domain ? dm->domain : "lab");
	}
	for (size_t i = 0; i < dm->n_hosts; i++)
		host_boot_shadowed(dm, &dm->hosts[i]);
	if (!dm->dns_off)
		dm_hosts_records(dm);
	if (dm->mode == DM_DHCP_RANGES && dm->n_ranges) {
		const struct dm_where *at = &dm->ranges[0].at;
		char ip[16];
		/* dnsmasq(8): without option 3 / 6 it sends its own address */
		if (!dm->router && dm->address.s_addr)
			dm->router = xstrdup(format_ipv4(ip, dm->address));
		else if (!dm->router)
			dm_untranslated(dm, at, "the default router (dnsmasq sends its own address: give --address)");
		if (!dm->dns && !dm->dns_off && dm->address.s_addr)
			dm->dns = xstrdup(format_ipv4(ip, dm->address));
		else if (!dm->dns && !dm->dns_off)
			dm_untranslated(dm, at, "the default DNS server (dnsmasq sends its own address: give --address)");
		if (!dm->authoritative)
			dm_note(dm, at, "no dhcp-authoritative: labboot NAKs requests for addresses it did not lease");
	}
}

int import_dnsmasq(const char *path, const char *text, const struct import_options *opts,
		   struct import_result *ret)
{
	struct import_result res = { 0 };
	struct dm dm = { .o = opts, .res = &res, .cache_size = -1, .local_ttl = -1, .tftp_port = 0 };
	struct reader rd = { .dm = &dm };
	size_t first_late;

	if (!path || !text || !opts || !ret)
		return -EINVAL;
	if (opts->address && parse_ipv4(opts->address, &dm.address) < 0)
		return -EINVAL;
	dm.top = (struct dm_where){ keep_name(&rd, path), 0 };
	read_text(&rd, dm.top.file, text, FK_CONF);
	for (size_t i = 0; i < rd.n; i++)
		run_directive(&dm, &rd.d[i], PH_DEFINE);
	/* the files dnsmasq reads unless told otherwise */
	first_late = rd.n;
	if (dm.read_ethers)
		include_file(&rd, &dm.top, "/etc/ethers", FK_ETHERS, false);
	if (!dm.no_hosts && !dm.dns_off)
		include_file(&rd, &dm.top, "/etc/hosts", FK_HOSTS, true);
	if (!dm.no_resolv && !dm.dns_off)
		include_file(&rd, &dm.top, dm.resolv_file ? dm.resolv_file : "/etc/resolv.conf", FK_RESOLV, true);
	for (size_t i = first_late; i < rd.n; i++)
		run_directive(&dm, &rd.d[i], PH_DEFINE);
	for (size_t i = 0; i < rd.n; i++) {
		dm.seq = i + 1;
		run_directive(&dm, &rd.d[i], PH_USE);
	}
	finish(&dm);
	res.config = dm_render(&dm);

	for (size_t i = 0; i < rd.n; i++) {
		free(rd.d[i].name);
		free(rd.d[i].value);
	}
	free(rd.d);
	for (size_t i = 0; i < rd.n_files; i++)
		free(rd.files[i]);
	free(rd.files);
	dm_free(&dm);
	*ret = res;
	return 0;
}

void import_result_free(struct import_result *r)
{
	if (!r)
		return;
	free(r->config);
	for (size_t i = 0; i < r->n_notes; i++)
		free(r->notes[i].text);
	free(r->notes);
	*r = (struct import_result){ 0 };
}
