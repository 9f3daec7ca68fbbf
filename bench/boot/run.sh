#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# shellcheck disable=SC2317  # server functions are called through run_series
# Boot-time benchmark: boots the same VM N times against a netboot server
# and prints mean/min/max total boot time and the mean per-phase breakdown
# (phases from tests/vm/vm-boot.sh: first time each console marker appeared).
#
#   bench/boot/run.sh                     # dnsmasq reference, bios, N=5
#   N=3 MODE=uefi bench/boot/run.sh
#   REF_NO_PXEDHCP=1 bench/boot/run.sh    # reference with iPXE's no-pxedhcp
#   CAPTURE=1 bench/boot/run.sh           # also measure the DHCP/IPv6 waits
#   LABBOOT=build/labboot bench/boot/run.sh   # then the same with labboot
#   ONLY=labboot LABBOOT=... bench/boot/run.sh  # labboot alone
#   EFI64=snponly.efi ONLY=labboot ...  # labboot's default UEFI loader (the reference has ipxe.efi)
#
# Each server gets a fresh namespace; the VMs boot one after another (a
# boot under TCG takes a whole core, parallel runs would skew the times).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../../tests/lib/netns.sh
. "$ROOT/tests/lib/netns.sh"
# shellcheck source=../../tests/vm/reference.sh
. "$ROOT/tests/vm/reference.sh"

N=${N:-5}
MODE=${MODE:-bios}
MAC=${MAC:-52:54:00:18:00:12}
VM_IP=198.18.0.12 VM_NAME=beta

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root for namespaces"; exit 77; }

# ---------------------------------------------------------------- servers
# A server function gets NS and a prepared DIR (ref_prepare: DIR/tftp,
# DIR/www with vmlinuz, initrd.gz, testfile, boot.ipxe) and must leave a
# DHCP+TFTP+HTTP server running in NS on br0, its PIDs registered
# (lab_spawn), before it returns.

serve_dnsmasq() { # NS DIR
	ref_add_host "$MAC" "$VM_IP" "$VM_NAME"
	ref_serve "$1" "$2"
}

# ======================= labboot ======================================
# serve_labboot NS CONFIG ROOT: runs "$LABBOOT serve -c CONFIG" in NS, with
# ROOT as its TFTP/HTTP root. Called only when LABBOOT is set. The config is
# written by labboot_config (modelled on examples/homelab.conf); adjust it
# there as labboot's configuration grows.
serve_labboot() {
	local ns=$1 conf=$2 root=$3 i
	[ -d "$root" ] || { echo "serve_labboot: no root $root" >&2; return 1; }
	lab_spawn "$ns" "$LABBOOT" serve -c "$conf" >"$(dirname "$conf")/labboot.log" 2>&1
	for ((i = 0; i < 50; i++)); do
		if ip netns exec "$ns" ss -Hlnu 'sport = :67' | >/dev/null grep . &&
			ip netns exec "$ns" ss -Hlnt 'sport = :80' | >/dev/null grep .; then
			return 0
		fi
		sleep 0.1
	done
	echo "serve_labboot: labboot did not listen on 67/udp and 80/tcp" >&2
	cat "$(dirname "$conf")/labboot.log" >&2
	return 1
}

# labboot_config DIR ROOT: a labboot config for the same boot as the
# reference (iPXE loads vmlinuz + initrd.gz with the same command line),
# everything served from ROOT.
labboot_config() {
	local dir=$1 root=$2
	cat <<-EOF
	[server]
	interface = br0
	address = ${LAB_SERVER_IP}
	state-dir = $dir/state

	[dhcp]
	mode = authoritative
	range = 198.18.0.100 198.18.0.200
	lease-time = 1h

	[tftp]
	root = $root

	[http]
	root = $root

	[dns]
	enable = false

	[boot]
	bios = undionly.kpxe
	efi64 = ${EFI64:-ipxe.efi}
	image = test
	# The reference boots without a menu; so does this (0s: no menu).
	menu-timeout = ${MENU:-0s}

	[image "test"]
	kernel = vmlinuz
	initrd = initrd.gz
	cmdline = initrd=initrd.gz console=ttyS0,115200 panic=-1 hostname=$VM_NAME testfile=http://${LAB_SERVER_IP}/testfile booted=http://${LAB_SERVER_IP}/booted

	[host "$VM_NAME"]
	mac = $MAC
	ip = $VM_IP
	EOF
}

start_labboot() { # NS DIR: adapter from the server-function interface
	mkdir -p "$2/state"
	# The HTTP root of the reference is DIR/www; labboot serves one root.
	cp -a "$2/tftp/." "$2/www/"
	labboot_config "$2" "$2/www" >"$2/labboot.conf"
	# IPv6 on the lab link, so labboot can answer iPXE's router solicitations
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0 \
		net.ipv6.conf.br0.disable_ipv6=0
	sleep 2 # the bridge's link-local address leaves duplicate address detection
	serve_labboot "$1" "$2/labboot.conf" "$2/www"
}
# ======================================================================

# ---------------------------------------------------------------- runs

# run_series LABEL SERVERFN: fresh lab, server up, N boots; per-run output
# in $OUT/LABEL.runI, summary on stdout.
run_series() {
	local label=$1 serve=$2 ns dir i rc
	ns=bb${label:0:4}$$
	lab_tmpdir dir
	ref_prepare "$dir"
	lab_up "$ns"
	"$serve" "$ns" "$dir"
	ref_capture "$ns" "$dir"
	for ((i = 1; i <= N; i++)); do
		rc=0
		"$ROOT/tests/vm/vm-boot.sh" --ns "$ns" --mode "$MODE" --mac "$MAC" \
			>"$OUT/$label.run$i" 2>"$OUT/$label.run$i.err" || rc=$?
		printf '%s run %d: %s\n' "$label" "$i" "$(grep '^RESULT' "$OUT/$label.run$i" || echo "vm-boot rc=$rc")"
		if [ $rc != 0 ]; then
			tail -n 20 "$OUT/$label.run$i.err" | sed 's/^/  | /'
		elif ! grep -q "^LABBOOT-TEST ip=$VM_IP hostname=$VM_NAME " "$OUT/$label.run$i"; then
			echo "  | unexpected address/hostname:"; grep '^LABBOOT-TEST ip=' "$OUT/$label.run$i" | sed 's/^/  | /'
		fi
	done
	summarize "$label"
	ref_capture_report "$dir"
	lab_down "$ns"
}

# summarize LABEL: totals of successful runs and mean time of each phase.
summarize() {
	cat "$OUT/$1".run[0-9]* 2>/dev/null | awk -v label="$1" -v mode="$MODE" '
	/^RESULT ok TOTAL/ { t = $4; n++; sum += t; if (n == 1 || t < min) min = t; if (t > max) max = t }
	/^RESULT / && !/^RESULT ok/ { bad++ }
	/^PHASE / { if (!($2 in ps)) order[++k] = $2; ps[$2] += $3; pn[$2]++ }
	END {
		if (n == 0) { printf "%s %s: no successful boot (%d failed)\n", label, mode, bad; exit 1 }
		printf "%s %s: %d ok, %d failed; boot time mean %.2f s, min %.2f s, max %.2f s\n",
			label, mode, n, bad, sum / n, min, max
		prev = 0
		for (i = 1; i <= k; i++) {
			p = order[i]; m = ps[p] / pn[p]
			printf "  PHASE %-16s at %6.2f s  (+%5.2f)\n", p, m, m - prev
			prev = m
		}
	}'
}

lab_tmpdir OUT
"$ROOT/tests/vm/kvm-probe.sh" >/dev/null
echo "bench/boot: $N boots, mode $MODE, accel: $("$ROOT/tests/vm/kvm-probe.sh")"
status=0
if [ "${ONLY:-}" != labboot ]; then
	run_series dnsmasq serve_dnsmasq || status=1
fi
if [ -n "${LABBOOT:-}" ]; then
	run_series labboot start_labboot || status=1
fi
exit $status
