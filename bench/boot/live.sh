#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Power-on to multi-user.target with the real live image (the VM tests'
# image: tests/image/vm-test.recipe on the Debian live ISO of
# tests/image/inputs.sh, built once with `labboot image build`), for
# COUNTS machines booting at once, BIOS, under three setups:
#
#   labboot-http  labboot: DHCP, iPXE menu (0 s), kernel+initrds over HTTP,
#                 the layers fetched into RAM over HTTP
#   labboot-nfs   labboot, the same; the root mounted over NFSv3 from
#                 NFS-Ganesha (exports kept by labboot)
#   reference     the reference notes' setup: dnsmasq (DHCP+TFTP), iPXE
#                 loading kernel and initrd over TFTP, the same version
#                 directory over NFS from the same Ganesha
#
#   bench/boot/live.sh                 # COUNTS="1 4 8", every setup
#   COUNTS="1 4" SETUPS="labboot-http reference" bench/boot/live.sh
#
# Per setup and count: mean and max of power-on to the test report (after
# multi-user.target, on the console: the same for all three), and for
# labboot the mean of each phase from `labboot hosts` and the root's HTTP
# bytes per second, per machine and in all. Not a test: nothing fails on
# a number.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/lib/netns.sh"
. "$ROOT/tests/lib/ganesha.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
LABBOOT=${LABBOOT:-$ROOT/build/labboot}
COUNTS=${COUNTS:-1 4 8}
SETUPS=${SETUPS:-labboot-http labboot-nfs reference}
MEM=${MEM:-1536}
S=198.18.0.1

eval "$("$ROOT/tests/image/inputs.sh")"
. "$ROOT/tests/image/vm-recipe.sh"
lab_tmpdir work
chmod 755 "$work"
vm_test_recipe "$work/recipe"

mac_of() { printf '52:54:00:19:00:%02x' "$((0x20 + $1))"; }
ip_of() { echo "198.18.0.$((20 + $1))"; }

# The one image store all setups boot from.
conf_of() { # DIR ROOTMODE
	cat <<-EOF
	[server]
	interface = br0
	address = $S
	state-dir = $work/state
	[dhcp]
	range = 198.18.0.100 198.18.0.200
	lease-time = 1h
	[tftp]
	root = $1/tftp
	[http]
	root = $1/http
	[dns]
	enable = no
	[boot]
	image = vmimg
	root = $2
	menu-timeout = 0s
	[nfs]
	server = ganesha
	exports = $work/ganesha/labboot-exports.conf
	ganesha-pid = $work/ganesha/ganesha.pid
	EOF
	for ((i = 1; i <= 8; i++)); do
		printf '[host "vm%d"]\nmac = %s\nip = %s\n' "$i" "$(mac_of "$i")" "$(ip_of "$i")"
	done
}
mkdir -p "$work/ganesha" "$work/base/tftp" "$work/base/http"
conf_of "$work/base" http >"$work/build.conf"
echo "== building the image (labboot image build)"
"$LABBOOT" image build -c "$work/build.conf" "$work/recipe/vmimg.recipe" >"$work/build.log" 2>&1 ||
	{ cat "$work/build.log"; exit 1; }
version=$("$LABBOOT" image show -c "$work/build.conf" vmimg | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')
vdir=$(readlink -f "$work/state/images/vmimg/$version")
echo "   $version: $(du -sh --apparent-size "$vdir" | cut -f1) ($(ls "$vdir/live" | grep -c squashfs) squashfs)"

serve_labboot() { # NS DIR ROOTMODE
	mkdir -p "$2/tftp" "$2/http"
	# IPv6 on the lab link, so labboot can answer iPXE's router solicitations
	# (as in labboot_lab; dnsmasq without enable-ra leaves iPXE waiting)
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0 \
		net.ipv6.conf.br0.disable_ipv6=0
	for _ in $(seq 50); do
		ip -n "$1" -6 addr show dev br0 scope link | >/dev/null grep fe80 && ! ip -n "$1" -6 addr show dev br0 | >/dev/null grep tentative && break
		sleep 0.1
	done
	conf_of "$2" "$3" >"$2/labboot.conf"
	lab_spawn "$1" "$LABBOOT" serve -c "$2/labboot.conf" >"$2/labboot.log" 2>&1
	for _ in $(seq 100); do grep -q serving "$2/labboot.log" && return 0; sleep 0.1; done
	cat "$2/labboot.log" >&2
	return 1
}

# The reference: dnsmasq hands out the iPXE loader and a script over TFTP;
# the script loads the kernel and initrd over TFTP and mounts the root
# over NFS, with the hostname from DHCP.
serve_reference() { # NS DIR
	local d=$2 i
	mkdir -p "$d/tftp"
	chmod 755 "$d" "$d/tftp"
	cp /usr/lib/ipxe/undionly.kpxe "$vdir/vmlinuz" "$vdir/initrd.img" "$d/tftp/"
	cat >"$d/tftp/boot.ipxe" <<-EOF
	#!ipxe
	kernel tftp://$S/vmlinuz initrd=initrd.img boot=live components netboot=nfs nfsroot=$S:$vdir systemd.hostname=\${hostname} $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["cmdline"])' "$vdir/meta.json")
	initrd tftp://$S/initrd.img
	boot
	EOF
	chmod -R a+rX "$d/tftp"
	{
		echo "port=0"; echo "interface=br0"; echo "bind-interfaces"; echo "dhcp-authoritative"
		echo "dhcp-range=198.18.0.100,198.18.0.200,255.255.255.0,1h"; echo "dhcp-leasefile=$d/leases"
		echo "enable-tftp"; echo "tftp-root=$d/tftp"
		echo "dhcp-userclass=set:ipxe,iPXE"
		echo "dhcp-boot=tag:ipxe,boot.ipxe"; echo "dhcp-boot=tag:!ipxe,undionly.kpxe"
		for ((i = 1; i <= 8; i++)); do echo "dhcp-host=$(mac_of "$i"),id:*,$(ip_of "$i"),vm$i"; done
	} >"$d/dnsmasq.conf"
	: >"$d/leases"
	lab_spawn "$1" dnsmasq --conf-file="$d/dnsmasq.conf" --keep-in-foreground --log-facility=- >"$d/dnsmasq.log" 2>&1
	for _ in $(seq 50); do ip netns exec "$1" ss -Hlnu 'sport = :67' | >/dev/null grep . && return 0; sleep 0.1; done
	return 1
}

# phase_means HOSTS_OUTPUT: mean of each phase over the machines.
phase_means() {
	awk '/firmware DHCP/ {
		n++
		for (i = 1; i <= NF; i++) {
			if ($i ~ /^[0-9.]+s$/) { v = substr($i, 1, length($i) - 1); name = ""
				for (j = i - 1; j >= 1 && $j != "|"; j--) name = $j (name == "" ? "" : " ") name
				sum[name] += v; order[name] = i }
			if ($i == "MB") { m = $(i - 1); gsub(/[()]/, "", m); mb += m }
		}
	}
	END {
		if (!n) exit
		split("firmware DHCP|iPXE|kernel+initrd|root image|OS start-up", names, "|")
		s = ""
		for (k = 1; k <= 5; k++) s = s sprintf("%s%s %.1fs", k > 1 ? " | " : "", names[k], sum[names[k]] / n)
		printf "   phases (mean): %s\n", s
		if (mb) printf "   root over HTTP: %.0f MB in all\n", mb
	}' "$1"
}

run_setup() { # SETUP COUNT
	local setup=$1 n=$2 ns d i rc=0 totals
	ns=bl${setup:0:3}$n$$
	lab_tmpdir d
	chmod 755 "$d"
	lab_up "$ns"
	ganesha_start "$ns" "$work/ganesha-$ns" "$work/ganesha/labboot-exports.conf" >/dev/null
	case $setup in
	labboot-http) serve_labboot "$ns" "$d" http ;;
	labboot-nfs) serve_labboot "$ns" "$d" nfs ;;
	reference) serve_reference "$ns" "$d" ;;
	esac
	declare -A pid=()
	for ((i = 1; i <= n; i++)); do
		"$ROOT/tests/vm/vm-boot.sh" --ns "$ns" --mode bios --mac "$(mac_of "$i")" --timeout 900 --mem "$MEM" \
			>"$d/vm$i.out" 2>"$d/vm$i.err" &
		pid[$i]=$!
		lab_register_pid "${pid[$i]}" "$ns"
	done
	for ((i = 1; i <= n; i++)); do wait "${pid[$i]}" || rc=1; done
	totals=$(for ((i = 1; i <= n; i++)); do awk '/^RESULT ok/ {print $4}' "$d/vm$i.out"; done)
	echo "$totals" | awk -v s="$setup" -v n="$n" -v ok="$(echo "$totals" | grep -c .)" \
		'NF { t += $1; if ($1 > m) m = $1 } END { printf "%-13s %d VM(s): %d up, power-on to multi-user: mean %.1f s, max %.1f s\n", s, n, ok, ok ? t / ok : 0, m }'
	cat "$d"/vm*.out | sed -n 's/^LABBOOT-TEST mem_used_mib=\([0-9]*\) nfs_read_bytes=\([0-9]*\).*/\1 \2/p' |
		awk '{ m += $1; b += $2; n++ } END { if (n) printf "   RAM in use at multi-user (mean): %d MiB; read over NFS per machine: %.1f MB\n", m / n, b / n / 1e6 }'
	if [ "$setup" != reference ]; then
		"$LABBOOT" hosts -c "$d/labboot.conf" >"$d/hosts"
		phase_means "$d/hosts"
	fi
	[ $rc = 0 ] || { echo "   (a VM failed: $d)"; LAB_KEEP=1; }
	ganesha_stop "$work/ganesha-$ns"
	lab_down "$ns"
}

for n in $COUNTS; do
	for setup in $SETUPS; do
		run_setup "$setup" "$n"
	done
done
