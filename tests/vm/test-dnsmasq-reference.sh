#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Harness self-test and reference setup: dnsmasq (DHCP+TFTP) and busybox
# httpd in a private namespace netboot one VM per firmware mode, in
# parallel; each VM must report its reserved address and hostname, the
# right sha256 of the test file, and call back "booted".
#
#   tests/vm/test-dnsmasq-reference.sh            # MODES="bios uefi"
#   MODES="bios uefi uefi-http" tests/vm/test-dnsmasq-reference.sh
# Exit 0 pass, 1 fail, 77 skip (not root).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/netns.sh
. "$here/../lib/netns.sh"
# shellcheck source=reference.sh
. "$here/reference.sh"

MODES=${MODES:-bios uefi}

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root for namespaces"; exit 77; }
for c in qemu-system-x86_64 dnsmasq busybox cpio gzip ss; do
	command -v "$c" >/dev/null || { echo "missing $c (scripts/install-deps.sh)"; exit 1; }
done

# One reservation per mode, so the modes can boot side by side.
declare -A MAC=([bios]=52:54:00:18:00:12 [uefi]=52:54:00:18:00:13 [uefi-http]=52:54:00:18:00:14)
declare -A IP=([bios]=198.18.0.12 [uefi]=198.18.0.13 [uefi-http]=198.18.0.14)
declare -A NAME=([bios]=beta [uefi]=gamma [uefi-http]=delta)

ns=vmref$$
lab_tmpdir dir
ref_prepare "$dir"
for m in $MODES; do ref_add_host "${MAC[$m]}" "${IP[$m]}" "${NAME[$m]}"; done
"$here/kvm-probe.sh" >/dev/null   # probe once, before VMs run in parallel
lab_up "$ns"
ref_serve "$ns" "$dir"
ref_capture "$ns" "$dir"

declare -A pid=()
for m in $MODES; do
	"$here/vm-boot.sh" --ns "$ns" --mode "$m" --mac "${MAC[$m]}" --log "$dir/$m.serial" \
		>"$dir/$m.out" 2>"$dir/$m.err" &
	pid[$m]=$!
	lab_register_pid "${pid[$m]}" "$ns"
done

want_sum=$(cat "$dir/testfile.sha256")
failed=0
check() { # MODE DESCRIPTION PATTERN: PATTERN must be a line of the VM output
	if grep -qx -- "$3" "$dir/$1.out"; then
		echo "ok   $1: $2"
	else
		echo "FAIL $1: $2 (want /$3/)"
		failed=1
	fi
}
for m in $MODES; do
	rc=0
	wait "${pid[$m]}" || rc=$?
	echo "== $m (${MAC[$m]}), vm-boot rc=$rc"
	sed 's/^/   /' "$dir/$m.out"
	[ $rc = 0 ] || { sed 's/^/   /' "$dir/$m.err"; failed=1; }
	check "$m" "reserved address and DHCP hostname" \
		"LABBOOT-TEST ip=${IP[$m]} hostname=${NAME[$m]} hostname-source=dhcp uptime=.*"
	check "$m" "test file sha256" "LABBOOT-TEST sha256=$want_sum size=1048576 uptime=.*"
	check "$m" "booted callback" "LABBOOT-TEST booted-callback rc=0"
	check "$m" "no errors" "LABBOOT-TEST done uptime=.* errors=0"
	if grep -q "mac=${MAC[$m]//:/-}" "$dir/booted.log" 2>/dev/null; then
		echo "ok   $m: server saw the callback"
	else
		echo "FAIL $m: server saw no callback"; failed=1
	fi
	echo "BOOT-TIME $m $(sed -n 's/^RESULT [a-z]* TOTAL //p' "$dir/$m.out")"
done
ref_capture_report "$dir"
if [ $failed != 0 ]; then
	echo "--- dnsmasq log (tail)"; tail -n 40 "$dir/dnsmasq.log"
	echo "--- httpd log (tail)"; tail -n 20 "$dir/httpd.log"
	exit 1
fi
echo "PASS"
