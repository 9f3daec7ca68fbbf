#!/usr/bin/env bash
# labboot as a proxyDHCP server (PXE 2.1) beside the network's real DHCP
# server, dnsmasq, on one bridge (198.18.15.0/24):
#  - a normal client gets its address from dnsmasq; labboot leaves it alone
#    and logs so;
#  - a PXE ROM-like client gets dnsmasq's OFFER and labboot's proxy OFFER
#    (yiaddr 0, siaddr labboot, option 60 PXEClient, undionly.kpxe), and an
#    ACK with the boot file to its REQUEST on port 4011;
#  - an iPXE client (user class "iPXE") gets http://<labboot>/boot.ipxe?mac=.
# Then authoritative mode beside dnsmasq refuses to start, unless force = yes.
source "$(dirname "$0")/../lib/common.sh"
t_need_root
t_need dnsmasq busybox python3 jq

PYCLIENT=$ROOT/tests/lib/dhcp_client.py
NET=198.18.15
PXE_VC=PXEClient:Arch:00000:UNDI:002001
d=$(lab_tmpdir)
cat >"$d/proxy.conf" <<EOF
$(t_conf_server $NET.1 "$d")
[dhcp]
mode = proxy
EOF

S=pxs$$ D=pxd$$
lab_up "$S" "$NET"
lab_add_veth_host "$S" "$D" 52:54:00:15:00:fe      # dnsmasq's namespace, 198.18.15.2
ip -n "$D" addr add "$NET.2/24" dev eth0
lab_add_veth_host "$S" pxa$$ 52:54:00:15:00:01   # normal client
lab_add_veth_host "$S" pxb$$ 52:54:00:15:00:02   # PXE ROM
lab_add_veth_host "$S" pxc$$ 52:54:00:15:00:03   # iPXE

t_bg "$D" "$d/dnsmasq.log" dnsmasq --conf-file=/dev/null --port=0 --keep-in-foreground --log-facility=- \
	--bind-interfaces --interface=eth0 --dhcp-range=$NET.100,$NET.150,1h --dhcp-authoritative --no-ping \
	--pid-file="$d/dnsmasq.pid" --dhcp-leasefile="$d/dnsmasq.leases" --user=root --log-dhcp >/dev/null
for _ in $(seq 50); do grep -q "DHCP, IP range" "$d/dnsmasq.log" 2>/dev/null && break; sleep 0.1; done
grep -q "DHCP, IP range" "$d/dnsmasq.log" || { cat "$d/dnsmasq.log"; t_fail "dnsmasq did not start"; }
LB=$(t_labboot "$S" "$d/proxy.conf" "$d/labboot.log")
# shellcheck disable=SC2016  # expanded at exit
lab_on_exit '[ "$LAB_RC" = 0 ] || { echo "---- labboot"; cat "$d/labboot.log"; echo "---- dnsmasq"; tail -40 "$d/dnsmasq.log"; }'

py() { local ns=$1; shift; ip netns exec "$ns" python3 "$PYCLIENT" -i eth0 -m "$(ip -n "$ns" link show eth0 | awk '/ether/ {print $2}')" "$@"; }

# ---- a normal client: dnsmasq's business -------------------------------------------
printf '#!/bin/sh\n[ "$1" = bound ] && env | sort >"$0.bound"\nexit 0\n' >"$d/hook"
chmod +x "$d/hook"
timeout 30 ip netns exec pxa$$ busybox udhcpc -i eth0 -n -q -t 4 -T 2 -s "$d/hook" >"$d/udhcpc.out" 2>&1 ||
	{ cat "$d/udhcpc.out"; t_fail "normal client got no lease"; }
t_expect_eq "normal client's server" "$(sed -n 's/^serverid=//p' "$d/hook.bound")" "$NET.2"
grep -q "DISCOVER 52:54:00:15:00:01: not a network boot client (proxy mode)" "$d/labboot.log" ||
	t_fail "labboot did not log that it left the normal client alone"
t_ok "labboot left the normal client alone"
if grep -E "52:54:00:15:00:01 -> " "$d/labboot.log"; then t_fail "labboot answered a normal client in proxy mode"; fi

# ---- a PXE ROM: dnsmasq's address, labboot's boot answer ----------------------------------
py pxb$$ --vendor-class "$PXE_VC" --arch 0 --timeout 3 --all discover >"$d/pxe-offers.json" || t_fail "no offers to PXE client"
cat "$d/pxe-offers.json"
proxy_offer=$(jq -c "select(.server_id == \"$NET.1\")" "$d/pxe-offers.json")
[ -n "$proxy_offer" ] || t_fail "no proxy OFFER from labboot"
t_expect_eq "proxy OFFER" "$(jq -r '[.type, .yiaddr, .siaddr, .vendor_class, .file] | join(" ")' <<<"$proxy_offer")" \
	"OFFER 0.0.0.0 $NET.1 PXEClient undionly.kpxe"
t_expect_eq "proxy OFFER has no lease options" "$(jq -r '.options | (has("51") or has("1") or has("3"))' <<<"$proxy_offer")" false
dns_offer=$(jq -r "select(.server_id == \"$NET.2\") | .yiaddr" "$d/pxe-offers.json")
[ -n "$dns_offer" ] || t_fail "dnsmasq did not offer to the PXE client"
t_ok "dnsmasq offered $dns_offer to the PXE client"
py pxb$$ --vendor-class "$PXE_VC" --arch 0 dora >"$d/pxe-dora.json" || t_fail "PXE client got no address"
PXE_IP=$(jq -r 'select(.type == "ACK") | .yiaddr' "$d/pxe-dora.json")
t_expect_eq "PXE client's address server" "$(jq -r 'select(.type == "ACK") | .server_id' "$d/pxe-dora.json")" "$NET.2"
ip -n pxb$$ addr add "$PXE_IP/24" dev eth0
py pxb$$ --vendor-class "$PXE_VC" --arch 0 request --ciaddr "$PXE_IP" --server "$NET.1" --port 4011 >"$d/pxe-4011.json" ||
	t_fail "no answer on port 4011"
t_expect_eq "port 4011 ACK" "$(jq -r '[.type, .yiaddr, .siaddr, .vendor_class, .file, .from] | join(" ")' "$d/pxe-4011.json")" \
	"ACK 0.0.0.0 $NET.1 PXEClient undionly.kpxe $NET.1:4011"
grep -q "REQUEST 52:54:00:15:00:02 -> ACK 0.0.0.0 file undionly.kpxe" "$d/labboot.log" || t_fail "4011 ACK not logged"
# A REQUEST to port 67 is the other server's: labboot must not ACK it.
grep -q "REQUEST 52:54:00:15:00:02: left to the network's DHCP server (proxy mode)" "$d/labboot.log" ||
	t_fail "labboot did not leave the PXE client's address REQUEST to dnsmasq"

# ---- an iPXE client: its script URL ---------------------------------------------------------
py pxc$$ --vendor-class "$PXE_VC" --user-class iPXE --arch 0 --timeout 3 --all discover >"$d/ipxe-offers.json" ||
	t_fail "no offers to the iPXE client"
ipxe=$(jq -c "select(.server_id == \"$NET.1\")" "$d/ipxe-offers.json")
[ -n "$ipxe" ] || t_fail "no proxy OFFER to the iPXE client"
url=$(jq -r 'if .file != "" then .file else .bootfile_opt end' <<<"$ipxe")
t_expect_eq "iPXE boot URL" "$url" "http://$NET.1/boot.ipxe?mac=52:54:00:15:00:03"
t_expect_eq "iPXE proxy OFFER yiaddr" "$(jq -r .yiaddr <<<"$ipxe")" 0.0.0.0

# ---- authoritative beside dnsmasq: refuse, unless forced ------------------------------------
kill "$LB"
for _ in $(seq 50); do kill -0 "$LB" 2>/dev/null || break; sleep 0.1; done
sed -e 's/^mode = proxy/mode = authoritative\nrange = 198.18.15.160 198.18.15.170/' "$d/proxy.conf" >"$d/auth.conf"
rc=0
timeout 20 ip netns exec "$S" "$LABBOOT" serve -c "$d/auth.conf" >"$d/auth.log" 2>&1 || rc=$?
cat "$d/auth.log"
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || t_fail "authoritative labboot beside dnsmasq did not refuse to start (rc $rc)"
grep -q "another DHCP server ($NET.2) answers on br0" "$d/auth.log" || t_fail "refusal does not name dnsmasq"
t_ok "authoritative mode refuses to start beside dnsmasq (rc $rc)"
sed -i 's/^mode = authoritative/mode = authoritative\nforce = yes/' "$d/auth.conf"
t_labboot "$S" "$d/auth.conf" "$d/forced.log" >/dev/null || t_fail "force = yes did not start"
t_ok "force = yes starts beside dnsmasq"
echo PASS
