#!/usr/bin/env bash
# Builds and caches the input images of the `labboot image build` tests, outside
# the source tree, and prints where they are as shell assignments:
#
#   eval "$(tests/image/inputs.sh)"          # everything (cold: minutes, warm: ms)
#   eval "$(tests/image/inputs.sh --tiny)"   # only TINY_ISO, TINY_*, HELLO_DEB
#
# Printed (values are absolute paths or hex):
#   ROOTFS            Debian 12 live-boot root tree (a directory)
#   ROOTFS_VMLINUZ    its kernel; ROOTFS_INITRD its initrd (MODULES=netboot)
#   SQUASHFS          mksquashfs (zstd) of ROOTFS, shared by the ISOs below
#   LIVE_ISO          Debian live-boot ISO (live/), LIVE_ISO_SHA256
#   CASPER_ISO        Ubuntu-22.04-shaped ISO (casper/), CASPER_ISO_SHA256
#   CASPER24_ISO      Ubuntu-24.04-shaped layered ISO, CASPER24_ISO_SHA256
#   TINY_ISO          busybox live-boot-shaped ISO (never booted), TINY_ISO_SHA256
#   TINY_SQUASHFS     its live/filesystem.squashfs
#   TINY_KNOWN_SHA256 sha256 of /srv/known.txt inside the tiny root
#   HELLO_DEB         Debian's hello .deb
#
# Layout ($LABBOOT_CACHE/image/, KEY = first 16 hex of a sha256 over the inputs
# of the entry: suite, mirror, package list, the code of the building functions,
# the key of the entry it is made from):
#   rootfs-KEY/{root/,vmlinuz,initrd.img,kver,initrd-sizes,timings}
#   squashfs-KEY/filesystem.squashfs
#   live-KEY/ casper-KEY/ casper24-KEY/ tiny-KEY/   {*.iso,sha256}
#   hello/hello_VERSION_amd64.deb
# An entry is built as NAME.new and renamed when complete, so an existing NAME
# is complete; leftovers (*.new, .tmp.*) of a killed run are removed by the
# next run that builds. Builds hold $LABBOOT_CACHE/image/.lock (flock); the
# chroot work runs in a private mount namespace, so even kill -9 leaves no
# mount behind. Old entries are never removed: `rm -rf` them by hand.
set -euo pipefail

SELF=$(readlink -f "${BASH_SOURCE[0]}")
CACHE=${LABBOOT_CACHE:-/var/cache/labboot-test}/image

SUITE=bookworm
MIRROR=http://deb.debian.org/debian
VARIANT=minbase
# What a live-boot system needs to reach multi-user.target and fetch= its root:
# busybox (live-boot's initramfs scripts use its wget and friends), zstd (else
# mkinitramfs falls back to gzip), isc-dhcp-client (as in the measured image),
# nfs-common and netbase (/etc/protocols: mount.nfs of /home fails without it;
# every distribution's live ISO has it).
PACKAGES=(linux-image-amd64 live-boot live-boot-initramfs-tools systemd-sysv udev
	iproute2 nfs-common netbase curl ca-certificates isc-dhcp-client busybox zstd)
INITRD_MODULES=netboot
# Must be in the initrd (or built into the kernel).
INITRD_NEED=(virtio_net virtio_pci squashfs overlay loop af_packet)
HOSTNAME_LIVE=debian-live

TMPS=()
cleanup() {
	local t
	for t in "${TMPS[@]}"; do
		[ -e "$t" ] || continue
		umount_below "$t"
		rm -rf --one-file-system "$t"
	done
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

log() { echo "inputs: $*" >&2; }
die() { log "$*"; exit 1; }

# umount_below DIR: unmount every mount at or below DIR, deepest first.
umount_below() {
	local d m
	d=$(readlink -f "$1")
	# mountinfo field 5 is the mount point (octal escapes for spaces; our
	# paths have none).
	awk -v d="$d" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo |
		sort -r | while IFS= read -r m; do umount -l "$m" 2>/dev/null || true; done
}

# stage NAME CMD...: runs CMD, logs and records its wall time.
STAGE_LOG=/dev/null
stage() {
	local name=$1 t0 t1
	shift
	t0=$EPOCHREALTIME
	log "$name ..."
	"$@"
	t1=$EPOCHREALTIME
	local dt
	dt=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	log "$name: $dt s"
	echo "$name $dt" >>"$STAGE_LOG"
}

mktmp() { # VAR: a new temp dir below the cache (same fs: rename works), removed at exit
	local _t
	_t=$(mktemp -d "$CACHE/.tmp.XXXXXX")
	chmod 755 "$_t" # xorriso gives implicit ISO directories their source parent's mode
	TMPS+=("$_t")
	printf -v "$1" %s "$_t"
}

hash_of() { sha256sum | cut -c1-16; }

# --- keys: everything that shapes an entry, including the builders' code ---
key_rootfs() {
	{
		echo "$SUITE $MIRROR $VARIANT ${PACKAGES[*]} $INITRD_MODULES ${INITRD_NEED[*]} $HOSTNAME_LIVE"
		declare -f rootfs_build rootfs_configure initrd_check
	} | hash_of
}
key_squashfs() { { key_rootfs; declare -f squashfs_build; } | hash_of; }
# iso_make and mktmp shape every ISO (file modes), uuid_of the casper UUIDs.
key_live() { { key_squashfs; declare -f live_build iso_make mktmp; } | hash_of; }
key_casper() { { key_squashfs; declare -f casper_build casper_initrd uuid_of iso_make mktmp; } | hash_of; }
key_casper24() {
	{ key_squashfs; declare -f casper24_build casper_initrd layer_build uuid_of iso_make mktmp; } | hash_of
}
key_tiny() {
	{
		dpkg-query -W -f='${Package} ${Version}\n' busybox-static 2>/dev/null || sha256sum /bin/busybox
		declare -f tiny_build iso_make mktmp
	} | hash_of
}

# --- rootfs: debootstrap + initramfs, in a private mount namespace ---
rootfs_build() { # OUT (an empty .new dir); runs inside unshare -m
	local out=$1 root=$1/root
	STAGE_LOG=$out/timings
	ROOT_MNT=$root
	trap 'umount_below "$ROOT_MNT"' EXIT
	# --foreign + policy-rc.d before the second stage: no package's postinst
	# may start a daemon (rpcbind) in the chroot; it would outlive us.
	stage debootstrap-download debootstrap --foreign --variant="$VARIANT" \
		--include="$(
			IFS=,
			echo "${PACKAGES[*]}"
		)" "$SUITE" "$root" "$MIRROR" >&2 9>&-
	printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
	chmod +x "$root/usr/sbin/policy-rc.d"
	stage debootstrap-install chroot "$root" /debootstrap/debootstrap --second-stage >&2 9>&-
	umount_below "$root" # whatever debootstrap left
	mount -t proc proc "$root/proc"
	mount --bind /sys "$root/sys"
	mount --bind /dev "$root/dev"
	stage configure rootfs_configure "$root" "$out"
	umount_below "$root"
	rm -f "$root/usr/sbin/policy-rc.d"
	stage apt-clean chroot "$root" apt-get clean 9>&-
	rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin \
		"$root"/var/log/*.log "$root"/var/log/apt/* "$root"/tmp/* "$root"/var/tmp/*
	local kver
	kver=$(cat "$out/kver")
	cp "$root/boot/vmlinuz-$kver" "$out/vmlinuz"
	cp "$root/boot/initrd.img-$kver" "$out/initrd.img"
	echo "$2" >"$out/key"
}

rootfs_configure() { # ROOT OUT
	local root=$1 out=$2 kver most
	kver=$(ls "$root/lib/modules")
	[ "$(echo "$kver" | wc -w)" = 1 ] || die "expected one kernel, have: $kver"
	echo "$kver" >"$out/kver"
	echo "$HOSTNAME_LIVE" >"$root/etc/hostname"
	printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n' \
		"$HOSTNAME_LIVE" >"$root/etc/hosts"
	chroot "$root" passwd -d root >/dev/null 9>&- # empty root password, for debugging
	: >"$root/etc/machine-id"                      # a new one at every boot
	rm -f "$root/var/lib/dbus/machine-id"
	# debootstrap built the initrd with the default MODULES=most.
	most=$(stat -c %s "$root/boot/initrd.img-$kver")
	sed -i "s/^MODULES=.*/MODULES=$INITRD_MODULES/" "$root/etc/initramfs-tools/initramfs.conf"
	chroot "$root" update-initramfs -u -k "$kver" >&2 9>&-
	local missing
	missing=$(initrd_check "$root" "$kver")
	if [ -n "$missing" ]; then
		log "MODULES=$INITRD_MODULES lacks:$missing; adding them to /etc/initramfs-tools/modules"
		# shellcheck disable=SC2086 # one module a line
		printf '%s\n' $missing >>"$root/etc/initramfs-tools/modules"
		chroot "$root" update-initramfs -u -k "$kver" >&2 9>&-
		missing=$(initrd_check "$root" "$kver")
		[ -z "$missing" ] || die "initrd still lacks:$missing"
	fi
	echo "most=$most $INITRD_MODULES=$(stat -c %s "$root/boot/initrd.img-$kver")" >"$out/initrd-sizes"
	log "initrd sizes: $(cat "$out/initrd-sizes")"
}

initrd_check() { # ROOT KVER: prints the INITRD_NEED modules neither in the initrd nor built in
	local root=$1 kver=$2 list m missing=
	list=$(lsinitramfs "$root/boot/initrd.img-$kver" | sed -n 's|.*/\([^/]*\)\.ko.*|\1|p' | tr - _)
	for m in "${INITRD_NEED[@]}"; do
		if ! grep -qx "$m" <<<"$list" &&
			! sed 's|.*/||; s|\.ko.*||; s|-|_|g' "$root/lib/modules/$kver/modules.builtin" | >/dev/null grep -x "$m"; then
			missing+=" $m"
		fi
	done
	echo "$missing"
}

squashfs_build() { # ROOTFS-ENTRY OUT
	stage mksquashfs mksquashfs "$1/root" "$2/filesystem.squashfs" -comp zstd -noappend \
		-no-progress -quiet -wildcards -e 'boot/vmlinuz*' 'boot/initrd.img*' >&2
}

# --- ISOs ---
iso_make() { # OUT.iso VOLID GRAFT...
	local out=$1 vol=$2
	shift 2
	xorriso -as mkisofs -quiet -iso-level 3 -R -J -V "$vol" -o "$out" -graft-points "$@" >&2 2>&1
	sha256sum "$out" | cut -d' ' -f1 >"$(dirname "$out")/sha256"
}

live_build() { # ROOTFS-ENTRY SQUASHFS-ENTRY OUT
	local t
	mktmp t
	echo "Debian GNU/Linux 12 \"Bookworm\" - labboot test live amd64" >"$t/info"
	stage xorriso-live iso_make "$3/live.iso" "d-live 12 lb amd64" \
		live/vmlinuz="$1/vmlinuz" live/initrd.img="$1/initrd.img" \
		live/filesystem.squashfs="$2/filesystem.squashfs" .disk/info="$t/info"
}

uuid_of() { # HEX: a version-4-shaped UUID made from HEX (deterministic)
	local h
	h=$(echo "$1" | sha256sum)
	echo "${h:0:8}-${h:8:4}-4${h:13:3}-a${h:17:3}-${h:20:12}"
}

# casper_initrd DEBIAN-INITRD OUT UUID [EXTRA-DIR]: Ubuntu-style initrd: AMD and
# Intel microcode as uncompressed newc cpios, then the zstd main archive (the
# Debian initrd's content plus conf/uuid.conf, scripts/casper-bottom/ORDER and
# EXTRA-DIR's files).
casper_initrd() {
	local src=$1 out=$2 uuid=$3 extra=${4:-} t v
	mktmp t
	for v in AuthenticAMD GenuineIntel; do
		mkdir -p "$t/$v/kernel/x86/microcode"
		echo "labboot fake $v microcode" >"$t/$v/kernel/x86/microcode/$v.bin"
		(cd "$t/$v" && find kernel | LC_ALL=C sort |
			cpio -o -H newc -R 0:0 --reproducible --quiet) >>"$out"
	done
	unmkinitramfs "$src" "$t/un"
	# With an early (microcode) segment unmkinitramfs writes early/ and main/.
	local main=$t/un
	[ ! -d "$t/un/main" ] || main=$t/un/main
	echo "$uuid" >"$main/conf/uuid.conf"
	mkdir -p "$main/scripts/casper-bottom"
	echo '[ -e /conf/param.conf ] && . /conf/param.conf' >"$main/scripts/casper-bottom/ORDER"
	[ -z "$extra" ] || cp -a "$extra/." "$main/"
	(cd "$main" && find . | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --reproducible --quiet | zstd -q -1 -T0) >>"$out"
}

casper_build() { # ROOTFS-ENTRY SQUASHFS-ENTRY OUT KEY
	local t uuid
	mktmp t
	uuid=$(uuid_of "casper $4")
	stage casper-initrd casper_initrd "$1/initrd.img" "$t/initrd" "$uuid"
	echo "$uuid" >"$t/uuid"
	echo 'Ubuntu 22.04.5 LTS "Jammy Jellyfish" - Release amd64 (20240911)' >"$t/info"
	stage xorriso-casper iso_make "$3/casper.iso" "Ubuntu 22.04.5 LTS amd64" \
		casper/vmlinuz="$1/vmlinuz" casper/initrd="$t/initrd" \
		casper/filesystem.squashfs="$2/filesystem.squashfs" \
		.disk/casper-uuid-generic="$t/uuid" .disk/info="$t/info"
	cp "$t/uuid" "$3/uuid"
}

# layer_build DIR OUT: squash an overlayfs-upper-shaped DIR (xattrs kept).
layer_build() {
	mksquashfs "$1" "$2" -comp zstd -noappend -no-progress -quiet -xattrs >&2
}

casper24_build() { # ROOTFS-ENTRY SQUASHFS-ENTRY OUT KEY
	local t uuid
	mktmp t
	uuid=$(uuid_of "casper24 $4")
	# minimal.standard: adds /etc/labboot-layer and /etc/labboot-standard.
	mkdir -p "$t/standard/etc" "$t/live/etc" "$t/extra/conf/conf.d"
	echo standard >"$t/standard/etc/labboot-layer"
	echo standard >"$t/standard/etc/labboot-standard"
	# minimal.standard.live: replaces /etc/labboot-layer, adds
	# /etc/labboot-live, deletes /etc/motd (a whiteout, char device 0/0).
	echo live >"$t/live/etc/labboot-layer"
	echo live >"$t/live/etc/labboot-live"
	mknod "$t/live/etc/motd" c 0 0
	layer_build "$t/standard" "$t/minimal.standard.squashfs"
	layer_build "$t/live" "$t/minimal.standard.live.squashfs"
	echo "LAYERFS_PATH=minimal.standard.live.squashfs" >"$t/extra/conf/conf.d/default-layer.conf"
	stage casper24-initrd casper_initrd "$1/initrd.img" "$t/initrd" "$uuid" "$t/extra"
	echo "$uuid" >"$t/uuid"
	echo 'Ubuntu 24.04.1 LTS "Noble Numbat" - Release amd64 (20240827)' >"$t/info"
	stage xorriso-casper24 iso_make "$3/casper24.iso" "Ubuntu 24.04.1 LTS amd64" \
		casper/vmlinuz="$1/vmlinuz" casper/initrd="$t/initrd" \
		casper/minimal.squashfs="$2/filesystem.squashfs" \
		casper/minimal.standard.squashfs="$t/minimal.standard.squashfs" \
		casper/minimal.standard.live.squashfs="$t/minimal.standard.live.squashfs" \
		.disk/casper-uuid-generic="$t/uuid" .disk/info="$t/info"
	cp "$t/uuid" "$3/uuid"
}

tiny_build() { # OUT
	local out=$1 t r a
	mktmp t
	r=$t/root
	mkdir -p "$r"/{bin,etc,srv,root,proc,sys,dev,run,var/empty} "$r/tmp"
	chmod 1777 "$r/tmp"
	chmod 700 "$r/root"
	cp /bin/busybox "$r/bin/busybox"
	for a in sh ash cat cp mv rm ln ls mkdir rmdir chmod chown touch echo printf \
		head tail wc sort uniq cut tr sed grep find stat sha256sum md5sum date \
		sleep true false test env id uname df du mount umount dd tar; do
		ln -s busybox "$r/bin/$a"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/var/empty:/bin/false\n' >"$r/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
	echo tiny-live >"$r/etc/hostname"
	echo "labboot tiny test root" >"$r/etc/motd"
	seq 1 40000 >"$r/srv/known.txt" # 229 KB: full blocks and a fragment
	ln -s known.txt "$r/srv/known.link"
	echo "hard linked" >"$r/srv/hard.a"
	ln "$r/srv/hard.a" "$r/srv/hard.b"
	: >"$r/srv/empty"
	sha256sum "$r/srv/known.txt" | cut -d' ' -f1 >"$out/known.sha256"
	mksquashfs "$r" "$out/filesystem.squashfs" -comp zstd -noappend -no-progress -quiet \
		-all-root -mkfs-time 0 -all-time 0 >&2
	echo "placeholder kernel, never booted" >"$t/vmlinuz"
	echo "placeholder initrd, never booted" >"$t/initrd.img"
	echo "labboot tiny live - test input, not bootable" >"$t/info"
	iso_make "$out/tiny.iso" "labboot tiny" live/vmlinuz="$t/vmlinuz" \
		live/initrd.img="$t/initrd.img" live/filesystem.squashfs="$out/filesystem.squashfs" \
		.disk/info="$t/info"
}

hello_build() { # OUT
	local t
	mktmp t
	if ! (cd "$t" && apt-get download -qq -o APT::Sandbox::User=root hello >&2); then
		log "apt lists do not know hello; running apt-get update"
		apt-get update -qq >&2
		(cd "$t" && apt-get download -qq -o APT::Sandbox::User=root hello >&2)
	fi
	mv "$t"/hello_*.deb "$1/"
}

# --- entries ---
# ensure NAME KEY BUILDER ARGS...: builds $CACHE/NAME-KEY (via .new) unless it
# exists; the builder gets the .new dir as its last argument but one, then KEY.
ensure() {
	local name=$1 key=$2 dir
	shift 2
	dir=$CACHE/$name-$key
	[ -d "$dir" ] && return
	rm -rf --one-file-system "$dir.new"
	mkdir "$dir.new"
	TMPS+=("$dir.new")
	local t0=$EPOCHREALTIME
	"$@" "$dir.new" "$key"
	mv "$dir.new" "$dir"
	cleanup # this entry's temp dirs
	TMPS=()
	log "built $name-$key in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
}

build_rootfs() { # OUT KEY: the namespace wrapper
	unshare --mount --propagation private "$BASH" "$SELF" --internal-rootfs "$1" "$2"
}

remove_leftovers() { # only with the lock held: nobody else is building
	local d
	for d in "$CACHE"/*.new "$CACHE"/.tmp.*; do
		[ -e "$d" ] || continue
		log "removing leftover $d"
		umount_below "$d"
		rm -rf --one-file-system "$d"
	done
}

print_tiny() {
	local t=$CACHE/tiny-$K_TINY
	echo "TINY_ISO=$t/tiny.iso"
	echo "TINY_ISO_SHA256=$(cat "$t/sha256")"
	echo "TINY_SQUASHFS=$t/filesystem.squashfs"
	echo "TINY_KNOWN_SHA256=$(cat "$t/known.sha256")"
	echo "HELLO_DEB=$(ls "$CACHE"/hello/hello_*.deb)"
}

print_full() {
	local r=$CACHE/rootfs-$K_ROOTFS l=$CACHE/live-$K_LIVE c=$CACHE/casper-$K_CASPER c24=$CACHE/casper24-$K_CASPER24
	echo "ROOTFS=$r/root"
	echo "ROOTFS_VMLINUZ=$r/vmlinuz"
	echo "ROOTFS_INITRD=$r/initrd.img"
	echo "SQUASHFS=$CACHE/squashfs-$K_SQUASHFS/filesystem.squashfs"
	echo "LIVE_ISO=$l/live.iso"
	echo "LIVE_ISO_SHA256=$(cat "$l/sha256")"
	echo "CASPER_ISO=$c/casper.iso"
	echo "CASPER_ISO_SHA256=$(cat "$c/sha256")"
	echo "CASPER24_ISO=$c24/casper24.iso"
	echo "CASPER24_ISO_SHA256=$(cat "$c24/sha256")"
}

all_present() {
	local n
	for n in "$@"; do [ -d "$CACHE/$n" ] || return 1; done
}

main() {
	local tiny=0
	case "${1:-}" in
	--internal-rootfs) rootfs_build "$2" "$3"; return ;;
	--tiny) tiny=1 ;;
	"") ;;
	-h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$SELF"; return ;;
	*) die "usage: $0 [--tiny]" ;;
	esac
	[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot, mknod)"
	mkdir -p "$CACHE"
	K_TINY=$(key_tiny)
	local want=(tiny-"$K_TINY" hello)
	if [ $tiny = 0 ]; then
		K_ROOTFS=$(key_rootfs) K_SQUASHFS=$(key_squashfs) K_LIVE=$(key_live)
		K_CASPER=$(key_casper) K_CASPER24=$(key_casper24)
		want+=(rootfs-"$K_ROOTFS" squashfs-"$K_SQUASHFS" live-"$K_LIVE"
			casper-"$K_CASPER" casper24-"$K_CASPER24")
	fi
	if ! all_present "${want[@]}"; then
		exec 9>"$CACHE/.lock"
		flock 9
		remove_leftovers
		local t0=$EPOCHREALTIME
		ensure tiny "$K_TINY" tiny_build
		if [ ! -d "$CACHE/hello" ]; then
			rm -rf "$CACHE/hello.new" && mkdir "$CACHE/hello.new" && TMPS+=("$CACHE/hello.new")
			hello_build "$CACHE/hello.new"
			mv "$CACHE/hello.new" "$CACHE/hello"
		fi
		if [ $tiny = 0 ]; then
			local r=$CACHE/rootfs-$K_ROOTFS s=$CACHE/squashfs-$K_SQUASHFS
			ensure rootfs "$K_ROOTFS" build_rootfs
			ensure squashfs "$K_SQUASHFS" squashfs_build "$r"
			ensure live "$K_LIVE" live_build "$r" "$s"
			ensure casper "$K_CASPER" casper_build "$r" "$s"
			ensure casper24 "$K_CASPER24" casper24_build "$r" "$s"
		fi
		log "done in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
		exec 9>&-
	fi
	print_tiny
	[ $tiny = 1 ] || print_full
}

main "$@"
