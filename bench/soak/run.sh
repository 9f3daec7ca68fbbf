#!/usr/bin/env bash
# Soak: DHCP, TFTP, HTTP and DNS load at once for DURATION seconds, with
# hostile clients mixed in, SIGHUP every HUP_EVERY seconds and kill -9 plus
# a restart every KILL_EVERY seconds. Reports what was served, leases lost
# (every ACK a client saw must be in the store at the end: must be 0),
# addresses given twice (0), crashes (labboot gone without our kill: 0),
# and labboot's memory (VmRSS) and open files at the start and the end of
# the longest run between kills (flat; more than FD_MAX open files fails).
# Exits non-zero if an invariant breaks. A short version runs in `make check`
# (tests/integration/soak-short.sh); the README has a 30-minute run.
#
#   DURATION=1800 KILL_EVERY=180 HUP_EVERY=20 bench/soak/run.sh
#
# Namespaces: server S (labboot on br0, 198.19.64.1), client C (the DHCP
# stream client on port 68 and the TFTP/HTTP/DNS loops, 198.19.64.5),
# P (perfdhcp, its own port 68), H (hostile, 198.19.64.66). The pool is
# 198.19.65.1-198.19.79.250 (/20), larger than every client the run makes.
set -euo pipefail
source "$(dirname "$0")/../../tests/lib/common.sh"
t_need_root
t_need python3 atftp curl dig perfdhcp
DURATION=${DURATION:-1800}
KILL_EVERY=${KILL_EVERY:-180}
HUP_EVERY=${HUP_EVERY:-20}
# open files are bounded by the per-client limits (the hostile client holds
# at most [http] max-per-client connections and [tftp] max-per-client
# transfers): more at the end is a leak
FD_MAX=${FD_MAX:-512}
NET=198.19.64
d=$(lab_tmpdir)
mkdir -p "$d/tftp" "$d/www"
head -c $((1 << 20)) /dev/urandom >"$d/tftp/boot.bin"
head -c $((4 << 20)) /dev/urandom >"$d/www/root.img"
cat >"$d/conf" <<EOF
$(t_conf_server $NET.1 "$d" tftp http dns)
[dhcp]
mode = authoritative
domain = lab
range = 198.19.65.1 198.19.79.250
netmask = 255.255.240.0
lease-time = 1h
router = $NET.1
[tftp]
root = $d/tftp
[http]
root = $d/www
[dns]
record = www A $NET.1
[image "live"]
kernel = root.img
[host "alpha"]
mac = 52:54:00:64:00:10
ip = $NET.10
EOF
S=sks$$ C=skc$$ P=skp$$ H=skh$$
lab_up "$S" "$NET"
lab_add_veth_host "$S" "$C"
lab_add_veth_host "$S" "$P"
lab_add_veth_host "$S" "$H"
ip -n "$C" addr add "$NET.5/24" dev eth0
ip -n "$H" addr add "$NET.66/24" dev eth0
ip -n "$P" addr add "$NET.7/24" dev eth0
stop_at=$(( $(date +%s) + DURATION ))
running() { [ "$(date +%s)" -lt "$stop_at" ]; }

# --- labboot, watched -------------------------------------------------------
starts=0 crashes=0
start() {
	starts=$((starts + 1))
	t_labboot "$S" "$d/conf" "$d/labboot.$starts.log" >/dev/null
	LB=$LABBOOT_PID
	seg_start=$(date +%s)
}
sample() { # PID: "rss_kib fds"
	echo "$(awk '/^VmRSS/ {print $2}' "/proc/$1/status") $(find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l)"
}
served_now() { # the request counters of this labboot's /metrics, summed
	ip netns exec "$C" curl -s --max-time 5 "http://$NET.1/metrics" | awk '
		/^labboot_dhcp_received_total|^labboot_tftp_transfers_total|^labboot_http_requests_total|^labboot_dns_queries_total/ {n += $2}
		END {print n + 0}'
}
start
first_sample=""

# --- load: each loop counts what it got right in its own file ---------------
loop() { # NAME CMD...: runs CMD until the end, one line per success
	local name=$1
	shift
	( while running; do "$@" >/dev/null 2>&1 && echo ok; done >"$d/ok.$name" ) &
	lab_register_pid $!
}
in_c() { ip netns exec "$C" "$@"; }
loop tftp in_c timeout 20 atftp --option "blksize 1468" -g -r boot.bin -l "$d/tftp.out" "$NET.1" 69
loop http-script in_c curl -sf --max-time 10 -o /dev/null "http://$NET.1/boot.ipxe?mac=52:54:00:64:00:10"
loop http-file in_c curl -sf --max-time 20 -o /dev/null "http://$NET.1/root.img"
loop dns in_c dig @$NET.1 +short +time=2 +tries=1 alpha.lab
# the DHCP stream: new clients all the time, every ACK remembered
: >"$d/acked"
(
	n=100000
	while running; do
		ip netns exec "$C" python3 "$ROOT/tests/lib/dhcp_stream.py" eth0 dora-many --start "$n" --count 20 >>"$d/acked" 2>/dev/null || true
		n=$((n + 20))
		sleep 0.5
	done
) &
lab_register_pid $!
# perfdhcp: 300 simulated clients doing DORA at 50/s, restarted after kills
(
	while running; do
		ip netns exec "$P" timeout 60 perfdhcp -4 -l eth0 -r 50 -R 300 -p 30 "$NET.1" >>"$d/perfdhcp.out" 2>&1 || true
	done
) &
lab_register_pid $!
# hostile: idle half-requests, unacknowledged TFTP reads, garbage datagrams
cat >"$d/hostile.py" <<'EOF'
import os, socket, sys, time
server, until = sys.argv[1], float(sys.argv[2])
idle = []
while time.time() < until:
    for _ in range(50):                       # half a request line, then nothing
        try:
            s = socket.create_connection((server, 80), timeout=1)
            s.send(b"GET /boot.ipxe HTTP/1.1\r\nHost: x")
            idle.append(s)
        except OSError:
            break
    while len(idle) > 400:
        idle.pop(0).close()
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for _ in range(100):                      # read requests never acknowledged
        u.sendto(b"\x00\x01boot.bin\x00octet\x00", (server, 69))
    for port in (67, 69, 53):                 # garbage
        for _ in range(20):
            u.sendto(os.urandom(300), (server, port))
    u.close()
    time.sleep(1)
EOF
ip netns exec "$H" python3 "$d/hostile.py" "$NET.1" "$stop_at" >/dev/null 2>&1 &
lab_register_pid $!

# --- the controller: SIGHUP and kill -9 --------------------------------------
served=0 hups=0 kills=0
longest=0 seg_first="" seg_last=""
sleep 3
first_sample=$(sample "$LB")
last_hup=$(date +%s) last_kill=$(date +%s)
while running; do
	sleep 1
	now=$(date +%s)
	if ! kill -0 "$LB" 2>/dev/null; then
		crashes=$((crashes + 1))
		echo "labboot $LB died by itself (log: $d/labboot.$starts.log)"
		start
		last_kill=$now
		continue
	fi
	if [ $((now - last_hup)) -ge "$HUP_EVERY" ]; then
		kill -HUP "$LB"
		hups=$((hups + 1))
		last_hup=$now
	fi
	if [ $((now - last_kill)) -ge "$KILL_EVERY" ] && [ $((stop_at - now)) -gt 10 ]; then
		s=$(sample "$LB")
		if [ $((now - seg_start)) -gt "$longest" ]; then
			longest=$((now - seg_start)) seg_first=$seg_sample seg_last=$s
		fi
		served=$((served + $(served_now)))
		kill -9 "$LB"
		kills=$((kills + 1))
		start
		last_kill=$now
		sleep 3
		seg_sample=$(sample "$LB")
	fi
	[ -n "${seg_sample:-}" ] || seg_sample=$first_sample
done
end_sample=$(sample "$LB")
if [ $(( $(date +%s) - seg_start)) -gt "$longest" ]; then
	seg_first=${seg_sample:-$first_sample} seg_last=$end_sample
fi
served=$((served + $(served_now)))

sleep 5   # the loops see the end and stop
kill -0 "$LB" 2>/dev/null || { crashes=$((crashes + 1)); echo "labboot died at the end"; }

# --- invariants --------------------------------------------------------------
"$LABBOOT" leases -c "$d/conf" >"$d/leases"
lost=0
while read -r mac ip; do
	grep -q "^$ip  *$mac  *bound" "$d/leases" || { lost=$((lost + 1)); echo "lost: $ip $mac"; }
done <"$d/acked"
twice=$(awk '{print $2}' "$d/acked" | sort | uniq -d | wc -l)
count() { [ -f "$d/ok.$1" ] && wc -l <"$d/ok.$1" || echo 0; }
echo
echo "# soak: ${DURATION}s, SIGHUP every ${HUP_EVERY}s ($hups), kill -9 every ${KILL_EVERY}s ($kills), $(nproc) CPUs"
printf '%-44s %s\n' "requests received by labboot (all services)" "$served" \
	"DHCP stream clients ACKed" "$(wc -l <"$d/acked")" \
	"TFTP 1 MiB downloads (atftp)" "$(count tftp)" \
	"HTTP boot scripts / 4 MiB files (curl)" "$(count http-script) / $(count http-file)" \
	"DNS answers (dig)" "$(count dns)" \
	"leases lost" "$lost" \
	"addresses given twice" "$twice" \
	"crashes" "$crashes" \
	"memory KiB, open files: start of longest run" "${seg_first:-$first_sample}" \
	"memory KiB, open files: its end (${longest:-0}s)" "${seg_last:-$end_sample}"

fds_end=$(awk '{print $2}' <<<"${seg_last:-$end_sample}")
[ "$fds_end" -le "$FD_MAX" ] || echo "open files at the end: $fds_end > $FD_MAX"
[ "$lost" -eq 0 ] && [ "$twice" -eq 0 ] && [ "$crashes" -eq 0 ] && [ "$(wc -l <"$d/acked")" -gt 0 ] &&
	[ "$fds_end" -le "$FD_MAX" ] &&
	[ "$(count tftp)" -gt 0 ] && [ "$(count http-script)" -gt 0 ] && [ "$(count dns)" -gt 0 ]
