#!/usr/bin/env bash
# DNS with real clients (dig, drill) against labboot: the lab zone
# (reservations, bare names, PTR, SOA/NS, NXDOMAIN, NODATA, static records),
# forwarding to a real upstream (dnsmasq as "the internet") with a dead
# first upstream (failover), a >512-byte answer (TC -> TCP to the upstream),
# the cache, REFUSED for a client outside the served subnets, and garbage
# that must not kill the server. Subnets 198.18.53.0/24 (lab), .54 (uplink),
# .55 (an outside client).
source "$(dirname "$0")/../lib/common.sh"
t_need_root
t_need dig drill dnsmasq python3

d=$(lab_tmpdir)
NET=198.18.53
UP=198.18.54
OUT=198.18.55
cat >"$d/conf" <<EOF
$(t_conf_server $NET.1 "$d" dns)
[dhcp]
mode = off
range = $NET.100 $NET.200
domain = lab
[dns]
enable = yes
ttl = 300
upstream = $UP.99 $UP.2
record = www CNAME alpha
record = info TXT hello from the lab
record = mirror.example.org A 198.18.9.77
[host "alpha"]
mac = 52:54:00:53:00:10
ip = $NET.10
[host "beta"]
mac = 52:54:00:53:00:11 $NET.11
mac = 52:54:00:53:00:12 $NET.12
EOF

S=dns$$ C=dnc$$ U=dnu$$ O=dno$$
lab_up "$S" "$NET"
lab_add_veth_host "$S" "$C"
ip -n "$C" addr add "$NET.50/24" dev eth0

# the uplink: server <-> upstream namespace
lab_ns "$U" "$S"
lab_veth "$S" "vu$$" "$U" eth0
ip -n "$S" addr add "$UP.1/24" dev "vu$$"
ip -n "$U" addr add "$UP.2/24" dev eth0

# an outside client, routed to the server but not in a served subnet
lab_ns "$O" "$S"
lab_veth "$S" "vo$$" "$O" eth0
ip -n "$S" addr add "$OUT.1/24" dev "vo$$"
ip -n "$O" addr add "$OUT.2/24" dev eth0
ip -n "$O" route add default via "$OUT.1"

# the "internet": dnsmasq with a few names and one answer > 1232 bytes
txt=()
for i in $(seq -w 1 12); do
	txt+=("--txt-record=big.example.net,record-$i-$(printf 'x%.0s' $(seq 150))")
done
t_bg "$U" "$d/upstream.log" dnsmasq --conf-file=/dev/null --no-resolv --no-hosts --keep-in-foreground \
	--pid-file= --user=root --local-ttl=600 --bind-interfaces --listen-address="$UP.2" --log-queries --log-facility=- \
	--address=/example.com/198.18.9.9 --host-record=www.example.net,198.18.9.10 \
	--ptr-record=9.9.18.198.in-addr.arpa,gw.example.com "${txt[@]}" >/dev/null
UPSTREAM_PID=$T_LAST_PID
t_labboot "$S" "$d/conf" "$d/labboot.log" >/dev/null
for _ in $(seq 50); do
	ip netns exec "$U" dig @"$UP.2" +short +time=1 +tries=1 www.example.net >/dev/null 2>&1 && break
	sleep 0.1
done

fails=0
check() { # WHAT GOT WANT
	if [ "$2" = "$3" ]; then t_ok "$1 = $3"; else echo "FAIL: $1: got '$2', want '$3'" >&2; fails=$((fails + 1)); fi
}
check_match() { # WHAT TEXT REGEX
	if [[ "$2" =~ $3 ]]; then t_ok "$1"; else echo "FAIL: $1: '$2' does not match '$3'" >&2; fails=$((fails + 1)); fi
}
D() { ip netns exec "$C" dig @"$NET.1" +time=5 +tries=1 "$@"; }
short() { D +short "$@" | tr '\n' ' ' | sed 's/ $//'; }
status() { D "$@" | sed -n 's/.*status: \([A-Z]*\),.*/\1/p'; }
flags() { D "$@" | sed -n 's/.*flags: \([a-z ]*\);.*/\1/p'; }
counts() { D "$@" | sed -n 's/.*ANSWER: \([0-9]*\), AUTHORITY: \([0-9]*\).*/\1 \2/p'; }

# ---- the lab zone ------------------------------------------------------
check "A alpha.lab" "$(short alpha.lab)" "$NET.10"
check "A bare alpha" "$(short alpha)" "$NET.10"
check "A beta.lab (two NICs)" "$(short beta.lab | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')" "$NET.11 $NET.12"
check "answer keeps the client's letter case" "$(D AlPhA.LaB | awk '$4 == "A" {print $1}')" "AlPhA.LaB."
check_match "AA bit on local answers" "$(flags alpha.lab)" "aa"
check "PTR of a reservation" "$(short -x $NET.10)" "alpha.lab."
check "PTR of a second NIC" "$(short -x $NET.12)" "beta.lab."
check "PTR unknown in a served subnet" "$(status -x $NET.99)" "NXDOMAIN"
check "AAAA of a local name: NODATA" "$(status AAAA alpha.lab)" "NOERROR"
check "AAAA of a local name: 0 answers, SOA in authority" "$(counts AAAA alpha.lab)" "0 1"
check "unknown lab name" "$(status nosuch.lab)" "NXDOMAIN"
check "NXDOMAIN carries the SOA" "$(counts nosuch.lab)" "0 1"
check_match "SOA lab" "$(short SOA lab)" "^ns\.lab\. hostmaster\.lab\. [0-9]+ 3600 600 86400 300$"
check "NS lab" "$(short NS lab)" "ns.lab."
check "A ns.lab" "$(short ns.lab)" "$NET.1"
check "CNAME chased locally" "$(short www.lab)" "alpha.lab. $NET.10"
check "static TXT" "$(short TXT info.lab)" '"hello from the lab"'
check "static A outside the domain" "$(short mirror.example.org)" "198.18.9.77"
check "TCP query" "$(short +tcp beta.lab | wc -w)" "2"
check "EDNS bufsize query" "$(short +bufsize=4096 alpha.lab)" "$NET.10"
check_match "EDNS OPT echoed" "$(D +bufsize=4096 alpha.lab)" "OPT PSEUDOSECTION"
check_match "no OPT without EDNS" "$(D +noedns alpha.lab | grep -c 'OPT PSEUDOSECTION')" "^0$"
check "drill A" "$(ip netns exec "$C" drill alpha.lab @"$NET.1" | awk '$1 == "alpha.lab." && $4 == "A" {print $5}')" "$NET.10"
check "drill PTR" "$(ip netns exec "$C" drill -x $NET.11 @"$NET.1" | awk '$4 == "PTR" && NF == 5 {print $5}')" "beta.lab."
check_match "drill over TCP" "$(ip netns exec "$C" drill -t beta.lab @"$NET.1")" "rcode: NOERROR"

# ---- forwarding: the first upstream is dead -----------------------------
start=$(date +%s%N)
check "forwarded A (first upstream dead)" "$(short www.example.com)" "198.18.9.9"
echo "first forwarded answer after $(( ($(date +%s%N) - start) / 1000000 )) ms"
grep -q "upstream $UP.99 did not answer in time" "$d/labboot.log" && t_ok "failed over from the dead upstream" ||
	{ echo "FAIL: no failover logged" >&2; fails=$((fails + 1)); }
check "forwarded A, other name" "$(short www.example.net)" "198.18.9.10"
check_match "forwarded answers are not authoritative" "$(flags www.example.net)" "^qr rd ra$"
check "forwarded, mixed case" "$(D WwW.ExAmPlE.NeT | awk '$4 == "A" {print $1}')" "WwW.ExAmPlE.NeT."
check "PTR outside the served subnets is forwarded" "$(short -x 198.18.9.9)" "gw.example.com."

# ---- the cache ----------------------------------------------------------
n1=$(grep -c 'query\[A\] www.example.com' "$d/upstream.log")
check "cached answer" "$(short www.example.com)" "198.18.9.9"
check "cached, mixed case" "$(short WWW.EXAMPLE.COM)" "198.18.9.9"
check "upstream not asked again" "$(grep -c 'query\[A\] www.example.com' "$d/upstream.log")" "$n1"
ttl=$(D www.example.com | awk '$4 == "A" {print $2}')
[ "$ttl" -le 600 ] && t_ok "cached TTL $ttl" || { echo "FAIL: TTL $ttl" >&2; fails=$((fails + 1)); }

# ---- > 512 bytes: TC from the upstream, TCP to it, TC to a small client ---
check "big TXT over UDP (via TC retry)" "$(short TXT big.example.net | grep -o 'record-' | wc -l)" "12"
grep -q "truncated answer from $UP.2, retrying over TCP" "$d/labboot.log" && t_ok "upstream TC -> TCP" ||
	{ echo "FAIL: no TCP retry to the upstream" >&2; fails=$((fails + 1)); }
check_match "small client gets TC" "$(flags +ignore +noedns TXT big.example.net)" "tc"
check "big TXT over TCP" "$(short +tcp TXT big.example.net | grep -o 'record-' | wc -l)" "12"
check "drill big TXT over TCP" "$(ip netns exec "$C" drill -t TXT big.example.net @"$NET.1" | grep -c '^big.example.net.*TXT')" "12"

# ---- not an open resolver ------------------------------------------------
O_status() { ip netns exec "$O" dig @"$NET.1" +time=3 +tries=1 "$@" | sed -n 's/.*status: \([A-Z]*\),.*/\1/p'; }
check "outside client, forwarded name" "$(O_status www.example.com)" "REFUSED"
check "outside client, local name" "$(O_status alpha.lab)" "REFUSED"
check "outside client over TCP" "$(O_status +tcp www.example.com)" "REFUSED"

# ---- hostile input -------------------------------------------------------
cat >"$d/garbage.py" <<'EOF'
import os, socket, struct, sys
srv = (sys.argv[1], 53)
def hdr(id_, flags, qd, an=0, ns=0, ar=0):
    return struct.pack(">HHHHHH", id_, flags, qd, an, ns, ar)
q = b"\x05alpha\x03lab\x00\x00\x01\x00\x01"
cases = {
    "empty": b"",
    "runt": b"\x12\x34\x01",
    "random": os.urandom(300),
    "compression loop": hdr(1, 0x100, 1) + b"\xc0\x0c\x00\x01\x00\x01",
    "forward pointer": hdr(2, 0x100, 1) + b"\xc0\x20\x00\x01\x00\x01" + b"\x00" * 30,
    "label overflow": hdr(3, 0x100, 1) + b"\x3f" + b"a" * 10,
    "qdcount 2": hdr(4, 0x100, 2) + q,
    "qdcount 0": hdr(5, 0x100, 0),
    "a response": hdr(6, 0x8180, 1) + q,
    "oversized": hdr(7, 0x100, 1) + q + b"\x00" * 5000,
    "bad counts": hdr(8, 0x100, 1, 0xffff, 0xffff, 0xffff) + q,
}
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.5)
formerr = 0
for name, pkt in cases.items():
    s.sendto(pkt, srv)
    try:
        data = s.recv(4096)
        rcode = data[3] & 0xf if len(data) >= 4 else -1
        print(f"{name}: reply rcode {rcode}")
        formerr += rcode == 1
    except socket.timeout:
        print(f"{name}: no reply")
for _ in range(2000):
    s.sendto(os.urandom(40), srv)
# TCP: a huge length prefix, then a half query, then garbage
for payload in (b"\xff\xff" + b"x" * 100, struct.pack(">H", 40) + hdr(9, 0x100, 1), os.urandom(64)):
    t = socket.create_connection(srv, timeout=2)
    t.sendall(payload)
    t.close()
print(f"formerr {formerr}")
EOF
out=$(ip netns exec "$C" python3 "$d/garbage.py" "$NET.1")
echo "$out"
kill -0 "$LABBOOT_PID" && t_ok "labboot survived the garbage" || t_fail "labboot died"
check_match "FORMERR for malformed queries" "$(echo "$out" | tail -1)" "^formerr [4-9]$"
check "a response sent to the server is ignored" "$(echo "$out" | grep '^a response:')" "a response: no reply"
check "still answers after the garbage" "$(short alpha.lab)" "$NET.10"
check "still forwards after the garbage" "$(short www.example.net)" "198.18.9.10"
grep -q "suppressed\|malformed query" "$d/labboot.log" && t_ok "hostile input logged (rate-limited)"
[ "$(grep -c 'malformed query' "$d/labboot.log")" -le 10 ] && t_ok "log lines rate-limited" ||
	{ echo "FAIL: log not rate-limited" >&2; fails=$((fails + 1)); }

# ---- every upstream gone: SERVFAIL for new names, cache still serves ------
kill "$UPSTREAM_PID"
wait "$UPSTREAM_PID" 2>/dev/null || true
check "all upstreams dead" "$(status nothere.example.com)" "SERVFAIL"
check "cache outlives the upstream" "$(short www.example.com)" "198.18.9.9"

kill "$LABBOOT_PID"
for _ in $(seq 50); do kill -0 "$LABBOOT_PID" 2>/dev/null || break; sleep 0.1; done
grep "dns: .* queries" "$d/labboot.log" || true
[ "$fails" -eq 0 ] || t_fail "$fails check(s) failed"
echo "all DNS client checks passed"
