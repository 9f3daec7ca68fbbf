/* Feature files and the second initrd (see features.h). */
#include "image/features.h"

#include "core/util.h"
#include "image/fsutil.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

/* Calls labboot back once multi-user.target is reached, with the URL that
 * labboot put on the kernel command line (labboot.booted=). curl or wget if
 * the image has them, else bash's /dev/tcp, which every Debian and Ubuntu
 * root has. */
static const char booted_script[] =
	"#!/bin/bash\n"
	"# labboot: tell the server this machine is up (multi-user.target), with\n"
	"# the times since the kernel started: now, when systemd took over from\n"
	"# the initramfs, and when multi-user.target was reached.\n"
	"url=$(tr ' ' '\\n' </proc/cmdline | sed -n 's/^labboot\\.booted=//p' | head -n1)\n"
	"[ -n \"$url\" ] || exit 0\n"
	"us() { systemctl show -p \"$1\" --value $2 2>/dev/null | grep -E '^[0-9]+$' || echo 0; }\n"
	"up=$(cut -d' ' -f1 /proc/uptime | tr -d .)0\n"
	"url=\"$url&up_ms=$up&userspace_ms=$(($(us UserspaceTimestampMonotonic) / 1000))\"\n"
	"url=\"$url&ready_ms=$(($(us ActiveEnterTimestampMonotonic multi-user.target) / 1000))\"\n"
	"for try in 1 2 3 4 5; do\n"
	"\tif command -v curl >/dev/null; then curl -fsS -m 10 -o /dev/null \"$url\" && exit 0\n"
	"\telif command -v wget >/dev/null; then wget -q -T 10 -O /dev/null \"$url\" && exit 0\n"
	"\telse\n"
	"\t\thp=${url#http://}; path=/${hp#*/}; hp=${hp%%/*}; host=${hp%%:*}; port=${hp#*:}\n"
	"\t\t[ \"$port\" = \"$hp\" ] && port=80\n"
	"\t\tif exec 3<>\"/dev/tcp/$host/$port\"; then\n"
	"\t\t\tprintf 'GET %s HTTP/1.0\\r\\nHost: %s\\r\\n\\r\\n' \"$path\" \"$hp\" >&3\n"
	"\t\t\thead -n1 <&3 | grep -q ' 200 ' && exit 0\n"
	"\t\tfi\n"
	"\tfi\n"
	"\tsleep 2\n"
	"done\n"
	"exit 1\n";

/* /home over NFS from the server labboot names on the command line
 * (labboot.home=SERVER:/PATH), or the recipe's fixed SERVER:/PATH. NFSv3
 * over TCP, hard; locks need rpc.statd, and without it the mount is
 * retried with nolock. A server that does not answer is said on the
 * console and retried, for ten minutes, then the system comes up
 * without it. */
static const char home_script[] =
	"#!/bin/sh\n"
	"# labboot: /home over NFS\n"
	"src=$(tr ' ' '\\n' </proc/cmdline | sed -n 's/^labboot\\.home=//p' | head -n1)\n"
	"[ -n \"$src\" ] || src=$(cat /etc/labboot/home-source 2>/dev/null)\n"
	"[ -n \"$src\" ] || exit 0\n"
	"say() { echo \"labboot: $*\"; echo \"labboot: $*\" >/dev/console 2>/dev/null; }\n"
	"if ! command -v mount.nfs >/dev/null; then say \"/home: this image has no mount.nfs (install nfs-common)\"; exit 1; fi\n"
	"[ -e /etc/protocols ] || say \"/home: this image has no /etc/protocols (install netbase): mount.nfs may fail\"\n"
	"opts=vers=3,hard,timeo=100,retrans=3,retry=0 # TCP, the default; our loop retries\n"
	"try=0\n"
	"while :; do\n"
	"\tmountpoint -q /home && exit 0\n"
	"\tif out=$(mount -t nfs -o \"$opts\" \"$src\" /home 2>&1); then say \"/home is $src\"; exit 0; fi\n"
	"\tcase \"$out\" in *statd*) opts=$opts,nolock; continue ;; esac\n"
	"\ttry=$((try + 1))\n"
	"\tif [ $try -ge 120 ]; then say \"/home: giving up on $src; this system runs without it\"; exit 1; fi\n"
	"\tsay \"/home: cannot mount $src ($out), try $try, again in 5 s\"\n"
	"\tsleep 5\n"
	"done\n";

static const char home_unit[] =
	"[Unit]\n"
	"Description=/home over NFS (labboot)\n"
	"After=network-online.target rpcbind.service\n"
	"Wants=network-online.target\n"
	"Before=labboot-user.service systemd-user-sessions.service labboot-booted.service\n"
	"\n"
	"[Service]\n"
	"Type=oneshot\n"
	"RemainAfterExit=yes\n"
	"TimeoutStartSec=15min\n"
	"ExecStart=/usr/lib/labboot/home\n"
	"\n"
	"[Install]\n"
	"WantedBy=multi-user.target\n";

/* The live user, made at boot (the image stays as built): its home on
 * /home, created from /etc/skel and owned on the first boot, kept after. */
static const char user_script[] =
	"#!/bin/sh\n"
	"# labboot: the live user\n"
	"u=$(cat /etc/labboot/user)\n"
	"[ -n \"$u\" ] || exit 0\n"
	"if ! id \"$u\" >/dev/null 2>&1; then\n"
	"\tuid=; getent passwd 1000 >/dev/null || uid=\"-u 1000\"\n"
	"\tuseradd $uid -M -d \"/home/$u\" -s /bin/bash -c \"live user\" \"$u\" || exit 1\n"
	"\tpasswd -d \"$u\" >/dev/null\n"
	"\tfor g in sudo adm; do getent group $g >/dev/null && usermod -aG $g \"$u\"; done\n"
	"fi\n"
	"h=/home/$u\n"
	"# mkdir, not mkdir -p: of machines booting at once, one makes it\n"
	"# (cp without -a: NFS servers may refuse the ACLs -a copies)\n"
	"if mkdir \"$h\" 2>/dev/null; then\n"
	"\tcp -R /etc/skel/. \"$h\"/ && chown -R \"$u:\" \"$h\" && chmod 0750 \"$h\" || exit 1\n"
	"\techo \"labboot: made $h\"\n"
	"fi\n"
	"if [ -s /root/.ssh/authorized_keys ] && [ ! -e \"$h/.ssh/authorized_keys\" ]; then\n"
	"\tinstall -d -m 0700 -o \"$u\" -g \"$(id -g \"$u\")\" \"$h/.ssh\"\n"
	"\tinstall -m 0600 -o \"$u\" -g \"$(id -g \"$u\")\" /root/.ssh/authorized_keys \"$h/.ssh/\"\n"
	"fi\n"
	"exit 0\n";

static const char user_unit[] =
	"[Unit]\n"
	"Description=The live user (labboot)\n"
	"After=labboot-home.service systemd-user-sessions.service\n"
	"Before=labboot-booted.service getty.target\n"
	"\n"
	"[Service]\n"
	"Type=oneshot\n"
	"RemainAfterExit=yes\n"
	"ExecStart=/usr/lib/labboot/user\n"
	"\n"
	"[Install]\n"
	"WantedBy=multi-user.target\n";

static const char booted_unit[] =
	"[Unit]\n"
	"Description=Tell labboot this machine is up\n"
	"After=multi-user.target network-online.target\n"
	"Wants=network-online.target\n"
	"ConditionKernelCommandLine=labboot.booted\n"
	"\n"
	"[Service]\n"
	"Type=oneshot\n"
	"RemainAfterExit=yes\n"
	"ExecStart=/usr/lib/labboot/booted\n"
	"\n"
	"[Install]\n"
	"WantedBy=multi-user.target\n";

/* The reference notes' netplan patch, as networkd configuration: DHCP on
 * every wired NIC with the MAC as client identifier, so the live system
 * keeps the address (and DNS) of its reservation. */
static const char networkd_conf[] =
	"# labboot FEATURE networkd\n"
	"[Match]\n"
	"Name=en* eth*\n"
	"\n"
	"[Network]\n"
	"DHCP=ipv4\n"
	"\n"
	"[DHCPv4]\n"
	"ClientIdentifier=mac\n"
	"UseHostname=false\n"
	"UseDNS=true\n";

/* Without systemd-resolved nothing writes networkd's DNS servers into
 * /etc/resolv.conf, and a root built by debootstrap keeps the build
 * host's: the reference notes' "DNS not propagated into the live image".
 * This writes it from networkd's DHCP leases once the network is online. */
static const char dns_script[] =
	"#!/bin/sh\n"
	"# labboot: /etc/resolv.conf from networkd's DHCP leases (no systemd-resolved)\n"
	"case \"$(readlink /etc/resolv.conf)\" in\n"
	"*systemd/resolve*) [ -e /run/systemd/resolve/stub-resolv.conf ] && exit 0 ;;\n"
	"esac\n"
	"ns= dom=\n"
	"for f in /run/systemd/netif/leases/*; do\n"
	"\t[ -f \"$f\" ] || continue\n"
	"\tns=\"$ns $(sed -n 's/^DNS=//p' \"$f\")\"\n"
	"\t[ -n \"$dom\" ] || dom=$(sed -n 's/^DOMAINNAME=//p' \"$f\")\n"
	"done\n"
	"ns=$(echo $ns)\n"
	"[ -n \"$ns\" ] || exit 0\n"
	"{\n"
	"\techo \"# written by labboot from the DHCP lease\"\n"
	"\t[ -z \"$dom\" ] || echo \"search $dom\"\n"
	"\tfor n in $ns; do echo \"nameserver $n\"; done\n"
	"} >/etc/resolv.conf.labboot && rm -f /etc/resolv.conf && mv /etc/resolv.conf.labboot /etc/resolv.conf\n";

static const char dns_unit[] =
	"[Unit]\n"
	"Description=DNS servers from the DHCP lease (labboot)\n"
	"After=systemd-networkd-wait-online.service\n"
	"Wants=systemd-networkd-wait-online.service\n"
	"Before=nss-lookup.target labboot-home.service labboot-booted.service\n"
	"\n"
	"[Service]\n"
	"Type=oneshot\n"
	"RemainAfterExit=yes\n"
	"ExecStart=/usr/lib/labboot/dns\n"
	"\n"
	"[Install]\n"
	"WantedBy=multi-user.target\n";

static const char netplan_conf[] =
	"# labboot FEATURE networkd (Ubuntu: netplan renders networkd)\n"
	"network:\n"
	"  version: 2\n"
	"  renderer: networkd\n"
	"  ethernets:\n"
	"    all-en:\n"
	"      match: {name: \"en*\"}\n"
	"      dhcp4: true\n"
	"      dhcp-identifier: mac\n"
	"    all-eth:\n"
	"      match: {name: \"eth*\"}\n"
	"      dhcp4: true\n"
	"      dhcp-identifier: mac\n";

/* live-boot's fetch= downloads exactly one file; a layered image needs
 * every layer. With fetch=URL/filesystem.module this replaces live-boot's
 * do_httpmount: the list and each layer it names go into the RAM medium,
 * retried when a download is cut off, and live-boot then stacks them in
 * the list's order. Sourced by live-boot with its other components. */
static const char live_boot_fetch[] =
	"#!/bin/sh\n"
	"# labboot: fetch a layered live image (filesystem.module and its layers)\n"
	"case \" $(cat /proc/cmdline) \" in\n"
	"*\" fetch=\"*.module\" \"*)\n"
	"labboot_get ()\n"
	"{\n"
	"\tfor try in 1 2 3 4 5 6; do\n"
	"\t\trm -f \"$2\"\n"
	"\t\twget \"$1\" -O \"$2\" && return 0\n"
	"\t\techo \"labboot: download of $1 failed (try $try), retrying\" >/dev/console\n"
	"\t\tsleep $try\n"
	"\tdone\n"
	"\treturn 1\n"
	"}\n"
	"do_httpmount ()\n"
	"{\n"
	"\tlocal dest base name\n"
	"\tdest=\"${mountpoint}/${LIVE_MEDIA_PATH}\"\n"
	"\tmount -t ramfs ram \"${mountpoint}\" || return 1\n"
	"\tmkdir -p \"${dest}\"\n"
	"\tbase=\"${FETCH%/*}\"\n"
	"\tlog_begin_msg \"labboot: fetching ${FETCH}\"\n"
	"\tlabboot_get \"${FETCH}\" \"${dest}/${FETCH##*/}\" || return 1\n"
	"\tfor name in $(cat \"${dest}/${FETCH##*/}\"); do\n"
	"\t\tlabboot_get \"${base}/${name}\" \"${dest}/${name}\" || return 1\n"
	"\tdone\n"
	"\tlog_end_msg\n"
	"\treturn 0\n"
	"}\n"
	";;\n"
	"esac\n";

struct gen_file {
	const char *path;
	const char *content;   /* NULL: a symlink to target */
	const char *target;
	mode_t mode;
};

static int write_gen(const char *root, const struct gen_file *g)
{
	char p[PATH_MAX];
	_cleanup_close_ int fd = -1;
	size_t n;
	int r;

	if ((r = mkdir_parents(root, g->path, 0755)) < 0 || (r = pathf(p, sizeof(p), "%s/%s", root, g->path)) < 0)
		return r;
	if (!g->content)
		return symlink(g->target, p) < 0 ? -errno : 0;
	if ((fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, g->mode)) < 0)
		return -errno;
	n = strlen(g->content);
	if (write(fd, g->content, n) != (ssize_t)n || fchmod(fd, g->mode) < 0)
		return -errno;
	return 0;
}

static int write_gens(const char *root, const struct gen_file *g, size_t n)
{
	int r;

	for (size_t i = 0; i < n; i++)
		if ((r = write_gen(root, &g[i])) < 0)
			return r;
	return 0;
}

/* One of labboot's boot-time services: /usr/lib/labboot/NAME, its unit
 * labboot-NAME.service, and that wanted by multi-user.target. */
static int write_service(const char *root, const char *name, const char *script, const char *unit)
{
	char exe[64], unit_path[128], want[160], target[160];

	snprintf(exe, sizeof(exe), "usr/lib/labboot/%s", name);
	snprintf(unit_path, sizeof(unit_path), "etc/systemd/system/labboot-%s.service", name);
	snprintf(want, sizeof(want), "etc/systemd/system/multi-user.target.wants/labboot-%s.service", name);
	snprintf(target, sizeof(target), "/%s", unit_path);
	const struct gen_file g[] = {
		{ exe, script, NULL, 0755 },
		{ unit_path, unit, NULL, 0644 },
		{ want, NULL, target, 0 },
	};
	return write_gens(root, g, ARRAY_SIZE(g));
}

/* A one-line configuration file /etc/labboot/NAME holding VALUE. */
static int write_value(const char *root, const char *name, const char *value)
{
	char path[64], buf[4096];

	snprintf(path, sizeof(path), "etc/labboot/%s", name);
	snprintf(buf, sizeof(buf), "%s\n", value);
	return write_gen(root, &(struct gen_file){ path, buf, NULL, 0644 });
}

int features_write_tree(const struct recipe *r, const char *dir)
{
	static const struct gen_file networkd[] = {
		{ "etc/systemd/network/20-labboot.network", networkd_conf, NULL, 0644 },
		{ "etc/netplan/01-labboot.yaml", netplan_conf, NULL, 0600 },
		{ "etc/systemd/system/multi-user.target.wants/systemd-networkd.service", NULL,
		  "/lib/systemd/system/systemd-networkd.service", 0 },
		{ "etc/systemd/system/sockets.target.wants/systemd-networkd.socket", NULL,
		  "/lib/systemd/system/systemd-networkd.socket", 0 },
		{ "etc/systemd/system/network-online.target.wants/systemd-networkd-wait-online.service", NULL,
		  "/lib/systemd/system/systemd-networkd-wait-online.service", 0 },
	};
	const char *v;
	char buf[4096], target[PATH_MAX];
	int ret;

	if ((ret = write_service(dir, "booted", booted_script, booted_unit)) < 0)
		return ret;
	if (recipe_feature_value(r, FEATURE_NETWORKD) &&
	    ((ret = write_gens(dir, networkd, ARRAY_SIZE(networkd))) < 0 ||
	     (ret = write_service(dir, "dns", dns_script, dns_unit)) < 0))
		return ret;
	if ((v = recipe_feature_value(r, FEATURE_NFS_HOME)) &&
	    ((ret = write_service(dir, "home", home_script, home_unit)) < 0 ||
	     (v[0] && (ret = write_value(dir, "home-source", v)) < 0)))
		return ret;
	if ((v = recipe_feature_value(r, FEATURE_USER)) &&
	    ((ret = write_service(dir, "user", user_script, user_unit)) < 0 || (ret = write_value(dir, "user", v)) < 0))
		return ret;
	if ((v = recipe_feature_value(r, FEATURE_SSH_KEY))) {
		snprintf(buf, sizeof(buf), "%s\n", v);
		if ((ret = mkdir_parents(dir, "root/.ssh/x", 0700)) < 0 ||
		    (ret = write_gen(dir, &(struct gen_file){ "root/.ssh/authorized_keys", buf, NULL, 0600 })) < 0)
			return ret;
	}
	if ((v = recipe_feature_value(r, FEATURE_TIMEZONE))) {
		snprintf(buf, sizeof(buf), "%s\n", v);
		if (pathf(target, sizeof(target), "/usr/share/zoneinfo/%s", v) < 0)
			return -ENAMETOOLONG;
		if ((ret = write_gen(dir, &(struct gen_file){ "etc/timezone", buf, NULL, 0644 })) < 0 ||
		    (ret = write_gen(dir, &(struct gen_file){ "etc/localtime", NULL, target, 0 })) < 0)
			return ret;
	}
	return 0;
}

static int cpio_add(struct archive *a, const char *path, mode_t mode, const char *content)
{
	struct archive_entry *e = archive_entry_new();
	size_t n = content ? strlen(content) : 0;
	int r = 0;

	if (!e)
		return -ENOMEM;
	archive_entry_set_pathname(e, path);
	archive_entry_set_mode(e, mode);
	archive_entry_set_size(e, (la_int64_t)n);
	archive_entry_set_mtime(e, 0, 0); /* the same bytes on every build */
	archive_entry_set_nlink(e, 1);
	if (archive_write_header(a, e) != ARCHIVE_OK || (n && archive_write_data(a, content, n) != (la_ssize_t)n))
		r = -EIO;
	archive_entry_free(e);
	return r;
}

/* Only files, never their directories: the kernel replaces an entry of
 * another type when a later archive names it (init/initramfs.c), so a "lib"
 * directory entry would delete merged-/usr's lib -> usr/lib symlink and with
 * it every module and script of the distro's initrd. The directories are the
 * distro initrd's own. */
int features_write_cpio(enum iso_layout_kind layout, const char *path)
{
	struct archive *a = archive_write_new();
	int r = 0;

	if (!a)
		return -ENOMEM;
	archive_write_set_format_cpio_newc(a);
	archive_write_add_filter_none(a);
	if (archive_write_open_filename(a, path) != ARCHIVE_OK) {
		archive_write_free(a);
		return -EIO;
	}
	/* Casper images fetch their root over NFS (or a URL of the ISO) and
	 * need nothing here yet; live-boot gets the layered fetch. */
	if (layout == ISO_LAYOUT_LIVE_BOOT)
		r = cpio_add(a, "lib/live/boot/9995-labboot-fetch.sh", S_IFREG | 0644, live_boot_fetch);
	else
		r = cpio_add(a, "conf/labboot", S_IFREG | 0644, "built by labboot\n");
	if (archive_write_close(a) != ARCHIVE_OK && r == 0)
		r = -EIO;
	archive_write_free(a);
	return r;
}

int features_cmdline(const struct recipe *r, enum iso_layout_kind layout, char *buf, size_t size)
{
	const char *user = recipe_feature_value(r, FEATURE_USER);
	size_t n = strlen(buf);

	if (recipe_feature_value(r, FEATURE_TORAM))
		n += (size_t)snprintf(buf + n, n < size ? size - n : 0, "%storam", n ? " " : "");
	if (user && n < size)
		n += (size_t)snprintf(buf + n, size - n, "%s%s=%s", n ? " " : "",
				      layout == ISO_LAYOUT_LIVE_BOOT ? "live-config.username" : "username", user);
	return n < size ? 0 : -E2BIG;
}
