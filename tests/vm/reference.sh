# Sourceable: the dnsmasq + busybox httpd reference netboot setup, shared by
# tests/vm/test-dnsmasq-reference.sh and bench/boot/run.sh.
#
#   ref_prepare DIR            # TFTP/HTTP trees, kernel, initramfs, test file, iPXE script
#   ref_add_host MAC IP NAME   # a static reservation (call before ref_serve)
#   ref_serve NS DIR           # dnsmasq (DHCP+TFTP) and httpd on br0 inside NS
#
# Needs tests/lib/netns.sh sourced first (PIDs go to its registry).
# REF_NO_PXEDHCP=1 hands iPXE the encapsulated option 175.176 (no-pxedhcp),
# which skips iPXE's ~3 s ProxyDHCP wait.
# shellcheck shell=bash

REF_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REF_HOSTS=()

ref_add_host() { # MAC IP NAME
	REF_HOSTS+=("$1,id:*,$2,$3")
}

# ref_prepare DIR: DIR/tftp (iPXE binaries), DIR/www (kernel, initrd,
# testfile, boot.ipxe, cgi-bin/booted). Served trees must be world-readable:
# dnsmasq's TFTP runs as nobody.
ref_prepare() {
	local dir=$1 kdir ipxe=/usr/lib/ipxe
	kdir=$("$REF_HERE/cache.sh")
	chmod 755 "$dir"
	mkdir -p "$dir/tftp" "$dir/www/cgi-bin"
	cp "$ipxe/undionly.kpxe" "$ipxe/ipxe.efi" "$dir/tftp/"
	cp "$ipxe/ipxe.efi" "$dir/www/"      # for UEFI HTTP boot
	cp "$kdir/vmlinuz" "$dir/www/vmlinuz"
	KERNEL_DIR=$kdir "$REF_HERE/mkinitramfs.sh" "$dir/www/initrd.gz" >/dev/null
	head -c 1048576 /dev/urandom >"$dir/www/testfile"
	sha256sum "$dir/www/testfile" | cut -d' ' -f1 >"$dir/testfile.sha256"
	# The EFI stub of Debian's 2019 iPXE only finds the initrd when the
	# command line names it (initrd=NAME); the BIOS path ignores the arg.
	cat >"$dir/www/boot.ipxe" <<-'IPXE'
	#!ipxe
	kernel http://${next-server}/vmlinuz initrd=initrd.gz console=ttyS0,115200 panic=-1 hostname=${hostname} testfile=http://${next-server}/testfile booted=http://${next-server}/cgi-bin/booted?mac=${net0/mac:hexhyp}
	initrd http://${next-server}/initrd.gz
	boot
	IPXE
	# The "I am up" callback: remember which MAC called.
	cat >"$dir/www/cgi-bin/booted" <<-EOF2
	#!/bin/sh
	echo "\$QUERY_STRING" >>"$dir/booted.log"
	printf 'Content-Type: text/plain\r\n\r\nok\n'
	EOF2
	chmod 755 "$dir/www/cgi-bin/booted"
	chmod -R a+rX "$dir/tftp" "$dir/www"
}

# ref_dnsmasq_conf DIR SERVERIP: the reference configuration on stdout.
ref_dnsmasq_conf() {
	local dir=$1 ip=$2 h
	cat <<-EOF
	port=0
	interface=br0
	bind-interfaces
	dhcp-authoritative
	dhcp-range=198.18.0.100,198.18.0.200,255.255.255.0,1h
	dhcp-leasefile=$dir/leases
	log-dhcp
	enable-tftp
	tftp-root=$dir/tftp
	# iPXE identifies itself with option 175 and user class "iPXE".
	dhcp-match=set:ipxe,175
	dhcp-userclass=set:ipxe,iPXE
	dhcp-match=set:efi64,option:client-arch,7
	dhcp-vendorclass=set:efihttp,HTTPClient:Arch:00016
	# Exclusive tags so exactly one boot file matches each client.
	dhcp-boot=tag:ipxe,http://$ip/boot.ipxe
	dhcp-boot=tag:!ipxe,tag:efihttp,http://$ip/ipxe.efi
	dhcp-option-force=tag:!ipxe,tag:efihttp,60,HTTPClient
	dhcp-boot=tag:!ipxe,tag:!efihttp,tag:efi64,ipxe.efi
	dhcp-boot=tag:!ipxe,tag:!efihttp,tag:!efi64,undionly.kpxe
	EOF
	if [ "${REF_NO_PXEDHCP:-0}" = 1 ]; then
		echo "dhcp-option=tag:ipxe,encap:175,176,1b"
	fi
	for h in "${REF_HOSTS[@]}"; do echo "dhcp-host=$h"; done
}

# ref_serve NS DIR: starts both servers in NS, PIDs registered with the lab.
ref_serve() {
	local ns=$1 dir=$2 ip=${LAB_SERVER_IP:-198.18.0.1} i
	ref_dnsmasq_conf "$dir" "$ip" >"$dir/dnsmasq.conf"
	: >"$dir/leases"
	lab_spawn "$ns" dnsmasq --conf-file="$dir/dnsmasq.conf" --keep-in-foreground \
		--pid-file="$dir/dnsmasq.pid" --log-facility=- >"$dir/dnsmasq.log" 2>&1
	lab_spawn "$ns" busybox httpd -f -vv -p "$ip:80" -h "$dir/www" >"$dir/httpd.log" 2>&1
	# Ready when both listen (dnsmasq on 67/udp, httpd on 80/tcp).
	for ((i = 0; i < 50; i++)); do
		if ip netns exec "$ns" ss -Hlnu 'sport = :67' | >/dev/null grep . &&
			ip netns exec "$ns" ss -Hlnt 'sport = :80' | >/dev/null grep .; then
			return 0
		fi
		sleep 0.1
	done
	echo "reference: servers did not start" >&2
	cat "$dir/dnsmasq.log" "$dir/httpd.log" >&2
	return 1
}

# ref_capture NS DIR: with CAPTURE=1 and tcpdump installed, records br0 to
# DIR/br0.pcap (for where-does-the-time-go analysis).
ref_capture() {
	[ "${CAPTURE:-0}" = 1 ] && command -v tcpdump >/dev/null || return 0
	# Whole DHCP packets, TFTP requests, ICMPv6 and client->server HTTP;
	# not the bulk data, which keeps the file small.
	lab_spawn "$1" tcpdump -i br0 -n -U -w "$2/br0.pcap" \
		'udp port 67 or udp port 68 or udp dst port 69 or icmp6 or tcp dst port 80' \
		>/dev/null 2>"$2/tcpdump.err"
	sleep 0.5   # tcpdump needs a moment before it captures
}

# ref_capture_events PCAP: one line per interesting client packet:
#   SECONDS MAC dhcp-discover|dhcp-request [ipxe] | rs | tftp FILE | get PATH
# (seconds since the first captured packet).
ref_capture_events() {
	tcpdump -r "$1" -n -e -v -ttttt 2>/dev/null | awk '
	function flush() {
		if (ev != "") print t, mac, ev (ipxe ? " ipxe" : "")
		ev = ""; ipxe = 0
	}
	/^ *[0-9]+:[0-9]+:[0-9.]+ / {
		flush(); split($1, a, ":"); t = a[1] * 3600 + a[2] * 60 + a[3]; mac = $2
	}
	/DHCP-Message.*: Discover/ { ev = "dhcp-discover" }
	/DHCP-Message.*: Request/ { ev = "dhcp-request" }
	# iPXE sends option 175 (tcpdump: "Unknown (175), length N") and user class 77.
	/Unknown \(175\), length|User-Class \(77\)/ { ipxe = 1 }
	/router solicitation/ { ev = "rs" }
	/RRQ "/ { match($0, /RRQ "[^"]*"/); ev = "tftp " substr($0, RSTART + 5, RLENGTH - 6) }
	/GET \/[^ ]* HTTP/ { match($0, /GET \/[^ ]*/); ev = "get " substr($0, RSTART + 4, RLENGTH - 4) }
	END { flush() }'
}

# ref_capture_waits PCAP: per client MAC, the waits the notes predict:
#   fw-dhcp       firmware (non-iPXE) first DISCOVER -> REQUEST
#   ipxe-dhcp     iPXE first DISCOVER -> REQUEST (the ProxyDHCP wait, ~3 s,
#                 when the offer has no PXE options)
#   ipxe-ipv6     iPXE REQUEST -> first HTTP GET (router solicitations with
#                 no router advertisement, ~13 s)
ref_capture_waits() {
	ref_capture_events "$1" | awk '
	$3 == "dhcp-discover" && $4 == "ipxe" && !(($2) in idisc) { idisc[$2] = $1 }
	$3 == "dhcp-request" && $4 == "ipxe" && !(($2) in ireq) { ireq[$2] = $1 }
	$3 == "dhcp-discover" && $4 != "ipxe" && !(($2) in fdisc) { fdisc[$2] = $1 }
	$3 == "dhcp-request" && $4 != "ipxe" && ($2 in fdisc) && !(($2) in freq) && !(($2) in idisc) { freq[$2] = $1 }
	$3 == "rs" { rs[$2]++ }
	$3 == "get" && ($2 in ireq) && !(($2) in get) { get[$2] = $1 }
	END {
		for (m in idisc) {
			line = "WAIT " m
			if (m in freq) line = line sprintf(" fw-dhcp=%.2f", freq[m] - fdisc[m])
			if (m in ireq) line = line sprintf(" ipxe-dhcp=%.2f", ireq[m] - idisc[m])
			if (m in get) line = line sprintf(" ipxe-ipv6=%.2f", get[m] - ireq[m])
			print line " router-solicitations=" rs[m] + 0
		}
	}'
}

# ref_capture_report DIR: prints the waits (and the events with CAPTURE_EVENTS=1).
ref_capture_report() {
	[ -f "$1/br0.pcap" ] || return 0
	sleep 0.3   # let tcpdump flush (-U writes per packet)
	echo "--- capture $1/br0.pcap"
	[ "${CAPTURE_EVENTS:-0}" = 1 ] && ref_capture_events "$1/br0.pcap" | sed 's/^/   /'
	ref_capture_waits "$1/br0.pcap"
}
