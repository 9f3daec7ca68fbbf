#!/usr/bin/env bash
# The whole homelab, as a user runs it: `labboot image build` makes the
# Debian live image (tests/image/vm-test.recipe: /home over NFS, the live
# user "lab", networkd, the callback); labboot serves it with DHCP, DNS for
# .lab and the menu, and keeps NFS-Ganesha's exports (run here in the lab
# namespace: this kernel has no nfsd). A BIOS VM boots it with its root over
# NFS (the version's export, NFSv3) and a UEFI VM with its root fetched into
# RAM over HTTP, both at once. Each must come up with its reserved hostname,
# resolve the other's NAME.lab through labboot's DNS, have /home mounted
# from Ganesha with the user's home made and owned, and write a file there
# as that user. Then both boot again, this time with the NFS server down at
# first: gamma must say so and retry /home until it is back; both must find
# the first boot's file. delta (UEFI HTTP boot, root over HTTP) joins the
# second round.
# `labboot hosts` must show each boot split into its phases.
#
# HOMELAB_DEMO=1 (scripts/demo.sh) narrates and prints the timeline at the
# end; MENU (default 1s) is the iPXE menu's wait.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/lib/netns.sh"
. "$ROOT/tests/lib/ganesha.sh"
. "$ROOT/tests/vm/labboot-lab.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

eval "$("$ROOT/tests/image/inputs.sh")"
ns=vmhome$$
lab_tmpdir dir
r=$dir/recipe
. "$ROOT/tests/image/vm-recipe.sh"
vm_test_recipe "$r"
mkdir -p "$dir/ganesha" "$dir/home"

# beta (BIOS) mounts its root over NFS, gamma (UEFI) fetches it over HTTP;
# each is told the other's name to look up.
MENU=${MENU:-1s}
labboot_lab_config "$dir" "$MENU" |
	sed -e 's/^enable = no$/enable = yes/' \
		-e "/^mac = ${LAB_VM_MAC[bios]}/a image = vmimg\nroot = nfs\nkernel-args = labboot.test.peer=gamma.lab" \
		-e "/^mac = ${LAB_VM_MAC[uefi]}/a image = vmimg\nroot = http\nkernel-args = labboot.test.peer=beta.lab" \
		-e "/^mac = ${LAB_VM_MAC[uefi-http]}/a image = vmimg\nroot = http\nkernel-args = labboot.test.peer=gamma.lab" \
		>"$dir/pre.conf"
cat >>"$dir/pre.conf" <<EOF

[nfs]
server = ganesha
exports = $dir/ganesha/labboot-exports.conf
ganesha-pid = $dir/ganesha/ganesha.pid
home = $dir/home
EOF
grep -q '^\[dns\]' "$dir/pre.conf" && grep -A1 '^\[dns\]' "$dir/pre.conf" | >/dev/null grep 'enable = yes' ||
	fail "could not enable DNS in the lab config"
"$LABBOOT" image build -c "$dir/pre.conf" "$r/vmimg.recipe" | tee "$dir/build.log"
version=$("$LABBOOT" image show -c "$dir/pre.conf" vmimg | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')
# the build wrote the export file (Ganesha is not running yet: it reads it at start)
grep -q "Path = \"$(readlink -f "$dir/state/images")/vmimg/$version\";" "$dir/ganesha/labboot-exports.conf" ||
	fail "the build did not export $version: $(cat "$dir/ganesha/labboot-exports.conf")"

LAB_CONF_OVERRIDE=$dir/pre.conf labboot_lab "$ns" "$dir" "$MENU"
ganesha_start "$ns" "$dir/ganesha" "$dir/ganesha/labboot-exports.conf"
ip netns exec "$ns" showmount -e "$LAB_SERVER_IP" | tee "$dir/showmount"
grep -q "/vmimg/$version " "$dir/showmount" || fail "Ganesha does not export the image version"
grep -q "^$(readlink -f "$dir/home") " "$dir/showmount" || fail "Ganesha does not export /home"

# start_vm MODE ROUND: boots the MODE VM in the background; its report in
# DIR/MODE.ROUND.out, its console in DIR/MODE.ROUND.serial.
declare -A vm_pid=()
start_vm() {
	local mode=$1 round=$2
	"$ROOT/tests/vm/vm-boot.sh" --ns "$ns" --mode "$mode" --mac "${LAB_VM_MAC[$mode]}" --timeout 480 --mem 1536 \
		--log "$dir/$mode.$round.serial" >"$dir/$mode.$round.out" 2>"$dir/$mode.$round.err" &
	vm_pid[$mode]=$!
	lab_register_pid "${vm_pid[$mode]}" "$ns"
}

wait_vms() { # ROUND MODE...
	local round=$1 mode rc=0
	shift
	for mode in "$@"; do
		wait "${vm_pid[$mode]}" || {
			rc=1
			echo "== $mode (boot $round) failed; its console:"
			tr -d '\r' <"$dir/$mode.$round.serial" | grep -av '^\s*$' | grep -av 'Job .* running' | tail -n 60
		}
	done
	[ $rc = 0 ] || { tail -n 40 "$dir/labboot.log" "$dir/ganesha/ganesha.log"; fail "boot $round: a VM did not come up"; }
}

check_round() { # ROUND MODE PEER MEDIUM BEFORE
	local round=$1 mode=$2 peer=$3 medium=$4 before=$5 out name home
	out=$dir/$mode.$round.out name=${LAB_VM_NAME[$mode]}
	home=$(readlink -f "$dir/home")
	grep -q "^LABBOOT-TEST hostname=$name$" "$out" || fail "$mode: hostname: $(grep hostname= "$out")"
	grep -q "^LABBOOT-TEST target=active booted=active" "$out" || fail "$mode: $(grep target= "$out")"
	grep -q "^LABBOOT-TEST medium=$medium$" "$out" || fail "$mode: root medium: $(grep medium= "$out")"
	grep -q "^LABBOOT-TEST dns=$peer.lab ${LAB_VM_IP[$peer_mode]} resolv=$LAB_SERVER_IP$" "$out" ||
		fail "$mode: DNS: $(grep dns= "$out")"
	grep -q "^LABBOOT-TEST home=nfs $LAB_SERVER_IP:$home$" "$out" || fail "$mode: /home: $(grep home= "$out")"
	grep -q "^LABBOOT-TEST user=lab:lab:750$" "$out" || fail "$mode: the user's home: $(grep user= "$out")"
	grep -q "^LABBOOT-TEST home-before=$before$" "$out" || fail "$mode: boots found in /home: $(grep home-before= "$out")"
	grep -q "^LABBOOT-TEST home-after=$((before + 1)) owner=lab$" "$out" || fail "$mode: writing /home: $(grep home-after= "$out")"
	[ "${HOMELAB_DEMO:-0}" != 1 ] || { echo "== boot $round, $mode VM ($name): its report on the serial console"; grep '^LABBOOT-TEST\|^RESULT' "$out" | sed 's/^/   | /'; }
	echo "ok: boot $round: $mode VM up as $name (root on $medium), $peer.lab resolved, /home from Ganesha with $before earlier boot(s), $(grep '^RESULT' "$out")"
}

start_vm bios 1
start_vm uefi 1
wait_vms 1 bios uefi
peer_mode=uefi check_round 1 bios gamma nfs 0
peer_mode=bios check_round 1 uefi beta ramfs 0
[ "$(stat -c %s "$dir/home/lab/boots-beta")" -gt 0 ] || fail "the server's /home has no file from beta"

# The second boot starts with the NFS server down: gamma (root over HTTP)
# must say so on its console and retry /home until Ganesha is back; beta
# (root over NFS) boots once it is.
ganesha_stop "$dir/ganesha"
start_vm uefi 2
for ((i = 0; i < 480; i++)); do
	grep -aq 'labboot: /home: cannot mount' "$dir/uefi.2.serial" 2>/dev/null && break
	kill -0 "${vm_pid[uefi]}" 2>/dev/null || break
	sleep 1
done
grep -aq 'labboot: /home: cannot mount' "$dir/uefi.2.serial" || { wait_vms 2 uefi; fail "gamma did not say /home is unreachable"; }
echo "ok: NFS server down: gamma says: $(tr -d '\r' <"$dir/uefi.2.serial" | grep -a -m1 'labboot: /home: cannot mount' | cut -c1-160)"
ganesha_start "$ns" "$dir/ganesha" "$dir/ganesha/labboot-exports.conf"
# with beta, delta's first boot: UEFI HTTP boot, root over HTTP
start_vm bios 2
start_vm uefi-http 2
wait_vms 2 uefi bios uefi-http
peer_mode=uefi check_round 2 bios gamma nfs 1
peer_mode=bios check_round 2 uefi beta ramfs 1
peer_mode=uefi check_round 2 uefi-http gamma ramfs 0
echo "ok: gamma mounted /home once the NFS server was back"

"$LABBOOT" hosts -c "$dir/labboot.conf" | tee "$dir/hosts"
for name in beta gamma delta; do
	sum=$(awk -v h="$name" '$1 == h {on = 1; next} /^[a-z]/ {on = 0} on && /firmware DHCP/' "$dir/hosts")
	for phase in "firmware DHCP" "iPXE" "kernel+initrd" "root image" "OS start-up"; do
		echo "$sum" | >/dev/null grep "$phase [0-9.]*s" || fail "$name: no $phase phase in: $sum"
	done
	awk -v h="$name" '$1 == h {on = 1; next} /^[a-z]/ {on = 0} on' "$dir/hosts" | >/dev/null grep 'up after [0-9.]*s (multi-user.target)' ||
		fail "$name: not up in labboot hosts"
done
grep -A2 '^gamma ' "$dir/hosts" | >/dev/null grep 'root image [0-9.]*s ([0-9.]* MB over HTTP' || fail "gamma: no root bytes over HTTP"
echo "ok: beta and gamma booted twice and found their /home files, delta booted by UEFI HTTP boot; all show their boot phases"
if [ "${HOMELAB_DEMO:-0}" = 1 ]; then
	echo
	grep -E '^[a-z]|last boot|firmware DHCP' "$dir/hosts"
fi
