#!/usr/bin/env bash
# HTTP: labboot against nginx (sendfile on) on the same files, in the same
# namespace layout, in one run. Large downloads (a 1 GiB file, 1 and 16
# parallel curl clients, aggregate MiB/s, size of every download and sha256
# of one per case checked) and small keep-alive requests per second with wrk
# (a 4 KiB file; labboot's rendered /boot.ipxe?mac=... against a static file
# of the same bytes on nginx, then both on that static file). Prints both
# servers and the ratio labboot/nginx.
#
# Served files live on tmpfs (/dev/shm), so no disk is measured; labboot's
# state directory (SQLite, where /boot.ipxe records a boot event) is on the
# ordinary temp directory, as /var/lib/labboot would be in production.
# nginx runs from its own config in the temp dir (daemon off, master + N
# workers, no access log as labboot logs no file requests, pid/logs/temp
# paths in the temp dir); N = labboot's [http] threads = THREADS.
# Subnet 198.18.40.0/24: labboot .1, nginx .2 (both on br0), client .50.
#   THREADS=2 SECONDS_PER_RUN=10 CONNS="16 128" CLIENTS="1 16" BIG_MIB=1024 BIG_REPEAT=3 bench/http/run.sh
#   WRK_LOG=FILE appends every full wrk output (latencies, errors) and the
#   MiB/s of each large-download run to FILE
set -euo pipefail
source "$(dirname "$0")/../../tests/lib/common.sh"
t_need_root
t_need nginx wrk curl sha256sum
THREADS=${THREADS:-2}
SECS=${SECONDS_PER_RUN:-10}
CONNS=${CONNS:-16 128}
CLIENTS=${CLIENTS:-1 16}
BIG_MIB=${BIG_MIB:-1024}
BIG_REPEAT=${BIG_REPEAT:-3}
MAC=52:54:00:40:00:01
NET=198.18.40
L=$NET.1 N=$NET.2

d=$(lab_tmpdir)
m=$(TMPDIR=/dev/shm lab_tmpdir)   # the served tree in RAM
w=$m/www
mkdir -p "$w/images" "$d/nginx"
chmod 755 "$m" "$w" "$w/images"    # nginx workers run as nobody
head -c $((BIG_MIB * 1048576)) /dev/urandom >"$w/big.img"
head -c 4096 /dev/urandom >"$w/small.bin"
head -c 100000 /dev/urandom >"$w/images/vmlinuz"
chmod 644 "$w/big.img" "$w/small.bin" "$w/images/vmlinuz"
big_size=$(stat -c %s "$w/big.img")
big_sha=$(sha256sum <"$w/big.img")

cat >"$d/labboot.conf" <<C
[server]
interface = br0
address = $L
state-dir = $d/state
[dhcp]
mode = off
[tftp]
enable = no
[dns]
enable = no
[http]
root = $w
threads = $THREADS
# wrk opens up to 128 connections from one address
max-per-client = 0
[boot]
image = live
[image "live"]
kernel = images/vmlinuz
initrd = images/initrd.img
cmdline = boot=live
[host "node01"]
mac = $MAC
ip = $NET.101
C
cat >"$d/nginx/nginx.conf" <<C
daemon off;
master_process on;
worker_processes $THREADS;
pid $d/nginx/nginx.pid;
error_log $d/nginx/error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	default_type application/octet-stream;
	sendfile on;
	tcp_nopush off;   # on (TCP_CORK) cut its 4 KiB rate to a third here
	tcp_nodelay on;
	keepalive_timeout 60s;
	keepalive_requests 1000000;
	client_body_temp_path $d/nginx/body;
	proxy_temp_path $d/nginx/proxy;
	fastcgi_temp_path $d/nginx/fastcgi;
	uwsgi_temp_path $d/nginx/uwsgi;
	scgi_temp_path $d/nginx/scgi;
	server {
		listen $N:80;
		root $w;
	}
}
C

S=hbs$$ C=hbc$$
lab_up "$S" "$NET"
ip -n "$S" addr add "$N/24" dev br0
lab_add_veth_host "$S" "$C"
ip -n "$C" addr add "$NET.50/24" dev eth0

t_labboot "$S" "$d/labboot.conf" "$d/labboot.log" >/dev/null
# -v in t_labboot is debug logging: restart at the default level to measure
kill "$LABBOOT_PID"
for _ in $(seq 50); do kill -0 "$LABBOOT_PID" 2>/dev/null || break; sleep 0.1; done
t_bg "$S" "$d/labboot.log" "$LABBOOT" serve -c "$d/labboot.conf" >/dev/null
LB=$T_LAST_PID
t_bg "$S" "$d/nginx/stderr.log" nginx -p "$d/nginx" -e "$d/nginx/error.log" -c "$d/nginx/nginx.conf" >/dev/null

c() { ip netns exec "$C" curl -sS --max-time 20 "$@"; }
for srv in "$L" "$N"; do
	for _ in $(seq 50); do c -o /dev/null "http://$srv/small.bin" 2>/dev/null && break; sleep 0.1; done
	[ "$(c "http://$srv/small.bin" | sha256sum)" = "$(sha256sum <"$w/small.bin")" ] ||
		{ echo "bench: $srv does not serve small.bin" >&2; cat "$d/labboot.log" "$d/nginx/error.log" >&2; exit 1; }
done
# labboot's rendered script, also as a static file (a name without "pxe",
# "kernel"... for which labboot would look up the client to record an event)
SCRIPT_URL="/boot.ipxe?mac=$MAC"
c "http://$L$SCRIPT_URL" >"$w/script.txt"
chmod 644 "$w/script.txt"
head -1 "$w/script.txt" | >/dev/null grep '^#!ipxe' || { echo "bench: no script from labboot" >&2; exit 1; }
script_size=$(stat -c %s "$w/script.txt")
for srv in "$L" "$N"; do
	[ "$(c "http://$srv/script.txt" | sha256sum)" = "$(sha256sum <"$w/script.txt")" ] ||
		{ echo "bench: $srv does not serve script.txt" >&2; exit 1; }
done
# warm both, and tmpfs for the checked download: the first 1 GiB written
# there was 3x slower than the next ones, whichever server came first
for srv in "$L" "$N"; do c --max-time 120 -o "$m/dl" "http://$srv/big.img"; rm -f "$m/dl"; done

# big URL CLIENTS -> aggregate MiB/s, or "fail"/"corrupt"; the first download
# goes to tmpfs for its sha256, the others to /dev/null; all sizes checked
big() {
	local url=$1 n=$2 i start end pids=() bad=0
	rm -f "$m/dl" "$d"/res.*
	start=$(date +%s.%N)
	for i in $(seq 1 "$n"); do
		ip netns exec "$C" curl -sS --max-time 600 -o "$([ "$i" = 1 ] && echo "$m/dl" || echo /dev/null)" \
			-w '%{http_code} %{size_download}\n' "$url" >"$d/res.$i" 2>&1 &
		pids+=($!)
		lab_register_pid $!
	done
	for i in "${pids[@]}"; do wait "$i" || bad=1; done
	end=$(date +%s.%N)
	for i in $(seq 1 "$n"); do [ "$(cat "$d/res.$i")" = "200 $big_size" ] || bad=1; done
	if [ "$bad" = 1 ]; then echo fail; return; fi
	if [ "$(stat -c %s "$m/dl")" != "$big_size" ] || [ "$(sha256sum <"$m/dl")" != "$big_sha" ]; then
		echo corrupt
		return
	fi
	rm -f "$m/dl"
	awk -v n="$n" -v s="$big_size" -v a="$start" -v b="$end" 'BEGIN {printf "%.0f", n * s / 1048576 / (b - a)}'
}

# rps URL CONNS -> requests/s, with "(E err)" if wrk saw errors or non-2xx
rps() {
	local out
	out=$(ip netns exec "$C" timeout $((SECS + 30)) wrk -t 2 -c "$2" -d "${SECS}s" --timeout 5s "$1" 2>&1) ||
		{ echo fail; return; }
	[ -z "${WRK_LOG:-}" ] || printf '== %s -c %s\n%s\n' "$1" "$2" "$out" >>"$WRK_LOG"
	echo "$out" | awk '
		/Requests\/sec/ {r = int($2)}
		/Non-2xx or 3xx/ {e += $NF}
		/Socket errors/ {gsub(/,/, ""); e += $4 + $6 + $8 + $10}
		END {if (e) printf "%d(%d err)", r, e; else printf "%d", r}'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "-" }'; }
rows=()
declare -A A B
# median of BIG_REPEAT runs, the servers taking turns (one download is short
# and a shared machine is noisy); a failed or corrupt run is the result
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR] = $1} /[a-z]/ {print; bad = 1; exit} END {if (!bad) print v[int((NR + 1) / 2)]}'; }
for n in $CLIENTS; do
	k="$BIG_MIB MiB file, $n curl client(s), MiB/s"
	rows+=("$k")
	ra=() rb=()
	for _ in $(seq 1 "$BIG_REPEAT"); do
		ra+=("$(big "http://$L/big.img" "$n")")
		rb+=("$(big "http://$N/big.img" "$n")")
	done
	A[$k]=$(median "${ra[@]}")
	B[$k]=$(median "${rb[@]}")
	[ -z "${WRK_LOG:-}" ] || echo "== big $n clients: labboot ${ra[*]}, nginx ${rb[*]}" >>"$WRK_LOG"
done
# rps_rows NAME LABBOOT_PATH NGINX_PATH: one req/s row per connection count
rps_rows() {
	local cn k
	for cn in $CONNS; do
		k="$1, $cn conns, req/s"
		rows+=("$k")
		A[$k]=$(rps "http://$L$2" "$cn")
		B[$k]=$(rps "http://$N$3" "$cn")
	done
}
rps_rows "4 KiB file" /small.bin /small.bin
rps_rows "boot.ipxe ($script_size B)" "$SCRIPT_URL" /script.txt
rps_rows "same bytes as static file" /script.txt /script.txt
kill -0 "$LB" 2>/dev/null || { echo "bench: labboot died" >&2; cat "$d/labboot.log" >&2; exit 1; }

printf '%-44s %12s %12s %8s\n' "case" labboot nginx ratio
for k in "${rows[@]}"; do
	printf '%-44s %12s %12s %8s\n' "$k" "${A[$k]}" "${B[$k]}" "$(ratio "${A[$k]}" "${B[$k]}")"
done
echo "(labboot [http] threads = nginx worker_processes = $THREADS, $(nproc) CPUs shared with the clients;"
echo " files on tmpfs, labboot state on $(df --output=fstype "$d" | tail -1); MiB/s: median of $BIG_REPEAT runs, aggregate over"
echo " the clients; req/s: wrk -t 2, keep-alive, ${SECS}s each)"
echo " boot.ipxe: labboot renders the script and records a boot event in SQLite, nginx serves the same bytes"
echo " as a static file; the 'same bytes' rows have both serve that static file)"
