#!/usr/bin/env bash
# Decides once per machine whether KVM can boot the stock test kernel, and
# prints "kvm" or "tcg". With --args it prints the QEMU accelerator arguments
# instead (e.g. "-machine q35,accel=tcg").
#
# Why: /dev/kvm may be a backend (PVM) on which -cpu host aborts and other
# CPU models run SeaBIOS but hang in a Linux kernel. So the probe boots the
# real kernel + test initramfs (probe=1: init prints a marker and powers off)
# and requires the marker within PROBE_TIMEOUT seconds.
# The verdict is cached in $LABBOOT_CACHE/kvm-verdict.<guest kernel>.<host kernel>
# (the host kernel decides what KVM is); LABBOOT_KVM=kvm|tcg overrides.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
CACHE=${LABBOOT_CACHE:-/var/cache/labboot-test}
PROBE_TIMEOUT=${PROBE_TIMEOUT:-20}
CPU_MODELS=(max qemu64)

mode=verdict
[ "${1:-}" = --args ] && mode=args

log() { echo "kvm-probe: $*" >&2; }

emit() { # VERDICT CPU
	if [ $mode = args ]; then
		if [ "$1" = kvm ]; then echo "-machine q35,accel=kvm -cpu $2"; else echo "-machine q35,accel=tcg"; fi
	else
		echo "$1"
	fi
}

# boot_probe CPU KERNEL INITRD: 0 if the marker appears in time.
boot_probe() {
	local cpu=$1 kernel=$2 initrd=$3 log pid i rc=1
	log=$(mktemp "${TMPDIR:-/tmp}/labboot-kvmprobe.XXXXXX")
	qemu-system-x86_64 -machine q35,accel=kvm -cpu "$cpu" -m 256 -nodefaults \
		-display none -serial "file:$log" -no-reboot -nic none \
		-kernel "$kernel" -initrd "$initrd" \
		-append "console=ttyS0 probe=1 panic=-1" >/dev/null 2>&1 &
	pid=$!
	for ((i = 0; i < PROBE_TIMEOUT * 10; i++)); do
		if grep -q '^LABBOOT-TEST probe' "$log"; then rc=0; break; fi
		kill -0 "$pid" 2>/dev/null || break   # QEMU aborted (e.g. MSR errors)
		sleep 0.1
	done
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	rm -f "$log"
	return $rc
}

main() {
	if [ -n "${LABBOOT_KVM:-}" ]; then
		emit "$LABBOOT_KVM" "${LABBOOT_KVM_CPU:-max}"
		return
	fi
	local kdir kver verdict_file cpu tmp
	kdir=$("$here/cache.sh")
	kver=$(basename "$kdir")
	verdict_file=$CACHE/kvm-verdict.$kver.$(uname -r)
	if [ -s "$verdict_file" ]; then
		# shellcheck disable=SC2046  # "kvm max" -> two words
		emit $(cat "$verdict_file")
		return
	fi
	local verdict="tcg -"
	if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
		tmp=$(mktemp -d "${TMPDIR:-/tmp}/labboot-kvmprobe.XXXXXX")
		# shellcheck disable=SC2064  # expand $tmp now
		trap "rm -rf '$tmp'" EXIT
		KERNEL_DIR=$kdir "$here/mkinitramfs.sh" "$tmp/initrd.gz" >/dev/null
		for cpu in "${CPU_MODELS[@]}"; do
			log "trying KVM with -cpu $cpu (up to ${PROBE_TIMEOUT}s)"
			if boot_probe "$cpu" "$kdir/vmlinuz" "$tmp/initrd.gz"; then
				verdict="kvm $cpu"
				break
			fi
		done
	else
		log "no usable /dev/kvm"
	fi
	log "verdict: $verdict (cached in $verdict_file)"
	echo "$verdict" >"$verdict_file"
	# shellcheck disable=SC2086
	emit $verdict
}

main "$@"
