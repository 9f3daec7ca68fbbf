# Sourceable helpers for integration tests and benches: preconditions,
# verdicts, a labboot configuration and instance. Namespaces, processes,
# temp dirs and cleanup belong to netns.sh, sourced here (addresses in
# 198.18.0.0/15 only, everything torn down on every exit).
# shellcheck shell=bash
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LABBOOT=${LABBOOT:-$ROOT/build/labboot}
# shellcheck source-path=SCRIPTDIR source=netns.sh
. "$(dirname "${BASH_SOURCE[0]}")/netns.sh"

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

# t_bg NS LOG cmd...: lab_spawn with its output in LOG; prints the PID (also
# in T_LAST_PID). Fine inside $(...): the registration is kept in a file.
t_bg() {
	local ns=$1 log=$2
	shift 2
	lab_spawn "$ns" "$@" >"$log" 2>&1
	T_LAST_PID=$LAB_PID
	echo "$T_LAST_PID"
}

# t_labboot NS CONF LOG: start labboot serve, wait until it logs that it is
# serving (every server bound, the control socket open);
# prints the PID (also in LABBOOT_PID).
t_labboot() {
	local ns=$1 conf=$2 log=$3 pid
	t_bg "$ns" "$log" "$LABBOOT" serve -c "$conf" -v >/dev/null
	pid=$T_LAST_PID
	# shellcheck disable=SC2034  # for the caller
	LABBOOT_PID=$pid
	for _ in $(seq 100); do
		grep -q "^info  labboot .* serving" "$log" 2>/dev/null && { echo "$pid"; return 0; }
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
