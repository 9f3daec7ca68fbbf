/* dnsmasq directives that use tags: dhcp-option (to [dhcp], a [pool] or the
 * hosts of a tag), dhcp-boot and pxe-service (per firmware, per host, or the
 * file iPXE is told to chain). */
#include "import/import_int.h"
#include "core/util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ---- what a list of tag:NAME fields selects ---------------------------- */

enum target_kind { TGT_ALL, TGT_SLOTS, TGT_IPXE, TGT_HOSTS, TGT_POOL, TGT_BAD };

struct target {
	enum target_kind kind;
	unsigned slots;
	unsigned arches;              /* the option 93 values the tag matched */
	const char *tag;              /* TGT_HOSTS */
	int range;                    /* TGT_POOL */
	const char *why;              /* TGT_BAD */
};

/* Leading "tag:X" / "tag:!X" / "net:X" fields; *i moves past them. `boot`:
 * a negated iPXE tag is what labboot does anyway (iPXE gets its script). */
static struct target select_tags(struct dm *dm, char **f, int n, int *i, bool boot)
{
	struct target t = { .kind = TGT_ALL, .range = -1 };
	int positive = 0;

	for (; *i < n && (strncmp(f[*i], "tag:", 4) == 0 || strncmp(f[*i], "net:", 4) == 0); (*i)++) {
		const char *name = f[*i] + 4;
		bool neg = name[0] == '!';
		const struct dm_tag *tag = dm_tag_get(dm, neg ? name + 1 : name, false);
		if (neg) {
			if (!(boot && tag && tag->kind == TAG_IPXE))
				t = (struct target){ .kind = TGT_BAD, .why = "labboot has no tags to exclude clients by" };
			continue;
		}
		if (t.kind == TGT_BAD)
			continue;
		if (++positive > 1) {
			t = (struct target){ .kind = TGT_BAD, .why = "labboot cannot combine tags" };
			continue;
		}
		switch (tag ? tag->kind : TAG_UNKNOWN) {
		case TAG_ARCH: t.kind = TGT_SLOTS; t.slots = tag->slots; t.arches = tag->arches; break;
		case TAG_IPXE: t.kind = TGT_IPXE; break;
		case TAG_PXE: t.kind = TGT_ALL; break;
		case TAG_HOST: t.kind = TGT_HOSTS; t.tag = tag->name; break;
		case TAG_RANGE:
			if (dm->ranges[tag->range].pool) {
				t.kind = TGT_POOL;
				t.range = tag->range;
				break;
			}
			/* a tag of the main subnet is every client of [dhcp], if every range there has it */
			for (size_t r = 0; r < dm->n_ranges; r++)
				if (!dm->ranges[r].pool && (!dm->ranges[r].tag || strcmp(dm->ranges[r].tag, tag->name) != 0))
					t = (struct target){ .kind = TGT_BAD, .why = "settings per range of one subnet: labboot's [dhcp] is one" };
			break;
		case TAG_UNKNOWN:
			t = (struct target){ .kind = TGT_BAD, .why = "a tag nothing sets, or one labboot cannot follow" };
			break;
		default:
			t = (struct target){ .kind = TGT_BAD, .why = "a tag labboot cannot follow" };
		}
	}
	return t;
}

static bool host_has_tag(const struct dm_host *h, const char *tag)
{
	for (size_t i = 0; i < h->n_tags; i++)
		if (strcmp(h->tags[i], tag) == 0)
			return true;
	return false;
}

/* ---- dhcp-option ------------------------------------------------------ */

static void add_opt(struct dm *dm, const struct dm_where *at, struct dm_opt *opts, size_t *n, const char *v)
{
	if (*n == CONFIG_MAX_EXTRA_OPTS) {
		dm_untranslated(dm, at, "option %s (more than %d options in one place)", v, CONFIG_MAX_EXTRA_OPTS);
		return;
	}
	opts[(*n)++] = (struct dm_opt){ xstrdup(v), *at };
}

/* Router, DNS, NTP as labboot's address lists; "" for "send none". */
static int addr_list(struct dm *dm, char **f, int n, char **ret, const char **why)
{
	char out[CONFIG_MAX_ADDRS * 16 + 1] = "";

	if (n > CONFIG_MAX_ADDRS) {
		*why = "labboot sends at most 4 addresses here";
		return -EINVAL;
	}
	for (int i = 0; i < n; i++) {
		struct in_addr a;
		char ip[16];
		if (parse_ipv4(f[i], &a) < 0) {
			*why = "not an IPv4 address";
			return -EINVAL;
		}
		if (!a.s_addr && !dm->address.s_addr) {
			*why = "0.0.0.0 is dnsmasq's own address: give --address";
			return -EINVAL;
		}
		if (!a.s_addr)
			a = dm->address;
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s", i ? " " : "", format_ipv4(ip, a));
	}
	*ret = xstrdup(out);
	return 0;
}

/* netmask, router, dns, ntp, domain of [dhcp] or a pool: keys of their own. */
static bool set_param(struct dm *dm, const struct dm_where *at, int code, char **f, int n, int range)
{
	struct dm_range *r = range >= 0 ? &dm->ranges[range] : NULL;
	char **slot = NULL, *v = NULL;
	const char *why = NULL;

	switch (code) {
	case 3: slot = r ? &r->router : &dm->router; break;
	case 6: slot = r ? &r->dns : &dm->dns; break;
	case 42: slot = r ? &r->ntp : &dm->ntp; break;
	case 15:
		if (n != 1 || !f[0][0])
			return false;
		slot = r ? &r->domain : &dm->domain;
		v = xstrdup(f[0]);
		break;
	case 1: {
		struct in_addr m;
		if (n != 1 || parse_ipv4(f[0], &m) < 0 || !dm_netmask_valid(m))
			dm_untranslated(dm, at, "option 1 (not a netmask)");
		else
			*(r ? &r->netmask : &dm->netmask) = m;
		return true;
	}
	default:
		return false;
	}
	if (!v && addr_list(dm, f, n, &v, &why) < 0) {
		dm_untranslated(dm, at, "option %d (%s)", code, why);
		return true;
	}
	if (*slot && strcmp(*slot, v) != 0)
		dm_untranslated(dm, at, "option %d = %s (given before as %s; the first is kept)", code, v, *slot);
	if (!*slot)
		*slot = TAKE_PTR(v);
	free(v);
	return true;
}

/* dhcp-option[-force]=[tag:T,...][encap:|vi-encap:|vendor:...,]OPT[,VALUE...] */
static void dhcp_option(struct dm *dm, const struct dm_where *at, char *value, bool force)
{
	char *f[DM_MAX_FIELDS], *raw = xstrdup(value ? value : ""), *v = NULL;
	bool quoted[DM_MAX_FIELDS];
	const char *why = NULL;
	int n = dm_split_fields(value, f, quoted, DM_MAX_FIELDS), i = 0, code;
	struct target t;

	if (n <= 0) {
		dm_untranslated(dm, at, "dhcp-option=%s (%s)", raw, n < 0 ? "too many fields" : "empty");
		goto out;
	}
	t = select_tags(dm, f, n, &i, false);
	if (i < n && (!strncmp(f[i], "encap:", 6) || !strncmp(f[i], "vi-encap:", 9) || !strncmp(f[i], "vendor:", 7))) {
		dm_untranslated(dm, at, "dhcp-option=%s (encapsulated options: labboot sends plain ones)", raw);
		goto out;
	}
	if (i < n && !strncmp(f[i], "option6:", 8)) {
		dm_untranslated(dm, at, "dhcp-option=%s (DHCPv6: labboot serves DHCPv4 only)", raw);
		goto out;
	}
	if (i == n || dm_option_code(f[i], &code) < 0) {
		dm_untranslated(dm, at, "dhcp-option=%s (no option, or a name dnsmasq does not know)", raw);
		goto out;
	}
	i++;
	if (t.kind == TGT_BAD || t.kind == TGT_SLOTS || t.kind == TGT_IPXE) {
		dm_untranslated(dm, at, "dhcp-option=%s (%s)", raw,
				t.kind == TGT_BAD ? t.why : "options per firmware: labboot's options go to a pool or a host");
		goto out;
	}
	if (force)
		dm_untranslated(dm, at, "dhcp-option-force=%s (labboot sends it only to clients that ask, option 55)", raw);
	if (t.kind == TGT_ALL || t.kind == TGT_POOL) {
		if (set_param(dm, at, code, f + i, n - i, t.kind == TGT_POOL ? t.range : -1))
			goto out;
	}
	if (code == 3 || code == 6 || code == 42 || code == 1) {
		if (n - i == 0)
			goto out; /* send none: what labboot does for a host without them */
	}
	if (dm_option_value(dm, code, f + i, quoted + i, (size_t)(n - i), &v, &why) < 0) {
		dm_untranslated(dm, at, "dhcp-option=%s (%s)", raw, why);
		goto out;
	}
	if (t.kind == TGT_ALL) {
		add_opt(dm, at, dm->opts, &dm->n_opts, v);
	} else if (t.kind == TGT_POOL) {
		add_opt(dm, at, dm->ranges[t.range].opts, &dm->ranges[t.range].n_opts, v);
	} else {
		for (size_t k = 0; k < dm->n_hosts; k++)
			if (host_has_tag(&dm->hosts[k], t.tag))
				add_opt(dm, at, dm->hosts[k].opts, &dm->hosts[k].n_opts, v);
	}
out:
	free(v);
	free(raw);
}
void h_dhcp_option(struct dm *dm, const struct dm_where *at, char *value) { dhcp_option(dm, at, value, false); }
void h_dhcp_option_force(struct dm *dm, const struct dm_where *at, char *value) { dhcp_option(dm, at, value, true); }

/* ---- boot files -------------------------------------------------------- */

/* dnsmasq keeps its dhcp-boot lines in reverse order and takes the first
 * that matches: of two for one firmware the later wins. pxe-service lines
 * are a menu instead, which labboot's iPXE menu replaces: the first stays. */
static void set_slots(struct dm *dm, const struct dm_where *at, unsigned slots, const char *file, const char *what,
		      bool later_wins)
{
	static const char *const names[] = { "bios", "efi64", "arm64" };

	for (int s = 0; s < SLOT_COUNT_; s++) {
		if (!(slots & (1u << s)))
			continue;
		if (dm->boot[s] && strcmp(dm->boot[s], file) != 0 && !later_wins) {
			dm_untranslated(dm, at, "%s %s for %s (%s:%d gave %s: one file per firmware in labboot)", what, file,
					names[s], dm->boot_at[s].file, dm->boot_at[s].line, dm->boot[s]);
			continue;
		}
		if (dm->boot[s] && strcmp(dm->boot[s], file) != 0)
			dm_note(dm, at, "%s %s for %s: this later line wins over %s:%d, as in dnsmasq", what, file, names[s],
				dm->boot_at[s].file, dm->boot_at[s].line);
		if (!dm->boot[s] || later_wins) {
			free(dm->boot[s]);
			dm->boot[s] = xstrdup(file);
			dm->boot_at[s] = *at;
			dm->boot_seq[s] = dm->seq;
		}
	}
}

static bool own_server(struct dm *dm, const char *s)
{
	struct in_addr a;

	return parse_ipv4(s, &a) == 0 && (a.s_addr == 0 || a.s_addr == dm->address.s_addr);
}

static void boot_to(struct dm *dm, const struct dm_where *at, const struct target *t, const char *file,
		    const char *raw, const char *what)
{
	switch (t->kind) {
	case TGT_ALL:
		if (dm->boot_default && strcmp(dm->boot_default, file) != 0)
			dm_untranslated(dm, at, "%s=%s (%s:%d gave %s for every firmware)", what, raw,
					dm->boot_default_at.file, dm->boot_default_at.line, dm->boot_default);
		else if (!dm->boot_default) {
			dm->boot_default = xstrdup(file);
			dm->boot_default_at = *at;
		}
		break;
	case TGT_SLOTS:
		set_slots(dm, at, t->slots, file, what, strcmp(what, "dhcp-boot") == 0);
		/* labboot's efi64 answers both x86-64 UEFI values of option 93 */
		if ((t->slots & (1u << SLOT_EFI64)) && !(t->arches & (1u << 7)) != !(t->arches & (1u << 9)))
			dm_note(dm, at, "%s=%s: also the file of UEFI clients with option 93 = %d (labboot's efi64 is for 7 and 9)",
				what, raw, t->arches & (1u << 7) ? 9 : 7);
		break;
	case TGT_IPXE:
		if (dm->ipxe_chain && strcmp(dm->ipxe_chain, file) != 0)
			dm_untranslated(dm, at, "%s=%s (iPXE clients were given %s already)", what, raw, dm->ipxe_chain);
		else if (!dm->ipxe_chain) {
			dm->ipxe_chain = xstrdup(file);
			dm->ipxe_at = *at;
		}
		break;
	case TGT_HOSTS:
		for (size_t k = 0; k < dm->n_hosts; k++) {
			struct dm_host *h = &dm->hosts[k];
			if (!host_has_tag(h, t->tag))
				continue;
			if (h->boot_file && strcmp(h->boot_file, file) != 0)
				dm_note(dm, at, "%s=%s for host %s: this later line wins over %s, as in dnsmasq", what, raw,
					h->name, h->boot_file);
			free(h->boot_file);
			h->boot_file = xstrdup(file);
			h->boot_seq = dm->seq;
		}
		break;
	case TGT_POOL:
		dm_untranslated(dm, at, "%s=%s (boot files per pool: labboot's are per firmware or per host)", what, raw);
		break;
	case TGT_BAD:
		dm_untranslated(dm, at, "%s=%s (%s)", what, raw, t->why);
		break;
	}
}

/* dhcp-boot=[tag:T,]FILE[,SERVERNAME[,SERVERADDRESS]] */
void h_dhcp_boot(struct dm *dm, const struct dm_where *at, char *value)
{
	char *f[DM_MAX_FIELDS], *raw = xstrdup(value ? value : "");
	bool quoted[DM_MAX_FIELDS];
	int n = dm_split_fields(value, f, quoted, DM_MAX_FIELDS), i = 0;
	struct target t;

	t = n > 0 ? select_tags(dm, f, n, &i, true) : (struct target){ .kind = TGT_BAD };
	if (n <= 0 || i >= n || !f[i][0]) {
		dm_untranslated(dm, at, "dhcp-boot=%s (no file)", raw);
	} else if (n - i == 3 && !own_server(dm, f[i + 2])) {
		dm_untranslated(dm, at, "dhcp-boot=%s (a file on another TFTP server: labboot is the boot server)", raw);
	} else {
		if (n - i >= 2 && f[i + 1][0])
			dm_note(dm, at, "dhcp-boot=%s: the server name %s is not sent", raw, f[i + 1]);
		boot_to(dm, at, &t, f[i], raw, "dhcp-boot");
	}
	free(raw);
}

/* pxe-service=[tag:T,]CSA,MENU TEXT[,BASENAME|TYPE][,SERVER] */
void h_pxe_service(struct dm *dm, const struct dm_where *at, char *value)
{
	static const struct { const char *csa; unsigned arch; } csas[] = {
		{ "x86PC", 0 }, { "BC_EFI", 7 }, { "X86-64_EFI", 9 }, { "ARM64_EFI", 11 },
	};
	char *f[DM_MAX_FIELDS], *raw = xstrdup(value ? value : ""), file[256];
	bool quoted[DM_MAX_FIELDS];
	int n = dm_split_fields(value, f, quoted, DM_MAX_FIELDS), i = 0;
	struct target t = { .kind = TGT_BAD, .why = "want CSA,MENU TEXT,BASENAME" };
	uint64_t v = 0;

	if (n > 0)
		t = select_tags(dm, f, n, &i, true);
	/* a firmware tag on a service of that firmware (tag:bios,x86PC) says it twice */
	unsigned tag_slots = t.kind == TGT_SLOTS ? t.slots : ~0u;
	if ((t.kind != TGT_ALL && t.kind != TGT_SLOTS) || n - i < 2) {
		dm_untranslated(dm, at, "pxe-service=%s (%s)", raw, t.kind == TGT_ALL ? "want CSA,MENU TEXT[,BASENAME]" :
				t.kind == TGT_BAD ? t.why : "PXE menus per tag: labboot's menu is in iPXE");
		goto out;
	}
	unsigned slots = 0, arches = 0;
	for (size_t k = 0; k < ARRAY_SIZE(csas); k++)
		if (strcasecmp(csas[k].csa, f[i]) == 0)
			v = csas[k].arch, slots = dm_slots_of_arch(v);
	if (!slots && parse_u64(f[i], 0, 65535, &v) == 0)
		slots = dm_slots_of_arch(v);
	if (slots && v < 32)
		arches = 1u << v;
	if (!slots) {
		dm_untranslated(dm, at, "pxe-service=%s (client type %s: labboot boots BIOS, x86-64 and ARM64 UEFI)", raw, f[i]);
		goto out;
	}
	if (!(slots & tag_slots)) {
		dm_note(dm, at, "pxe-service=%s: its tag is of another firmware, so no client gets it (nor in dnsmasq)", raw);
		goto out;
	}
	slots &= tag_slots;
	if (n - i < 3 || (parse_u64(f[i + 2], 0, 65535, &v) == 0 && v == 0)) {
		dm_note(dm, at, "pxe-service=%s: the local boot entry is labboot's iPXE menu's \"local\"", raw);
		goto out;
	}
	if (parse_u64(f[i + 2], 0, 65535, &v) == 0) {
		dm_untranslated(dm, at, "pxe-service=%s (a boot service type: labboot is the boot server)", raw);
		goto out;
	}
	if (n - i >= 4 && !own_server(dm, f[i + 3])) {
		dm_untranslated(dm, at, "pxe-service=%s (a file on another server: labboot is the boot server)", raw);
		goto out;
	}
	/* dnsmasq(8): the PXE layer suffix ".0" is added to a basename without one */
	snprintf(file, sizeof(file), "%s%s", f[i + 2], strchr(f[i + 2], '.') ? "" : ".0");
	t.kind = TGT_SLOTS;
	t.slots = slots;
	t.arches = arches;
	boot_to(dm, at, &t, file, raw, "pxe-service");
out:
	free(raw);
}

void h_pxe_prompt(struct dm *dm, const struct dm_where *at, char *value)
{
	dm_untranslated(dm, at, "pxe-prompt=%s (the firmware's PXE menu: labboot's menu is in iPXE, [boot] menu-timeout)", dm->raw);
}
