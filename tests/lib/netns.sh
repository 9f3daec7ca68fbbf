# Sourceable bash library: private test networks in network namespaces, and
# the one owner of everything a test creates (namespaces, processes, temp
# dirs), all torn down by one EXIT trap on every exit path.
#
#   . tests/lib/netns.sh               # installs the traps: EXIT; INT, TERM, HUP, PIPE exit through it
#   lab_up LAB [SUBNET]                # ns LAB, bridge br0 at SUBNET.1/24 (default $LAB_SERVER_IP), IPv6 off, fixed MAC
#   lab_add_veth_host LAB HOST [MAC]   # ns HOST whose eth0 is bridged into LAB's br0 (no address)
#   lab_ns NS [LAB]                    # a bare ns (lo up, IPv6 off), deleted with LAB (default: NS)
#   lab_veth NS1 IF1 NS2 IF2           # a veth pair between two namespaces, both ends up
#   lab_add_tap LAB TAP, lab_del_tap LAB TAP
#   lab_spawn NS CMD...                # CMD in NS in the background; PID in LAB_PID, registered
#   lab_register_pid PID [NS]          # any other PID we started (a daemon's), killed at exit
#   lab_tmpdir [VAR]                   # a new temp dir (in $TMPDIR or /tmp), in VAR or printed
#   lab_on_exit CMD                    # run CMD at exit, once our processes are gone ($LAB_RC: exit status)
#   lab_kill PID...                    # TERM, KILL after 3 s, reap
#   lab_down LAB                       # tear one lab down early (idempotent)
#
# Every registration goes to files in $LAB_REG, so it also counts when made
# inside $(...) or another subshell; only the shell that sourced the library
# tears down. LAB_KEEP=1 keeps the temp dirs for a post-mortem.
#
# Addresses stay in 198.18.0.0/15 (RFC 2544 benchmark space); host
# interfaces are never touched: every link is created inside a namespace.
# Namespace names must be unique per run: include $$.
# shellcheck shell=bash

# Sourced twice (common.sh and a caller): one registry, one trap.
[ -z "${LAB_REG:-}" ] || return 0

LAB_SUBNET=${LAB_SUBNET:-198.18.0}
LAB_SERVER_IP=${LAB_SERVER_IP:-$LAB_SUBNET.1}
LAB_MAIN_PID=$BASHPID
LAB_HOOKS=()
LAB_PID=''
# Lines: "LAB NS" in ns, "NS PID STARTTIME" in pids, one path each in dirs.
LAB_REG=$(mktemp -d "${TMPDIR:-/tmp}/labboot-reg.XXXXXX")
: >"$LAB_REG/ns"
: >"$LAB_REG/pids"
: >"$LAB_REG/dirs"

lab_log() { echo "lab: $*" >&2; }

# lab_starttime PID: the process's start time in clock ticks since boot
# (field 22 of /proc/PID/stat), empty if it is gone. A PID plus its start
# time names one process: a reused PID has another start time.
lab_starttime() {
	local s f
	{ read -r s <"/proc/$1/stat"; } 2>/dev/null || return 0
	read -ra f <<<"${s##*) }"   # fields after "(comm)", which may hold spaces
	echo "${f[19]}"
}

lab_no_ipv6() { # NS
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 net.ipv6.conf.lo.disable_ipv6=1
}

# lab_ns NS [LAB]: registered only once created, so a name clash never
# deletes a namespace that is not ours.
lab_ns() {
	local ns=$1 lab=${2:-$1}
	ip netns add "$ns"
	echo "$lab $ns" >>"$LAB_REG/ns"
	ip -n "$ns" link set lo up
	lab_no_ipv6 "$ns"   # no RS/DAD noise from the kernel
}

# lab_up LAB [SUBNET]: namespace LAB with bridge br0 at SUBNET.1/24.
lab_up() {
	local ns=$1 ip=$LAB_SERVER_IP
	[ -z "${2:-}" ] || ip=$2.1
	lab_ns "$ns"
	# A fixed MAC: an unset bridge MAC follows the lowest of its ports', so
	# a VM's tap joining or leaving changed the server's MAC under clients
	# that had it cached (UEFI iPXE never re-ARPs: issue 11's stall).
	# LAB_BRIDGE_MAC=follow keeps the kernel's behaviour (tests/integration/vm-uefi-stall.sh).
	if [ "${LAB_BRIDGE_MAC:-}" = follow ]; then
		ip -n "$ns" link add br0 type bridge
	else
		ip -n "$ns" link add br0 address "${LAB_BRIDGE_MAC:-02:00:00:18:00:01}" type bridge
	fi
	# Forward at once: no STP listening/learning delay before the first DHCP.
	ip -n "$ns" link set br0 type bridge forward_delay 0 stp_state 0
	ip -n "$ns" addr add "$ip/24" dev br0
	ip -n "$ns" link set br0 up
}

# lab_veth NS1 IF1 NS2 IF2: created inside NS1, so the root namespace never
# sees it.
lab_veth() {
	ip -n "$1" link add "$2" type veth peer name "$4" netns "$3"
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
}

# lab_add_tap LAB TAP: a tap device for one VM; QEMU must run inside the
# namespace to open it (ip netns exec LAB qemu ... ifname=TAP).
lab_add_tap() {
	local ns=$1 tap=$2
	ip -n "$ns" tuntap add dev "$tap" mode tap
	ip -n "$ns" link set "$tap" master br0 up
}

lab_del_tap() { # LAB TAP
	ip -n "$1" link del "$2" 2>/dev/null || true
}

# lab_add_veth_host LAB HOST [MAC]: a client host namespace HOST, deleted
# with LAB, whose eth0 is a veth bridged into LAB's br0; eth0 is up without
# an address (the test runs a DHCP client there).
lab_add_veth_host() {
	local ns=$1 host=$2 mac=${3:-} peer=$2
	# IFNAMSIZ is 16: keep the bridge-side name short (the tail holds the $$).
	[ ${#peer} -le 14 ] || peer=${peer:(-14)}
	peer=v$peer
	lab_ns "$host" "$ns"
	ip -n "$ns" link add "$peer" type veth peer name eth0 netns "$host"
	[ -z "$mac" ] || ip -n "$host" link set eth0 address "$mac"
	ip -n "$ns" link set "$peer" master br0 up
	ip -n "$host" link set eth0 up
}

# lab_register_pid PID [NS]: NS (a lab or one of its hosts) lets lab_down
# kill it early; every registered PID is killed at exit.
lab_register_pid() {
	echo "${2:--} $1 $(lab_starttime "$1")" >>"$LAB_REG/pids"
}

# lab_spawn NS CMD...: runs CMD inside NS in the background and registers
# it; LAB_PID is its PID (of `ip netns exec`, which execs CMD: the same
# process). Not "$(lab_spawn)": the process would not be our child.
lab_spawn() {
	local ns=$1
	shift
	# The subshell drops our traps (a TERM before its exec must not run
	# lab_cleanup_all in the child) and execs, so $! is the command itself.
	(
		trap - EXIT INT TERM
		exec ip netns exec "$ns" "$@"
	) &
	LAB_PID=$!
	lab_register_pid "$LAB_PID" "$ns"
}

# lab_tmpdir [VAR]: a new temp dir in $TMPDIR (/tmp), removed at exit,
# stored in VAR or printed: "d=$(lab_tmpdir)" works, the registry is a file.
lab_tmpdir() {
	local _lab_d _lab_n=${0%.sh}   # unusual names: VAR may be a local of the caller
	# Named after the script (bench/X/run.sh: X), for LAB_KEEP post-mortems.
	_lab_n=${_lab_n##*/}
	[ "$_lab_n" != run ] || { _lab_n=${0%/*}; _lab_n=${_lab_n##*/}; }
	_lab_d=$(mktemp -d "${TMPDIR:-/tmp}/labboot-$_lab_n.XXXXXX")
	echo "$_lab_d" >>"$LAB_REG/dirs"
	if [ $# -gt 0 ]; then printf -v "$1" '%s' "$_lab_d"; else echo "$_lab_d"; fi
}

lab_on_exit() { LAB_HOOKS+=("$1"); }

# lab_kill PID...: TERM, up to 3 s for all of them, then KILL whichever is
# still the process we signalled; only the given PIDs.
lab_kill() {
	local pid i alive start=()
	[ $# -gt 0 ] || return 0
	for pid in "$@"; do start+=("$(lab_starttime "$pid")"); kill "$pid" 2>/dev/null || true; done
	for ((i = 0; i < 30; i++)); do
		alive=0
		for pid in "$@"; do kill -0 "$pid" 2>/dev/null && { alive=1; break; }; done
		[ $alive = 1 ] || break
		sleep 0.1
	done
	i=0
	for pid in "$@"; do
		if [ -n "${start[i]}" ] && [ "$(lab_starttime "$pid")" = "${start[i]}" ]; then
			kill -9 "$pid" 2>/dev/null || true
		fi
		i=$((i + 1))
		{ wait "$pid" || true; } 2>/dev/null   # reap our child; silent if not ours
	done
	return 0
}

# lab_live_pids [NS...]: the registered PIDs (of those NS only, if given)
# whose process still runs.
lab_live_pids() {
	local ns pid start
	while read -r ns pid start; do
		[ $# = 0 ] || [[ " $* " == *" $ns "* ]] || continue
		[ -n "$start" ] && [ "$(lab_starttime "$pid")" = "$start" ] && echo "$pid"
	done <"$LAB_REG/pids"
	return 0
}

lab_namespaces() { # [LAB]: our namespaces (of LAB only, if given)
	local lab ns
	while read -r lab ns; do
		[ -z "${1:-}" ] || [ "$lab" = "$1" ] && echo "$ns"
	done <"$LAB_REG/ns"
	return 0
}

# lab_del_ns NS...: anything still running inside one of our namespaces was
# started from the test (a server's child, a VM of a vm-boot.sh): kill it,
# else the namespace outlives its name.
lab_del_ns() {
	local ns left
	for ns in "$@"; do
		ip netns list | >/dev/null grep "^$ns\( \|$\)" || continue
		left=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
		if [ -n "$left" ]; then
			lab_log "$ns: stopping leftover PIDs $left"
			# shellcheck disable=SC2086  # a PID list
			lab_kill $left
		fi
		ip netns del "$ns" 2>/dev/null || true
	done
}

# lab_down LAB: idempotent; kills the processes started in LAB's
# namespaces, then deletes them (with the bridge, taps and veths inside).
lab_down() {
	local nss
	nss=$(lab_namespaces "$1")
	[ -n "$nss" ] || return 0
	# shellcheck disable=SC2046,SC2086  # word lists
	lab_kill $(lab_live_pids $nss)
	# shellcheck disable=SC2086
	lab_del_ns $nss
}

# Called with LAB_RC (the exit status, for the hooks) and LAB_CLEANING=1.
lab_cleanup_all() {
	local _lab_h _lab_d   # unusual names: the hooks see the caller's variables
	# A forked child that gets a signal before it resets the inherited traps
	# must not tear the lab down: only the shell that sourced us cleans.
	[ "$BASHPID" = "$LAB_MAIN_PID" ] || return 0
	set +e   # a failing command must not end the teardown either
	trap '' PIPE   # writes to a closed pipe just fail from here on
	# shellcheck disable=SC2046  # a PID list
	lab_kill $(lab_live_pids)
	for _lab_h in "${LAB_HOOKS[@]}"; do eval "$_lab_h"; done
	# shellcheck disable=SC2046  # a namespace list
	lab_del_ns $(lab_namespaces)
	while read -r _lab_d; do
		if [ "${LAB_KEEP:-0}" = 1 ]; then lab_log "kept $_lab_d"; else rm -rf "$_lab_d"; fi
	done <"$LAB_REG/dirs"
	rm -rf "$LAB_REG"
}

# A signal exits through the EXIT trap (the exit status is kept), except
# during the teardown, which it must not cut short: a second ^C, a closed
# terminal, or a write to a pipe whose reader quit ("test.sh | head": an
# untrapped SIGPIPE would kill the shell at the hooks' first echo).
lab_signal() { [ "${LAB_CLEANING:-0}" = 1 ] || exit "$1"; }
# The prefix assignments hold while lab_cleanup_all runs; LAB_CLEANING is
# set before its first command.
trap 'LAB_RC=$? LAB_CLEANING=1 lab_cleanup_all' EXIT
trap 'lab_signal 130' INT
trap 'lab_signal 143' TERM
trap 'lab_signal 129' HUP
trap 'lab_signal 141' PIPE
