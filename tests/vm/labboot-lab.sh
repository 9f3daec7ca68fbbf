# Sourceable: a labboot netboot lab for VM tests, the demo and the boot
# bench. labboot_lab NS DIR [MENU_TIMEOUT] prepares DIR (HTTP root with the
# cached Debian kernel, the test initramfs and a 1 MiB test file; state),
# writes DIR/labboot.conf with hosts beta (bios, 52:54:00:18:00:12),
# gamma (uefi, ...:13) and delta (uefi-http, ...:14), brings the lab NS up
# with IPv6 on the bridge (labboot answers iPXE's router solicitations),
# and starts labboot in it. LABBOOT_PID is its PID. LAB_CONF_OVERRIDE=FILE
# starts it with FILE instead of the generated configuration.
# shellcheck shell=bash

LABBOOT=${LABBOOT:-$ROOT/build/labboot}
declare -gA LAB_VM_MAC=([bios]=52:54:00:18:00:12 [uefi]=52:54:00:18:00:13 [uefi-http]=52:54:00:18:00:14)
declare -gA LAB_VM_IP=([bios]=198.18.0.12 [uefi]=198.18.0.13 [uefi-http]=198.18.0.14)
declare -gA LAB_VM_NAME=([bios]=beta [uefi]=gamma [uefi-http]=delta)

labboot_lab_files() { # DIR
	local dir=$1 kdir
	kdir=$("$ROOT/tests/vm/cache.sh")
	mkdir -p "$dir/http" "$dir/tftp" "$dir/state"
	cp "$kdir/vmlinuz" "$dir/http/vmlinuz"
	"$ROOT/tests/vm/mkinitramfs.sh" "$dir/http/initrd.gz" >/dev/null
	head -c 1048576 /dev/urandom > "$dir/http/testfile"
	sha256sum < "$dir/http/testfile" | cut -d' ' -f1 > "$dir/testfile.sha256"
}

labboot_lab_config() { # DIR MENU_TIMEOUT
	local dir=$1 timeout=$2 mode
	cat <<-EOF
	[server]
	interface = br0
	address = $LAB_SERVER_IP
	state-dir = $dir/state

	[dhcp]
	range = 198.18.0.100 198.18.0.200
	lease-time = 1h
	router = $LAB_SERVER_IP
	dns = $LAB_SERVER_IP
	domain = lab

	[tftp]
	root = $dir/tftp

	[http]
	root = $dir/http

	[dns]
	enable = no

	[boot]
	image = test
	menu-timeout = $timeout

	[image "test"]
	kernel = vmlinuz
	initrd = initrd.gz
	cmdline = console=ttyS0,115200 panic=-1 testfile=http://$LAB_SERVER_IP/testfile
	EOF
	for mode in bios uefi uefi-http; do
		printf '\n[host "%s"]\nmac = %s\nip = %s\n' "${LAB_VM_NAME[$mode]}" "${LAB_VM_MAC[$mode]}" "${LAB_VM_IP[$mode]}"
	done
}

labboot_lab() { # NS DIR [MENU_TIMEOUT]
	local ns=$1 dir=$2 timeout=${3:-5s} i
	labboot_lab_files "$dir"
	if [ -n "${LAB_CONF_OVERRIDE:-}" ]; then # a test's own variant of the config
		cp "$LAB_CONF_OVERRIDE" "$dir/labboot.conf"
	else
		labboot_lab_config "$dir" "$timeout" > "$dir/labboot.conf"
	fi
	lab_up "$ns"
	# IPv6 on the lab link: iPXE asks for a router; labboot tells it there is none
	[ "${LAB_IPV6:-1}" = 1 ] && ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0 \
		net.ipv6.conf.br0.disable_ipv6=0
	for ((i = 0; i < 50; i++)); do
		ip -n "$ns" -6 addr show dev br0 scope link | >/dev/null grep fe80 &&
			! ip -n "$ns" -6 addr show dev br0 | >/dev/null grep tentative && break
		sleep 0.1
	done
	lab_spawn "$ns" "$LABBOOT" serve -c "$dir/labboot.conf" -v >"$dir/labboot.log" 2>&1
	LABBOOT_PID=$LAB_PID
	for ((i = 0; i < 100; i++)); do
		grep -q "^info  labboot .* serving" "$dir/labboot.log" 2>/dev/null && return 0
		kill -0 "$LABBOOT_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "labboot did not start:" >&2
	cat "$dir/labboot.log" >&2
	return 1
}
