#!/usr/bin/env bash
# DNS queries per second (dnsperf) for local names and for cached forwarded
# names: labboot vs dnsmasq (--domain=lab --expand-hosts, same hosts, same
# upstream), both in the same server namespace, one run. Prints the ratio.
# Subnets 198.18.56.0/24 (lab), 198.18.57.0/24 (uplink).
#   SECONDS_PER_RUN=10 CLIENTS=8 bench/dns/run.sh
set -euo pipefail
source "$(dirname "$0")/../../tests/lib/common.sh"
t_need_root
t_need dnsperf dnsmasq dig
SECS=${SECONDS_PER_RUN:-10}
CLIENTS=${CLIENTS:-8}
NHOSTS=200

d=$(lab_tmpdir)
NET=198.18.56
UP=198.18.57
{
	printf '[server]\ninterface = br0\naddress = %s.1\nstate-dir = %s/state\n' "$NET" "$d"
	printf '[dhcp]\nmode = off\nrange = %s.240 %s.250\ndomain = lab\n' "$NET" "$NET"
	printf '[tftp]\nenable = no\n[http]\nenable = no\n'
	# one client address asks as fast as it can: no fair share to keep
	printf '[dns]\nenable = yes\nttl = 300\ncache-size = 4096\nrate-limit = 0\nupstream = %s.2\n' "$UP"
	for i in $(seq 1 $NHOSTS); do
		printf '[host "h%03d"]\nmac = 52:54:00:56:00:%02x\nip = %s.%d\n' "$i" "$i" "$NET" $((i + 10))
	done
} >"$d/labboot.conf"
# the same names for dnsmasq
for i in $(seq 1 $NHOSTS); do
	echo "$NET.$((i + 10)) h$(printf %03d "$i")"
done >"$d/hosts"

S=dbs$$ C=dbc$$ U=dbu$$
lab_up "$S" "$NET"
ip -n "$S" addr add "$NET.2/24" dev br0
lab_add_veth_host "$S" "$C"
ip -n "$C" addr add "$NET.251/24" dev eth0
lab_ns "$U" "$S"
lab_veth "$S" "vb$$" "$U" eth0
ip -n "$S" addr add "$UP.1/24" dev "vb$$"
ip -n "$U" addr add "$UP.2/24" dev eth0

t_bg "$U" "$d/upstream.log" dnsmasq --conf-file=/dev/null --no-resolv --no-hosts --keep-in-foreground \
	--pid-file= --user=root --bind-interfaces --listen-address="$UP.2" --local-ttl=3600 \
	--address=/example.com/198.18.9.9 >/dev/null
t_labboot "$S" "$d/labboot.conf" "$d/labboot.log" >/dev/null
# -v in t_labboot logs every query: restart quietly for the measurement
kill "$LABBOOT_PID"; sleep 0.5
t_bg "$S" "$d/labboot.log" "$ROOT/build/labboot" serve -c "$d/labboot.conf" >/dev/null
t_bg "$S" "$d/dnsmasq.log" dnsmasq --conf-file=/dev/null --no-resolv --no-hosts --keep-in-foreground \
	--pid-file= --user=root --bind-interfaces --listen-address="$NET.2" --domain=lab --expand-hosts \
	--addn-hosts="$d/hosts" --server="$UP.2" --cache-size=4096 --local-ttl=300 >/dev/null
sleep 1

for i in $(seq 1 $NHOSTS); do printf 'h%03d.lab A\n' "$i"; done >"$d/local.txt"
for i in $(seq 1 $NHOSTS); do printf 'n%03d.example.com A\n' "$i"; done >"$d/forwarded.txt"

# warm the caches and check both servers answer the same
for srv in "$NET.1" "$NET.2"; do
	for n in h001.lab h150.lab n001.example.com; do
		got=$(ip netns exec "$C" dig @"$srv" +short +time=2 +tries=2 "$n")
		[ -n "$got" ] || { echo "bench: $srv does not answer $n" >&2; exit 1; }
	done
	ip netns exec "$C" dnsperf -s "$srv" -d "$d/forwarded.txt" -n 2 -q 50 >/dev/null 2>&1
done

qps() { # SERVER FILE
	ip netns exec "$C" dnsperf -s "$1" -d "$2" -l "$SECS" -c "$CLIENTS" -q 200 2>&1 |
		awk '/Queries per second/ {print int($4)} /Queries lost/ {lost=$3} END {}'
}

printf '%-22s %12s %12s %8s\n' "load" "labboot q/s" "dnsmasq q/s" "ratio"
for kind in local forwarded; do
	a=$(qps "$NET.1" "$d/$kind.txt")
	b=$(qps "$NET.2" "$d/$kind.txt")
	label=$([ "$kind" = local ] && echo "local names" || echo "cached forwarded")
	printf '%-22s %12s %12s %8s\n' "$label" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.2f", b ? a / b : 0}')"
done
echo "(dnsperf, ${SECS}s each, $CLIENTS clients, up to 200 outstanding, $(nproc) CPUs; ratio = labboot / dnsmasq)"
