#!/usr/bin/env bash
# A served bridge whose MAC follows its ports (no MAC set on it): the port
# with the lowest MAC leaves and the server's MAC moves. labboot (running as
# nobody) must warn about the bridge at start and in `labboot check`, log
# the change, and announce the new MAC: a client that had the old one in its
# ARP table, and sends nothing meanwhile, must hold the new one within a
# few seconds (iPXE never asks again: issue 11, tests/integration/vm-uefi-stall.sh).
source "$(dirname "$0")/../lib/common.sh"
t_need_root
t_need busybox
d=$(lab_tmpdir)
chmod 755 "$d" # the daemon drops to nobody
{
	t_conf_server 198.18.21.1 "$d"
	printf '[dhcp]\nrange = 198.18.21.100 198.18.21.200\n'
} > "$d/conf"
sed -i 's/^\[server\]$/[server]\nuser = nobody/' "$d/conf"
lab=lbma$$ host=mah$$
LAB_BRIDGE_MAC=follow lab_up "$lab" 198.18.21
brmac() { ip -n "$lab" -o link show br0 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2; }
ip -n "$lab" tuntap add dev lowport mode tap
ip -n "$lab" link set lowport address 00:00:00:00:00:01
ip -n "$lab" link set lowport master br0 up
lab_add_veth_host "$lab" "$host" 52:54:00:21:00:01
ip -n "$host" addr add 198.18.21.50/24 dev eth0

ip netns exec "$lab" "$LABBOOT" check -c "$d/conf" 2>"$d/check.err" >/dev/null || t_fail "check: $(cat "$d/check.err")"
grep -q "warning: interface br0 is a bridge whose MAC address follows its ports" "$d/check.err" ||
	t_fail "check does not warn about br0: $(cat "$d/check.err")"
t_ok "labboot check warns about a bridge whose MAC follows its ports"
t_labboot "$lab" "$d/conf" "$d/labboot.log" >/dev/null
grep -q "warn .*br0 is a bridge whose MAC address follows its ports" "$d/labboot.log" || t_fail "no warning at start"

ip netns exec "$host" busybox ping -c 1 -W 2 198.18.21.1 >/dev/null || t_fail "the client cannot reach the server"
neigh() { ip -n "$host" neigh show 198.18.21.1 dev eth0 | grep -o 'lladdr [0-9a-f:]*' | cut -d' ' -f2; }
old=$(brmac)
t_expect_eq "the client's entry for the server" "$(neigh)" "$old"
sleep 1.2 # Linux takes an ARP update for an entry once it is a second old (locktime)
ip -n "$lab" link del lowport
new=$(brmac)
[ "$new" != "$old" ] || t_fail "br0's MAC did not move: nothing tested"
for _ in $(seq 50); do
	[ "$(neigh)" = "$new" ] && break
	sleep 0.1
done
t_expect_eq "the client's entry after the server's MAC moved" "$(neigh)" "$new"
grep -q "mac: br0 changed its MAC from $old to $new" "$d/labboot.log" || t_fail "the change is not logged: $(cat "$d/labboot.log")"
t_ok "labboot announced br0's new MAC $new (was $old) to a client that sent nothing"
