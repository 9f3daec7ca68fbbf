#!/usr/bin/env bash
# A real machine netboots from labboot: QEMU VMs in a private namespace,
# booting at the same time, one per firmware path: SeaBIOS + QEMU's iPXE ROM;
# OVMF with the NIC ROM off (EDK2's own PXE fetches snponly.efi over TFTP,
# which then asks again as iPXE); OVMF UEFI HTTP boot (snponly.efi over
# HTTP, then iPXE again). Each must come up with its reserved address and
# hostname, download the test file intact and call back; labboot must have
# recorded every step of both boots.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/lib/netns.sh"
. "$ROOT/tests/vm/labboot-lab.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
MODES=${MODES:-bios uefi uefi-http}

fail() { echo "FAIL: $*" >&2; exit 1; }
ns=vmlb$$
lab_tmpdir dir
labboot_lab "$ns" "$dir" 1s
if [ -n "${CAPTURE:-}" ]; then # keep a packet capture of the boots for debugging
	lab_spawn "$ns" tcpdump -i br0 -s 0 -U -w "$CAPTURE" >/dev/null 2>&1
fi

declare -A vm_pid=()
for mode in $MODES; do
	"$ROOT/tests/vm/vm-boot.sh" --ns "$ns" --mode "$mode" --mac "${LAB_VM_MAC[$mode]}" --timeout 240 \
		>"$dir/$mode.out" 2>"$dir/$mode.err" &
	vm_pid[$mode]=$!
	lab_register_pid "${vm_pid[$mode]}" "$ns"
done
rc=0
for mode in $MODES; do
	wait "${vm_pid[$mode]}" || { rc=1; echo "== $mode failed"; tail -n 30 "$dir/$mode.err" "$dir/$mode.out"; }
done
[ $rc = 0 ] || { tail -n 40 "$dir/labboot.log"; fail "a VM did not finish its boot"; }

sum=$(cat "$dir/testfile.sha256")
for mode in $MODES; do
	out="$dir/$mode.out"
	grep -q "^LABBOOT-TEST ip=${LAB_VM_IP[$mode]} hostname=${LAB_VM_NAME[$mode]} hostname-source=dhcp" "$out" \
		|| fail "$mode: address/hostname: $(grep 'ip=' "$out")"
	grep -q "^LABBOOT-TEST sha256=$sum size=1048576" "$out" || fail "$mode: test file: $(grep sha256 "$out")"
	grep -q "^LABBOOT-TEST booted-callback rc=0" "$out" || { tail -n 20 "$dir/labboot.log"; fail "$mode: callback failed: $(grep callback "$out")"; }
	echo "ok: $mode VM up as ${LAB_VM_NAME[$mode]} ${LAB_VM_IP[$mode]}, test file intact, $(grep '^RESULT' "$out")"
done

"$LABBOOT" hosts -c "$dir/labboot.conf" > "$dir/hosts"
cat "$dir/hosts"
for mode in $MODES; do
	name=${LAB_VM_NAME[$mode]}
	events=$(awk -v h="$name" '$1 == h {on = 1; next} /^[a-z]/ {on = 0} on' "$dir/hosts")
	for kind in dhcp-discover dhcp-request script kernel initrd booted; do
		>/dev/null grep " $kind " <<<"$events" || { printf '%s\n' "$events" | cat -A; fail "$name: no $kind event"; }
	done
	>/dev/null grep "last boot: .* up after" <<<"$events" || fail "$name: not shown as up"
done
host_events() { awk -v h="$1" '$1 == h {on = 1; next} /^[a-z]/ {on = 0} on' "$dir/hosts"; }
case " $MODES " in *" uefi "*)
	host_events gamma | >/dev/null grep " tftp .*snponly.efi" || fail "gamma: no TFTP event for snponly.efi"
	# EDK2 asks for the size first (tsize, then error 8): not an error
	host_events gamma | >/dev/null grep "tftp-error" && fail "gamma: TFTP errors: $(host_events gamma | grep tftp-error)" ;;
esac
case " $MODES " in *" uefi-http "*)
	host_events delta | >/dev/null grep " bootloader .*http snponly.efi 200" || fail "delta: no HTTP event for snponly.efi"
	host_events delta | >/dev/null grep " tftp" && fail "delta: UEFI HTTP boot used TFTP" ;;
esac
if [ "${LAB_IPV6:-1}" = 1 ]; then
	grep -q "ndp br0: told" "$dir/labboot.log" || fail "iPXE's router solicitations went unanswered"
fi
echo "ok: every step of each boot is recorded, router solicitations answered"
