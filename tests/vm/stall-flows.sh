#!/usr/bin/env bash
# Reads a port-80 capture of netboots (tests/vm/stall-repro.sh, or CAPTURE=
# of vm-uefi-stall) and prints:
#   MAC   each change of the server's source MAC (issue 11: an unset bridge
#         MAC follows its ports, and iPXE keeps the old one);
#   LOST  client packets sent to a MAC the server no longer had;
#   FLOW  client connections with SYN retransmissions or a silence of at
#         least MIN_GAP_S while the client waited, with their start, SYNs,
#         time to establish and end.
# The server's MAC shows only in what it sends, so a change shows at its
# next packet: SYNs that went unanswered just before a MAC line were sent
# to the old one. Waits after iPXE handed over to the kernel (the server
# retransmitting into a connection nobody holds) show up as long waits too.
#   tests/vm/stall-flows.sh CAP.pcap [SERVER_IP] [MIN_GAP_S]
set -euo pipefail
cap=$1 server=${2:-198.18.0.1} min=${3:-5}
tcpdump -e -r "$cap" -nn -tt 'tcp port 80' 2>/dev/null | awk -v srv="$server.80" -v min="$min" '
{
	t = $1; smac = $2; dmac = $4; sub(/,$/, "", dmac)
	src = $10; dst = $12; sub(/:$/, "", dst)
	fl = $0; sub(/.*Flags \[/, "", fl); sub(/\].*/, "", fl)
	if (src == srv) {
		if (smac != mac) { if (mac != "") { printf "MAC  %s server %s -> %s\n", strftime("%T", t), mac, smac; gone[mac] = 1 }; mac = smac; delete gone[mac] }
		key = dst; dir = "s"
	} else if (dst == srv) {
		if ((dmac in gone) && dmac != mac) { lost[src " -> " dmac]++; if (!((src " -> " dmac) in lostat)) lostat[src " -> " dmac] = t }
		key = src; dir = "c"
	} else next
	if (dir == "c" && fl == "S") {
		# a SYN opens a connection unless it repeats one still opening
		if (!(key in id) || est[id[key]] != "" || t - last[id[key]] > 30) {
			n++; id[key] = n; first[n] = t; name[n] = key; est[n] = ""; nsyn[n] = 0; gap[n] = 0; wait[n] = 0
		}
		nsyn[id[key]]++; last[id[key]] = t; next
	}
	if (!(key in id)) next
	k = id[key]
	# the client waits from its own packet to the server'"'"'s next one
	if (dir == "s" && wait[k] && t - wait[k] > gap[k]) { gap[k] = t - wait[k]; gapat[k] = wait[k] }
	if (dir == "c" && !wait[k]) wait[k] = t
	if (dir == "s") wait[k] = 0
	last[k] = t
	if (dir == "c" && est[k] == "" && fl !~ /R/) est[k] = t - first[k]
	if (fl ~ /R/) end[k] = (dir == "c" ? "client-RST" : "server-RST")
	else if (fl ~ /F/ && end[k] == "") end[k] = (dir == "c" ? "client-FIN" : "server-FIN")
}
END {
	for (l in lost) printf "LOST %s from %s: %d packets to a MAC the server no longer had\n", strftime("%T", lostat[l]), l, lost[l]
	for (k = 1; k <= n; k++) {
		if (nsyn[k] <= 1 && gap[k] < min) continue
		printf "FLOW %s %-22s syn=%d established=%s longest-wait=%.1fs(from %s) end=%s\n", strftime("%T", first[k]), name[k], nsyn[k],
			est[k] == "" ? "never" : sprintf("%.2fs", est[k]), gap[k], gapat[k] ? strftime("%T", gapat[k]) : "-", end[k] ? end[k] : "open"
	}
}' | sort -k2
