/* NFS server configuration text (see nfs_exports.h). */
#include "nfs/nfs_exports.h"

#include "core/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define emit textbuf_printf

bool nfs_path_valid(const char *path)
{
	size_t n = path ? strlen(path) : 0;

	if (n < 2 || n > 1024 || path[0] != '/')
		return false;
	for (const char *p = path; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == '"' || *p == '\\' || *p == '#' || *p == ';' || *p == '{' ||
		    *p == '}' || *p == '(' || *p == ')' || *p == 0x7f)
			return false;
	/* "/..", "/../" and a trailing "/." name another directory */
	for (const char *p = strstr(path, "/."); p; p = strstr(p + 1, "/."))
		if (p[2] == '\0' || p[2] == '/' || (p[2] == '.' && (p[3] == '\0' || p[3] == '/')))
			return false;
	return true;
}

int nfs_client_parse(const char *s, struct nfs_client *ret)
{
	char addr[16];
	const char *slash = s ? strchr(s, '/') : NULL;
	char *end;
	unsigned long prefix;
	struct in_addr a;

	if (!slash || (size_t)(slash - s) >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	if (inet_pton(AF_INET, addr, &a) != 1 || slash[1] < '0' || slash[1] > '9')
		return -EINVAL;
	errno = 0;
	prefix = strtoul(slash + 1, &end, 10);
	if (errno || *end || prefix > 32)
		return -EINVAL;
	/* host bits set: a typo for another network, not a network */
	if (prefix < 32 && (ntohl(a.s_addr) & (0xffffffffu >> prefix)))
		return -EINVAL;
	ret->net = a;
	ret->prefix = (uint8_t)prefix;
	return 0;
}

uint16_t nfs_export_id(const char *path)
{
	uint32_t h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)path; *p; p++)
		h = (h ^ *p) * 16777619u;
	return (uint16_t)(2 + h % 65534u);
}

static int check(const struct nfs_exports *ex)
{
	if (ex->n_clients == 0 || ex->n_clients > NFS_MAX_CLIENTS)
		return -EINVAL; /* never "everyone" */
	for (size_t i = 0; i < ex->n_clients; i++) {
		uint32_t host = ex->clients[i].prefix < 32 ? 0xffffffffu >> ex->clients[i].prefix : 0;
		if (ex->clients[i].prefix > 32 || (ntohl(ex->clients[i].net.s_addr) & host))
			return -EINVAL;
	}
	for (size_t i = 0; i < ex->n_exports; i++) {
		if (!nfs_path_valid(ex->exports[i].path) || ex->exports[i].id < 2)
			return -EINVAL;
		for (size_t j = 0; j < i; j++)
			if (ex->exports[j].id == ex->exports[i].id || strcmp(ex->exports[j].path, ex->exports[i].path) == 0)
				return -EINVAL;
	}
	return 0;
}

static void emit_client(struct textbuf *o, const struct nfs_client *c)
{
	char ip[16];

	emit(o, "%s/%u", format_ipv4(ip, c->net), c->prefix);
}

/* Root is not squashed: a live root reads root-only files through the
 * image export (read-only anyway, and what HTTP serves too), and the
 * booted system makes and owns the user's home on /home. Both are limited
 * to the served networks.
 * The initramfs mounts images with NFSv3 (klibc nfsmount, via rpcbind
 * and MOUNT, nolock); the booted system mounts /home with v3 or v4. The
 * pseudo path equals the path so both versions name the same thing. */
static void render_ganesha(struct textbuf *o, const struct nfs_exports *ex)
{
	for (size_t i = 0; i < ex->n_exports; i++) {
		const struct nfs_export *e = &ex->exports[i];
		emit(o,
		     "EXPORT {\n"
		     "\tExport_Id = %u;\n"
		     "\tPath = \"%s\";\n"
		     "\tPseudo = \"%s\";\n"
		     "\tProtocols = 3, 4;\n"
		     "\tTransports = TCP, UDP;\n"
		     "\tSecType = sys;\n"
		     "\tAccess_Type = None;\n"
		     "\tSquash = No_Root_Squash;\n"
		     "\tFSAL { Name = VFS; }\n"
		     "\tCLIENT {\n"
		     "\t\tClients = ",
		     e->id, e->path, e->path);
		for (size_t j = 0; j < ex->n_clients; j++) {
			emit(o, "%s", j ? ", " : "");
			emit_client(o, &ex->clients[j]);
		}
		emit(o, ";\n\t\tAccess_Type = %s;\n\t}\n}\n", e->rw ? "RW" : "RO");
	}
}

static void render_kernel(struct textbuf *o, const struct nfs_exports *ex)
{
	for (size_t i = 0; i < ex->n_exports; i++) {
		const struct nfs_export *e = &ex->exports[i];
		emit(o, "%s", e->path);
		for (size_t j = 0; j < ex->n_clients; j++) {
			emit(o, " ");
			emit_client(o, &ex->clients[j]);
			emit(o, e->rw ? "(rw,sync,no_subtree_check,insecure,no_root_squash)"
				      : "(ro,no_subtree_check,insecure,no_root_squash)");
		}
		emit(o, "\n");
	}
}

int nfs_exports_render(enum nfs_backend backend, const struct nfs_exports *ex, char *buf, size_t size)
{
	struct textbuf o = { .buf = buf, .size = size };
	int r;

	if (size == 0)
		return -ENOSPC;
	buf[0] = '\0';
	if ((r = check(ex)) < 0)
		return r;
	emit(&o, "# Written by labboot from its image store and [nfs] section; it is\n"
		 "# rewritten whenever images change: edit labboot.conf, not this file.\n");
	if (backend == NFS_BACKEND_GANESHA)
		render_ganesha(&o, ex);
	else if (backend == NFS_BACKEND_KERNEL)
		render_kernel(&o, ex);
	else
		return -EINVAL;
	return o.overflow ? -ENOSPC : (int)o.len;
}

const char *nfs_backend_name(enum nfs_backend b)
{
	switch (b) {
	case NFS_BACKEND_NONE: return "none";
	case NFS_BACKEND_GANESHA: return "ganesha";
	case NFS_BACKEND_KERNEL: return "kernel";
	}
	return "?";
}

int nfs_backend_parse(const char *s, enum nfs_backend *ret)
{
	static const enum nfs_backend all[] = { NFS_BACKEND_NONE, NFS_BACKEND_GANESHA, NFS_BACKEND_KERNEL };

	for (size_t i = 0; i < ARRAY_SIZE(all); i++)
		if (strcmp(s, nfs_backend_name(all[i])) == 0) {
			*ret = all[i];
			return 0;
		}
	return -EINVAL;
}
