#!/usr/bin/env bash
# Router solicitations: a machine that just netbooted through labboot gets a
# unicast "no IPv6 router here" advertisement (this ends iPXE's ~13 s wait);
# a machine that did not boot through us gets nothing.
source "$(dirname "$0")/../lib/common.sh"
t_need_root
t_need rdisc6 busybox
d=$(lab_tmpdir)
chmod 755 "$d" # the daemon drops to nobody
cat > "$d/conf" <<C
[server]
interface = br0
address = 198.18.20.1
state-dir = $d/state
user = nobody
[dhcp]
range = 198.18.20.100 198.18.20.200
force = yes
[tftp]
enable = no
[http]
enable = no
[dns]
enable = no
C
lab=lbra$$
lab_up "$lab" 198.18.20
lab_add_veth_host "$lab" pxe$$ 52:54:00:20:00:01
lab_add_veth_host "$lab" os$$ 52:54:00:20:00:02
for ns in "$lab" pxe$$ os$$; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0
	ip netns exec "$ns" sh -c 'for f in /proc/sys/net/ipv6/conf/*/disable_ipv6; do echo 0 > $f; done'
done
# wait until the link-local addresses have left duplicate address detection
for _ in $(seq 50); do
	ok=1
	for ns in "$lab" pxe$$ os$$; do
		ip -n "$ns" -6 addr show scope link | >/dev/null grep "fe80.*" || ok=0
		ip -n "$ns" -6 addr show | >/dev/null grep tentative && ok=0
	done
	[ "$ok" = 1 ] && break
	sleep 0.2
done
t_labboot "$lab" "$d/conf" "$d/log"
# shellcheck disable=SC2016  # expanded at exit
lab_on_exit 'tail -20 "$d/log"'

# a PXE client: DHCP with the PXE vendor class, then a router solicitation
ip netns exec pxe$$ busybox udhcpc -i eth0 -n -q -s /bin/true -V PXEClient:Arch:00000:UNDI:002001 >/dev/null 2>&1 \
	|| t_fail "PXE client got no lease"
out=$(ip netns exec pxe$$ rdisc6 -1 -w 1000 eth0 2>&1) || t_fail "netbooting client got no router advertisement: $out"
echo "$out" | >/dev/null grep "Router lifetime *: *0" || t_fail "advertisement lifetime not 0: $out"
echo "$out" | >/dev/null grep -i "Stateful address conf.*No" || t_fail "advertisement asks for DHCPv6: $out"
t_ok "netbooting client told there is no IPv6 router"

# an ordinary client: address yes, advertisement no
ip netns exec os$$ busybox udhcpc -i eth0 -n -q -s /bin/true >/dev/null 2>&1 || t_fail "OS client got no lease"
if ip netns exec os$$ rdisc6 -1 -w 1000 -r 2 eth0 >/dev/null 2>&1; then
	t_fail "a client that is not netbooting got a router advertisement"
fi
t_ok "other hosts see no advertisement"
kill -0 "$LABBOOT_PID" || t_fail "labboot died"
# it did all of this as nobody: sockets opened as root, then root dropped
uid=$(awk '/^Uid:/ {print $3}' /proc/"$(pgrep -P "$LABBOOT_PID" labboot || echo "$LABBOOT_PID")"/status)
t_expect_eq "daemon effective uid" "$uid" "$(id -u nobody)"
"$LABBOOT" leases -c "$d/conf" | grep 198.18.20.100 >/dev/null || t_fail "lease not stored"
