# Sourceable helpers for integration tests: private network namespaces
# (addresses in 198.18.0.0/15 only), a labboot instance, cleanup on every exit.
# shellcheck shell=bash
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LABBOOT=${LABBOOT:-$ROOT/build/labboot}
T_NETNS=()
T_PIDS=()
T_DIRS=()
# PIDs and temporary directories are also kept in files: t_bg and t_tmpdir
# are often called inside $(...), where an array append would be lost and the
# process would outlive the test (or the directory stay in /tmp).
T_PIDFILE=$(mktemp /tmp/labboot-test-pids.XXXXXX)
T_DIRFILE=$(mktemp /tmp/labboot-test-dirs.XXXXXX)

# t_track PID...: kill these processes on exit too (e.g. a daemonized client).
t_track() { local p; for p in "$@"; do echo "$p" >>"$T_PIDFILE"; done; }

t_cleanup() {
	local pid ns dir
	while read -r pid; do T_PIDS+=("$pid"); done <"$T_PIDFILE" 2>/dev/null || true
	while read -r dir; do T_DIRS+=("$dir"); done <"$T_DIRFILE" 2>/dev/null || true
	rm -f "$T_PIDFILE" "$T_DIRFILE"
	for pid in "${T_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${T_PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null || true
	done
	for ns in "${T_NETNS[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
	for dir in "${T_DIRS[@]}"; do rm -rf "$dir"; done
}
trap t_cleanup EXIT
trap 'exit 130' INT TERM

t_need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: needs root for network namespaces"
		exit 77
	fi
}

t_need() { # command...
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || { echo "missing $c (run scripts/install-deps.sh)"; exit 1; }
	done
}

t_tmpdir() {
	local d
	d=$(mktemp -d /tmp/labboot-test.XXXXXX)
	T_DIRS+=("$d")
	echo "$d" >>"$T_DIRFILE"
	echo "$d"
}

# t_lab NAME SUBNET: a server namespace NAME with bridge br0 at SUBNET.1/24
# (SUBNET like 198.18.1). IPv6 off so kernel chatter stays out of the way.
t_lab() {
	local ns=$1 subnet=$2
	ip netns add "$ns"
	T_NETNS+=("$ns")
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip -n "$ns" link add br0 type bridge
	ip -n "$ns" addr add "$subnet.1/24" dev br0
	ip -n "$ns" link set br0 up
}

# t_client LAB NAME [MAC]: a client namespace NAME with eth0 bridged into LAB.
t_client() {
	local lab=$1 ns=$2 mac=${3:-}
	ip netns add "$ns"
	T_NETNS+=("$ns")
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	local host_if="v$$x${#T_NETNS[@]}"
	ip link add "$host_if" type veth peer name eth0 netns "$ns"
	ip link set "$host_if" netns "$lab"
	ip -n "$lab" link set "$host_if" master br0 up
	[ -n "$mac" ] && ip -n "$ns" link set eth0 address "$mac"
	ip -n "$ns" link set eth0 up
}

# t_bg NS LOG cmd...: run a command in a namespace in the background.
t_bg() {
	local ns=$1 log=$2
	shift 2
	ip netns exec "$ns" "$@" >"$log" 2>&1 &
	T_LAST_PID=$!
	T_PIDS+=("$T_LAST_PID")
	t_track "$T_LAST_PID"
	echo "$T_LAST_PID"
}

# t_labboot NS CONF LOG: start labboot serve, wait until it logs "serving".
t_labboot() {
	local ns=$1 conf=$2 log=$3 pid
	t_bg "$ns" "$log" "$LABBOOT" serve -c "$conf" -v >/dev/null
	pid=$T_LAST_PID
	LABBOOT_PID=$pid
	for _ in $(seq 100); do
		grep -q "serving" "$log" 2>/dev/null && { echo "$pid"; return 0; }
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "labboot did not start:" >&2
	cat "$log" >&2
	return 1
}

t_fail() { echo "FAIL: $*" >&2; exit 1; }
t_ok() { echo "ok: $*"; }

# t_expect_eq WHAT GOT WANT
t_expect_eq() { [ "$2" = "$3" ] || t_fail "$1: got '$2', want '$3'"; t_ok "$1 = $3"; }

# t_conf_server ADDR DIR [SERVICE...]: the start of a test configuration on
# stdout: [server] on br0 at ADDR with its state in DIR/state, and every
# service of tftp, http and dns not named switched off. The test appends
# its [dhcp], [host] and other sections.
t_conf_server() {
	local addr=$1 dir=$2 svc
	shift 2
	printf '[server]\ninterface = br0\naddress = %s\nstate-dir = %s/state\n' "$addr" "$dir"
	for svc in tftp http dns; do
		[[ " $* " == *" $svc "* ]] || printf '[%s]\nenable = no\n' "$svc"
	done
}
