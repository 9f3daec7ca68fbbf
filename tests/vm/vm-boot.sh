#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Boots one VM from the network inside an existing lab namespace and waits
# for the test initramfs to report "LABBOOT-TEST done".
#
#   tests/vm/vm-boot.sh --ns NS --mode bios|uefi|uefi-http --mac MAC
#                       [--tap TAP] [--timeout SEC] [--log FILE] [--mem MB]
#                       [--done REGEX]
#
# bios       SeaBIOS runs QEMU's iPXE option ROM (pxe-virtio.rom) on a
#            modern-only virtio NIC: the first DHCP client is already iPXE.
# uefi       OVMF with the NIC ROM disabled: EDK2's own PXE client does the
#            first DHCP/TFTP (arch 7) and must be handed an EFI binary.
# uefi-http  OVMF HTTP boot (PXE switched off through fw_cfg): the offer must
#            carry option 60 "HTTPClient" and an http:// boot file.
#
# --done REGEX: the console line that means success, for a guest that is
# not the test initramfs (a stock ISO: its "Reached target" line).
# Output (stdout): the LABBOOT-TEST lines from the guest, "PHASE NAME SEC"
# lines (first time a console marker appeared, seconds since QEMU started),
# and "RESULT ok|timeout|exited|failed(MARKER) TOTAL SEC". Exit 0 only when "done" was seen.
# The tap is created in NS on br0 and removed again; QEMU is killed by PID on
# every exit path.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/netns.sh
. "$here/../lib/netns.sh"

OVMF_CODE=${OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.fd}
OVMF_VARS=${OVMF_VARS:-/usr/share/OVMF/OVMF_VARS_4M.fd}
PXE_ROM=${PXE_ROM:-/usr/lib/ipxe/qemu/pxe-virtio.rom}

ns='' mode='' mac='' tap='' timeout='' log='' mem=512 done_re='LABBOOT-TEST done'
usage() { sed -n '3,24s/^# \{0,1\}//p' "$0" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case "$1" in
	--ns) ns=$2; shift 2 ;;
	--mode) mode=$2; shift 2 ;;
	--mac) mac=$2; shift 2 ;;
	--tap) tap=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--done) done_re=$2; shift 2 ;;
	*) usage ;;
	esac
done
if [ -z "$ns" ] || [ -z "$mode" ] || [ -z "$mac" ]; then usage; fi
ip netns pids "$ns" >/dev/null 2>&1 || { echo "vm-boot: no namespace $ns" >&2; exit 2; }

# The console markers timed for the boot-time breakdown, in boot order:
# NAME=bash regex over the serial log. Firmware lines only show on serial
# when the firmware prints there (see PHASE notes in the report).
PHASES=(
	'seabios=SeaBIOS \(version'
	'fw-pxe=Start PXE over IPv4'
	'fw-http=Start HTTP Boot over IPv4'
	'fw-pxe-ip=Station IP address is'
	'ipxe-init=iPXE initialising devices'
	'ipxe-banner=Press Ctrl-B for the iPXE command line'
	'ipxe-open=net[0-9]: [0-9a-f:]+ using'
	'ipxe-dhcp-start=Configuring \(net[0-9]'
	'ipxe-dhcp=Configuring \(net[0-9][^)]*\)[. ]*ok'
	'ipxe-script=\[script\]'
	'kernel=Linux version [0-9]'
	'init=LABBOOT-TEST init'
	'nic=LABBOOT-TEST nic='
	'dhcp=LABBOOT-TEST ip='
	'testfile=LABBOOT-TEST sha256='
	"done=$done_re"
)

# Console lines after which the boot cannot succeed any more: stop at once
# instead of waiting for the timeout.
FATAL='No bootable device|Kernel panic|BdsDxe: No bootable option|Shell> '

work=''
lab_tmpdir work
[ -n "$log" ] || log=$work/serial.log
: >"$log"
# Unique per VM within the namespace: several VMs may boot in parallel.
[ -n "$tap" ] || tap=t${mac//:/}
tap=${tap:0:15}
# At exit QEMU is killed first (lab_spawn registered it), then this runs.
# shellcheck disable=SC2016  # expanded at exit
lab_on_exit 'lab_del_tap "$ns" "$tap"'

accel=$("$here/kvm-probe.sh" --args)
[ -n "$timeout" ] || { if [[ $accel == *accel=kvm* ]]; then timeout=60; else timeout=120; fi; }

nic_rom=
fw=()
case "$mode" in
bios)
	nic_rom=$PXE_ROM
	# No VGA here, so iPXE's BIOS console (int 10h) would be invisible:
	# SeaBIOS's serial console ("etc/sercon-port", a little-endian integer
	# file) copies text output to COM1, which puts iPXE's lines in the log.
	printf '\xf8\x03' >"$work/sercon-port"   # 0x3f8
	fw=(-boot order=n -fw_cfg "name=etc/sercon-port,file=$work/sercon-port")
	;;
uefi | uefi-http)
	cp "$OVMF_VARS" "$work/vars.fd"   # written by the firmware: one per VM
	fw=(-drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE"
		-drive "if=pflash,format=raw,unit=1,file=$work/vars.fd")
	if [ "$mode" = uefi-http ]; then
		# shellcheck disable=SC2054  # the commas belong to QEMU's syntax
		fw+=(-fw_cfg name=opt/org.tianocore/IPv4PXESupport,string=no
			-fw_cfg name=opt/org.tianocore/IPv6PXESupport,string=no)
	fi
	;;
*) usage ;;
esac

lab_add_tap "$ns" "$tap"
# shellcheck disable=SC2206  # accel is a word list from kvm-probe.sh
qemu=(qemu-system-x86_64 $accel -m "$mem" -smp 1 -nodefaults -no-reboot
	-display none -vga none
	-chardev "file,id=ser0,path=$log" -serial chardev:ser0
	"${fw[@]}"
	-netdev "tap,id=n0,ifname=$tap,script=no,downscript=no"
	-device "virtio-net-pci,netdev=n0,mac=$mac,disable-legacy=on,romfile=$nic_rom,bootindex=1")
t0=$EPOCHREALTIME
lab_spawn "$ns" "${qemu[@]}" >"$work/qemu.out" 2>&1
qemu_pid=$LAB_PID

since() { echo "$EPOCHREALTIME $t0" | awk '{ printf "%.2f", $1 - $2 }'; }

# Poll the serial log every ~50 ms. read -d '' returns whatever is there up
# to EOF, so new output is consumed without forking; a short tail of the
# previous chunk is kept so a marker split across two reads still matches.
declare -A seen=()
buf='' result=timeout
exec 3<"$log"
deadline=$(awk -v t="$t0" -v d="$timeout" 'BEGIN { printf "%d", t + d }')
while :; do
	chunk=''
	while IFS= read -r -d '' -u 3 part; do chunk+=$part; done
	chunk+=$part
	if [ -n "$chunk" ]; then
		[ ${#buf} -le 300 ] || buf=${buf:(-300)}
		buf+=$chunk
		for p in "${PHASES[@]}"; do
			name=${p%%=*}
			[ -z "${seen[$name]:-}" ] || continue
			if [[ $buf =~ ${p#*=} ]]; then
				seen[$name]=$(since)
				echo "PHASE $name ${seen[$name]}"
			fi
		done
		[ -z "${seen[done]:-}" ] || { result=ok; break; }
		if [[ $buf =~ $FATAL ]]; then result="failed(${BASH_REMATCH[0]// /-})"; break; fi
	fi
	# QEMU may have written its last lines and exited since the read above:
	# one more pass reads them before it counts as exited.
	if ! kill -0 "$qemu_pid" 2>/dev/null; then
		[ -n "${gone:-}" ] && { result=exited; break; }
		gone=1; continue
	fi
	[ "${EPOCHREALTIME%.*}" -lt "$deadline" ] || break
	sleep 0.05
done
exec 3<&-
total=$(since)

# After "done" the guest powers off by itself; give it a moment.
if [ "$result" = ok ]; then
	for _ in $(seq 50); do kill -0 "$qemu_pid" 2>/dev/null || break; sleep 0.1; done
fi
tr -d '\r' <"$log" | grep -a '^LABBOOT-TEST ' || true
echo "RESULT $result TOTAL $total"
if [ "$result" != ok ]; then
	echo "vm-boot: $mode VM $mac: $result after ${total}s; last console lines:" >&2
	tr -d '\r' <"$log" | tail -n 15 | sed 's/^/  | /' >&2
	sed 's/^/  qemu| /' "$work/qemu.out" >&2
	exit 1
fi
