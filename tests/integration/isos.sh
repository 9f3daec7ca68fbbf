#!/usr/bin/env bash
# ISOs dropped into [isos] dir: hand-made ISOs (xorriso) with dummy files
# where each distribution puts them are classified (labboot isos), get the
# right command line in the menu a machine fetches with curl, and their
# files are served from inside the ISO with Range, byte for byte what
# xorriso extracts. A truncated ISO and a non-ISO are listed with a reason
# while labboot keeps serving; a host pin and a one-shot iso:NAME pick the
# menu's default.
source "$(dirname "$0")/../lib/common.sh"
t_need_root
t_need curl xorriso
d=$(lab_tmpdir)
NET=198.18.23
U=http://$NET.1

# mkiso NAME PATH...: an ISO (Rock Ridge + Joliet) with random bytes at each PATH
mkiso() {
	local name=$1 tree=$d/trees/$1 p
	shift
	for p in "$@"; do
		mkdir -p "$tree/$(dirname "$p")"
		head -c $((4096 + RANDOM * 3)) /dev/urandom > "$tree/$p"
	done
	xorriso -as mkisofs -quiet -R -J -V "${name%%.*}" -o "$d/isos/$name" "$tree" 2>/dev/null ||
		t_fail "xorriso $name"
}
mkdir -p "$d/isos" "$d/trees"
mkiso debian-live.iso live/vmlinuz-6.1.0-13-amd64 live/initrd.img-6.1.0-13-amd64 live/filesystem.squashfs \
	isolinux/isolinux.cfg
mkiso ubuntu-desktop.iso casper/vmlinuz casper/initrd casper/filesystem.squashfs .disk/casper-uuid-generic
mkiso ubuntu-server.iso casper/vmlinuz casper/initrd casper/ubuntu-server-minimal.squashfs
mkiso fedora-live.iso images/pxeboot/vmlinuz images/pxeboot/initrd.img LiveOS/squashfs.img
mkiso fedora-netinst.iso .treeinfo images/pxeboot/vmlinuz images/pxeboot/initrd.img images/install.img
mkiso rhel-dvd.iso .treeinfo images/pxeboot/vmlinuz images/pxeboot/initrd.img images/install.img \
	BaseOS/repodata/repomd.xml
mkiso archlinux.iso arch/boot/x86_64/vmlinuz-linux arch/boot/x86_64/initramfs-linux.img arch/x86_64/airootfs.sfs
mkiso alpine-standard.iso boot/vmlinuz-lts boot/initramfs-lts boot/modloop-lts apks/x86_64/APKINDEX.tar.gz
mkiso debian-netinst.iso install.amd/vmlinuz install.amd/initrd.gz pool/main/a/apt.deb
mkiso mystery.iso sources/install.wim bootmgr
# a large file so Range crosses the first block
head -c 3000000 /dev/urandom > "$d/trees/debian-live.iso/live/filesystem.squashfs"
xorriso -as mkisofs -quiet -R -J -o "$d/isos/debian-live.iso" "$d/trees/debian-live.iso" 2>/dev/null
head -c $(($(stat -c %s "$d/isos/archlinux.iso") / 2)) "$d/isos/archlinux.iso" > "$d/isos/truncated.iso"
head -c 200000 /dev/urandom > "$d/isos/random.iso"
# a kernel compressed with zisofs cannot be served from its extent
mkdir -p "$d/trees/z/live"
head -c 200000 /dev/zero > "$d/trees/z/live/vmlinuz"
cp "$d/trees/debian-live.iso/live/initrd.img-6.1.0-13-amd64" "$d/trees/z/live/initrd.img"
cp "$d/trees/debian-live.iso/isolinux/isolinux.cfg" "$d/trees/z/live/filesystem.squashfs"
xorriso -outdev "$d/isos/zisofs.iso" -map "$d/trees/z" / -set_filter_r --zisofs /live/vmlinuz -- -commit \
	>/dev/null 2>&1 || t_fail "xorriso zisofs"

cat > "$d/conf" <<C
$(t_conf_server $NET.1 "$d" http)
[dhcp]
mode = off
[isos]
dir = $d/isos
[host "pinned"]
mac = 52:54:00:23:00:01
iso = archlinux.iso
[host "plain"]
mac = 52:54:00:23:00:02
C
L() { "$LABBOOT" "$@" -c "$d/conf"; }

# --- labboot isos ------------------------------------------------------------
list=$(L isos) || t_fail "labboot isos failed"
# block NAME: that ISO's lines of the listing
block() { awk -v n="$1" '/^[^ ]/{on=($0==n)} on' <<<"$list"; }
expect_iso() { # NAME LAYOUT KERNEL CMDLINE
	local b
	b=$(block "$1")
	grep -qxF "  layout: $2" <<<"$b" || t_fail "$1: layout, want $2: $b"
	grep -qxF "  kernel: $U/isos/$1/$3" <<<"$b" || t_fail "$1: kernel, want $3: $b"
	grep -qxF "  cmdline: $4" <<<"$b" || t_fail "$1: cmdline, want '$4': $b"
	t_ok "$1: $2, $3, $4"
}
I=$U/isos
expect_iso debian-live.iso live-boot live/vmlinuz-6.1.0-13-amd64 "boot=live fetch=$I/debian-live.iso"
expect_iso ubuntu-desktop.iso casper casper/vmlinuz "boot=casper netboot=url url=$I/ubuntu-desktop.iso ip=dhcp"
expect_iso ubuntu-server.iso ubuntu-server casper/vmlinuz \
	"boot=casper netboot=url url=$I/ubuntu-server.iso ip=dhcp cloud-config-url=/dev/null"
expect_iso fedora-live.iso dracut-live images/pxeboot/vmlinuz \
	"root=live:$I/fedora-live.iso rd.live.image rd.neednet=1 ip=dhcp"
expect_iso fedora-netinst.iso dracut-installer images/pxeboot/vmlinuz "inst.stage2=$I/fedora-netinst.iso/ ip=dhcp"
expect_iso rhel-dvd.iso dracut-installer-repo images/pxeboot/vmlinuz "inst.repo=$I/rhel-dvd.iso/ ip=dhcp"
expect_iso archlinux.iso arch arch/boot/x86_64/vmlinuz-linux \
	"archisobasedir=arch archiso_http_srv=$I/archlinux.iso/ ip=dhcp"
expect_iso alpine-standard.iso alpine boot/vmlinuz-lts \
	"alpine_repo=$I/alpine-standard.iso/apks modloop=$I/alpine-standard.iso/boot/modloop-lts modules=loop,squashfs ip=dhcp"
expect_iso debian-netinst.iso debian-installer install.amd/vmlinuz ""
grep -qxF "  layout: sanboot" <<<"$(block mystery.iso)" || t_fail "mystery.iso: $(block mystery.iso)"
grep -qxF "  boots: sanboot $I/mystery.iso" <<<"$(block mystery.iso)" || t_fail "mystery.iso: $(block mystery.iso)"
t_ok "an unknown ISO is offered through sanboot"
grep -q "unusable: truncated" <<<"$(block truncated.iso)" || t_fail "truncated.iso: $(block truncated.iso)"
grep -q "unusable: not an ISO 9660 image" <<<"$(block random.iso)" || t_fail "random.iso: $(block random.iso)"
t_ok "a truncated ISO and a non-ISO are listed with their reason"
grep -q "unusable: live/vmlinuz is zisofs-compressed" <<<"$(block zisofs.iso)" || t_fail "zisofs.iso: $(block zisofs.iso)"
t_ok "an ISO whose kernel is zisofs-compressed is listed as unusable"

# --- served ------------------------------------------------------------------
lab=lbiso$$
lab_up "$lab" $NET
lab_add_veth_host "$lab" ic$$
ip -n ic$$ addr add $NET.50/24 dev eth0
t_labboot "$lab" "$d/conf" "$d/log" >/dev/null
c() { ip netns exec ic$$ curl -sS --max-time 20 "$@"; }

script=$(c "$U/boot.ipxe?mac=52:54:00:23:00:02")
for iso in debian-live ubuntu-desktop ubuntu-server fedora-live fedora-netinst rhel-dvd archlinux alpine-standard \
	debian-netinst mystery; do
	grep -q "^item iso-[0-9]* ISO $iso.iso (" <<<"$script" || t_fail "no menu item for $iso: $script"
done
grep -q "ISO mystery.iso (sanboot, may not work)" <<<"$script" || t_fail "sanboot item: $script"
grep -q "truncated.iso\|random.iso\|zisofs.iso" <<<"$script" && t_fail "a broken ISO is in the menu: $script"
t_ok "every usable ISO is in the menu under its file name, the broken ones are not"
grep -qF "kernel $I/debian-live.iso/live/vmlinuz-6.1.0-13-amd64 initrd=initrd.img-6.1.0-13-amd64 boot=live fetch=$I/debian-live.iso " \
	<<<"$script" || t_fail "debian-live kernel line: $script"
grep -qF "initrd $I/debian-live.iso/live/initrd.img-6.1.0-13-amd64 || goto failed" <<<"$script" ||
	t_fail "debian-live initrd line: $script"
grep -qF "sanboot --no-describe $I/mystery.iso || goto failed" <<<"$script" || t_fail "sanboot line: $script"
t_ok "the entries boot the ISO's kernel and initrd with its command line, or sanboot"
grep -q "choose --timeout [0-9]* --default local" <<<"$script" || t_fail "plain host's default: $script"
pinned=$(c "$U/boot.ipxe?mac=52:54:00:23:00:01")
label=$(sed -n 's/^item \(iso-[0-9]*\) ISO archlinux.iso .*/\1/p' <<<"$pinned")
grep -q "choose --timeout [0-9]* --default $label " <<<"$pinned" || t_fail "pinned host's default ($label): $pinned"
t_ok "iso = archlinux.iso makes it the host's default"

out=$(L next-boot plain iso:fedora-live.iso 2>&1) || t_fail "next-boot iso: $out"
grep -q "next boot iso:fedora-live.iso" <<<"$out" || t_fail "next-boot iso: $out"
L next-boot plain iso:nothere.iso >/dev/null 2>&1 && t_fail "next-boot accepted a missing ISO"
once=$(c "$U/boot.ipxe?mac=52:54:00:23:00:02")
label=$(awk '/^:iso-/{l=substr($0,2)} /^echo Booting fedora-live.iso /{print l}' <<<"$once")
grep -qx "goto $label" <<<"$once" || t_fail "one-shot iso: goto $label: $once"
grep -q "choose" <<<"$once" && t_fail "one-shot still shows the menu"
grep -q "choose --timeout [0-9]* --default local" <<<"$(c "$U/boot.ipxe?mac=52:54:00:23:00:02")" ||
	t_fail "the one-shot ISO boot was not cleared"
t_ok "labboot next-boot HOST iso:NAME boots it once, without the menu"

# files inside the ISO, against xorriso's extraction
x() { # ISO PATH: the file as xorriso extracts it
	rm -f "$d/x"
	xorriso -osirrox on -indev "$d/isos/$1" -extract "/$2" "$d/x" >/dev/null 2>&1 || t_fail "xorriso -extract $2"
	cat "$d/x"
}
F=$I/debian-live.iso/live/filesystem.squashfs
x debian-live.iso live/filesystem.squashfs > "$d/sq"
t_expect_eq "whole file inside the ISO" "$(c "$F" | sha256sum)" "$(sha256sum < "$d/sq")"
t_expect_eq "Range inside the ISO: 206" "$(c -o /dev/null -w '%{http_code}' -r 1000-2999999 "$F")" 206
t_expect_eq "Range inside the ISO: bytes" "$(c -r 1000-2999999 "$F" | sha256sum)" \
	"$(tail -c +1001 "$d/sq" | sha256sum)"
t_expect_eq "Range at the file's end" "$(c -r -5 "$F" | od -An -tx1)" "$(tail -c 5 "$d/sq" | od -An -tx1)"
t_expect_eq "Range past the file's end: 416" "$(c -o /dev/null -w '%{http_code}' -r 3000000- "$F")" 416
t_expect_eq "Content-Length of a file inside" \
	"$(c -I "$F" | tr -d '\r' | awk -F': ' 'tolower($1)=="content-length"{print $2}')" 3000000
t_expect_eq "an apk inside Alpine's ISO" "$(c "$I/alpine-standard.iso/apks/x86_64/APKINDEX.tar.gz" | sha256sum)" \
	"$(x alpine-standard.iso apks/x86_64/APKINDEX.tar.gz | sha256sum)"
t_expect_eq "whole ISO Range" "$(c -r 32768-34815 "$I/debian-live.iso" | sha256sum)" \
	"$(tail -c +32769 "$d/isos/debian-live.iso" | head -c 2048 | sha256sum)"
t_expect_eq "missing file in an ISO: 404" "$(c -o /dev/null -w '%{http_code}' "$I/debian-live.iso/live/nope")" 404
t_expect_eq "a directory in an ISO: 404" "$(c -o /dev/null -w '%{http_code}' "$I/debian-live.iso/live")" 404
t_expect_eq "missing ISO: 404" "$(c -o /dev/null -w '%{http_code}' "$I/nope.iso/live/vmlinuz")" 404
t_expect_eq "dot-dot inside an ISO: 403" \
	"$(c --path-as-is -o /dev/null -w '%{http_code}' "$I/debian-live.iso/../../conf")" 403
t_expect_eq "a file inside the truncated ISO: 422" \
	"$(c -o /dev/null -w '%{http_code}' "$I/truncated.iso/arch/x86_64/airootfs.sfs")" 422
t_expect_eq "a file inside a non-ISO: 422" "$(c -o /dev/null -w '%{http_code}' "$I/random.iso/x")" 422
t_expect_eq "a zisofs-compressed file: 403" "$(c -o /dev/null -w '%{http_code}' "$I/zisofs.iso/live/vmlinuz")" 403
t_expect_eq "its uncompressed neighbour: 200" \
	"$(c -o /dev/null -w '%{http_code}' "$I/zisofs.iso/live/initrd.img")" 200

# the daemon's cache follows (path, size, mtime): a changed ISO is read again
cp "$d/isos/debian-live.iso" "$d/isos/mystery.iso.new"
mv "$d/isos/mystery.iso.new" "$d/isos/mystery.iso"
grep -q "^item iso-[0-9]* ISO mystery.iso (live-boot)" <<<"$(c "$U/boot.ipxe?mac=52:54:00:23:00:02")" ||
	t_fail "a replaced ISO is still classified as before"
t_ok "an ISO replaced in place is classified again at the next boot script"
t_expect_eq "an unchanged ISO is read once, however many scripts" "$(grep -c "isos: .*/debian-live.iso: live-boot" "$d/log")" 1
c -o /dev/null "$I/debian-live.iso/live/vmlinuz-6.1.0-13-amd64?mac=52:54:00:23:00:02"
c -o /dev/null -r 0-99 "$I/debian-live.iso?mac=52:54:00:23:00:02"
ev=$(L hosts | awk '$1 == "plain" {on = 1; next} /^[a-z]/ {on = 0} on')
grep -q " kernel .*isos/debian-live.iso/live/vmlinuz" <<<"$ev" || t_fail "no kernel event: $ev"
grep -q " root .*isos/debian-live.iso 206" <<<"$ev" || t_fail "no root event: $ev"
t_ok "the kernel and the ISO fetched are boot events of the host"
t_expect_eq "still serving scripts" "$(c -o /dev/null -w '%{http_code}' "$U/boot.ipxe?mac=52:54:00:23:00:02")" 200
kill -0 "$LABBOOT_PID" || t_fail "labboot died"
t_ok "labboot keeps serving"
