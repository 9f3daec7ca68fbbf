/* The configuration: parsed once from an INI file into typed structs,
 * validated with FILE:LINE errors, then read-only for the daemon's life.
 * Nothing outside config.c sees a string from the file unparsed. */
#pragma once
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CONFIG_MAX_IFACES 8
#define CONFIG_MAX_POOLS 64
#define CONFIG_MAX_HOSTS 4096
#define CONFIG_MAX_HOST_NICS 8
#define CONFIG_MAX_ADDRS 4        /* routers, DNS or NTP servers per list */
#define CONFIG_MAX_EXTRA_OPTS 32
#define CONFIG_MAX_IMAGES 64
#define CONFIG_MAX_INITRDS 8
#define CONFIG_MAX_DNS_RECORDS 256
#define CONFIG_MAX_UPSTREAMS 4

enum dhcp_mode {
	DHCP_MODE_OFF,
	DHCP_MODE_AUTHORITATIVE,
	DHCP_MODE_PROXY,
};
const char *dhcp_mode_name(enum dhcp_mode mode);

/* An option given verbatim in the config: "option = CODE VALUE" where VALUE
 * is an IPv4 list, a number, text:STRING or hex:AABB... */
struct dhcp_extra_option {
	uint8_t code;
	uint8_t len;
	uint8_t data[255];
};

struct addr_list {
	struct in_addr addr[CONFIG_MAX_ADDRS];
	size_t n;
};

/* Settings a pool inherits from [dhcp] unless it sets them itself. */
struct dhcp_params {
	struct in_addr netmask;       /* 0: not set */
	struct addr_list routers;
	struct addr_list dns;
	struct addr_list ntp;
	char *domain;
	uint32_t lease_time;          /* seconds, 0: not set */
	struct dhcp_extra_option *opts;
	size_t n_opts;
};

struct pool {
	char *name;
	struct in_addr start, end;    /* inclusive, host order compare via ntohl */
	struct dhcp_params params;
	int line;
};

struct host_nic {
	uint8_t mac[6];
	struct in_addr ip;            /* 0: no reserved address for this NIC */
};

struct host {
	char *name;                   /* section name, also the DHCP hostname */
	struct host_nic nics[CONFIG_MAX_HOST_NICS];
	size_t n_nics;
	size_t n_ips;                 /* ips given through separate "ip" keys */
	uint32_t lease_time;          /* 0: the pool's */
	struct dhcp_extra_option *opts;
	size_t n_opts;
	/* boot overrides; NULL: the [boot] default */
	char *boot_file;              /* TFTP file (or URL for HTTP boot) for any arch */
	char *image;                  /* image to boot */
	char *iso;                    /* an ISO of [isos] dir to boot by default */
	char *menu;                   /* "none" skips the menu */
	char *menu_default;           /* default menu entry */
	char *kernel_args;            /* appended to the image's cmdline */
	char *script;                 /* a whole iPXE script file instead of ours */
	char *root;                   /* http | nfs: how a built image's root is reached */
	int toram;                    /* -1 unset, 0 no, 1 copy an NFS root into RAM */
	uint32_t memory_mib;          /* the machine's RAM if known, 0: unknown */
	int line;                     /* -1: a runtime host (labboot host add) */
	bool runtime;                 /* from the state database, not the file */
};

struct image {
	char *name;
	char *kernel;                 /* path under [http] root, or a URL */
	char *initrds[CONFIG_MAX_INITRDS];
	size_t n_initrds;
	char *cmdline;
	int line;
	bool built;                   /* from the image store, not an [image] section */
	/* built images only */
	char *notice;                 /* shown before the menu: why another version boots */
	uint32_t ram_mib;             /* RAM the machine needs for this image and root mode */
	char *root_mode;              /* http | nfs */
};

/* A user's own menu entry: a label and the iPXE commands it runs. */
#define CONFIG_MAX_ENTRIES 32
#define CONFIG_MAX_ENTRY_LINES 32
struct menu_entry {
	char *name;                   /* label in the script, [A-Za-z0-9_-] */
	char *title;                  /* text shown in the menu */
	char *lines[CONFIG_MAX_ENTRY_LINES];
	size_t n_lines;
	int line;
};

struct dns_record {
	char *name;                   /* relative to the domain or fully qualified */
	uint16_t type;                /* 1 A, 5 CNAME, 16 TXT, 12 PTR */
	struct in_addr a;
	char *target;                 /* CNAME/PTR target or TXT text */
	int line;
};

struct config {
	char *path;
	char *text;                   /* the file as parsed: a reload of the runtime
					 hosts re-reads this, not an unreloaded edit */
	FILE *errors;                 /* while loading: where problems go */

	/* [server] */
	char *ifaces[CONFIG_MAX_IFACES];
	size_t n_ifaces;
	struct in_addr address;       /* 0: taken from the first interface */
	char *state_dir;
	char *user;                   /* drop root to this user once sockets are open */

	/* [dhcp] */
	enum dhcp_mode dhcp_mode;
	bool dhcp_force;              /* serve even if another server answers */
	uint32_t dhcp_probe_ms;       /* how long to listen for other servers */
	struct dhcp_params dhcp;      /* defaults for every pool */
	struct pool pools[CONFIG_MAX_POOLS];
	size_t n_pools;

	/* [tftp] */
	bool tftp_enable;
	char *tftp_root;
	uint16_t tftp_port;
	uint32_t tftp_max_blksize;
	uint32_t tftp_max_windowsize;
	uint32_t tftp_timeout_ms;
	uint32_t tftp_max_per_client;  /* transfers at once per client address, 0: no limit */

	/* [http] */
	bool http_enable;
	uint16_t http_port;
	char *http_root;
	char *images_root;             /* [images] root: built images and their cache */
	char *images_compressor;       /* zstd | xz | gzip | lz4 */
	uint32_t images_level;         /* compression level, 0: the compressor's default */
	char *isos_dir;                /* [isos] dir: ISOs offered in the menu as they are */
	char *images_publish;          /* layers | merge | flatten: what a build publishes */
	uint32_t http_threads;
	char *http_api_token;          /* what changes need; NULL: STATE/api-token */
	uint32_t http_max_per_client;  /* connections at once per client address, 0: no limit */
	uint32_t http_request_timeout_s; /* silence allowed before a request is complete */

	/* [boot] */
	char *ipxe_dir;               /* where undionly.kpxe & co. are found */
	char *boot_bios;
	char *boot_efi64;
	char *boot_arm64;
	char *boot_url;               /* base URL of our HTTP server for clients */
	char *boot_image;             /* default image */
	char *boot_menu;              /* "default", "none" */
	char *boot_menu_default;      /* default entry: image | local | netboot */
	uint32_t boot_menu_timeout_ms;
	char *netbootxyz_url;
	char *boot_kernel_args;
	bool boot_ipv6_ra;            /* answer netbooting clients' router solicitations */
	char *boot_root;              /* http | nfs: the default for built images */
	bool boot_toram;              /* an NFS root copied into RAM */

	struct image images[CONFIG_MAX_IMAGES];
	size_t n_images;
	struct menu_entry entries[CONFIG_MAX_ENTRIES];
	size_t n_entries;

	/* [dns] */
	bool dns_enable;
	uint16_t dns_port;
	struct sockaddr_in upstreams[CONFIG_MAX_UPSTREAMS];
	size_t n_upstreams;
	uint32_t dns_ttl;             /* TTL of local answers */
	uint32_t dns_cache_size;      /* entries, 0 disables the cache */
	uint32_t dns_rate_limit;      /* UDP queries per second per client address, 0: no limit */
	struct dns_record dns_records[CONFIG_MAX_DNS_RECORDS];
	size_t n_dns_records;

	/* [nfs]: the exports labboot keeps in a real NFS server */
	char *nfs_server;             /* none | ganesha | kernel */
	char *nfs_exports;            /* the export file labboot writes */
	char *nfs_ganesha_pid;        /* Ganesha's PID file (SIGHUP reloads) */
	char *nfs_home;               /* directory exported read-write as /home, or NULL */
	struct in_addr nfs_address;   /* what clients mount from; 0: [server] address */
	char *nfs_clients;            /* CIDRs allowed; NULL: the served subnets */

	/* [host "name"] */
	struct host *hosts;
	size_t n_hosts;
};

/* Parses and validates. On failure returns -errno after printing every
 * problem as "FILE:LINE: message" on stderr. */
int config_load(const char *path, struct config **ret);

/* What a configuration is made of: the file (its text if the caller has
 * it, else read from path) and the hosts added at runtime, as [host]
 * sections (their names may not be the file's). Problems go to errors
 * (stderr if NULL). */
struct config_source {
	const char *path;
	const char *text;
	const char *runtime_hosts;
	FILE *errors;
};
int config_load_from(const struct config_source *src, struct config **ret);
void config_free(struct config *cfg);

/* Settings that work, but not as one may expect (an https:// netboot.xyz
 * for iPXE builds without HTTPS): fn is told each; returns how many. */
typedef void (*config_warn_fn)(void *userdata, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int config_warnings(const struct config *cfg, config_warn_fn fn, void *userdata);

const struct host *config_host_by_mac(const struct config *cfg, const uint8_t mac[6],
				      const struct host_nic **ret_nic);
const struct host *config_host_by_name(const struct config *cfg, const char *name);
const struct image *config_image_by_name(const struct config *cfg, const char *name);
/* NAME or NAME@VERSION of a built image (safe as directory names). */
bool image_ref_valid(const char *ref);
/* The pool containing addr, or NULL. */
const struct pool *config_pool_by_addr(const struct config *cfg, struct in_addr addr);
/* Effective lease time etc. of a pool (pool value, else [dhcp], else default). */
uint32_t pool_lease_time(const struct config *cfg, const struct pool *pool);
