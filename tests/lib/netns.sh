# Sourceable bash library: private test networks in network namespaces.
#
#   . tests/lib/netns.sh          # installs an EXIT/INT/TERM trap -> lab_cleanup_all
#   lab_up lab$$                  # ns with bridge br0 at 198.18.0.1/24, IPv6 off
#   lab_add_tap lab$$ tap0        # tap in the ns, enslaved to br0, up
#   lab_add_veth_host lab$$ cli$$ # second ns "cli$$" with eth0 bridged (no address)
#   lab_spawn lab$$ CMD...        # run CMD in the ns in background, PID registered
#   lab_register_pid PID NAME     # any other PID to kill when NAME goes down
#   lab_tmpdir VAR                # VAR=new temp dir, removed at exit
#   lab_down lab$$                # idempotent: kills PIDs, deletes namespaces
#
# Addresses stay in 198.18.0.0/24 (RFC 2544 benchmark space); host interfaces
# are never touched: every link is created inside a namespace (or moved
# there at once). Namespace names must be unique per run: include $$.
# shellcheck shell=bash

LAB_SUBNET=${LAB_SUBNET:-198.18.0}
LAB_SERVER_IP=${LAB_SERVER_IP:-$LAB_SUBNET.1}

# Registry. Keys are lab names; values are space-separated lists.
declare -gA LAB_NS=()    # lab -> namespaces to delete (the lab's own + client hosts)
declare -gA LAB_PIDS=()  # lab -> PIDs to kill (recorded, never looked up by name)
declare -ga LAB_DIRS=()  # temp dirs to remove at exit
declare -ga LAB_ALL=()   # labs created by this process, for the trap
LAB_MAIN_PID=$BASHPID

lab_log() { echo "lab: $*" >&2; }

# lab_up NAME: namespace NAME, lo up, IPv6 off (no RS/DAD noise from the
# kernel), bridge br0 at $LAB_SERVER_IP/24.
lab_up() {
	local ns=$1
	LAB_ALL+=("$ns")
	LAB_NS[$ns]="$ns"
	LAB_PIDS[$ns]=""
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	lab_no_ipv6 "$ns"
	ip -n "$ns" link add br0 type bridge
	# Forward at once: no STP listening/learning delay before the first DHCP.
	ip -n "$ns" link set br0 type bridge forward_delay 0 stp_state 0
	ip -n "$ns" addr add "$LAB_SERVER_IP/24" dev br0
	ip -n "$ns" link set br0 up
}

lab_no_ipv6() { # NS
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 net.ipv6.conf.lo.disable_ipv6=1
}

# lab_add_tap NAME TAP: a tap device for one VM; QEMU must run inside the
# namespace to open it (ip netns exec NAME qemu ... ifname=TAP).
lab_add_tap() {
	local ns=$1 tap=$2
	ip -n "$ns" tuntap add dev "$tap" mode tap
	ip -n "$ns" link set "$tap" master br0 up
}

lab_del_tap() { # NAME TAP
	ip -n "$1" link del "$2" 2>/dev/null || true
}

# lab_add_veth_host NAME HOSTNS: a client host namespace HOSTNS whose eth0
# is a veth bridged into NAME's br0; eth0 is up without an address (the
# test runs a DHCP client there). The veth pair is created inside NAME, so
# the host's root namespace never sees it.
lab_add_veth_host() {
	local ns=$1 host=$2 peer
	peer=$host
	# IFNAMSIZ is 16: keep the bridge-side name short (the tail holds the $$).
	[ ${#peer} -le 14 ] || peer=${peer:(-14)}
	peer=v$peer
	ip netns add "$host"
	LAB_NS[$ns]+=" $host"
	ip -n "$host" link set lo up
	lab_no_ipv6 "$host"
	ip -n "$ns" link add "$peer" type veth peer name eth0 netns "$host"
	ip -n "$ns" link set "$peer" master br0 up
	ip -n "$host" link set eth0 up
}

lab_register_pid() { # PID NAME
	LAB_PIDS[$2]+=" $1"
}

# lab_spawn NAME CMD...: runs CMD inside NAME in the background, records
# its PID (of `ip netns exec`, which execs CMD: same process) and prints it.
lab_spawn() {
	local ns=$1
	shift
	# The subshell drops our traps (a TERM before its exec must not run
	# lab_cleanup_all in the child) and execs, so $! is the command itself.
	(
		trap - EXIT INT TERM
		exec ip netns exec "$ns" "$@"
	) &
	LAB_PIDS[$ns]+=" $!"
	echo $!
}

# lab_tmpdir VAR: a new temp dir, removed at exit, stored in VAR. Not
# "$(lab_tmpdir)": a command substitution is a subshell and the registry
# entry would be lost with it.
lab_tmpdir() {
	local _lab_d   # an unusual name: VAR may be a local of the caller
	_lab_d=$(mktemp -d "${TMPDIR:-/tmp}/labboot-vm.XXXXXX")
	LAB_DIRS+=("$_lab_d")
	printf -v "$1" '%s' "$_lab_d"
}

# lab_kill PID...: TERM, wait up to 3 s, then KILL; only the given PIDs.
lab_kill() {
	local pid i
	for pid in "$@"; do kill "$pid" 2>/dev/null || true; done
	for pid in "$@"; do
		for ((i = 0; i < 30; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null || true
		{ wait "$pid" || true; } 2>/dev/null   # reap our child; silent if already reaped
	done
}

# lab_down NAME: idempotent; kills the lab's PIDs, deletes its namespaces
# (which deletes the bridge, taps and veths inside them).
lab_down() {
	local ns=$1 n
	# shellcheck disable=SC2086  # word splitting of the PID list is wanted
	[ -z "${LAB_PIDS[$ns]:-}" ] || lab_kill ${LAB_PIDS[$ns]}
	LAB_PIDS[$ns]=""
	for n in ${LAB_NS[$ns]:-$ns}; do
		ip netns del "$n" 2>/dev/null || true
	done
	LAB_NS[$ns]=""
}

lab_cleanup_all() {
	local ns d
	# A forked child that gets a signal before it resets the inherited traps
	# must not tear the lab down: only the shell that sourced us cleans.
	[ "$BASHPID" = "$LAB_MAIN_PID" ] || return 0
	for ns in "${LAB_ALL[@]}"; do lab_down "$ns"; done
	for d in "${LAB_DIRS[@]}"; do
		# LAB_KEEP=1 keeps logs and trees for a post-mortem.
		if [ "${LAB_KEEP:-0}" = 1 ]; then echo "lab: kept $d" >&2; else rm -rf "$d"; fi
	done
	LAB_DIRS=()
}

# Exit status is kept; INT/TERM exit through the EXIT trap.
trap 'lab_cleanup_all' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
