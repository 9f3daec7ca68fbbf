#!/usr/bin/env bash
# The menu's netboot.xyz entry with Debian's and QEMU's iPXE, which have no
# HTTPS: netboot.xyz is stood in for by a small HTTP server in the lab
# namespace (port 8081, an iPXE menu that boots the test system), the
# configured URL is https://, `labboot check` warns about it, and a BIOS VM
# sent there once (`labboot next-boot beta netboot.xyz`) reaches the stand-in
# over plain HTTP and comes up; the next boot is cleared after its one use.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/lib/netns.sh"
. "$ROOT/tests/vm/labboot-lab.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }

fail() { echo "FAIL: $*" >&2; exit 1; }
ns=vmnx$$
lab_tmpdir dir
S=198.18.0.1
mkdir -p "$dir/standin"
cat >"$dir/standin/menu.ipxe" <<EOF
#!ipxe
echo netboot.xyz stand-in reached
kernel http://$S/vmlinuz initrd=initrd.gz console=ttyS0,115200 panic=-1 hostname=beta testfile=http://$S/testfile booted=http://$S/booted?mac=\${net0/mac} || shell
initrd http://$S/initrd.gz || shell
boot
EOF
LAB_SERVER_IP=$S labboot_lab_config "$dir" 5s >"$dir/conf"
sed -i "s|^menu-timeout = 5s|menu-timeout = 5s\nnetbootxyz-url = https://$S:8081/menu.ipxe|" "$dir/conf"
LAB_CONF_OVERRIDE=$dir/conf labboot_lab "$ns" "$dir" 5s
warn=$("$LABBOOT" check -c "$dir/labboot.conf" 2>&1)
grep -q "warning: \[boot\] netbootxyz-url is https://$S:8081/menu.ipxe, but the iPXE builds .* have no HTTPS" <<<"$warn" ||
	fail "labboot check did not warn: $warn"
echo "ok: labboot check warns about https:// without HTTPS in iPXE"
lab_spawn "$ns" python3 -m http.server 8081 --bind $S --directory "$dir/standin" >"$dir/standin.log" 2>&1
for _ in $(seq 50); do ip netns exec "$ns" ss -Hltn 'sport = :8081' | >/dev/null grep . && break; sleep 0.1; done
"$LABBOOT" next-boot beta netboot.xyz -c "$dir/labboot.conf" | >/dev/null grep "next boot netbootxyz, once" || fail "next-boot not set"
ex=$("$LABBOOT" explain 52:54:00:18:00:12 -c "$dir/labboot.conf" 2>/dev/null)
grep -q "netboot.xyz entry: this iPXE has no HTTPS: the same URL over plain HTTP" <<<"$ex" || fail "explain: $ex"
grep -q "chain --autofree http://$S:8081/menu.ipxe || goto failed" <<<"$ex" || fail "explain's script: $ex"

"$ROOT/tests/vm/vm-boot.sh" --ns "$ns" --mode bios --mac "${LAB_VM_MAC[bios]}" --timeout 240 >"$dir/bios.out" 2>"$dir/bios.err" ||
	{ tail -n 30 "$dir/bios.err" "$dir/bios.out" "$dir/labboot.log" "$dir/standin.log"; fail "the VM did not come up"; }
grep -q "GET /menu.ipxe" "$dir/standin.log" || fail "the stand-in was not asked: $(cat "$dir/standin.log")"
grep -q "^LABBOOT-TEST ip=${LAB_VM_IP[bios]} hostname=beta" "$dir/bios.out" || fail "address/hostname: $(grep 'ip=' "$dir/bios.out")"
grep -q "^LABBOOT-TEST booted-callback rc=0" "$dir/bios.out" || fail "no callback: $(grep callback "$dir/bios.out")"
hosts=$("$LABBOOT" hosts -c "$dir/labboot.conf")
grep -q "next-boot *netbootxyz (used, cleared)" <<<"$hosts" || fail "no next-boot event: $hosts"
grep -q "no next boot set" <<<"$("$LABBOOT" next-boot beta -c "$dir/labboot.conf")" || fail "next boot not cleared"
echo "ok: the VM reached the netboot.xyz stand-in over plain HTTP, came up, $(grep '^RESULT' "$dir/bios.out")"
