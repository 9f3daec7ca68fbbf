#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Reproduction harness for the UEFI iPXE stall (issue 11): ROUNDS rounds of
# several UEFI VMs booting at once from one labboot (UEFI PXE: snponly.efi
# over TFTP; UEFI HTTP boot: snponly.efi over HTTP), with a packet capture
# of port 80 and `ss -tan` of the server side every second. Per VM: the
# script->kernel time, kernel fetches and iPXE errors from the console; per
# round: tests/vm/stall-flows.sh over the capture (server MAC changes,
# packets sent to a MAC the server no longer had, SYN retransmissions).
#
#   tests/vm/stall-repro.sh                 # ROUNDS=5 MODES="uefi uefi-http uefi"
#   ROUNDS=10 MENU=5s OUT=/tmp/stall tests/vm/stall-repro.sh
#   LAB_BRIDGE_MAC=follow tests/vm/stall-repro.sh   # the bridge as it was before the fix
#
# The cause it found: the lab bridge had no MAC of its own, so it took the
# lowest MAC of its ports and changed whenever a VM's tap came or went;
# iPXE never re-ARPs (README, Limits). OUT keeps labboot.log, cap.pcap,
# ss.log and each VM's serial log and output; the summary is OUT/summary.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/lib/netns.sh"
. "$ROOT/tests/vm/labboot-lab.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }

ROUNDS=${ROUNDS:-5}
MODES=${MODES:-uefi uefi-http uefi}
MENU=${MENU:-5s}
STALL_S=${STALL_S:-150} # script->kernel seconds that count as a stall (TCG on a loaded host: ~60-130 s is normal)
OUT=${OUT:-$(mktemp -d /tmp/stall.XXXXXX)}
mkdir -p "$OUT"

ns=stall$$
lab_tmpdir dir
labboot_lab "$ns" "$dir" "$MENU"
lab_spawn "$ns" tcpdump -i br0 -s 200 -U -w "$OUT/cap.pcap" tcp port 80 >/dev/null 2>&1
# shellcheck disable=SC2016  # expanded by the inner bash
lab_spawn "$ns" bash -c 'while :; do echo "== $(date +%T.%N)"; ss -tano "( sport = :80 )"; sleep 1; done' >"$OUT/ss.log" 2>&1

# Extra VMs of a mode get their own MAC (and a pool address).
stalls=0 fails=0 boots=0
for ((r = 1; r <= ROUNDS; r++)); do
	declare -A pid=()
	i=0
	for mode in $MODES; do
		mac=${LAB_VM_MAC[$mode]}
		case " ${used:-} " in *" $mac "*) mac=52:54:00:18:01:$(printf %02x $((16 + i))) ;; esac
		used="${used:-} $mac"
		"$ROOT/tests/vm/vm-boot.sh" --ns "$ns" --mode "$mode" --mac "$mac" --timeout 300 \
			--log "$OUT/r$r-$i-$mode.serial" >"$OUT/r$r-$i-$mode.out" 2>"$OUT/r$r-$i-$mode.err" &
		pid[$i]=$!
		lab_register_pid "${pid[$i]}" "$ns"
		i=$((i + 1))
	done
	used=''
	i=0
	for mode in $MODES; do
		boots=$((boots + 1))
		rc=0; wait "${pid[$i]}" || rc=$?
		vmout=$OUT/r$r-$i-$mode.out
		s=$(awk '$1 == "PHASE" && $2 == "ipxe-script" { print $3 }' "$vmout" | tail -n 1)
		k=$(awk '$1 == "PHASE" && $2 == "kernel" { print $3 }' "$vmout")
		gap=$(awk -v s="${s:-0}" -v k="${k:-0}" 'BEGIN { if (s == 0 || k == 0) print "none"; else printf "%.1f", k - s }')
		res=$(grep '^RESULT' "$vmout" || echo 'RESULT none')
		# A stall: iPXE reported an error or fetched a file twice (the
		# script's retry), or the script->kernel gap is over STALL_S.
		ipxe_err=$(tr -d '\r' <"$OUT/r$r-$i-$mode.serial" | grep -a -c -E 'Connection timed out|Error 0x|Could not boot|vmlinuz\.\.\. *$' || true)
		nk=$(tr -d '\r' <"$OUT/r$r-$i-$mode.serial" | grep -a -c 'vmlinuz\.\.\.' || true)
		stalled=no
		if [ "$gap" = none ] || [ "$ipxe_err" != 0 ] || [ "$nk" -gt 1 ] ||
			awk -v g="$gap" -v t="$STALL_S" 'BEGIN { exit !(g > t) }'; then stalled=yes; stalls=$((stalls + 1)); fi
		[ $rc = 0 ] || fails=$((fails + 1))
		echo "$(date +%T) round $r vm $i $mode: script->kernel ${gap}s kernel-fetches=$nk ipxe-errors=$ipxe_err stalled=$stalled rc=$rc $res" | tee -a "$OUT/summary"
		i=$((i + 1))
	done
	unset pid
	"$ROOT/tests/vm/stall-flows.sh" "$OUT/cap.pcap" > "$OUT/flows" || true
	echo "so far: $(grep -c '^MAC' "$OUT/flows") server MAC changes, $(grep -c '^LOST' "$OUT/flows") clients sending to a MAC gone," \
		"$(grep -c '^FLOW' "$OUT/flows") connections with SYN retransmissions or long waits (OUT/flows)" | tee -a "$OUT/summary"
done
cp "$dir/labboot.log" "$OUT/labboot.log"
echo "boots $boots stalls $stalls failures $fails (OUT=$OUT)" | tee -a "$OUT/summary"
