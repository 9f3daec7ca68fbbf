#!/usr/bin/env bash
# Real DHCP clients against labboot: ISC dhclient, dhcpcd, busybox udhcpc and
# systemd-networkd each get their reserved address and the reservation's
# host name, each while sending a different client identifier (none, a
# DUID, a made-up one, networkd's DUID): reservations match on the MAC.
# A client without a reservation gets a pool address; `labboot leases`
# lists them all. Subnet 198.18.10.0/24.
source "$(dirname "$0")/../lib/common.sh"
t_need_root
t_need dhclient dhcpcd busybox unshare sqlite3 python3 jq
NETWORKD=/lib/systemd/systemd-networkd

d=$(lab_tmpdir)
NET=198.18.10
cat >"$d/conf" <<EOF
$(t_conf_server $NET.1 "$d")
[dhcp]
mode = authoritative
range = $NET.100 $NET.150
lease-time = 1h
router = $NET.1
dns = $NET.1
domain = lab
[host "dhc1"]
mac = 52:54:00:10:00:01
ip = $NET.11
[host "dcd1"]
mac = 52:54:00:10:00:02
ip = $NET.12
[host "udh1"]
mac = 52:54:00:10:00:03
ip = $NET.13
[host "nwd1"]
mac = 52:54:00:10:00:04
ip = $NET.14
EOF

S=dcs$$
lab_up "$S" "$NET"
lab_add_veth_host "$S" dcA$$ 52:54:00:10:00:01
lab_add_veth_host "$S" dcB$$ 52:54:00:10:00:02
lab_add_veth_host "$S" dcC$$ 52:54:00:10:00:03
lab_add_veth_host "$S" dcD$$ 52:54:00:10:00:04
lab_add_veth_host "$S" dcE$$ 52:54:00:10:00:99
t_labboot "$S" "$d/conf" "$d/labboot.log" >/dev/null

# Lease row as "state|hostname|client-id hex" straight from the store.
lease_row() {
	local ip=$1 n
	IFS=. read -r a b c n <<<"$ip"
	sqlite3 "$d/state/labboot.db" \
		"SELECT state, hostname, hex(client_id) FROM leases WHERE ip = $(( (a << 24) | (b << 16) | (c << 8) | n ))"
}
lease_client_id() { lease_row "$1" | cut -d'|' -f3; }

env_dump() { # a hook script that saves its environment per call
	cat >"$1" <<'EOF'
#!/bin/sh
env | sort >"$(dirname "$0")/$(basename "$0").${reason:-$1}"
EOF
	chmod +x "$1"
}

fails=0
check() { # WHAT GOT WANT: like t_expect_eq but keeps going
	if [ "$2" = "$3" ]; then t_ok "$1 = $3"; else echo "FAIL: $1: got '$2', want '$3'" >&2; fails=$((fails + 1)); fi
}

# ---- ISC dhclient: no client identifier, only chaddr --------------------
cat >"$d/dhclient.conf" <<'EOF'
request subnet-mask, broadcast-address, routers, domain-name, domain-name-servers, host-name;
EOF
env_dump "$d/dhclient-hook"
timeout 30 ip netns exec dcA$$ dhclient -1 -v -cf "$d/dhclient.conf" -sf "$d/dhclient-hook" \
	-lf "$d/dhclient.leases" -pf "$d/dhclient.pid" eth0 >"$d/dhclient.out" 2>&1 || {
	cat "$d/dhclient.out"; t_fail "dhclient got no lease"; }
lab_register_pid "$(cat "$d/dhclient.pid")" # dhclient -1 daemonizes once bound
check "dhclient address" "$(sed -n 's/^new_ip_address=//p' "$d/dhclient-hook.BOUND")" "$NET.11"
check "dhclient lease-file host-name" "$(sed -n 's/^ *option host-name "\(.*\)";/\1/p' "$d/dhclient.leases" | tail -1)" dhc1
check "dhclient hook host name" "$(sed -n 's/^new_host_name=//p' "$d/dhclient-hook.BOUND")" dhc1
check "dhclient sent no client id" "$(lease_client_id $NET.11)" ""

# ---- dhcpcd: DUID client identifier (RFC 4361), own state dirs ------------
# dhcpcd keeps its DUID, leases and control socket in /var/lib/dhcpcd and
# /run/dhcpcd: private tmpfs in a private mount namespace, and our own hook
# script (-c) instead of the system's hooks so the host is never touched.
cat >"$d/dhcpcd.conf" <<'EOF'
duid
option host_name
nohook resolv.conf, hostname, timesyncd, ntp.conf
EOF
env_dump "$d/dhcpcd-hook"
timeout 40 ip netns exec dcB$$ unshare -m -u sh -c '
	for dir in /var/lib/dhcpcd /run/dhcpcd; do mkdir -p $dir && mount -t tmpfs tmpfs $dir; done
	exec dhcpcd -f "$1" -c "$2" -B -1 -4 -t 20 eth0' sh "$d/dhcpcd.conf" "$d/dhcpcd-hook" >"$d/dhcpcd.out" 2>&1 || {
	cat "$d/dhcpcd.out"; t_fail "dhcpcd got no lease"; }
check "dhcpcd address" "$(sed -n 's/^new_ip_address=//p' "$d/dhcpcd-hook.BOUND")" "$NET.12"
check "dhcpcd host name" "$(sed -n 's/^new_host_name=//p' "$d/dhcpcd-hook.BOUND")" dcd1
check "dhcpcd configured eth0" "$(ip -n dcB$$ -4 -o addr show eth0 | awk '{print $4}')" "$NET.12/24"
cid=$(lease_client_id $NET.12)
[[ "$cid" == FF* ]] && [ ${#cid} -gt 20 ] || { echo "FAIL: dhcpcd client id '$cid' is not an RFC 4361 DUID" >&2; fails=$((fails + 1)); }
t_ok "dhcpcd client id $cid (RFC 4361 IAID+DUID)"

# ---- busybox udhcpc: a made-up client identifier --------------------------
env_dump "$d/udhcpc-hook"
UDHCPC_CID=00deadbeef0010
timeout 30 ip netns exec dcC$$ busybox udhcpc -i eth0 -n -q -t 5 -T 2 -x "0x3d:$UDHCPC_CID" \
	-s "$d/udhcpc-hook" >"$d/udhcpc.out" 2>&1 || { cat "$d/udhcpc.out"; t_fail "udhcpc got no lease"; }
check "udhcpc address" "$(sed -n 's/^ip=//p' "$d/udhcpc-hook.bound")" "$NET.13"
check "udhcpc host name" "$(sed -n 's/^hostname=//p' "$d/udhcpc-hook.bound")" udh1
check "udhcpc client id" "$(lease_client_id $NET.13)" "${UDHCPC_CID^^}"

# ---- systemd-networkd: DUID client identifier ------------------------------
# networkd runs as a plain process: private mount and UTS namespaces, a
# tmpfs /run (no D-Bus, so no hostnamed: the host name is read from its lease
# file), /sys read-only so it does not wait for udev (systemd's container rule).
cat >"$d/10-labboot-test.network" <<'EOF'
[Match]
Name=eth0
[Network]
DHCP=ipv4
LinkLocalAddressing=no
IPv6AcceptRA=no
[DHCPv4]
ClientIdentifier=duid
UseHostname=yes
UseDNS=no
EOF
cat >"$d/networkd.sh" <<EOF
set -e
mount -t tmpfs tmpfs /run
mkdir -p /run/systemd/network /run/systemd/netif
cp "$d/10-labboot-test.network" /run/systemd/network/
chown -R systemd-network:systemd-network /run/systemd/netif 2>/dev/null || true
umount /sys 2>/dev/null || true
mount -t sysfs -o ro sysfs /sys
SYSTEMD_LOG_LEVEL=debug SYSTEMD_LOG_TARGET=console $NETWORKD >"$d/networkd.log" 2>&1 &
pid=\$!
for _ in \$(seq 60); do
	grep -qs '^ADDRESS=' /run/systemd/netif/leases/* && break
	kill -0 \$pid || exit 3
	sleep 0.5
done
cat /run/systemd/netif/leases/* >"$d/networkd.lease" 2>/dev/null || true
ip -4 -o addr show eth0 >"$d/networkd.addr"
kill \$pid; wait \$pid || true
EOF
if [ ! -x "$NETWORKD" ]; then
	echo "FAIL: $NETWORKD not installed (package systemd)" >&2
	fails=$((fails + 1))
elif ! timeout 60 ip netns exec dcD$$ unshare -m -u sh "$d/networkd.sh" >"$d/networkd.out" 2>&1; then
	cat "$d/networkd.out" "$d/networkd.log" >&2 || true
	echo "FAIL: systemd-networkd did not run in the namespace" >&2
	fails=$((fails + 1))
else
	check "networkd address" "$(awk '{print $4}' "$d/networkd.addr")" "$NET.14/24"
	check "networkd lease ADDRESS" "$(sed -n 's/^ADDRESS=//p' "$d/networkd.lease")" "$NET.14"
	check "networkd lease HOSTNAME" "$(sed -n 's/^HOSTNAME=//p' "$d/networkd.lease")" nwd1
	cid=$(lease_client_id $NET.14)
	[[ "$cid" == FF* ]] && [ ${#cid} -gt 20 ] || { echo "FAIL: networkd client id '$cid' is not a DUID" >&2; fails=$((fails + 1)); }
	t_ok "networkd client id $cid"
fi

# ---- a client without a reservation: an address from the range --------------
env_dump "$d/pool-hook"
timeout 30 ip netns exec dcE$$ busybox udhcpc -i eth0 -n -q -t 5 -T 2 -s "$d/pool-hook" >"$d/pool.out" 2>&1 || {
	cat "$d/pool.out"; t_fail "pool client got no lease"; }
pool_ip=$(sed -n 's/^ip=//p' "$d/pool-hook.bound")
n=${pool_ip##*.}
[ "${pool_ip%.*}" = "$NET" ] && [ "$n" -ge 100 ] && [ "$n" -le 150 ] || { echo "FAIL: pool address '$pool_ip' outside the range" >&2; fails=$((fails + 1)); }
t_ok "pool client got $pool_ip"
check "pool client gets no host name" "$(sed -n 's/^hostname=//p' "$d/pool-hook.bound")" ""
check "pool client router" "$(sed -n 's/^router=//p' "$d/pool-hook.bound")" "$NET.1"

# ---- labboot leases lists every one of them -----------------------------------
# (networkd sends a RELEASE when it stops, SendRelease= defaults to yes.)
"$LABBOOT" leases -c "$d/conf" >"$d/leases.txt"
cat "$d/leases.txt"
for want in "$NET.11 52:54:00:10:00:01 bound dhc1" "$NET.12 52:54:00:10:00:02 bound dcd1" \
	"$NET.13 52:54:00:10:00:03 bound udh1" "$NET.14 52:54:00:10:00:04 released nwd1" \
	"$pool_ip 52:54:00:10:00:99 bound -"; do
	read -r ip mac state host <<<"$want"
	got=$(awk -v ip="$ip" '$1 == ip {print $1, $2, $3, $NF}' "$d/leases.txt")
	check "labboot leases $ip" "$got" "$ip $mac $state $host"
done
check "labboot leases count" "$(tail -n +2 "$d/leases.txt" | wc -l)" 5

# ---- a client without a reservation must not take a reserved host's name ---------
# Its option 12 "dhc1" names the reserved host dhc1; the lease (and the DNS
# name the lease hook publishes) must not carry it, or any client could
# hijack dhc1.lab. dnsmasq refuses such names the same way.
ip netns exec dcE$$ python3 "$ROOT/tests/lib/dhcp_client.py" -i eth0 -m 52:54:00:10:00:98 --hostname dhc1 dora \
	>"$d/hijack.json" || { echo "FAIL: hostname-claiming client got no lease" >&2; fails=$((fails + 1)); }
hijack_ip=$(jq -r 'select(.type == "ACK") | .yiaddr' "$d/hijack.json" 2>/dev/null || true)
check "reply hostname to a client claiming a reserved host's name" \
	"$(jq -r 'select(.type == "ACK") | .hostname // ""' "$d/hijack.json" 2>/dev/null || true)" ""
check "lease hostname of a client claiming a reserved host's name" "$(lease_row "${hijack_ip:-0.0.0.0}" | cut -d'|' -f2)" ""

if [ "$fails" -gt 0 ]; then
	echo "---- labboot log"; cat "$d/labboot.log"
	t_fail "$fails check(s) failed"
fi
echo "PASS"
