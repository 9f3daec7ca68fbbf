#!/usr/bin/env bash
# Real DHCP clients, each with a different client identifier, get the
# reservation of their MAC and its hostname: ISC dhclient (no option 61),
# dhcpcd (DUID), busybox udhcpc (a custom option 61) and systemd-networkd
# (DUID). A machine without reservation gets a pool address.
source "$(dirname "$0")/../lib/common.sh"
t_need_root
t_need dhclient dhcpcd busybox
d=$(t_tmpdir)
cat > "$d/conf" <<C
[server]
interface = br0
address = 198.18.23.1
state-dir = $d/state
[dhcp]
range = 198.18.23.100 198.18.23.200
lease-time = 48h
router = 198.18.23.1
dns = 198.18.23.1
domain = lab
force = yes
[tftp]
enable = no
[http]
enable = no
[dns]
enable = no
[host "alpha"]
mac = 52:54:00:23:00:01
ip = 198.18.23.11
[host "beta"]
mac = 52:54:00:23:00:02
ip = 198.18.23.12
[host "gamma"]
mac = 52:54:00:23:00:03
ip = 198.18.23.13
[host "delta"]
mac = 52:54:00:23:00:04
ip = 198.18.23.14
C
lab=lbdc$$
t_lab "$lab" 198.18.23
t_client "$lab" dhc$$ 52:54:00:23:00:01
t_client "$lab" dcd$$ 52:54:00:23:00:02
t_client "$lab" udh$$ 52:54:00:23:00:03
t_client "$lab" nwd$$ 52:54:00:23:00:04
t_client "$lab" dyn$$ 52:54:00:23:00:99
t_labboot "$lab" "$d/conf" "$d/log"
addr_of() { ip -n "$1" -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1 | head -1; }

# ISC dhclient: no client identifier by default
t_bg dhc$$ "$d/dhclient.out" dhclient -1 -d -sf /bin/true -lf "$d/dhclient.leases" -pf "$d/dhclient.pid" eth0
for _ in $(seq 150); do grep -q "bound to" "$d/dhclient.out" && break; sleep 0.2; done
grep -q "fixed-address 198.18.23.11;" "$d/dhclient.leases" || t_fail "dhclient lease: $(cat "$d/dhclient.leases")"
grep -q 'option host-name "alpha";' "$d/dhclient.leases" || t_fail "dhclient hostname"
grep -q 'option domain-name "lab";' "$d/dhclient.leases" || t_fail "dhclient domain"
t_ok "dhclient got 198.18.23.11 and host-name alpha"

# dhcpcd: DUID client identifier; its hook environment shows what it got
cat > "$d/dhcpcd-hook" <<H
#!/bin/sh
[ "\$reason" = BOUND ] && echo "BOUND ip=\$new_ip_address host=\$new_host_name" >> "$d/dhcpcd.out"
exit 0
H
chmod 755 "$d" "$d/dhcpcd-hook"
ip netns exec dcd$$ timeout 40 dhcpcd -4 -1 -B -t 30 --duid \
	-c "$d/dhcpcd-hook" -f /dev/null --nohook resolv.conf -h "" eth0 >"$d/dhcpcd.log" 2>&1 || true
grep -q "BOUND ip=198.18.23.12 host=beta" "$d/dhcpcd.out" 2>/dev/null || \
	t_fail "dhcpcd: $(cat "$d/dhcpcd.out" 2>/dev/null) $(tail -5 "$d/dhcpcd.log")"
t_ok "dhcpcd (DUID) got 198.18.23.12 and host-name beta"

# busybox udhcpc with its own client identifier
cat > "$d/udhcpc.sh" <<'H'
#!/bin/sh
[ "$1" = bound ] && echo "bound ip=$ip hostname=$hostname domain=$domain router=$router dns=$dns" >> "$UDHCPC_OUT"
exit 0
H
chmod +x "$d/udhcpc.sh"
ip netns exec udh$$ env UDHCPC_OUT="$d/udhcpc.out" timeout 30 busybox udhcpc -i eth0 -n -q -f \
	-x 0x3d:ff00112233445566 -s "$d/udhcpc.sh" >/dev/null 2>&1 || t_fail "udhcpc got no lease"
grep -q "bound ip=198.18.23.13 hostname=gamma domain=lab router=198.18.23.1 dns=198.18.23.1" "$d/udhcpc.out" \
	|| t_fail "udhcpc: $(cat "$d/udhcpc.out")"
t_ok "udhcpc (custom client id) got 198.18.23.13, gamma, router and DNS"

# systemd-networkd, standalone in the client namespace with a private /run
if [ -x /lib/systemd/systemd-networkd ] && id systemd-network >/dev/null 2>&1; then
	cat > "$d/nwd.sh" <<H
#!/bin/sh
mount -t tmpfs tmpfs /run
# a read-only sysfs of this namespace: networkd then does not wait for udev
umount -l /sys 2>/dev/null; mount -t sysfs -o ro sysfs /sys
mkdir -p /run/systemd/network /run/systemd/netif
chown -R systemd-network: /run/systemd/netif
printf '[Match]\nName=eth0\n[Network]\nDHCP=ipv4\n[DHCPv4]\nUseHostname=no\n' > /run/systemd/network/eth0.network
exec /lib/systemd/systemd-networkd
H
	chmod +x "$d/nwd.sh"
	t_bg nwd$$ "$d/networkd.log" unshare -m "$d/nwd.sh"
	for _ in $(seq 150); do [ "$(addr_of nwd$$)" = 198.18.23.14 ] && break; sleep 0.2; done
	[ "$(addr_of nwd$$)" = 198.18.23.14 ] || t_fail "networkd: $(cat "$d/networkd.log")"
	grep -q "REQUEST 52:54:00:23:00:04 -> ACK 198.18.23.14 host delta" "$d/log" || t_fail "no ACK for networkd in log"
	t_ok "systemd-networkd (DUID) got its reservation with host delta"
else
	t_fail "systemd-networkd is not installed (scripts/install-deps.sh installs systemd)"
fi

# a machine without reservation gets a pool address
ip netns exec dyn$$ env UDHCPC_OUT="$d/dyn.out" timeout 30 busybox udhcpc -i eth0 -n -q -f -s "$d/udhcpc.sh" \
	>/dev/null 2>&1 || t_fail "dynamic client got no lease"
ip=$(sed -n 's/.*bound ip=\([0-9.]*\).*/\1/p' "$d/dyn.out")
last=${ip##*.}
[ "${ip%.*}" = 198.18.23 ] && [ "$last" -ge 100 ] && [ "$last" -le 200 ] || t_fail "pool address: $ip"
t_ok "dynamic client got $ip from the range"

"$LABBOOT" leases -c "$d/conf" > "$d/leases"
for want in "198.18.23.11 .* alpha" "198.18.23.12 .* beta" "198.18.23.13 .* gamma" "198.18.23.14 .* delta" "$ip "; do
	grep -q "$want" "$d/leases" || t_fail "labboot leases lacks $want: $(cat "$d/leases")"
done
t_ok "labboot leases lists all five"
