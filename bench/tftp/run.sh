#!/usr/bin/env bash
# TFTP throughput: labboot against tftpd-hpa and dnsmasq on the same files
# in one run, same namespace layout, integrity checked (sha256). Plain
# lock-step (windowsize 1) and windowed (RFC 7440, where the server has it)
# at blksize 1468 and 8192; then the same with 1% loss on the client side
# (nftables, as netem is not in this kernel); then CLIENTS clients at once,
# each in its own namespace (a rack booting together). Prints MB/s (MiB/s)
# and ratios. Every server's start is checked (it must be alive and bound
# to port 69, else its log is shown and the run fails), every transfer is
# bounded by a timeout, and everything is removed on exit.
#   SIZES="16 64" (MiB)   LOSS_SIZE=4 (MiB, lock-step at 1% loss is slow)
#   REPEAT=3 (median of N runs per cell)   LOSS_REPEAT=1   CLIENTS=8
#   SERVERS="labboot tftpd-hpa dnsmasq"
source "$(dirname "$0")/../../tests/lib/common.sh"
t_need_root
t_need atftp in.tftpd dnsmasq nft ss setpriv sha256sum
SIZES=${SIZES:-16 64}
LOSS_SIZE=${LOSS_SIZE:-4}
REPEAT=${REPEAT:-3}
LOSS_REPEAT=${LOSS_REPEAT:-1}
CLIENTS=${CLIENTS:-8}
TIMEOUT=${TIMEOUT:-60}            # seconds per transfer
LOSS_TIMEOUT=${LOSS_TIMEOUT:-300} # lock-step at 1% loss: ~1 s per lost block
read -r -a servers <<<"${SERVERS:-labboot tftpd-hpa dnsmasq}"
# tftpd-hpa and dnsmasq serve as this user (both default to nobody); it must
# be able to read the files.
SRV_USER=nobody

d=$(t_tmpdir)
# mktemp -d makes $d 0700: dnsmasq, once it is nobody, opens files by their
# full path and refuses to start ("TFTP directory ... inaccessible"). The
# root and the files are made readable to everyone whatever the umask.
chmod 0755 "$d"
install -d -m 0755 "$d/root"
sum() { sha256sum <"$1" | cut -d' ' -f1; }
declare -A SUM
for s in $SIZES $LOSS_SIZE; do
	[ -e "$d/root/f$s" ] && continue
	head -c $((s * 1048576)) /dev/urandom >"$d/root/f$s"
	chmod 0644 "$d/root/f$s"
	SUM[f$s]=$(sum "$d/root/f$s")
	setpriv --reuid="$SRV_USER" --regid="$(id -g "$SRV_USER")" --clear-groups test -r "$d/root/f$s" ||
		t_fail "$SRV_USER cannot read $d/root/f$s"
done
mkdir -p "$d/out"
cat >"$d/conf" <<C
[server]
interface = br0
address = 198.18.30.1
state-dir = $d/state
[dhcp]
mode = off
[http]
enable = no
[dns]
enable = no
[tftp]
root = $d/root
C
lab=bt$$
t_lab "$lab" 198.18.30
clients=()
for i in $(seq 0 "$CLIENTS"); do # client 0 for the single-client rows
	t_client "$lab" "btc$$-$i"
	ip -n "btc$$-$i" addr add "198.18.30.$((50 + i))/24" dev eth0
	clients+=("btc$$-$i")
done
C0=${clients[0]}
S=198.18.30.1

# ---- servers ------------------------------------------------------------------

SRV_PID=
SRV_NAME=
srv_log() { case $1 in labboot) echo "$d/labboot.log" ;; tftpd-hpa) echo "$d/hpa.log" ;; dnsmasq) echo "$d/dnsmasq.log" ;; esac; }

# Why a server that died at start did. tftpd-hpa logs only to syslog (there
# is no /dev/log here, so its messages are lost): read its status.
explain_exit() { # name status
	case "$1 $2" in
	"tftpd-hpa 66") echo "EX_NOINPUT: cannot chdir to the --secure root, or cannot resolve --address (getaddrinfo with AI_ADDRCONFIG fails when the namespace has no non-loopback IPv4 address)" ;;
	"tftpd-hpa 67") echo "EX_NOUSER: no user '$SRV_USER' (--user)" ;;
	"tftpd-hpa 71") echo "EX_OSERR: bind failed (port 69 taken, or address not local)" ;;
	"tftpd-hpa 64") echo "EX_USAGE: bad option" ;;
	"dnsmasq 2") echo "network error (port 69 taken, or address not local)" ;;
	"dnsmasq 3") echo "file error (TFTP root not accessible to the user it runs as)" ;;
	*) echo "see the log above" ;;
	esac
}

# check_started NAME: alive and bound to $S:69 within 5 s, else show why and fail.
check_started() {
	local name=$1 rc
	for _ in $(seq 50); do
		if ! kill -0 "$SRV_PID" 2>/dev/null; then
			rc=0
			wait "$SRV_PID" || rc=$?
			echo "FAIL: $name exited at start with status $rc: $(explain_exit "$name" "$rc")" >&2
			echo "--- $(srv_log "$name"):" >&2
			cat "$(srv_log "$name")" >&2
			exit 1
		fi
		ip netns exec "$lab" ss -Hlun "sport = :69" | grep -qF "$S:69" && return 0
		sleep 0.1
	done
	echo "FAIL: $name is running but not bound to $S:69 after 5 s" >&2
	cat "$(srv_log "$name")" >&2
	exit 1
}

start_server() { # name
	local log
	log=$(srv_log "$1")
	SRV_NAME=$1
	case $1 in
	labboot)
		t_labboot "$lab" "$d/conf" "$log" >/dev/null
		SRV_PID=$LABBOOT_PID ;;
	tftpd-hpa)
		t_bg "$lab" "$log" in.tftpd --foreground --listen --user "$SRV_USER" --address "$S:69" \
			--secure "$d/root" >/dev/null
		SRV_PID=$T_LAST_PID ;;
	dnsmasq)
		t_bg "$lab" "$log" dnsmasq --conf-file=/dev/null --port=0 --enable-tftp --tftp-root="$d/root" \
			--user="$SRV_USER" --listen-address="$S" --bind-interfaces --keep-in-foreground \
			--log-facility=- --pid-file="$d/dnsmasq.pid" >/dev/null
		SRV_PID=$T_LAST_PID ;;
	esac
	check_started "$1"
}

# stop_server: it must still be alive (a server dying mid-run fails the run).
stop_server() {
	local rc=0
	if ! kill -0 "$SRV_PID" 2>/dev/null; then
		wait "$SRV_PID" || rc=$?
		echo "FAIL: $SRV_NAME died during the run (status $rc)" >&2
		tail -n 20 "$(srv_log "$SRV_NAME")" >&2
		exit 1
	fi
	kill "$SRV_PID"
	wait "$SRV_PID" || true
	SRV_PID=
}

# ---- clients ------------------------------------------------------------------

# fetch NS FILE BLKSIZE WINDOW OUT TIMEOUT: one atftp transfer, integrity checked.
# Prints nothing on success, else fail/timeout/corrupt.
fetch() {
	local ns=$1 f=$2 blk=$3 win=$4 out=$5 tmo=$6 rc=0
	local opts=(--option "blksize $blk")
	[ "$win" -gt 1 ] && opts+=(--option "windowsize $win")
	rm -f "$out"
	ip netns exec "$ns" timeout "$tmo" atftp "${opts[@]}" -g -r "$f" -l "$out" "$S" 69 >"$out.log" 2>&1 || rc=$?
	if [ "$rc" = 124 ]; then echo timeout
	elif [ "$rc" != 0 ]; then echo fail
	elif [ "$(sum "$out")" != "${SUM[$f]}" ]; then echo corrupt
	fi
	rm -f "$out"
}

now_ns() { date +%s%N; }
mbps() { awk -v b="$1" -v ns="$2" 'BEGIN { printf "%.1f", b / 1048576 / (ns / 1e9) }'; }
median() { tr ' ' '\n' | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : sprintf("%.1f", (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

# measure N FILE BLKSIZE WINDOW REPEAT TIMEOUT -> aggregate MB/s (median of REPEAT
# runs), or the first failure. N clients start together, each in its own namespace.
measure() {
	local n=$1 f=$2 blk=$3 win=$4 rep=$5 tmo=$6 size r i t0 t1 bad vals=() pids
	size=$(stat -c %s "$d/root/$f")
	for r in $(seq "$rep"); do
		pids=()
		t0=$(now_ns)
		for i in $(seq 0 $((n - 1))); do
			fetch "${clients[$i]}" "$f" "$blk" "$win" "$d/out/$i" "$tmo" >"$d/out/$i.res" &
			pids+=($!)
		done
		wait "${pids[@]}"
		t1=$(now_ns)
		for i in $(seq 0 $((n - 1))); do
			bad=$(cat "$d/out/$i.res")
			[ -z "$bad" ] || { echo "$bad"; return; }
		done
		vals+=("$(mbps $((n * size)) $((t1 - t0)))")
	done
	echo "${vals[*]}" | median
}

loss_on() {
	ip netns exec "$C0" nft -f - <<N
table inet loss {
	chain in { type filter hook input priority 0; meta l4proto udp numgen random mod 100 0 drop; }
}
N
}
loss_off() { ip netns exec "$C0" nft delete table inet loss 2>/dev/null || true; }

# ---- the run ------------------------------------------------------------------

declare -A R
cases=() loss_cases=() conc_cases=()
for s in $SIZES; do for blk in 1468 8192; do for win in 1 16; do cases+=("f$s $blk $win"); done; done; done
for blk in 1468 8192; do for win in 1 16; do loss_cases+=("f$LOSS_SIZE $blk $win"); done; done
cs=${SIZES%% *}
[ "$CLIENTS" -gt 1 ] && conc_cases=("f$cs 1468 1" "f$cs 1468 16")

for srv in "${servers[@]}"; do
	echo "== $srv" >&2
	start_server "$srv"
	for c in "${cases[@]}"; do
		R["$srv $c"]=$(measure 1 $c "$REPEAT" "$TIMEOUT")
		echo "   $c: ${R["$srv $c"]}" >&2
	done
	for c in "${conc_cases[@]}"; do
		R["$srv ${CLIENTS}x $c"]=$(measure "$CLIENTS" $c "$REPEAT" "$TIMEOUT")
		echo "   ${CLIENTS}x $c: ${R["$srv ${CLIENTS}x $c"]}" >&2
	done
	loss_on
	for c in "${loss_cases[@]}"; do
		R["$srv loss $c"]=$(measure 1 $c "$LOSS_REPEAT" "$LOSS_TIMEOUT")
		echo "   loss $c: ${R["$srv loss $c"]}" >&2
	done
	loss_off
	stop_server
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "-" }'; }
cell() { local v=${R["$1"]:-}; echo "${v:--}"; }
printf '%-24s %9s %9s %9s %10s %10s\n' "file blksize window" labboot tftpd-hpa dnsmasq "vs hpa" "vs dnsmasq"
rows=("${cases[@]}")
for c in "${conc_cases[@]}"; do rows+=("${CLIENTS}x $c"); done
for c in "${loss_cases[@]}"; do rows+=("loss $c"); done
for c in "${rows[@]}"; do
	l=$(cell "labboot $c") h=$(cell "tftpd-hpa $c") m=$(cell "dnsmasq $c")
	printf '%-24s %9s %9s %9s %10s %10s\n' "$c" "$l" "$h" "$m" "$(ratio "$l" "$h")" "$(ratio "$l" "$m")"
done
echo "(MiB/s, median of $REPEAT runs (loss rows: $LOSS_REPEAT); 'NxC' rows: N clients at once, one namespace each,"
echo " aggregate; 'loss' rows: 1% of UDP datagrams to the client dropped (nftables, after reassembly);"
echo " window 16 needs RFC 7440, which tftpd-hpa 5.2 and dnsmasq 2.90 do not have: they answer"
echo " lock-step, which is what their column then shows)"
