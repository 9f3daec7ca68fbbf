#!/usr/bin/env bash
# DHCP and DNS together: a client gets its address, DNS server and domain
# from labboot's DHCP (busybox udhcpc), and the glibc resolver of that client
# (getent, through the resolv.conf written from the lease) resolves its own
# name, a reservation's bare name and reverse names through labboot's DNS.
# The name survives a labboot restart (leases reloaded from the store).
# (Name removal on lease end is covered by the unit tests: busybox udhcpc -R
# did not get a RELEASE logged by labboot here.) Subnet 198.18.58.0/24.
source "$(dirname "$0")/../lib/common.sh"
t_need_root
t_need busybox dig unshare

d=$(lab_tmpdir)
NET=198.18.58
cat >"$d/conf" <<EOF
$(t_conf_server $NET.1 "$d" dns)
[dhcp]
mode = authoritative
range = $NET.100 $NET.150
lease-time = 1h
router = $NET.1
dns = $NET.1
domain = lab
[dns]
enable = yes
[host "alpha"]
mac = 52:54:00:58:00:10
ip = $NET.10
EOF

S=dds$$ C=ddc$$
lab_up "$S" "$NET"
lab_add_veth_host "$S" "$C" 52:54:00:58:00:99
t_labboot "$S" "$d/conf" "$d/labboot.log" >/dev/null

# the udhcpc hook: configure eth0 and write resolv.conf from the lease
cat >"$d/hook" <<EOF
#!/bin/sh
case "\$1" in
bound|renew)
	ip addr flush dev "\$interface"
	ip addr add "\$ip/\${mask:-24}" dev "\$interface"
	{ for s in \$dns; do echo "nameserver \$s"; done; echo "search \$domain"; } >"$d/resolv.conf"
	echo "\$ip" >"$d/ip" ;;
esac
EOF
chmod +x "$d/hook"
timeout 30 ip netns exec "$C" busybox udhcpc -i eth0 -n -q -t 5 -T 2 -x hostname:laptop -s "$d/hook" \
	>"$d/udhcpc.out" 2>&1 || { cat "$d/udhcpc.out"; t_fail "udhcpc got no lease"; }
ip=$(cat "$d/ip")
t_ok "client got $ip"
t_expect_eq "resolv.conf from DHCP" "$(tr '\n' ' ' <"$d/resolv.conf")" "nameserver $NET.1 search lab "

# the client's own resolver (glibc, via its resolv.conf)
R() { ip netns exec "$C" unshare -m sh -c "mount --bind '$d/resolv.conf' /etc/resolv.conf && $*"; }
t_expect_eq "getent laptop.lab" "$(R getent hosts laptop.lab | awk '{print $1}')" "$ip"
t_expect_eq "getent laptop (search domain)" "$(R getent hosts laptop | awk '{print $1}')" "$ip"
t_expect_eq "getent alpha (reservation)" "$(R getent hosts alpha | awk '{print $1}')" "$NET.10"
t_expect_eq "getent reverse of the lease" "$(R getent hosts "$ip" | awk '{print $2}')" "laptop.lab"
t_expect_eq "dig reverse of the lease" "$(ip netns exec "$C" dig @$NET.1 +short -x "$ip")" "laptop.lab."

# restart: the lease and its name come back from the store
kill "$LABBOOT_PID"
for _ in $(seq 50); do kill -0 "$LABBOOT_PID" 2>/dev/null || break; sleep 0.1; done
t_labboot "$S" "$d/conf" "$d/labboot2.log" >/dev/null
grep -q "dns: serving lab on port 53 (1 leases loaded" "$d/labboot2.log" && t_ok "lease loaded from the store" ||
	t_fail "lease not loaded: $(grep 'dns: serving' "$d/labboot2.log")"
t_expect_eq "laptop.lab after restart" "$(ip netns exec "$C" dig @$NET.1 +short laptop.lab)" "$ip"

echo "all DNS+DHCP checks passed"
