#!/usr/bin/env bash
# TFTP throughput: labboot against tftpd-hpa and dnsmasq on the same files
# in one run, same namespace layout, integrity checked (sha256). Plain
# lock-step (windowsize 1) and windowed (RFC 7440, where the server has it)
# at blksize 1468 and 8192; then the same with 1% loss on the client side
# (nftables, as netem is not in this kernel). Prints MB/s and ratios.
#   SIZES="16 64" (MiB)   LOSS_SIZE=4 (MiB, lock-step at 1% loss is slow)
source "$(dirname "$0")/../../tests/lib/common.sh"
t_need_root
t_need atftp in.tftpd dnsmasq nft
SIZES=${SIZES:-16 64}
LOSS_SIZE=${LOSS_SIZE:-4}
d=$(t_tmpdir)
mkdir -p "$d/root"
for s in $SIZES $LOSS_SIZE; do head -c $((s * 1048576)) /dev/urandom > "$d/root/f$s"; done
cat > "$d/conf" <<C
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
t_client "$lab" btc$$
ip -n btc$$ addr add 198.18.30.50/24 dev eth0
S=198.18.30.1

start_server() { # name
	case $1 in
	labboot) t_labboot "$lab" "$d/conf" "$d/labboot.log" >/dev/null ;;
	tftpd-hpa) t_bg "$lab" "$d/hpa.log" in.tftpd --foreground --listen --address "$S:69" --secure "$d/root" >/dev/null ;;
	dnsmasq) t_bg "$lab" "$d/dnsmasq.log" dnsmasq --conf-file=/dev/null --port=0 --enable-tftp --tftp-root="$d/root" \
		--listen-address="$S" --bind-interfaces --keep-in-foreground --pid-file="$d/dnsmasq.pid" >/dev/null ;;
	esac
	sleep 0.5
}
stop_server() { kill "$T_LAST_PID" 2>/dev/null; wait "$T_LAST_PID" 2>/dev/null || true; }

# get FILE BLKSIZE WINDOW -> MB/s, or "fail"
get() {
	local f=$1 blk=$2 win=$3 start end opts=(--option "blksize $blk")
	[ "$win" -gt 1 ] && opts+=(--option "windowsize $win")
	rm -f "$d/out"
	start=$(date +%s.%N)
	ip netns exec btc$$ timeout 60 atftp "${opts[@]}" -g -r "$f" -l "$d/out" "$S" 69 >/dev/null 2>&1 || { echo fail; return; }
	end=$(date +%s.%N)
	if [ "$(sha256sum < "$d/out")" != "$(sha256sum < "$d/root/$f")" ]; then echo corrupt; return; fi
	echo "$(stat -c %s "$d/root/$f") $start $end" | awk '{printf "%.1f", $1 / 1048576 / ($3 - $2)}'
}

declare -A R
cases=()
for s in $SIZES; do for blk in 1468 8192; do for win in 1 16; do cases+=("f$s $blk $win"); done; done; done
loss_cases=("f$LOSS_SIZE 1468 1" "f$LOSS_SIZE 1468 16")
servers=(labboot tftpd-hpa dnsmasq)
for srv in "${servers[@]}"; do
	start_server "$srv"
	for c in "${cases[@]}"; do R["$srv $c"]=$(get $c); done
	ip netns exec btc$$ nft add table inet loss
	ip netns exec btc$$ nft add chain inet loss in '{ type filter hook input priority 0; }'
	ip netns exec btc$$ nft add rule inet loss in meta l4proto udp numgen random mod 100 0 drop
	for c in "${loss_cases[@]}"; do R["$srv loss $c"]=$(get $c); done
	ip netns exec btc$$ nft delete table inet loss
	stop_server
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "-" }'; }
printf '%-24s %9s %9s %9s %10s %10s\n' "file blksize window" labboot tftpd-hpa dnsmasq "vs hpa" "vs dnsmasq"
for c in "${cases[@]}" "${loss_cases[@]/#/loss }"; do
	l=${R["labboot $c"]} h=${R["tftpd-hpa $c"]} m=${R["dnsmasq $c"]}
	printf '%-24s %9s %9s %9s %10s %10s\n' "$c" "$l" "$h" "$m" "$(ratio "$l" "$h")" "$(ratio "$l" "$m")"
done
echo "(MB/s; 'loss' rows: 1% of UDP packets dropped at the client; window 16 needs RFC 7440 in the server,"
echo " a server without it answers lock-step, which is what its column then shows)"
