#!/usr/bin/env bash
# The demo: labboot netboots a virtual machine in a private network
# namespace. It serves DHCP (with the VM's reservation), TFTP, HTTP (the
# iPXE script, a Debian kernel and a small test initramfs) and answers
# iPXE's router solicitations; then shows the boot timeline it recorded.
#   MODE=bios|uefi|uefi-http (default bios)   MENU=5s (the iPXE menu's wait)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/tests/lib/netns.sh"
. "$ROOT/tests/vm/labboot-lab.sh"
[ "$(id -u)" = 0 ] || { echo "demo: run as root (network namespaces, QEMU on a tap)"; exit 1; }
MODE=${MODE:-bios}
MENU=${MENU:-5s}

ns=demo$$
lab_tmpdir dir
echo "== preparing: Debian kernel (cached in ${LABBOOT_CACHE:-/var/cache/labboot-test}), test initramfs"
labboot_lab "$ns" "$dir" "$MENU"
echo "== labboot serving in namespace $ns on br0 ($LAB_SERVER_IP); configuration:"
sed 's/^/   | /' "$dir/labboot.conf"
echo "== booting a $MODE VM (MAC ${LAB_VM_MAC[$MODE]}, reserved ${LAB_VM_IP[$MODE]} as ${LAB_VM_NAME[$MODE]}); serial console:"
rc=0
"$ROOT/tests/vm/vm-boot.sh" --ns "$ns" --mode "$MODE" --mac "${LAB_VM_MAC[$MODE]}" --timeout 240 \
	2>"$dir/vm.err" | sed 's/^/   | /' || rc=$?
echo "== labboot's log:"
grep -E "dhcp br0|tftp:|http:|ndp" "$dir/labboot.log" | sed 's/^/   | /'
echo "== labboot hosts (the boot timeline recorded in the state store):"
"$LABBOOT" hosts -c "$dir/labboot.conf" | sed 's/^/   | /'
if [ "$rc" = 0 ]; then
	echo "== the VM booted from labboot and reported its hostname, address and test file checksum"
else
	echo "== the VM did not finish its boot:"
	tail -n 20 "$dir/vm.err"
	exit 1
fi
