#!/usr/bin/env bash
# /metrics after real work: two DHCP clients (busybox udhcpc), a TFTP
# download (atftp) and a missing file, HTTP downloads (curl), DNS queries
# (dig: local, NXDOMAIN, forwarded to a dnsmasq upstream, cached, and
# garbage), the booted callback. Each counter must move by exactly what was
# done, the pool gauges follow the leases, and `promtool check metrics`
# (Prometheus's linter) must find nothing. Subnets 198.18.61.0/24 (lab),
# 198.18.62.0/24 (the upstream's link).
source "$(dirname "$0")/../lib/common.sh"
t_need_root
t_need busybox atftp curl dig dnsmasq promtool

d=$(lab_tmpdir)
NET=198.18.61
UP=198.18.62
mkdir -p "$d/tftp" "$d/http/images/live"
head -c 100000 /dev/urandom >"$d/tftp/small.bin"
head -c 300000 /dev/urandom >"$d/http/images/live/vmlinuz"
cat >"$d/conf" <<EOF
$(t_conf_server $NET.1 "$d" tftp http dns)
[dhcp]
mode = authoritative
lease-time = 1h
router = $NET.1
dns = $NET.1
domain = lab
[pool "lab"]
range = $NET.100 $NET.149
[tftp]
root = $d/tftp
[http]
root = $d/http
[dns]
upstream = $UP.2
[host "alpha"]
mac = 52:54:00:61:00:10
EOF

S=mts$$ C1=mc1$$ C2=mc2$$ U=mtu$$
lab_up "$S" "$NET"
lab_add_veth_host "$S" "$C1" 52:54:00:61:00:10
lab_add_veth_host "$S" "$C2" 52:54:00:61:00:20
lab_ns "$U" "$S"
lab_veth "$S" "vu$$" "$U" eth0
ip -n "$S" addr add "$UP.1/24" dev "vu$$"
ip -n "$U" addr add "$UP.2/24" dev eth0
t_bg "$U" "$d/upstream.log" dnsmasq --conf-file=/dev/null --no-resolv --no-hosts --keep-in-foreground \
	--pid-file= --user=root --local-ttl=600 --bind-interfaces --listen-address="$UP.2" --log-facility=- \
	--host-record=www.example.net,198.18.9.10 >/dev/null
t_labboot "$S" "$d/conf" "$d/labboot.log" >/dev/null

scrape() { ip netns exec "$S" curl -sf "http://$NET.1/metrics"; }
# val TEXT SERIES: the value of one series, as written (labels included)
val() { awk -v k="$2" '$1 == k { print $2; found = 1 } END { if (!found) print "missing" }' <<<"$1"; }
# expect_delta WHAT BEFORE AFTER SERIES WANT
expect_delta() {
	local a b
	a=$(val "$2" "$4") b=$(val "$3" "$4")
	[[ "$a" =~ ^[0-9.]+$ && "$b" =~ ^[0-9.]+$ ]] || t_fail "$1: $4 is $a then $b"
	t_expect_eq "$1 ($4)" "$(awk -v a="$a" -v b="$b" 'BEGIN { print b - a }')" "$5"
}
# wait_val WHAT SERIES WANT: the pool gauges are recounted within a second
wait_val() {
	local got
	for _ in $(seq 30); do
		got=$(val "$(scrape)" "$2")
		[ "$got" = "$3" ] && break
		sleep 0.1
	done
	t_expect_eq "$1 ($2)" "$got" "$3"
}
promcheck() { # TEXT WHAT
	local out rc=0
	out=$(promtool check metrics <<<"$1" 2>&1) || rc=$?
	echo "promtool check metrics ($2): rc $rc${out:+: $out}"
	[ "$rc" = 0 ] && [ -z "$out" ] || t_fail "promtool complains about the $2 scrape"
	t_ok "promtool check metrics: the $2 scrape passes"
}

hdr=$(ip netns exec "$S" curl -sf -o /dev/null -D - "http://$NET.1/metrics")
>/dev/null grep -i '^content-type: text/plain; version=0.0.4; charset=utf-8' <<<"$hdr" ||
	t_fail "content type: $hdr"
t_ok "content type is the text format's 0.0.4"
m0=$(scrape)
promcheck "$m0" "first"
t_expect_eq "build info" "$(val "$m0" "labboot_build_info{version=\"$("$LABBOOT" --version | cut -d' ' -f2)\"}")" 1
t_expect_eq "pool size" "$(val "$m0" 'labboot_dhcp_pool_addresses{pool="lab"}')" 50
t_expect_eq "pool use before any client" "$(val "$m0" 'labboot_dhcp_pool_addresses_in_use{pool="lab"}')" 0

# ---- DHCP: one client, then exactly one more DISCOVER for a second
cat >"$d/hook" <<EOF
#!/bin/sh
case "\$1" in
bound|renew)
	ip addr flush dev "\$interface"
	ip addr add "\$ip/\${mask:-24}" dev "\$interface"
	echo "\$ip" >"$d/ip.\$NS" ;;
esac
EOF
chmod +x "$d/hook"
lease() { # NS
	timeout 30 ip netns exec "$1" env NS="$1" busybox udhcpc -i eth0 -n -q -t 5 -T 2 -s "$d/hook" >"$d/udhcpc.$1" 2>&1 ||
		{ cat "$d/udhcpc.$1"; t_fail "udhcpc in $1 got no lease"; }
}
lease "$C1"
m1=$(scrape)
for t in discover request; do
	expect_delta "first client" "$m0" "$m1" "labboot_dhcp_received_total{type=\"$t\"}" 1
done
for t in offer ack; do
	expect_delta "first client" "$m0" "$m1" "labboot_dhcp_sent_total{type=\"$t\"}" 1
done
expect_delta "no NAK" "$m0" "$m1" 'labboot_dhcp_sent_total{type="nak"}' 0
wait_val "one address in use" 'labboot_dhcp_pool_addresses_in_use{pool="lab"}' 1
wait_val "one lease bound" 'labboot_dhcp_leases{state="bound"}' 1
m1=$(scrape)
lease "$C2"
m2=$(scrape)
expect_delta "second client: one more DISCOVER" "$m1" "$m2" 'labboot_dhcp_received_total{type="discover"}' 1
expect_delta "second client: one more ACK" "$m1" "$m2" 'labboot_dhcp_sent_total{type="ack"}' 1
wait_val "two addresses in use" 'labboot_dhcp_pool_addresses_in_use{pool="lab"}' 2
expect_delta "nothing dropped" "$m0" "$m2" 'labboot_dhcp_dropped_total{reason="malformed"}' 0

# ---- TFTP: one file of 100000 bytes, one missing
m2=$(scrape)
ip netns exec "$C1" timeout 60 atftp -g -r small.bin -l "$d/got.bin" "$NET.1" 69 >/dev/null 2>&1 ||
	t_fail "atftp failed"
cmp -s "$d/got.bin" "$d/tftp/small.bin" || t_fail "atftp got another file"
ip netns exec "$C1" timeout 20 atftp -g -r nothere.bin -l "$d/none.bin" "$NET.1" 69 >/dev/null 2>&1 &&
	t_fail "atftp got a missing file"
m3=$(scrape)
expect_delta "tftp" "$m2" "$m3" labboot_tftp_transfers_started_total 1
expect_delta "tftp" "$m2" "$m3" labboot_tftp_transfers_completed_total 1
expect_delta "tftp" "$m2" "$m3" labboot_tftp_transfers_failed_total 0
expect_delta "tftp missing file" "$m2" "$m3" 'labboot_tftp_refused_total{code="not_found"}' 1
if [ "$(val "$m3" labboot_tftp_timeouts_total)" = 0 ]; then
	expect_delta "tftp bytes (no resend)" "$m2" "$m3" labboot_tftp_sent_bytes_total 100000
else
	t_ok "tftp resent after a timeout: bytes $(val "$m3" labboot_tftp_sent_bytes_total) >= 100000"
fi

# ---- HTTP: a kernel, a missing file, a HEAD; the scrapes count themselves
http() { ip netns exec "$C1" curl -s -o /dev/null -w '%{http_code}' "$@"; }
t_expect_eq "kernel download" "$(http "http://$NET.1/images/live/vmlinuz")" 200
t_expect_eq "missing file" "$(http "http://$NET.1/nothere.bin")" 404
t_expect_eq "HEAD of the kernel" "$(http -I "http://$NET.1/images/live/vmlinuz")" 200
m4=$(scrape)
expect_delta "http kernel" "$m3" "$m4" 'labboot_http_requests_total{class="kernel",code="2xx"}' 2
expect_delta "http kernel bytes (HEAD has none)" "$m3" "$m4" 'labboot_http_sent_bytes_total{class="kernel"}' 300000
expect_delta "http missing file" "$m3" "$m4" 'labboot_http_requests_total{class="file",code="4xx"}' 1
expect_delta "one scrape between two scrapes" "$m3" "$m4" 'labboot_http_requests_total{class="metrics",code="2xx"}' 1
expect_delta "no incomplete requests" "$m0" "$m4" 'labboot_http_incomplete_total{reason="client_abort"}' 0

# ---- DNS by outcome
q() { ip netns exec "$C1" dig @"$NET.1" +time=2 +tries=1 "$@"; }
t_expect_eq "local answer" "$(q +short alpha.lab)" "$(cat "$d/ip.$C1")"
>/dev/null grep NXDOMAIN <<<"$(q nothere.lab)" || t_fail "no NXDOMAIN for nothere.lab"
t_expect_eq "forwarded" "$(q +short www.example.net)" 198.18.9.10
t_expect_eq "cached" "$(q +short www.example.net)" 198.18.9.10
# a runt (dropped) and 12 bytes of header with garbage counts (FORMERR)
ip netns exec "$C1" bash -c "printf 'abc' >/dev/udp/$NET.1/53; printf '\x12\x34\x01\x00\xff\xff\x00\x00\x00\x00\x00\x00' >/dev/udp/$NET.1/53"
sleep 0.3
m5=$(scrape)
for o in local nxdomain forwarded cached dropped malformed; do
	expect_delta "dns" "$m4" "$m5" "labboot_dns_queries_total{outcome=\"$o\"}" 1
done
expect_delta "dns" "$m4" "$m5" 'labboot_dns_queries_total{outcome="refused"}' 0
t_expect_eq "dns upstream failures" "$(val "$m5" labboot_dns_upstream_failures_total)" 0

# ---- the booted callback: a boot's phases, observed once
booted() { http "http://$NET.1/booted?mac=52:54:00:61:00:10&up_ms=5000&userspace_ms=3000&ready_ms=4000"; }
t_expect_eq "booted callback" "$(booted)" 200
m6=$(scrape)
expect_delta "boot root image phase" "$m5" "$m6" 'labboot_boot_phase_duration_seconds_count{phase="root_image"}' 1
expect_delta "boot root image phase" "$m5" "$m6" 'labboot_boot_phase_duration_seconds_sum{phase="root_image"}' 3
expect_delta "boot OS phase" "$m5" "$m6" 'labboot_boot_phase_duration_seconds_bucket{phase="os_startup",le="1"}' 1
expect_delta "boot iPXE phase unknown" "$m5" "$m6" 'labboot_boot_phase_duration_seconds_count{phase="ipxe"}' 0
expect_delta "boot total" "$m5" "$m6" labboot_boot_duration_seconds_count 1
t_expect_eq "a retried callback" "$(booted)" 200
m7=$(scrape)
expect_delta "a retried callback is the same boot" "$m6" "$m7" labboot_boot_duration_seconds_count 0
expect_delta "booted requests" "$m5" "$m7" 'labboot_http_requests_total{class="booted",code="2xx"}' 2

# ---- nothing per machine, and the linter is happy after all that
if grep -Eio '([0-9a-f]{2}:){5}[0-9a-f]{2}|198\.1[89]\.[0-9]+\.[0-9]+' <<<"$m7"; then
	t_fail "a MAC or an address in /metrics"
fi
t_ok "no MAC or address in any label"
promcheck "$m7" "last"
echo "--- the last scrape"
echo "$m7"
echo "all metrics checks passed"
