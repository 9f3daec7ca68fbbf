#!/usr/bin/env bash
# Ubuntu-shaped ISOs (casper is not in Debian, so these are checked for
# structure, not booted): the 22.04 shape (one casper/filesystem.squashfs,
# layers after it in glob order, the casper UUID file kept for NFS boots)
# and the 24.04 shape (the minimal* chain continued by layerfs-path names),
# with the command line labboot serves for them.
source "$(dirname "$0")/../lib/common.sh"
t_need_root
t_need curl unsquashfs python3
eval "$("$ROOT/tests/image/inputs.sh")"
d=$(lab_tmpdir)
r=$d/recipes
mkdir -p "$r/files"
echo hello >"$r/files/hello.txt"
ln -s "$CASPER_ISO" "$r/ubuntu-22.04.iso"
ln -s "$CASPER24_ISO" "$r/ubuntu-24.04.iso"
cat >"$d/conf" <<C
[server]
interface = br0
address = 198.18.31.1
state-dir = $d/state
[dhcp]
mode = off
[tftp]
enable = no
[dns]
enable = no
[host "jammy"]
mac = 52:54:00:31:00:01
image = jammy
[host "noble"]
mac = 52:54:00:31:00:02
image = noble
C
# PATCH initrd on the Ubuntu-style initrd (two uncompressed microcode
# archives, then the zstd main one): a file of the main archive changes,
# the early archives stay byte for byte.
t_need unmkinitramfs
mkdir -p "$d/iso"
xorriso -osirrox on -indev "$CASPER_ISO" -extract /casper/initrd "$d/iso/initrd" >/dev/null 2>&1
unmkinitramfs "$d/iso/initrd" "$d/orig"
[ -d "$d/orig/early" ] && [ -d "$d/orig/main" ] || t_fail "the casper initrd has no early/main split: $(ls "$d/orig")"
mkdir -p "$d/p/a/conf" "$d/p/b/conf"
cp "$d/orig/main/conf/uuid.conf" "$d/p/a/conf/"
{ cat "$d/orig/main/conf/uuid.conf"; echo "# patched by labboot"; } >"$d/p/b/conf/uuid.conf"
(cd "$d/p" && diff -u a/conf/uuid.conf b/conf/uuid.conf >"$r/files/uuid.patch") || true

for v in jammy:ubuntu-22.04:$CASPER_ISO_SHA256 noble:ubuntu-24.04:$CASPER24_ISO_SHA256; do
	IFS=: read -r name iso sum <<<"$v"
	printf 'FROM ./%s.iso sha256:%s\nRUN echo "built by labboot" > /etc/motd\nCOPY files/hello.txt /etc/hello.txt\n' \
		"$iso" "$sum" >"$r/$name.recipe"
	[ "$name" = jammy ] && echo "PATCH initrd files/uuid.patch" >>"$r/$name.recipe"
	"$LABBOOT" image build -c "$d/conf" "$r/$name.recipe"
done
stack() { "$LABBOOT" image show -c "$d/conf" "$1" | python3 -c 'import json,sys; m=json.load(sys.stdin); print(m["layout"]); print("\n".join(m["stack"]))'; }
mapfile -t j < <(stack jammy)
t_expect_eq "22.04 layout" "${j[0]}" casper
t_expect_eq "22.04 base first" "${j[1]}" casper/filesystem.squashfs
t_expect_eq "22.04 layers" "${#j[@]}" 5
sorted=$(printf '%s\n' "${j[@]:1}" | LC_ALL=C sort | tr '\n' ' ')
t_expect_eq "22.04 glob order is the stack order" "$sorted" "$(printf '%s\n' "${j[@]:1}" | tr '\n' ' ')"
V=$d/state/images/jammy/$(readlink "$d/state/images/jammy/current")
t_expect_eq "casper UUID kept" "$(cat "$V/.disk/casper-uuid-generic")" "$(cat "$(dirname "$CASPER_ISO")/uuid")"
[ -e "$V/casper/filesystem.module" ] && t_fail "casper got a live-boot module file"
unmkinitramfs "$V/initrd.img" "$d/new"
diff -r "$d/orig/early" "$d/new/early" || t_fail "PATCH initrd changed the microcode archives"
diff -r "$d/orig/early2" "$d/new/early2" 2>/dev/null || [ ! -d "$d/orig/early2" ] || t_fail "PATCH initrd changed the second early archive"
tail -n1 "$d/new/main/conf/uuid.conf" | >/dev/null grep -x "# patched by labboot" || t_fail "PATCH initrd: the main archive is not patched"
diff -r -x uuid.conf "$d/orig/main" "$d/new/main" || t_fail "PATCH initrd changed other files of the main archive"
first=$(head -c 6 "$V/initrd.img")
t_expect_eq "patched initrd starts with the same uncompressed archive" "$first" "070701"
t_ok "PATCH initrd: early archives kept, main archive patched"
mapfile -t n < <(stack noble)
t_expect_eq "24.04 layout" "${n[0]}" casper-layered
t_expect_eq "24.04 chain" "${n[*]:1}" "casper/minimal.squashfs casper/minimal.standard.squashfs casper/minimal.standard.live.squashfs casper/minimal.standard.live.l01.squashfs casper/minimal.standard.live.l01.l02.squashfs casper/minimal.standard.live.l01.l02.l03.squashfs"
W=$d/state/images/noble/$(readlink "$d/state/images/noble/current")
unsquashfs -cat "$W/casper/minimal.standard.live.l01.squashfs" etc/motd | >/dev/null grep -x "built by labboot" || t_fail "24.04 first layer"

# The reference notes' trick: 24.04's minimal.standard replaced by an empty
# squashfs (its files gone, the chain and the other layers as they were).
printf 'FROM --empty=minimal.standard ./ubuntu-24.04.iso sha256:%s\nRUN true\n' "$CASPER24_ISO_SHA256" >"$r/lean.recipe"
"$LABBOOT" image build -c "$d/conf" "$r/lean.recipe"
E=$d/state/images/lean/$(readlink "$d/state/images/lean/current")
t_expect_eq "the emptied layer keeps its name" "$(ls "$E/casper" | grep -c '^minimal.standard.squashfs$')" 1
t_expect_eq "the emptied layer is empty" "$(unsquashfs -l "$E/casper/minimal.standard.squashfs" | grep -c '^squashfs-root/')" 0
cmp -s "$E/casper/minimal.squashfs" "$W/casper/minimal.squashfs" || t_fail "--empty touched another layer"
"$LABBOOT" image diff -c "$d/conf" noble lean >"$d/lean.diff"
grep -qx -- "- /etc/labboot-standard" "$d/lean.diff" || t_fail "the emptied layer's files are still there: $(head "$d/lean.diff")"
printf 'FROM --empty=minimal.nope ./ubuntu-24.04.iso sha256:%s\n' "$CASPER24_ISO_SHA256" >"$r/nope.recipe"
if "$LABBOOT" image build -c "$d/conf" "$r/nope.recipe" >"$d/nope" 2>&1; then t_fail "--empty of a missing layer built"; fi
grep -q "nope.recipe:1: FROM --empty=minimal.nope: the ISO has no casper/minimal.nope.squashfs" "$d/nope" || t_fail "nope: $(cat "$d/nope")"
t_ok "FROM --empty=minimal.standard"

lab=lbcas$$
lab_up "$lab" 198.18.31
lab_add_veth_host "$lab" cc$$
ip -n cc$$ addr add 198.18.31.50/24 dev eth0
t_labboot "$lab" "$d/conf" "$d/log" >/dev/null
get() { ip netns exec cc$$ curl -sS --max-time 20 "$@"; }
get "http://198.18.31.1/boot.ipxe?mac=52:54:00:31:00:01" >"$d/jammy.ipxe"
grep -q "boot=casper ip=dhcp netboot=nfs nfsroot=198.18.31.1:$d/state/images/jammy/$(basename "$V")" "$d/jammy.ipxe" ||
	t_fail "22.04 command line: $(grep kernel "$d/jammy.ipxe")"
get "http://198.18.31.1/boot.ipxe?mac=52:54:00:31:00:02" >"$d/noble.ipxe"
grep -q "layerfs-path=minimal.standard.live.l01.l02.l03.squashfs" "$d/noble.ipxe" ||
	t_fail "24.04 command line: $(grep kernel "$d/noble.ipxe")"
grep -q "systemd.hostname=noble" "$d/noble.ipxe" || t_fail "24.04 hostname"
t_ok "casper images: layer names, order, UUID and command lines"
