#!/usr/bin/env bash
# labboot behind a real DHCP relay (ISC dhcrelay, RFC 1542): the server sits on
# 198.18.12.0/24, clients on 198.18.13.0/24 reach it through a relay namespace
# and get an address from the [pool "remote"] with that pool's router; a
# client on 198.18.14.0/24, a network labboot has no range for, gets nothing.
#
#   client ns rrc (eth0) -- down0 198.18.13.1 [relay ns rrr] eth0 198.18.12.2 -- br0 198.18.12.1 [server ns rrs]
#   client ns rrx (eth0) -- down1 198.18.14.1 /
source "$(dirname "$0")/../lib/common.sh"
t_need_root
t_need dhcrelay busybox

d=$(lab_tmpdir)
cat >"$d/conf" <<EOF
$(t_conf_server 198.18.12.1 "$d")
[dhcp]
mode = authoritative
lease-time = 1h
dns = 198.18.12.1
probe-time = 300ms
[pool "remote"]
range = 198.18.13.100 198.18.13.150
router = 198.18.13.1
domain = remote.lab
EOF

S=rrs$$ R=rrr$$ C=rrc$$ X=rrx$$
lab_up "$S" 198.18.12
lab_add_veth_host "$S" "$R"   # relay's upstream eth0 on the server's bridge
ip -n "$R" addr add 198.18.12.2/24 dev eth0
ip -n "$S" route add 198.18.13.0/24 via 198.18.12.2
ip -n "$S" route add 198.18.14.0/24 via 198.18.12.2

# t_downstream CLIENT_NS RELAY_IF NET MAC: a client namespace on its own link to the relay.
t_downstream() {
	local ns=$1 rif=$2 net=$3 mac=$4
	lab_ns "$ns" "$S"
	lab_veth "$R" "$rif" "$ns" eth0
	ip -n "$R" addr add "$net.1/24" dev "$rif"
	ip -n "$ns" link set eth0 address "$mac"
}
t_downstream "$C" down0 198.18.13 52:54:00:13:00:01
t_downstream "$X" down1 198.18.14 52:54:00:14:00:01

t_labboot "$S" "$d/conf" "$d/labboot.log" >/dev/null
t_bg "$R" "$d/relay.log" dhcrelay -d -4 -pf "$d/relay.pid" -id down0 -id down1 -iu eth0 198.18.12.1 >/dev/null
for _ in $(seq 50); do grep -q "Sending on" "$d/relay.log" && break; sleep 0.1; done

for h in hook-c hook-x; do
	printf '#!/bin/sh\n[ "$1" = bound ] && env | sort >"$0.bound"\nexit 0\n' >"$d/$h"
	chmod +x "$d/$h"
done
timeout 30 ip netns exec "$C" busybox udhcpc -i eth0 -n -q -t 4 -T 2 -s "$d/hook-c" >"$d/client.out" 2>&1 || {
	cat "$d/client.out" "$d/relay.log" "$d/labboot.log"; t_fail "relayed client got no lease"; }
env_of() { sed -n "s/^$1=//p" "$d/hook-c.bound"; }
ip_=$(env_of ip)
n=${ip_##*.}
[ "${ip_%.*}" = 198.18.13 ] && [ "$n" -ge 100 ] && [ "$n" -le 150 ] || t_fail "relayed client got '$ip_', not from the remote pool"
t_ok "relayed client got $ip_ from the remote pool"
t_expect_eq "router" "$(env_of router)" 198.18.13.1
t_expect_eq "subnet mask" "$(env_of subnet)" 255.255.255.0
t_expect_eq "domain" "$(env_of domain)" remote.lab
t_expect_eq "server id" "$(env_of serverid)" 198.18.12.1
grep -q "REQUEST 52:54:00:13:00:01 -> ACK $ip_" "$d/labboot.log" || t_fail "labboot did not log the ACK"
t_expect_eq "lease" "$("$LABBOOT" leases -c "$d/conf" | awk -v ip="$ip_" '$1 == ip {print $2, $3}')" "52:54:00:13:00:01 bound"

# A relay for 198.18.14.0/24: no range there, so no answer.
if timeout 20 ip netns exec "$X" busybox udhcpc -i eth0 -n -q -t 2 -T 2 -s "$d/hook-x" >"$d/other.out" 2>&1; then
	t_fail "client on a network without a range got a lease: $(cat "$d/other.out")"
fi
grep -q "DISCOVER 52:54:00:14:00:01: relay from a network without a range" "$d/labboot.log" ||
	{ cat "$d/labboot.log"; t_fail "labboot did not log the unserved relay"; }
t_ok "relay from 198.18.14.0/24 left unanswered and logged"
echo PASS
