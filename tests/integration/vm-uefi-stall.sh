#!/usr/bin/env bash
# Issue 11, the UEFI iPXE stall, built on purpose. A Linux bridge without a
# set MAC takes the lowest MAC of its ports; when that port (a VM's tap)
# leaves, the server's MAC moves. iPXE keeps a resolved ARP entry for its
# whole run (only an ARP packet from the server updates it), so a UEFI VM's
# iPXE in its menu, after its script's connection is over, sent its kernel
# SYNs to a MAC nobody had; the server, with nothing to send, never ARPed
# it, and iPXE gave up ("Connection timed out", 40-100 s under TCG), retry
# after retry. (While the server still sends, it re-ARPs the client after
# the change, and that request tells iPXE the new MAC: no stall.)
#
# Checks:
# 1. the lab's bridge (tests/lib/netns.sh) keeps its MAC when the port with
#    the lowest MAC leaves;
# 2. on a bridge that follows its ports (LAB_BRIDGE_MAC=follow), labboot
#    warns at start, and when the lowest-MAC port leaves between gamma's
#    script and its kernel, labboot sees the change and announces the new
#    MAC, and gamma boots with one kernel fetch and no iPXE error.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/lib/netns.sh"
. "$ROOT/tests/vm/labboot-lab.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }

fail() { echo "FAIL: $*" >&2; exit 1; }
brmac() { ip -n "$1" -o link show br0 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2; }
lowport() { # NS add|del: the lowest possible MAC on br0, as a VM's tap
	if [ "$2" = add ]; then
		ip -n "$1" tuntap add dev lowport mode tap
		ip -n "$1" link set lowport address 00:00:00:00:00:01
		ip -n "$1" link set lowport master br0 up
	else
		ip -n "$1" link del lowport
	fi
}

# 1. the lab's own bridge
pin=vmsp$$
(unset LAB_BRIDGE_MAC; lab_up "$pin")
m0=$(brmac "$pin"); lowport "$pin" add; m1=$(brmac "$pin"); lowport "$pin" del; m2=$(brmac "$pin")
lab_down "$pin"
if [ "$m0" != "$m1" ] || [ "$m1" != "$m2" ]; then fail "the lab bridge's MAC moved with its ports: $m0 $m1 $m2"; fi
echo "ok: the lab bridge keeps $m0 while a port with the lowest MAC comes and goes"

# 2. a bridge that follows its ports, and labboot on it
ns=vmst$$
lab_tmpdir dir
LAB_BRIDGE_MAC=follow labboot_lab "$ns" "$dir" 5s
if [ -n "${CAPTURE:-}" ]; then
	lab_spawn "$ns" tcpdump -i br0 -e -s 200 -U -w "$CAPTURE" 'tcp port 80 or arp' >/dev/null 2>&1
fi
grep -q "warn .*br0 is a bridge whose MAC address follows its ports" "$dir/labboot.log" ||
	fail "no warning about br0's MAC: $(cat "$dir/labboot.log")"
echo "ok: labboot warns that br0's MAC follows its ports"

lowport "$ns" add
mac0=$(brmac "$ns")
sleep 1.5 # labboot's watch has seen this MAC
"$ROOT/tests/vm/vm-boot.sh" --ns "$ns" --mode uefi --mac "${LAB_VM_MAC[uefi]}" --timeout 420 \
	--log "$dir/uefi.serial" >"$dir/uefi.out" 2>"$dir/uefi.err" &
vm=$!
lab_register_pid "$vm" "$ns"

# gamma's iPXE has its script, and the script's connection is over (the
# server's side in TIME-WAIT): nothing left for the server to send.
for ((i = 0; i < 3000; i++)); do
	grep -q "boot script for .*host gamma" "$dir/labboot.log" && break
	kill -0 "$vm" 2>/dev/null || break
	sleep 0.1
done
grep -q "boot script for .*host gamma" "$dir/labboot.log" || { cat "$dir/uefi.err"; fail "gamma never fetched its script"; }
vmip=${LAB_VM_IP[uefi]}
socks=''
for ((i = 0; i < 600; i++)); do
	socks=$(ip netns exec "$ns" ss -Htan "( sport = :80 )" | awk -v ip="$vmip" '$5 ~ "^"ip":"')
	grep -q TIME-WAIT <<<"$socks" && ! grep -v -q TIME-WAIT <<<"$socks" && break
	sleep 0.05
done
lowport "$ns" del
mac1=$(brmac "$ns")
echo "server MAC: $mac0, then $mac1 when the port left (the server's sockets for $vmip: $(awk '{print $1}' <<<"$socks" | tr '\n' ' '))"
[ "$mac1" != "$mac0" ] || fail "br0's MAC did not move: the test tests nothing"

rc=0
wait "$vm" || rc=$?
serial=$(tr -d '\r' <"$dir/uefi.serial")
fetches=$(grep -a -c 'vmlinuz\.\.\.' <<<"$serial" || true)
errors=$(grep -a -E 'Connection timed out|Error 0x|Could not|Boot failed' <<<"$serial" || true)
echo "gamma: vm-boot rc=$rc, kernel fetches=$fetches, $(grep '^RESULT' "$dir/uefi.out" || echo 'no RESULT')"
[ -z "$errors" ] || echo "iPXE: $errors"
grep -q "mac: br0 changed its MAC from $mac0 to $mac1" "$dir/labboot.log" || fail "labboot did not see br0's new MAC"
# vm-boot may miss "done" when the guest powers off in the same instant: the
# console line is what counts
grep -a -q '^LABBOOT-TEST done' <<<"$serial" || { tail -n 20 "$dir/uefi.err"; fail "gamma did not boot"; }
if [ "$fetches" != 1 ] || [ -n "$errors" ]; then fail "gamma's kernel download failed and was retried"; fi
"$LABBOOT" hosts -c "$dir/labboot.conf" > "$dir/hosts"
n=$(awk '$1 == "gamma" {on = 1; next} /^[a-z]/ {on = 0} on' "$dir/hosts" | grep -c " kernel " || true)
[ "$n" = 1 ] || fail "gamma: $n kernel events"
echo "ok: the server's MAC moved between gamma's script and its kernel; labboot announced it and gamma booted with one kernel fetch"
