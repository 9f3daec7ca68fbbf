#!/usr/bin/env bash
# labboot keeps a real NFS server's exports ([nfs] server = ganesha):
# NFS-Ganesha runs in the lab namespace (tests/lib/ganesha.sh) and reads
# the file labboot writes. Checked with real userspace clients from a
# client namespace (libnfs, showmount, the klibc-like MOUNT v3 of
# tests/lib/nfs_mount3.py; this kernel has no NFS client):
#  - a build exports its version read-only (NFSv3 over TCP, like an
#    initramfs mounts it) and [nfs] home read-write, limited to the served
#    subnet; a client outside it is refused;
#  - a second build is exported while Ganesha runs (SIGHUP), `image rm`
#    unexports the removed version, the others are served throughout;
#  - `labboot exports` prints the file and changes nothing when in line;
#  - the boot script of a host with root = nfs names the exported path.
source "$(dirname "$0")/../lib/common.sh"
t_need_root
t_need ganesha.nfsd rpcbind showmount nfs-cat nfs-cp nfs-ls python3 curl
# shellcheck source-path=SCRIPTDIR source=../lib/ganesha.sh
. "$ROOT/tests/lib/ganesha.sh"
eval "$("$ROOT/tests/image/inputs.sh" --tiny)"

d=$(lab_tmpdir)
S=198.18.0.1
lab=nfx$$ C=nfc$$ X=nfo$$
mkdir -p "$d/r" "$d/ganesha" "$d/state/http"
cp "$TINY_ISO" "$d/r/tiny.iso"
printf 'FROM ./tiny.iso sha256:%s\nRUN echo one >/srv/one\n' "$TINY_ISO_SHA256" >"$d/r/tiny.recipe"
cat >"$d/conf" <<EOF
[server]
interface = br0
address = $S
state-dir = $d/state
[dhcp]
range = 198.18.0.100 198.18.0.200
[tftp]
enable = no
[dns]
enable = no
[nfs]
server = ganesha
exports = $d/ganesha/labboot-exports.conf
ganesha-pid = $d/ganesha/ganesha.pid
home = $d/home
[host "beta"]
mac = 52:54:00:31:00:01
ip = 198.18.0.12
image = tiny
root = nfs
toram = yes
EOF
L() { "$LABBOOT" "$@"; }
C=(-c "$d/conf")
images=$(readlink -f "$d/state/images")

lab_up "$lab"
ip -n "$lab" addr add 198.19.0.1/24 dev br0
lab_add_veth_host "$lab" "$C"
ip -n "$C" addr add 198.18.0.50/24 dev eth0
lab_add_veth_host "$lab" "$X"
ip -n "$X" addr add 198.19.0.50/24 dev eth0
ip -n "$X" route add default via 198.19.0.1
in_c() { ip netns exec "$C" timeout 20 "$@"; }
in_x() { ip netns exec "$X" timeout 20 "$@"; }
exports_of() { in_c showmount -e --no-headers "$S" | awk '{print $1}' | sort | tr '\n' ' '; }
version_of() { L image show "${C[@]}" "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])'; }

# ---- a build before the server runs: the file is there when it starts
L image build "${C[@]}" "$d/r/tiny.recipe" >"$d/build1.log" 2>&1 || { cat "$d/build1.log"; t_fail "build 1"; }
v1=$(version_of tiny)
grep -q "Path = \"$images/tiny/$v1\";" "$d/ganesha/labboot-exports.conf" || t_fail "build 1 not in the export file"
[ -d "$d/home" ] || t_fail "[nfs] home was not created"
ganesha_start "$lab" "$d/ganesha" "$d/ganesha/labboot-exports.conf"
t_expect_eq "exports after the first build" "$(exports_of)" "$(printf '%s\n' "$(readlink -f "$d/home")" "$images/tiny/$v1" | sort | tr '\n' ' ')"
in_c showmount -e --no-headers "$S" | >/dev/null grep "^$images/tiny/$v1  *198.18.0.0/24$" || t_fail "not limited to 198.18.0.0/24"

# ---- the version over NFSv3, as the initramfs mounts it
out=$(in_c python3 "$ROOT/tests/lib/nfs_mount3.py" "$S" "$images/tiny/$v1" tcp) || t_fail "MOUNT v3/tcp: $out"
t_ok "MOUNT v3 over TCP of the version: $out"
in_c nfs-cat "nfs://$S$images/tiny/$v1/meta.json" >"$d/meta.nfs" || t_fail "nfs-cat meta.json"
cmp -s "$d/meta.nfs" "$images/tiny/$v1/meta.json" || t_fail "meta.json over NFS differs"
in_c nfs-ls "nfs://$S$images/tiny/$v1/live" | >/dev/null grep 'filesystem.squashfs' || t_fail "live/ over NFS"
t_ok "the version's files read over NFSv3"
echo x >"$d/x"
in_c nfs-cp "$d/x" "nfs://$S$images/tiny/$v1/x" >/dev/null 2>&1 && t_fail "wrote into an image version"
[ ! -e "$images/tiny/$v1/x" ] || t_fail "a write landed in the image"
t_ok "the version is read-only"

# ---- /home read-write, and nothing for the outside client
in_c nfs-cp "$d/x" "nfs://$S$(readlink -f "$d/home")/from-client" >/dev/null || t_fail "write to /home"
t_expect_eq "a file written to /home over NFS" "$(cat "$d/home/from-client")" "x"
in_x nfs-cat "nfs://$S$images/tiny/$v1/meta.json" >/dev/null 2>&1 && t_fail "a client outside the subnet read the image"
in_x nfs-cp "$d/x" "nfs://$S$(readlink -f "$d/home")/outside" >/dev/null 2>&1 && t_fail "a client outside the subnet wrote /home"
[ ! -e "$d/home/outside" ] || t_fail "the outside write landed"
t_ok "198.19.0.50 (outside the served subnet) is refused"

# ---- a second build while Ganesha runs: exported by SIGHUP; rm unexports
sed -i 's/echo one/echo two/' "$d/r/tiny.recipe"
sleep 1 # versions are named by the second
L image build "${C[@]}" "$d/r/tiny.recipe" >"$d/build2.log" 2>&1 || { cat "$d/build2.log"; t_fail "build 2"; }
v2=$(version_of tiny)
[ "$v2" != "$v1" ] || t_fail "build 2 made no new version"
for _ in $(seq 50); do exports_of | >/dev/null grep "/tiny/$v2 " && break; sleep 0.1; done
exports_of | >/dev/null grep "/tiny/$v2 " || t_fail "build 2 not exported while Ganesha runs: $(exports_of)"
exports_of | >/dev/null grep "/tiny/$v1 " || t_fail "build 1 no longer exported"
in_c nfs-cat "nfs://$S$images/tiny/$v2/meta.json" >/dev/null || t_fail "reading build 2"
t_ok "a new version is exported without restarting Ganesha"
L image rm "${C[@]}" "tiny@$v1" >/dev/null || t_fail "image rm"
for _ in $(seq 50); do exports_of | >/dev/null grep "/tiny/$v1 " || break; sleep 0.1; done
exports_of | >/dev/null grep "/tiny/$v1 " && t_fail "the removed version is still exported"
exports_of | >/dev/null grep "/tiny/$v2 " || t_fail "rm unexported the other version"
t_ok "image rm unexports the version"
[ -z "$(ganesha_log_errors)" ] || t_fail "Ganesha logged errors: $(ganesha_log_errors)"

# ---- labboot exports: prints the file, leaves a file in line alone
before=$(stat -c %Y.%i "$d/ganesha/labboot-exports.conf")
L exports "${C[@]}" >"$d/exports.out" 2>"$d/exports.err" || t_fail "labboot exports: $(cat "$d/exports.err")"
cmp -s "$d/exports.out" "$d/ganesha/labboot-exports.conf" || t_fail "labboot exports printed another file"
grep -q unchanged "$d/exports.err" || t_fail "labboot exports: $(cat "$d/exports.err")"
t_expect_eq "export file untouched when in line" "$(stat -c %Y.%i "$d/ganesha/labboot-exports.conf")" "$before"

# ---- the boot script of a root = nfs host names that export
t_labboot "$lab" "$d/conf" "$d/labboot.log" >/dev/null
script=$(in_c curl -fsS --max-time 5 "http://$S/boot.ipxe?mac=52:54:00:31:00:01") || t_fail "boot script"
echo "$script" | >/dev/null grep "boot=live components netboot=nfs nfsroot=$S:$images/tiny/$v2 toram labboot.home=$S:$(readlink -f "$d/home")" ||
	t_fail "the script does not mount the exported version: $(echo "$script" | grep kernel)"
t_ok "beta (root = nfs, toram) boots nfsroot=$S:$images/tiny/$v2"

# ---- a version that cannot boot: the newest good one, with a notice
cat >>"$d/conf" <<EOF2
[host "pinned"]
mac = 52:54:00:31:00:02
image = tiny@tiny-20000101-000000
[host "small"]
mac = 52:54:00:31:00:03
image = tiny
memory = 256M
EOF2
kill "$LABBOOT_PID"; wait "$LABBOOT_PID" 2>/dev/null || true
sed -i 's/echo two/echo three/' "$d/r/tiny.recipe"
sleep 1
L image build "${C[@]}" "$d/r/tiny.recipe" >"$d/build3.log" 2>&1 || { cat "$d/build3.log"; t_fail "build 3"; }
v3=$(version_of tiny)
layer=$(find "$images/tiny/$v3/live" -name 'l*.squashfs' | head -n1)
truncate -s 1000 "$layer" # a broken (cut) layer
t_labboot "$lab" "$d/conf" "$d/labboot2.log" >/dev/null
script=$(in_c curl -fsS --max-time 5 "http://$S/boot.ipxe?mac=52:54:00:31:00:01")
echo "$script" | >/dev/null grep "^echo labboot: tiny@$v3 cannot boot: live/$(basename "$layer") is 1000 bytes, not [0-9]*; booting tiny@$v2 instead$" ||
	t_fail "no notice for the broken default: $(echo "$script" | head -n 5)"
echo "$script" | >/dev/null grep "nfsroot=$S:$images/tiny/$v2 " || t_fail "the broken default was not replaced by $v2"
t_ok "a broken default version: the menu says why and boots the previous one ($v2)"
script=$(in_c curl -fsS --max-time 5 "http://$S/boot.ipxe?mac=52:54:00:31:00:02")
echo "$script" | >/dev/null grep "^echo labboot: tiny@tiny-20000101-000000 cannot boot: not in the store (removed?); booting tiny@$v2 instead$" ||
	t_fail "no notice for a removed pinned version: $(echo "$script" | head -n 5)"
t_ok "a pinned version that was removed: the newest good one boots, with a notice"
script=$(in_c curl -fsS --max-time 5 "http://$S/boot.ipxe?mac=52:54:00:31:00:03")
echo "$script" | >/dev/null grep "^echo labboot: small has 256 MiB of RAM, tiny@$v2 needs about [0-9]* MiB with its root over http.$" ||
	t_fail "no RAM message for a 256 MiB host: $(echo "$script" | grep -A2 '^:image')"
echo "$script" | grep -A3 '^:image' | >/dev/null grep '^kernel' && t_fail "the 256 MiB host would still boot the image"
t_ok "a host with too little RAM for root over http gets a message, not a boot"
