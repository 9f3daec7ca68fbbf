#!/usr/bin/env bash
# An ISO dropped into [isos] dir boots for real, unmodified: the Debian live
# ISO the image tests build (tests/image/inputs.sh) is hard-linked (else
# symlinked) into the folder, `labboot isos` calls it live-boot, and a BIOS
# and a UEFI VM pinned to it (host key iso =) boot it at once: iPXE fetches
# the kernel and initrd from inside the ISO (/isos/NAME.iso/live/...),
# live-boot fetch=es the whole ISO over HTTP, and each must reach
# multi-user.target (systemd's line on the serial console). Under TCG on a
# loaded machine this takes many minutes: the timeout is generous, not a
# measure.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/lib/netns.sh"
. "$ROOT/tests/vm/labboot-lab.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

eval "$("$ROOT/tests/image/inputs.sh")"
ns=vmiso$$
lab_tmpdir dir
mkdir -p "$dir/isos"
ln "$LIVE_ISO" "$dir/isos/debian-live.iso" 2>/dev/null || ln -s "$LIVE_ISO" "$dir/isos/debian-live.iso"
# live-boot's fetch= of an ISO loop-mounts it: the initrd needs isofs
lsinitramfs "$ROOTFS_INITRD" | >/dev/null grep '/isofs\.ko' || fail "the ISO's initrd has no isofs module"

# no_timer_check: under TCG on a loaded host the kernel's IO-APIC timer
# check can fail and panic ("IO-APIC + timer doesn't work!"), seen once here
labboot_lab_config "$dir" 1s |
	sed -e "/^mac = ${LAB_VM_MAC[bios]}/a iso = debian-live.iso\nkernel-args = console=ttyS0,115200 no_timer_check" \
		-e "/^mac = ${LAB_VM_MAC[uefi]}/a iso = debian-live.iso\nkernel-args = console=ttyS0,115200 no_timer_check" >"$dir/pre.conf"
printf '\n[isos]\ndir = %s/isos\n' "$dir" >>"$dir/pre.conf"
"$LABBOOT" isos -c "$dir/pre.conf" | tee "$dir/isos.txt"
grep -qx "  layout: live-boot" "$dir/isos.txt" || fail "the live ISO is not live-boot: $(cat "$dir/isos.txt")"
grep -q "^  cmdline: boot=live fetch=http://$LAB_SERVER_IP/isos/debian-live.iso$" "$dir/isos.txt" ||
	fail "command line: $(cat "$dir/isos.txt")"

LAB_CONF_OVERRIDE=$dir/pre.conf labboot_lab "$ns" "$dir" 1s
declare -A vm_pid=()
for mode in bios uefi; do
	"$ROOT/tests/vm/vm-boot.sh" --ns "$ns" --mode "$mode" --mac "${LAB_VM_MAC[$mode]}" --timeout 1500 --mem 1536 \
		--done 'Reached target.*[Mm]ulti-[Uu]ser' --log "$dir/$mode.serial" >"$dir/$mode.out" 2>"$dir/$mode.err" &
	vm_pid[$mode]=$!
	lab_register_pid "${vm_pid[$mode]}" "$ns"
done
rc=0
for mode in bios uefi; do
	wait "${vm_pid[$mode]}" || {
		rc=1
		echo "== $mode failed; its console:"
		tr -d '\r' <"$dir/$mode.serial" | grep -av '^\s*$' | tail -n 60
	}
done
[ $rc = 0 ] || { tail -n 40 "$dir/labboot.log"; fail "a VM did not reach multi-user.target"; }
for mode in bios uefi; do
	grep -aq "boot=live fetch=http://$LAB_SERVER_IP/isos/debian-live.iso" "$dir/$mode.serial" ||
		fail "$mode: the kernel did not get the ISO's command line"
	echo "ok: $mode VM reached multi-user.target from the unmodified ISO, $(grep '^RESULT' "$dir/$mode.out")"
done
"$LABBOOT" hosts -c "$dir/labboot.conf" | tee "$dir/hosts"
for name in beta gamma; do
	awk -v h="$name" '$1 == h {on = 1; next} /^[a-z]/ {on = 0} on' "$dir/hosts" | >/dev/null grep "isos/debian-live.iso" ||
		fail "$name: no request for the ISO in its events"
done
echo "ok: both VMs booted the ISO in place, BIOS and UEFI"
