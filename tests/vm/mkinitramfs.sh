#!/usr/bin/env bash
# Builds the netboot test initramfs (newc cpio, gzip): busybox-static, the
# /init in tests/vm/initramfs/, and the cached kernel's NIC modules.
#
#   tests/vm/mkinitramfs.sh OUT            # kernel from tests/vm/cache.sh
#   KERNEL_DIR=DIR tests/vm/mkinitramfs.sh OUT
#   WITH_NFS=1 ...                          # also the NFS/overlay/squashfs modules
#                                           # (loaded when the cmdline has nfsmods=1)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: mkinitramfs.sh OUT}
BUSYBOX=${BUSYBOX:-/bin/busybox}
KERNEL_DIR=${KERNEL_DIR:-$("$here/cache.sh")}

[ -x "$BUSYBOX" ] || { echo "mkinitramfs: no $BUSYBOX (Debian busybox-static)" >&2; exit 1; }
# A dynamically linked busybox would need its libraries in the archive.
if ! "$BUSYBOX" ls /proc/self >/dev/null 2>&1 || file -L "$BUSYBOX" 2>/dev/null | >/dev/null grep dynamic; then
	echo "mkinitramfs: $BUSYBOX must be busybox-static" >&2
	exit 1
fi

stage=$(mktemp -d "${TMPDIR:-/tmp}/labboot-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage"/{bin,dev,proc,sys,tmp,run,etc,lib/modules}
cp "$BUSYBOX" "$stage/bin/busybox"
install -m 755 "$here/initramfs/init" "$stage/init"
install -m 755 "$here/initramfs/udhcpc.script" "$stage/etc/udhcpc.script"
# /dev/console lets the kernel give init a console before devtmpfs is
# mounted; /init reopens it anyway, so failing here (no CAP_MKNOD) is fine.
mknod -m 600 "$stage/dev/console" c 5 1 2>/dev/null || true

copy_list() { # LIST NAME: modules of LIST into the archive, load order kept
	local m
	: >"$stage/lib/modules/$2"
	while read -r m; do
		mkdir -p "$stage/lib/modules/$(dirname "$m")"
		cp "$KERNEL_DIR/modules/$m" "$stage/lib/modules/$m"
		echo "$m" >>"$stage/lib/modules/$2"
	done <"$1"
}
copy_list "$KERNEL_DIR/modules.net" load.net
if [ "${WITH_NFS:-0}" = 1 ]; then
	copy_list "$KERNEL_DIR/modules.nfs" load.nfs
fi

# Sorted names and fixed mtimes: the same inputs give the same archive.
(cd "$stage" && find . -mindepth 1 -exec touch -h -d @0 {} + &&
	find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 --reproducible) |
	gzip -n -6 >"$out.tmp"
mv "$out.tmp" "$out"
echo "$out"
