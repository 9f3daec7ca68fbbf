#!/usr/bin/env bash
# The reference notes' image pipeline ("Customizing your image" in the
# homelab provisioning write-up), as close to their script as a benchmark
# allows, adapted to the Debian live-boot ISO (live/ instead of casper/,
# live/initrd.img instead of casper/initrd). One run = one full build; there
# is no cache, so every rebuild is this again. Used by bench/image/run.sh,
# also runnable alone:
#
#   bench/image/reference.sh ISO SHA256 INPUTS WORK DEST [COMP]
#
#   INPUTS  hello.deb, initrd.patch, filesystem.patch (the customisation)
#   WORK    a directory for TMP_DIR (removed by the caller)
#   DEST    where the timestamped image-YYYY-MM-DD-HHMMSS directory goes
#           (the notes' /srv/nfs/images)
#   COMP    default (mksquashfs's own default, gzip, as the notes run it) or
#           a -comp name (zstd: what labboot and the ISO use)
#
# Stdout: "stage NAME SECONDS" per stage (check, extract, unsquash, chroot,
# initrd, patch, mksquashfs, publish), then "result DIR". Tool output goes
# to stderr. Differences from the notes, all forced by a benchmark: no
# apt-get update/install of the host tools or inside the chroot (offline;
# the package comes as a .deb, installed with dpkg), no wget (the ISO is
# local), no sudo (we are root), the timezone set by symlink (timedatectl
# needs a running systemd), and the traps also cover INT/TERM by exiting
# (the notes' `trap cleanup EXIT INT TERM` would carry on after a ^C).
set -euo pipefail

ISO=$1 EXPECTED_SHA256=$2 INPUTS=$3 WORK=$4 DEST=$5 COMP=${6:-default}

IMAGE_NAME="image-$(date +%Y-%m-%d-%H%M%S)"
TMP_DIR="${WORK}/${IMAGE_NAME}"
TARGET="${TMP_DIR}/extracted_unsquash"

# update_image.sh's cleanup: the chroot's bind mounts, deepest first, on
# every exit (error, signal, normal). A lazy unmount as the last resort, so
# a busy mount never outlives us (the caller removes WORK with rm -rf).
cleanup() {
	local m
	for m in dev/pts dev proc sys run; do
		if mountpoint -q "${TARGET}/$m"; then
			umount "${TARGET}/$m" 2>/dev/null || umount -l "${TARGET}/$m"
		fi
	done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

T0=$EPOCHREALTIME
stage() { # NAME: the time since the last stage mark
	local t=$EPOCHREALTIME
	awk -v n="$1" -v a="$T0" -v b="$t" 'BEGIN { printf "stage %s %.2f\n", n, b - a }'
	T0=$t
}

echo "Final image name: ${IMAGE_NAME}" >&2
mkdir -p "${TMP_DIR}" "${DEST}"

echo "${EXPECTED_SHA256} ${ISO}" | sha256sum -c >&2
stage check

mkdir -p "${TMP_DIR}/extracted" "${TMP_DIR}/extracted_unsquash" "${TMP_DIR}/extracted_initrd"

# Extract the ISO. You can't use 7z here, xorriso is built for this.
xorriso -osirrox on -indev "${ISO}" -extract / "${TMP_DIR}/extracted" 2>&1 | tail -n 3 >&2
# xorriso keeps the ISO's read-only modes: the notes' later cp over
# live/filesystem.squashfs needs the directories and files writable.
chmod -R u+w "${TMP_DIR}/extracted"
stage extract

# Unsquash the filesystem.squashfs, the final filesystem we will eventually swap/init into.
unsquashfs -f -no-progress -d "${TARGET}" "${TMP_DIR}/extracted/live/filesystem.squashfs" >&2
stage unsquash

# update_image.sh: mount {sys, proc, dev, run, dev/pts}, then chroot.
mount -n -o bind /sys "${TARGET}/sys"
mount -n -o bind /proc "${TARGET}/proc"
mount -n -o bind /dev "${TARGET}/dev"
mount -n -o bind /run "${TARGET}/run"
mount -n -o bind /dev/pts "${TARGET}/dev/pts"
cp "${INPUTS}/hello.deb" "${TARGET}/tmp/hello.deb"
chroot "${TARGET}" env DEBIAN_FRONTEND=noninteractive dpkg -i /tmp/hello.deb >&2
chroot "${TARGET}" rm /tmp/hello.deb
chroot "${TARGET}" sh -c 'echo "built by the image bench" > /etc/motd'
# the notes: timedatectl set-timezone (what it does without systemd running)
chroot "${TARGET}" sh -c 'ln -sf /usr/share/zoneinfo/Europe/Amsterdam /etc/localtime && echo Europe/Amsterdam > /etc/timezone'
chroot "${TARGET}" sh -c "rm -rf /var/cache/apt/* /var/tmp/* /tmp/*"
cleanup
stage chroot

# Unpack the initramfs so we can edit it, patch it, put it back together
# (mkinitrd.sh's job; as initramfs-tools packs: sorted newc cpio, owner
# root, zstd -9 -T0; early uncompressed archives first, if there are any).
unmkinitramfs "${TMP_DIR}/extracted/live/initrd.img" "${TMP_DIR}/extracted_initrd"
patch -s -p1 -d "${TMP_DIR}/extracted_initrd" <"${INPUTS}/initrd.patch"
pack_cpio() { (cd "$1" && find . | LC_ALL=C sort | cpio --quiet -R 0:0 --reproducible -o -H newc); }
if [ -d "${TMP_DIR}/extracted_initrd/main" ]; then
	: >"${TMP_DIR}/new-initrd"
	for e in "${TMP_DIR}"/extracted_initrd/early*; do
		[ -d "$e" ] && pack_cpio "$e" >>"${TMP_DIR}/new-initrd"
	done
	pack_cpio "${TMP_DIR}/extracted_initrd/main" | zstd -q -9 -T0 >>"${TMP_DIR}/new-initrd"
else
	pack_cpio "${TMP_DIR}/extracted_initrd" | zstd -q -9 -T0 >"${TMP_DIR}/new-initrd"
fi
stage initrd

patch -s -p1 -d "${TARGET}" <"${INPUTS}/filesystem.patch"
stage patch

# Reconstitute the squashfs
comp=()
[ "$COMP" = default ] || comp=(-comp "$COMP")
mksquashfs "${TARGET}" "${TMP_DIR}/new-filesystem.squashfs" "${comp[@]}" -no-progress >&2
stage mksquashfs

# Put the thing back together again
cp "${TMP_DIR}/new-filesystem.squashfs" "${TMP_DIR}/extracted/live/filesystem.squashfs"
cp "${TMP_DIR}/new-initrd" "${TMP_DIR}/extracted/live/initrd.img"
mv "${TMP_DIR}/extracted" "${DEST}/${IMAGE_NAME}"
stage publish
echo "result ${DEST}/${IMAGE_NAME}"
