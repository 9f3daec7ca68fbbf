#!/usr/bin/env bash
# Fair shares per client (198.18.70.0/24): a hostile client at .66 tries to
# take every HTTP connection, TFTP slot, DNS answer and DHCP address while
# real clients at .50 (curl, atftp, dig) and a reserved machine (udhcpc) are
# served beside it. The limits are set low ([http] max-per-client 16,
# request-timeout 2s, [tftp] max-per-client 8, [dns] rate-limit 20; DNS over
# TCP has a fixed 8 per address) so that the counts stay small; labboot must
# stay up, refuse the excess and count it in /metrics. Timings are asserted
# loosely, and printed.
source "$(dirname "$0")/../lib/common.sh"
t_need_root
t_need curl atftp dig busybox python3 promtool

NET=198.18.70
S=$NET.1
RESERVED_MAC=52:54:00:70:00:10
d=$(lab_tmpdir)
mkdir -p "$d/http" "$d/tftp"
head -c 200000 /dev/urandom >"$d/tftp/small.bin"
truncate -s 64M "$d/http/big.bin"   # larger than any socket buffer
cat >"$d/conf" <<CONF
$(t_conf_server $S "$d" tftp http dns)
[dhcp]
mode = authoritative
range = $NET.100 $NET.120
lease-time = 1h
domain = lab
probe-time = 300ms
[tftp]
root = $d/tftp
max-per-client = 8
[http]
root = $d/http
max-per-client = 16
request-timeout = 2s
[dns]
rate-limit = 20
[host "good"]
mac = $RESERVED_MAC
ip = $NET.10
CONF
L=fs$$ G=fsg$$ H=fsh$$ R=fsr$$
lab_up "$L" "$NET"
lab_add_veth_host "$L" "$G"                   # well-behaved clients
lab_add_veth_host "$L" "$H"                   # the hostile one
lab_add_veth_host "$L" "$R" "$RESERVED_MAC"   # a reserved machine (DHCP)
ip -n "$G" addr add "$NET.50/24" dev eth0
ip -n "$H" addr add "$NET.66/24" dev eth0
t_labboot "$L" "$d/conf" "$d/log" >/dev/null
# shellcheck disable=SC2016  # expanded at exit
lab_on_exit '[ "$LAB_RC" = 0 ] || { echo "---- labboot"; tail -60 "$d/log"; }'
grep -q "limits: [0-9]* open files" "$d/log" || t_fail "the open files limit is not logged"
hostile() { ip netns exec "$H" timeout 60 python3 "$ROOT/tests/lib/hostile_client.py" "$@"; }
good() { ip netns exec "$G" "$@"; }
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
# elapsed CMD...: runs CMD, writes its wall time in ms to fd 3
elapsed() {
	local t0=$EPOCHREALTIME r=0 t1
	"$@" || r=$?
	t1=$EPOCHREALTIME
	echo $(( (${t1/./} - ${t0/./}) / 1000 )) >&3
	return $r
}
metric() { # NAME{LABELS}: its value now
	good curl -sS --max-time 10 "http://$S/metrics" | awk -v k="$1" '$1 == k { print $2 }'
}
alive() { kill -0 "$LABBOOT_PID" 2>/dev/null || t_fail "labboot died ($1)"; }

# ---- HTTP: 1500 half-sent requests from one address -----------------------
hostile http-hold "$S" 1500 8 >"$d/hold.out" 2>&1 &
hold_pid=$!
for _ in $(seq 300); do grep -q '"held"' "$d/hold.out" && break; sleep 0.1; done
held=$(grep '"held"' "$d/hold.out") || { cat "$d/hold.out"; t_fail "the hostile client did not report"; }
script=$( { elapsed good curl -sS --max-time 20 "http://$S/boot.ipxe?mac=$RESERVED_MAC"; } 3>"$d/ms")
curl_ms=$(cat "$d/ms")
wait "$hold_pid" || true
released=$(grep '"released"' "$d/hold.out") || { cat "$d/hold.out"; t_fail "no release report"; }
echo "http: hostile $held; $(grep '"attack"' "$d/hold.out"); $released; curl from another address: $curl_ms ms"
held=$(grep '"attack"' "$d/hold.out")
echo "$script" | grep -q '^#!ipxe' || t_fail "no boot script while the hostile client holds connections: $script"
n=$(field "$held" held)
{ [ "$n" -ge 1 ] && [ "$n" -le 18 ]; } || t_fail "one address holds $n connections (max-per-client 16)"
t_ok "one address holds $n of $(field "$held" tried) connections; another gets its script in $curl_ms ms"
[ "$curl_ms" -lt 5000 ] || t_fail "the script took $curl_ms ms"
[ "$(field "$released" left)" = 0 ] || t_fail "idle half requests outlived request-timeout: $released"
t_ok "half-sent requests closed after $(field "$released" after_s) s (request-timeout 2s)"

# a download the client pauses for longer than request-timeout survives
slow=$(good timeout 60 python3 "$ROOT/tests/lib/hostile_client.py" http-slow "$S" /big.bin 5)
t_expect_eq "64 MiB download paused 5 s (request-timeout 2s)" "$(field "$slow" got)" $((64 * 1024 * 1024))
alive http
v=$(metric 'labboot_client_limited_total{limit="http_connections"}')
[ "${v:-0}" -gt 0 ] || t_fail "refused HTTP connections not counted: '$v'"
t_ok "labboot_client_limited_total{limit=\"http_connections\"} $v"
v=$(metric 'labboot_client_limited_total{limit="http_request_timeout"}')
[ "${v:-0}" -ge "$n" ] || t_fail "connections closed by request-timeout not counted: '$v' (held $n)"
t_ok "labboot_client_limited_total{limit=\"http_request_timeout\"} $v"
grep -q "max-per-client" "$d/log" || t_fail "the HTTP limit is not logged"
grep -q "no whole request within 2 s" "$d/log" || t_fail "the request timeout is not logged"
[ "$(grep -c "http: .* connections open" "$d/log")" -le 20 ] || t_fail "the HTTP limit is logged without a rate limit"

# ---- TFTP: 3000 read requests never acknowledged ----------------------------
hostile tftp-flood "$S" small.bin 3000 >"$d/tftp.out" 2>&1 &
flood_pid=$!
sleep 0.3
{ elapsed good timeout 30 atftp -g -r small.bin -l "$d/got.bin" "$S" 69; } 3>"$d/ms" ||
	t_fail "atftp failed beside the flood"
atftp_ms=$(cat "$d/ms")
wait "$flood_pid" || true
flood=$(grep '"flood"' "$d/tftp.out") || { cat "$d/tftp.out"; t_fail "no flood report"; }
back=$(grep '"back"' "$d/tftp.out")
echo "tftp: hostile $flood; $back; atftp from another address: $atftp_ms ms"
cmp -s "$d/got.bin" "$d/tftp/small.bin" || t_fail "atftp got a different file"
n=$(field "$flood" transfers)
{ [ "$n" -ge 1 ] && [ "$n" -le 8 ]; } || t_fail "one address started $n transfers at once (max-per-client 8)"
[ "$(field "$flood" busy)" = 0 ] || t_fail "the server was busy: $flood"
t_ok "one address holds $n transfers; atftp from another address gets its file in $atftp_ms ms"
[ "$(field "$back" after_s)" != None ] || t_fail "the hostile client's slots never came back"
t_ok "unanswered transfers freed their slots within $(field "$back" after_s) s"
alive tftp
v=$(metric 'labboot_client_limited_total{limit="tftp_transfers"}')
[ "${v:-0}" -gt 0 ] || t_fail "refused TFTP requests not counted: '$v'"
v=$(metric 'labboot_client_limited_total{limit="tftp_first_ack"}')
[ "${v:-0}" -gt 0 ] || t_fail "transfers ended for want of a first ACK not counted: '$v'"
grep -q "no answer to the first block" "$d/log" || t_fail "no transfer ended for want of a first ACK"
t_ok "refused and unanswered TFTP transfers counted"

# ---- DNS: 3000 queries at once from one address ------------------------------
hostile dns-flood "$S" good.lab 3000 >"$d/dns.out" 2>&1 &
flood_pid=$!
sleep 0.2
a=$( { elapsed good dig +short +tries=2 +time=3 @"$S" good.lab A; } 3>"$d/ms")
dig_ms=$(cat "$d/ms")
wait "$flood_pid" || true
dns=$(grep '"dns"' "$d/dns.out") || { cat "$d/dns.out"; t_fail "no DNS flood report"; }
echo "dns: hostile $dns; dig from another address: $dig_ms ms"
t_expect_eq "dig beside a flood" "$a" "$NET.10"
n=$(field "$dns" answered)
# a burst of 40 and 20 a second while it sends and reads: a few hundred at most
{ [ "$n" -ge 1 ] && [ "$n" -le 300 ]; } || t_fail "one address got $n answers of 3000 (rate-limit 20)"
[ "$(field "$dns" truncated)" -gt 0 ] || t_fail "no TC=1 slip: $dns"
t_ok "one address got $n answers of 3000 and $(field "$dns" truncated) TC=1; dig from another in $dig_ms ms"
t_expect_eq "over TCP, not limited" "$(ip netns exec "$H" dig +short +tcp @"$S" good.lab A)" "$NET.10"
# where the slip sends clients: one address holds 8 of its 64 connections
hostile tcp-hold "$S" 53 64 5 >"$d/tcp.out" 2>&1 &
hold_pid=$!
for _ in $(seq 100); do grep -q '"held"' "$d/tcp.out" && break; sleep 0.1; done
tcp=$(grep '"held"' "$d/tcp.out") || { cat "$d/tcp.out"; t_fail "no TCP hold report"; }
a=$( { elapsed good dig +short +tcp +tries=1 +time=5 @"$S" good.lab A; } 3>"$d/ms")
dig_tcp_ms=$(cat "$d/ms")
wait "$hold_pid" || true
echo "dns: hostile $tcp; dig +tcp from another address: $dig_tcp_ms ms"
t_expect_eq "dig +tcp beside 64 idle TCP connections" "$a" "$NET.10"
t_expect_eq "idle DNS TCP connections one address holds" "$(field "$tcp" held)" 8
alive dns
for k in dns_dropped dns_truncated dns_tcp_connections; do
	v=$(metric "labboot_client_limited_total{limit=\"$k\"}")
	[ "${v:-0}" -gt 0 ] || t_fail "$k not counted: '$v'"
done
v=$(metric 'labboot_dns_queries_total{outcome="rate_limited"}')
[ "${v:-0}" -gt 0 ] || t_fail "rate-limited queries not counted as an outcome: '$v'"
t_ok "rate-limited queries counted ($v)"

# ---- DHCP: 3000 DISCOVERs from random MACs, many asking for the reservation --
dh=$(hostile dhcp-flood eth0 "$S" 3000 "$NET.10")
echo "dhcp: hostile $dh"
[ "$(field "$dh" reserved_given)" = 0 ] || t_fail "an unknown MAC was given the reserved address: $dh"
[ "$(field "$dh" addresses)" -le 21 ] || t_fail "more addresses than the range holds: $dh"
[ "$(field "$dh" offers)" -gt 0 ] || t_fail "the flood got no offers at all: $dh"
t_ok "3000 DISCOVERs from random MACs: $(field "$dh" offers) offers, $(field "$dh" addresses) addresses, never the reservation"
timeout 30 ip netns exec "$R" busybox udhcpc -i eth0 -n -q -t 5 -T 2 -s /bin/true >"$d/udhcpc.out" 2>&1 ||
	{ cat "$d/udhcpc.out"; t_fail "the reserved machine got no lease after the flood"; }
grep -q "lease of $NET.10 obtained" "$d/udhcpc.out" || { cat "$d/udhcpc.out"; t_fail "the reserved machine got another address"; }
t_ok "the reserved machine still gets $NET.10 (udhcpc)"
offered=$(metric 'labboot_dhcp_leases{state="offered"}')
bound=$(metric 'labboot_dhcp_leases{state="bound"}')
[ $(( ${offered:-0} + ${bound:-0} )) -le 22 ] || t_fail "the lease table grew past the range: $offered offered, $bound bound"
t_ok "the lease table holds the range and the reservation only ($offered offered, $bound bound)"
alive dhcp

good curl -sS --max-time 10 "http://$S/metrics" | promtool check metrics || t_fail "promtool"
t_ok "labboot stayed up; /metrics is promtool-clean"

# MHD's per-connection timeout is changed from its callbacks: a stop with a
# download in flight and a kept-alive connection must not hang
t_bg "$G" "$d/slow2.out" python3 "$ROOT/tests/lib/hostile_client.py" http-slow "$S" /big.bin 20 >/dev/null
good curl -sS --max-time 10 -o /dev/null "http://$S/metrics"
sleep 1
kill -TERM "$LABBOOT_PID"
for _ in $(seq 50); do kill -0 "$LABBOOT_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$LABBOOT_PID" 2>/dev/null && t_fail "labboot did not stop within 5 s of SIGTERM with a download in flight"
grep -q "shutting down" "$d/log" || t_fail "no clean shutdown"
t_ok "labboot stops at once with a download in flight"
