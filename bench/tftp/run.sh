#!/usr/bin/env bash
# TFTP throughput: labboot against tftpd-hpa and dnsmasq on the same files
# in one run, same namespace layout, integrity checked (sha256). Plain
# lock-step (windowsize 1) and windowed (RFC 7440, where the server has it)
# at blksize 1468 and 8192; CLIENTS clients at once, each in its own
# namespace (a rack booting together); then 1% loss on the client side
# (nftables, as netem is not in this kernel). Prints MB/s (MiB/s) and ratios.
# The three servers run side by side on their own addresses and every cell
# is measured in turn, server after server, so that a machine that gets busy
# meanwhile slows all columns alike. Every server's start is checked (alive
# and bound to port 69, else its status and log are shown and the run
# fails), every transfer is bounded by a timeout, everything is removed on
# exit.
#   SIZES="16 64" (MiB)   LOSS_SIZE=4 (MiB, lock-step at 1% loss is slow)
#   REPEAT=5 (median of N runs per cell)   LOSS_REPEAT=3   CLIENTS=8
#   SERVERS="labboot tftpd-hpa dnsmasq"   LOSS=0 (skip the loss rows)
#   PIN=CPU: servers and clients all on that CPU. On these 2-vCPU VMs a
#   lock-step transfer is a ping-pong of wakeups: when the server and the
#   client land on different vCPUs every block waits for a cross-vCPU wakeup
#   (~10-16 MB/s for every server), on the same one it is ~100-200 MB/s, and
#   unpinned the scheduler picks either; PIN gives the per-packet cost alone.
source "$(dirname "$0")/../../tests/lib/common.sh"
export LC_ALL=C
t_need_root
t_need atftp in.tftpd dnsmasq nft ss setpriv sha256sum
SIZES=${SIZES:-16 64}
LOSS_SIZE=${LOSS_SIZE:-4}
REPEAT=${REPEAT:-5}
LOSS_REPEAT=${LOSS_REPEAT:-3}
CLIENTS=${CLIENTS:-8}
TIMEOUT=${TIMEOUT:-60}            # seconds per transfer
LOSS_TIMEOUT=${LOSS_TIMEOUT:-300} # lock-step at 1% loss: up to ~1 s per lost block
read -r -a servers <<<"${SERVERS:-labboot tftpd-hpa dnsmasq}"
# tftpd-hpa and dnsmasq serve as this user (both default to nobody); it must
# be able to read the files.
SRV_USER=nobody
declare -A ADDR=([labboot]=198.18.30.1 [tftpd-hpa]=198.18.30.2 [dnsmasq]=198.18.30.3)
declare -A LOG SRV_PID

d=$(lab_tmpdir)
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
address = ${ADDR[labboot]}
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
lab_up "$lab" 198.18.30
ip -n "$lab" addr add "${ADDR[tftpd-hpa]}/24" dev br0
ip -n "$lab" addr add "${ADDR[dnsmasq]}/24" dev br0
clients=()
for i in $(seq 0 "$CLIENTS"); do # client 0 for the single-client rows
	lab_add_veth_host "$lab" "btc$$-$i"
	ip -n "btc$$-$i" addr add "198.18.30.$((50 + i))/24" dev eth0
	clients+=("btc$$-$i")
done
C0=${clients[0]}

# ---- servers ------------------------------------------------------------------

# Why a server that died at start did. tftpd-hpa logs only to syslog (there
# is no /dev/log here, so its messages are lost): read its status.
explain_exit() { # name status
	case "$1 $2" in
	"tftpd-hpa 66") echo "EX_NOINPUT: cannot chdir to the --secure root, or cannot resolve --address (getaddrinfo with AI_ADDRCONFIG fails while the namespace has no non-loopback IPv4 address)" ;;
	"tftpd-hpa 67") echo "EX_NOUSER: no user '$SRV_USER' (--user)" ;;
	"tftpd-hpa 71") echo "EX_OSERR: bind failed (port 69 taken, or address not local)" ;;
	"tftpd-hpa 64") echo "EX_USAGE: bad option" ;;
	"dnsmasq 2") echo "network error (port 69 taken, or address not local)" ;;
	"dnsmasq 3") echo "file error (TFTP root missing, or not accessible to the user it runs as)" ;;
	*) echo "see its log" ;;
	esac
}

# check_started NAME: alive and bound to its address, port 69, within 5 s,
# and still alive a moment later (dnsmasq binds before it checks its TFTP
# root), else show why and fail.
check_started() {
	local name=$1 pid=${SRV_PID[$1]} rc bound=
	for _ in $(seq 17); do
		if ! kill -0 "$pid" 2>/dev/null; then
			rc=0
			wait "$pid" || rc=$?
			echo "FAIL: $name exited at start with status $rc: $(explain_exit "$name" "$rc")" >&2
			echo "--- ${LOG[$name]}:" >&2
			cat "${LOG[$name]}" >&2
			exit 1
		fi
		[ -n "$bound" ] && return 0
		ip netns exec "$lab" ss -Hlun "sport = :69" | >/dev/null grep -F "${ADDR[$name]}:69" && bound=1
		sleep 0.3
	done
	echo "FAIL: $name is running but not bound to ${ADDR[$name]}:69 after 5 s" >&2
	cat "${LOG[$name]}" >&2
	exit 1
}

start_server() { # name
	local a=${ADDR[$1]}
	LOG[$1]=$d/$1.log
	case $1 in
	labboot)
		t_labboot "$lab" "$d/conf" "${LOG[$1]}" >/dev/null
		SRV_PID[$1]=$LABBOOT_PID ;;
	tftpd-hpa)
		t_bg "$lab" "${LOG[$1]}" in.tftpd --foreground --listen --user "$SRV_USER" --address "$a:69" \
			--secure "$d/root" >/dev/null
		SRV_PID[$1]=$T_LAST_PID ;;
	dnsmasq)
		t_bg "$lab" "${LOG[$1]}" dnsmasq --conf-file=/dev/null --port=0 --enable-tftp --tftp-root="$d/root" \
			--user="$SRV_USER" --listen-address="$a" --bind-interfaces --keep-in-foreground \
			--log-facility=- --pid-file="$d/dnsmasq.pid" >/dev/null
		SRV_PID[$1]=$T_LAST_PID ;;
	*) t_fail "unknown server $1" ;;
	esac
	[ -z "${PIN:-}" ] || taskset -apc "$PIN" "${SRV_PID[$1]}" >/dev/null
	check_started "$1"
}

# check_alive NAME: a server that died during the run fails it.
check_alive() {
	local rc=0
	kill -0 "${SRV_PID[$1]}" 2>/dev/null && return 0
	wait "${SRV_PID[$1]}" || rc=$?
	echo "FAIL: $1 died during the run (status $rc)" >&2
	tail -n 20 "${LOG[$1]}" >&2
	exit 1
}

stop_server() { # name
	check_alive "$1"
	kill "${SRV_PID[$1]}"
	wait "${SRV_PID[$1]}" || true
}

# ---- clients ------------------------------------------------------------------

# fetch NS SERVER FILE BLKSIZE WINDOW OUT TIMEOUT: one atftp transfer,
# integrity checked. Prints its start and end (seconds, timed inside the
# namespace around atftp alone: entering the namespace and forking cost
# milliseconds, a windowed 16 MiB transfer takes a few tens), else
# fail/timeout/corrupt.
fetch() {
	local ns=$1 a=${ADDR[$2]} f=$3 blk=$4 win=$5 out=$6 tmo=$7 rc=0
	local opts=(--option "blksize $blk")
	[ "$win" -gt 1 ] && opts+=(--option "windowsize $win")
	rm -f "$out" "$out.time"
	# shellcheck disable=SC2016
	ip netns exec "$ns" ${PIN:+taskset -c "$PIN"} timeout "$tmo" bash -c 'T=$1; shift; t0=$EPOCHREALTIME; "$@"; rc=$?; echo "$t0 $EPOCHREALTIME" >"$T"; exit $rc' \
		fetch "$out.time" atftp "${opts[@]}" -g -r "$f" -l "$out" "$a" 69 >"$out.log" 2>&1 || rc=$?
	if [ "$rc" = 124 ]; then echo timeout
	elif [ "$rc" != 0 ]; then echo fail
	elif [ "$(sum "$out")" != "${SUM[$f]}" ]; then echo corrupt
	else cat "$out.time"
	fi
	rm -f "$out"
}

mbps() { awk -v b="$1" -v s="$2" 'BEGIN { v = b / 1048576 / s; printf(v < 1 ? "%.2f" : "%.1f", v) }'; }
median() { tr ' ' '\n' | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : sprintf("%.1f", (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

# once N SERVER FILE BLKSIZE WINDOW TIMEOUT -> aggregate MB/s of N clients that
# start together, each in its own namespace (from the first start to the
# last end), or the first failure.
once() {
	local n=$1 srv=$2 f=$3 blk=$4 win=$5 tmo=$6 size i res times=() pids=()
	size=$(stat -c %s "$d/root/$f")
	for i in $(seq 0 $((n - 1))); do
		fetch "${clients[$i]}" "$srv" "$f" "$blk" "$win" "$d/out/$i" "$tmo" >"$d/out/$i.res" &
		pids+=($!)
	done
	wait "${pids[@]}"
	for i in $(seq 0 $((n - 1))); do
		res=$(cat "$d/out/$i.res")
		case $res in [0-9]*) times+=("$res") ;; *) echo "${res:-fail}"; return ;; esac
	done
	mbps $((n * size)) "$(printf '%s\n' "${times[@]}" | awk 'NR == 1 || $1 < a { a = $1 } NR == 1 || $2 > b { b = $2 } END { print b - a }')"
}

declare -A R
# row LABEL N FILE BLKSIZE WINDOW REPEAT TIMEOUT: REPEAT rounds, each server
# once per round (the order rotates), then each server's median.
row() {
	local label=$1 n=$2 f=$3 blk=$4 win=$5 rep=$6 tmo=$7 r k srv v
	declare -A vals=() bad=()
	for r in $(seq "$rep"); do
		for k in "${!servers[@]}"; do
			srv=${servers[$(((k + r) % ${#servers[@]}))]}
			[ -n "${bad[$srv]:-}" ] && continue
			v=$(once "$n" "$srv" "$f" "$blk" "$win" "$tmo")
			case $v in [0-9]*) vals[$srv]+=" $v" ;; *) bad[$srv]=$v ;; esac
		done
	done
	for srv in "${servers[@]}"; do
		check_alive "$srv"
		if [ -n "${bad[$srv]:-}" ]; then R["$srv $label"]=${bad[$srv]}
		else R["$srv $label"]=$(echo "${vals[$srv]# }" | median); fi
	done
	printf '   %-22s' "$label" >&2
	for srv in "${servers[@]}"; do printf ' %s %s' "$srv" "${R["$srv $label"]}" >&2; done
	echo >&2
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

load0=$(cut -d' ' -f1-3 /proc/loadavg)
for srv in "${servers[@]}"; do start_server "$srv"; done
rows=()
for s in $SIZES; do for blk in 1468 8192; do for win in 1 16; do
	rows+=("f$s $blk $win")
	row "f$s $blk $win" 1 "f$s" $blk $win "$REPEAT" "$TIMEOUT"
done; done; done
if [ "$CLIENTS" -gt 1 ]; then
	cs=${SIZES%% *}
	for win in 1 16; do
		rows+=("${CLIENTS}x f$cs 1468 $win")
		row "${CLIENTS}x f$cs 1468 $win" "$CLIENTS" "f$cs" 1468 $win "$REPEAT" "$TIMEOUT"
	done
fi
if [ "${LOSS:-1}" != 0 ]; then
	loss_on
	for blk in 1468 8192; do for win in 1 16; do
		rows+=("loss f$LOSS_SIZE $blk $win")
		row "loss f$LOSS_SIZE $blk $win" 1 "f$LOSS_SIZE" $blk $win "$LOSS_REPEAT" "$LOSS_TIMEOUT"
	done; done
	loss_off
fi
for srv in "${servers[@]}"; do stop_server "$srv"; done
load1=$(cut -d' ' -f1-3 /proc/loadavg)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "-" }'; }
cell() { local v=${R["$1"]:-}; echo "${v:--}"; }
printf '%-24s %9s %9s %9s %10s %10s\n' "file blksize window" labboot tftpd-hpa dnsmasq "vs hpa" "vs dnsmasq"
for c in "${rows[@]}"; do
	l=$(cell "labboot $c") h=$(cell "tftpd-hpa $c") m=$(cell "dnsmasq $c")
	printf '%-24s %9s %9s %9s %10s %10s\n' "$c" "$l" "$h" "$m" "$(ratio "$l" "$h")" "$(ratio "$l" "$m")"
done
echo "(MiB/s, median of $REPEAT runs (loss rows: $LOSS_REPEAT), servers measured in turn; 'Nx' rows: N clients"
echo " at once, one namespace each, aggregate; 'loss' rows: 1% of UDP datagrams to the client dropped"
echo " (nftables, after reassembly); window 16 needs RFC 7440, which tftpd-hpa 5.2 and dnsmasq 2.90"
echo " do not have: they answer lock-step, which is what their column then shows; labboot caps a"
echo " window at 64 KiB, so 8192 x 16 runs as 8192 x 8.${PIN:+ All on CPU $PIN.} Load average before: $load0, after: $load1)"
