#!/usr/bin/env bash
# DHCPv4 benchmark: the same perfdhcp load (kea-admin's perfdhcp, DORA
# exchanges as a relay, -R distinct clients) against labboot, dnsmasq and ISC
# Kea (memfile, persist=true, lfc-interval 0), one after the other, each
# freshly started with empty state in the same namespaces:
#
#   client ns (perfdhcp, eth0 198.19.0.2/16) --veth-- server ns (srv0 198.19.0.1/16)
#
# Pool: 198.19.1.0 - 198.19.235.255 (60160 addresses) for every server, so
# none runs out. Logging is kept out of the way: labboot's stderr goes to
# /dev/null, dnsmasq runs with --quiet-dhcp and its log to /dev/null, Kea logs
# warnings to /dev/null. labboot keeps its durability: SQLite WAL with
# synchronous=FULL, one fsync per batch of up to 32 lease changes, replies
# only after the commit. dnsmasq rewrites its whole lease file and fsyncs it
# after every lease change (lease_update_file), unbatched: that, not its
# packet code, bounds its rate here. Kea's memfile appends each lease to its
# CSV without an fsync: faster, but an ACKed lease can be lost on power loss.
# dnsmasq runs with --no-ping (it would otherwise ICMP-probe every address it
# offers, which neither other server does) and --dhcp-lease-max=70000.
#
# Usage: bench/dhcp/run.sh [RATES...]     (default: 1000 2000 4000 8000 16000 24000)
# Env:   PERIOD (seconds per run, 10), CLIENTS (50000), SERVERS ("labboot dnsmasq kea")
# Prints a table and the ratios labboot/dnsmasq and labboot/Kea.
source "$(dirname "$0")/../../tests/lib/common.sh"
t_need_root
t_need perfdhcp dnsmasq kea-dhcp4 sqlite3

RATES=("$@")
[ ${#RATES[@]} -gt 0 ] || RATES=(1000 2000 4000 8000 16000 24000)
PERIOD=${PERIOD:-10}
CLIENTS=${CLIENTS:-50000}
SERVERS=${SERVERS:-"labboot dnsmasq kea"}
POOL_FIRST=198.19.1.0
POOL_LAST=198.19.235.255

d=$(lab_tmpdir)
S=dbs$$ C=dbc$$
lab_ns "$S"
lab_ns "$C" "$S"
lab_veth "$S" srv0 "$C" eth0
ip -n "$S" addr add 198.19.0.1/16 dev srv0
ip -n "$C" addr add 198.19.0.2/16 dev eth0

wait_port67() { # PID
	for _ in $(seq 100); do
		ip netns exec "$S" ss -lun 2>/dev/null | >/dev/null grep ':67 ' && return 0
		kill -0 "$1" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
stop() { # PID
	kill "$1" 2>/dev/null || true
	for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
	kill -9 "$1" 2>/dev/null || true
}

start_labboot() { # DIR
	cat >"$1/labboot.conf" <<EOF
[server]
interface = srv0
address = 198.19.0.1
state-dir = $1/state
[dhcp]
mode = authoritative
force = yes
range = $POOL_FIRST $POOL_LAST
netmask = 255.255.0.0
lease-time = 1h
[tftp]
enable = no
[http]
enable = no
[dns]
enable = no
EOF
	ip netns exec "$S" "$LABBOOT" serve -c "$1/labboot.conf" >/dev/null 2>&1 &
	echo $!
}

start_dnsmasq() { # DIR
	ip netns exec "$S" dnsmasq --conf-file=/dev/null --port=0 --keep-in-foreground --user=root \
		--bind-interfaces --interface=srv0 --dhcp-authoritative --no-ping --quiet-dhcp --log-facility=- \
		--dhcp-range=$POOL_FIRST,$POOL_LAST,255.255.0.0,1h --dhcp-lease-max=70000 \
		--pid-file="$1/dnsmasq.pid" --dhcp-leasefile="$1/dnsmasq.leases" >/dev/null 2>&1 &
	echo $!
}

start_kea() { # DIR
	cat >"$1/kea.json" <<EOF
{ "Dhcp4": {
    "interfaces-config": { "interfaces": [ "srv0" ], "dhcp-socket-type": "udp" },
    "lease-database": { "type": "memfile", "persist": true, "name": "$1/kea-leases4.csv", "lfc-interval": 0 },
    "valid-lifetime": 3600,
    "subnet4": [ { "id": 1, "subnet": "198.19.0.0/16", "pools": [ { "pool": "$POOL_FIRST - $POOL_LAST" } ] } ],
    "loggers": [ { "name": "kea-dhcp4", "severity": "WARN", "output_options": [ { "output": "stderr" } ] } ]
} }
EOF
	KEA_PIDFILE_DIR=$1 KEA_LOCKFILE_DIR=$1 ip netns exec "$S" kea-dhcp4 -c "$1/kea.json" >"$1/kea.out" 2>&1 &
	echo $!
}

# run_one SERVER RATE: prints "achieved do_avg_ms ra_avg_ms drop_pct acked"
run_one() {
	local server=$1 rate=$2 dir pid out
	dir=$(mktemp -d "$d/$server.$rate.XXXX")
	pid=$("start_$server" "$dir")
	lab_register_pid "$pid"
	wait_port67 "$pid" || { echo "$server did not start" >&2; cat "$dir"/*.out 2>/dev/null >&2; echo "- - - - -"; return; }
	sleep 0.5
	out=$(ip netns exec "$C" perfdhcp -4 -l eth0 -r "$rate" -R "$CLIENTS" -p "$PERIOD" 198.19.0.1 2>&1 || true)
	echo "$out" >"$dir/perfdhcp.out"
	if [ "$server" = labboot ]; then
		echo "journal_mode=$(sqlite3 "$dir/state/labboot.db" 'PRAGMA journal_mode;')" \
			"leases=$(sqlite3 "$dir/state/labboot.db" 'SELECT count(*) FROM leases;')" >"$dir/store.txt"
	fi
	stop "$pid"
	awk '
		/^Rate:/ { rate = $2 }
		/Statistics for: DISCOVER-OFFER/ { sec = "do" }
		/Statistics for: REQUEST-ACK/ { sec = "ra" }
		/^sent packets:/ { sent[sec] = $3 }
		/^received packets:/ { recv[sec] = $3 }
		/^avg delay:/ { avg[sec] = $3 }
		END {
			drop = sent["do"] ? 100 * (1 - recv["ra"] / sent["do"]) : 100
			printf "%.0f %s %s %.2f %d\n", rate, avg["do"], avg["ra"], drop, recv["ra"]
		}' <<<"$out"
}

echo "# DHCPv4 DORA benchmark: perfdhcp -R $CLIENTS -p $PERIOD, pool of 60160, $(nproc) CPUs"
echo "# state on $(findmnt -n -o SOURCE,FSTYPE -T "$d" | tr -s ' ') ($(lsblk -dno MODEL,ROTA "$(findmnt -n -o SOURCE -T "$d")" 2>/dev/null | tr -s ' ' || echo '?'))"
printf '%-8s %8s %12s %10s %10s %8s %8s\n' server target 'DORA/s' 'DO ms' 'RA ms' 'lost %' acked
declare -A best peak lat
for server in $SERVERS; do
	best[$server]=0 peak[$server]=0
	for rate in "${RATES[@]}"; do
		read -r got do_ms ra_ms drop acked < <(run_one "$server" "$rate")
		printf '%-8s %8s %12s %10s %10s %8s %8s\n' "$server" "$rate" "$got" "$do_ms" "$ra_ms" "$drop" "$acked"
		[ "$got" != - ] || continue
		# best sustained: the highest achieved rate with under 1% of exchanges lost
		if awk -v d="$drop" 'BEGIN { exit !(d < 1) }' && [ "${got%.*}" -gt "${best[$server]}" ]; then
			best[$server]=${got%.*}
		fi
		# peak: completed DORAs per second, whatever was lost
		ps=$((acked / PERIOD))
		[ "$ps" -gt "${peak[$server]}" ] && peak[$server]=$ps
		[ "$rate" = "${RATES[0]}" ] && lat[$server]=$(awk -v a="$do_ms" -v b="$ra_ms" 'BEGIN { printf "%.3f", a + b }')
	done
done
for f in "$d"/labboot.*/store.txt; do [ -f "$f" ] && echo "# labboot store after a run: $(cat "$f")"; break; done
echo
printf '%-8s %24s %20s %26s\n' server 'sustained DORA/s (<1% lost)' 'peak completed/s' "DO+RA latency @${RATES[0]}/s ms"
for server in $SERVERS; do printf '%-8s %24s %20s %26s\n' "$server" "${best[$server]}" "${peak[$server]}" "${lat[$server]}"; done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3g", a / b; else print "n/a" }'; }
for peer in dnsmasq kea; do
	[[ " $SERVERS " == *" $peer "* && " $SERVERS " == *" labboot "* ]] || continue
	echo "labboot/$peer: sustained $(ratio "${best[labboot]}" "${best[$peer]}"), peak $(ratio "${peak[labboot]}" "${peak[$peer]}")," \
		"latency $(ratio "${lat[labboot]}" "${lat[$peer]}") (lower is better)"
done
