#!/usr/bin/env bash
# The demo: labboot netboots virtual machines in a private network
# namespace, at the same time: a BIOS one (SeaBIOS + iPXE ROM) and a UEFI
# one (OVMF's own PXE client, handed snponly.efi over TFTP). labboot serves
# DHCP (with their reservations), TFTP, HTTP (the iPXE menu and script, a
# Debian kernel and a small test initramfs) and answers iPXE's router
# solicitations; then it shows the boot timelines it recorded.
#   MODES="bios uefi" (any of bios uefi uefi-http)   MENU=5s (the iPXE menu's wait)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/tests/lib/netns.sh"
. "$ROOT/tests/vm/labboot-lab.sh"
[ "$(id -u)" = 0 ] || { echo "demo: run as root (network namespaces, QEMU on a tap)"; exit 1; }
MODES=${MODES:-${MODE:-bios uefi}}
MENU=${MENU:-5s}

ns=demo$$
lab_tmpdir dir
echo "== preparing: Debian kernel (cached in ${LABBOOT_CACHE:-/var/cache/labboot-test}), test initramfs"
labboot_lab "$ns" "$dir" "$MENU"
echo "== labboot serving in namespace $ns on br0 ($LAB_SERVER_IP); configuration:"
sed 's/^/   | /' "$dir/labboot.conf"
declare -A pid=()
for m in $MODES; do
	echo "== booting a $m VM (MAC ${LAB_VM_MAC[$m]}, reserved ${LAB_VM_IP[$m]} as ${LAB_VM_NAME[$m]})"
	"$ROOT/tests/vm/vm-boot.sh" --ns "$ns" --mode "$m" --mac "${LAB_VM_MAC[$m]}" --timeout 240 \
		--log "$dir/$m.serial" >"$dir/$m.out" 2>"$dir/$m.err" &
	pid[$m]=$!
	lab_register_pid "${pid[$m]}" "$ns"
done
failed=()
for m in $MODES; do
	wait "${pid[$m]}" || failed+=("$m")
	echo "== $m VM: what its test initramfs reported on the serial console, and when (s after power-on):"
	sed 's/^/   | /' "$dir/$m.out"
done
echo "== labboot's log:"
grep -E "dhcp br0|tftp:|http:|ndp" "$dir/labboot.log" | sed 's/^/   | /'
echo "== labboot hosts (the boot timeline recorded in the state store):"
"$LABBOOT" hosts -c "$dir/labboot.conf" | sed 's/^/   | /'
if [ ${#failed[@]} = 0 ]; then
	echo "== every VM booted from labboot and reported its hostname, address and test file checksum"
else
	for m in "${failed[@]}"; do
		echo "== the $m VM did not finish its boot; last console lines:"
		tail -n 20 "$dir/$m.err"
	done
	exit 1
fi
