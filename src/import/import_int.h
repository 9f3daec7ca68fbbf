/* Inside the dnsmasq importer: the model the directives fill (what labboot
 * can say), shared by the reader, the option encoder and the writer. */
#pragma once
#include "core/config.h"
#include "import/import_dnsmasq.h"

#include <netinet/in.h>
#include <stdint.h>

#define DM_MAX_FIELDS 64            /* comma-separated fields of one directive */
#define DM_MAX_TAGS 256
#define DM_MAX_HOST_TAGS 8
#define DM_MAX_RECORDS CONFIG_MAX_DNS_RECORDS
#define DM_MAX_HOSTS_ENTRIES 4096     /* addn-hosts / /etc/hosts names kept for dhcp-host */

/* Where a directive came from, for FILE:LINE notes. */
struct dm_where {
	const char *file;
	int line;
};

/* The three first-stage files labboot chooses by option 93. */
enum dm_slot { SLOT_BIOS, SLOT_EFI64, SLOT_ARM64, SLOT_COUNT_ };

enum dm_tag_kind { TAG_UNKNOWN, TAG_ARCH, TAG_IPXE, TAG_PXE, TAG_HOST, TAG_RANGE, TAG_OTHER };

struct dm_tag {
	char *name;
	enum dm_tag_kind kind;
	unsigned slots;               /* TAG_ARCH: bit per dm_slot */
	unsigned arches;              /* TAG_ARCH: bit per option 93 value matched (< 32) */
	int range;                    /* TAG_RANGE: index */
};

struct dm_opt {                       /* one "option = CODE VALUE" */
	char *value;
	struct dm_where at;
};

struct dm_host {
	char *name;
	struct host_nic nics[CONFIG_MAX_HOST_NICS];
	size_t n_nics;
	char *lease;                  /* labboot duration text */
	char *boot_file;
	size_t boot_seq;              /* which directive gave it: a later one for its firmware wins */
	struct dm_opt opts[CONFIG_MAX_EXTRA_OPTS];
	size_t n_opts;
	char *tags[DM_MAX_HOST_TAGS];
	size_t n_tags;
	bool ip_from_hosts;           /* no address: look the name up in the hosts files */
	char *fqdn_domain;            /* the domain of a dotted dhcp-host name */
	struct dm_where at;
};

struct dm_range {
	struct in_addr start, end;
	struct in_addr netmask;       /* 0: not given */
	char *lease;
	char *tag;                    /* set:TAG */
	bool pool;                    /* another subnet than the first range: a [pool] */
	struct dm_opt opts[CONFIG_MAX_EXTRA_OPTS];
	size_t n_opts;
	char *router, *dns, *ntp, *domain;
	struct dm_where at;
};

struct dm_hosts_entry {
	char *name;
	struct in_addr ip;
	bool ptr;                     /* the line's first name: dnsmasq answers PTR with it */
	struct dm_where at;
};

struct dm {
	const struct import_options *o;
	struct import_result *res;
	struct dm_where top;          /* the main file, line 0: notes about the whole */
	const char *raw;              /* the directive being run, as written (handlers split theirs) */
	struct in_addr address;       /* dnsmasq's own address if known */

	char *ifaces[CONFIG_MAX_IFACES];
	size_t n_ifaces;
	enum { DM_DHCP_OFF, DM_DHCP_RANGES, DM_DHCP_PROXY } mode;
	bool static_seen, proxy_seen, authoritative;
	struct dm_range ranges[CONFIG_MAX_POOLS];
	size_t n_ranges;
	struct dm_opt opts[CONFIG_MAX_EXTRA_OPTS];      /* [dhcp] option */
	size_t n_opts;
	char *router, *dns, *ntp, *domain;   /* NULL: not given; "": sent empty (none) */
	struct in_addr netmask;

	bool tftp;
	char *tftp_root;
	char *boot[SLOT_COUNT_];
	struct dm_where boot_at[SLOT_COUNT_];
	size_t boot_seq[SLOT_COUNT_];
	size_t seq;                   /* the directive being run, in file order */
	char *boot_default;           /* an untagged dhcp-boot */
	struct dm_where boot_default_at;
	char *ipxe_chain;             /* what iPXE clients are told to boot */
	struct dm_where ipxe_at;

	bool dns_off, no_resolv, no_hosts, read_ethers, expand_hosts;
	long dns_port;                /* 0: default */
	long cache_size;              /* -1: default */
	long local_ttl;               /* -1: not given (dnsmasq's default is 0) */
	long tftp_port;               /* 0: default */
	char *resolv_file;
	char *upstreams[CONFIG_MAX_UPSTREAMS];
	size_t n_upstreams;
	char *records[DM_MAX_RECORDS];
	size_t n_records;

	struct dm_tag tags[DM_MAX_TAGS];
	size_t n_tags;
	struct dm_host *hosts;
	size_t n_hosts, hosts_cap;
	struct dm_hosts_entry *hosts_file;
	size_t n_hosts_file;
};

/* Notes; both formats end up as "FILE:LINE: not translated: ..." */
__attribute__((format(printf, 3, 4))) void dm_untranslated(struct dm *dm, const struct dm_where *at, const char *fmt, ...);
__attribute__((format(printf, 3, 4))) void dm_note(struct dm *dm, const struct dm_where *at, const char *fmt, ...);

/* dhcp-option NAME or number -> code (and the option's value type); -ENOENT. */
int dm_option_code(const char *name, int *ret_code);
/* The values of one dhcp-option as labboot's "CODE VALUE" (into *ret, malloc'd);
 * -EINVAL with *ret_why set when it cannot be said. */
int dm_option_value(struct dm *dm, int code, char **fields, const bool *quoted, size_t n, char **ret,
		    const char **ret_why);

/* The labboot.conf text of the model; notes for lines it had to leave out. */
char *dm_render(struct dm *dm);
void dm_free(struct dm *dm);
/* Whether a value survives inih and labboot's comment rules unchanged. */
bool dm_value_safe(const char *v);

/* Shared by the directive files (import_dnsmasq_*.c). */
struct dm_tag *dm_tag_get(struct dm *dm, const char *name, bool create);
unsigned dm_slots_of_arch(unsigned long arch);
bool dm_netmask_valid(struct in_addr m);
struct dm_host *dm_host_by_name(struct dm *dm, const char *name);
const struct dm_host *dm_host_with_ip(const struct dm *dm, struct in_addr ip);
void h_dhcp_host(struct dm *dm, const struct dm_where *at, char *value);
void dm_ethers_line(struct dm *dm, const struct dm_where *at, char *line);
void h_dhcp_range(struct dm *dm, const struct dm_where *at, char *value);
void h_dhcp_match(struct dm *dm, const struct dm_where *at, char *value);
void h_dhcp_boot(struct dm *dm, const struct dm_where *at, char *value);
void h_pxe_service(struct dm *dm, const struct dm_where *at, char *value);
void h_pxe_prompt(struct dm *dm, const struct dm_where *at, char *value);
__attribute__((format(printf, 3, 4))) void dm_add_record(struct dm *dm, const struct dm_where *at, const char *fmt, ...);
bool dm_valid_dns_name(const char *s);
void h_address(struct dm *dm, const struct dm_where *at, char *value);
void h_host_record(struct dm *dm, const struct dm_where *at, char *value);
void h_cname(struct dm *dm, const struct dm_where *at, char *value);
void h_ptr_record(struct dm *dm, const struct dm_where *at, char *value);
void h_txt_record(struct dm *dm, const struct dm_where *at, char *value);
void h_server(struct dm *dm, const struct dm_where *at, char *value);
void dm_hosts_line(struct dm *dm, const struct dm_where *at, char *line);
void dm_hosts_records(struct dm *dm);
void dm_resolv_line(struct dm *dm, const struct dm_where *at, char *line);
void h_interface(struct dm *dm, const struct dm_where *at, char *value);
void h_listen_address(struct dm *dm, const struct dm_where *at, char *value);
void h_domain(struct dm *dm, const struct dm_where *at, char *value);
void h_local(struct dm *dm, const struct dm_where *at, char *value);
void h_port(struct dm *dm, const struct dm_where *at, char *value);
void h_cache_size(struct dm *dm, const struct dm_where *at, char *value);
void h_local_ttl(struct dm *dm, const struct dm_where *at, char *value);
void h_tftp_root(struct dm *dm, const struct dm_where *at, char *value);
void h_tftp_port(struct dm *dm, const struct dm_where *at, char *value);
void h_flag(struct dm *dm, const struct dm_where *at, const char *name, char *value);
int dm_split_fields(char *s, char **f, bool *quoted, size_t max);
bool dm_is_lease_time(const char *s);
char *dm_lease_text(const char *s);
void h_dhcp_option(struct dm *dm, const struct dm_where *at, char *value);
void h_dhcp_option_force(struct dm *dm, const struct dm_where *at, char *value);
void h_vendorclass(struct dm *dm, const struct dm_where *at, char *value);
void h_userclass(struct dm *dm, const struct dm_where *at, char *value);

/* The directives, one handler each (value: after '=', NULL for a flag). */

