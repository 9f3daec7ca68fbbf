#!/usr/bin/env bash
# Per-connection summary of a port-80 capture (tests/vm/stall-repro.sh):
# one line per client connection with its SYN count (retransmissions mean
# the server did not answer), the time from the first SYN to the client's
# first ACK, the longest silence inside the connection and how it ended.
#   tests/vm/stall-flows.sh CAP.pcap [MIN_GAP_S]   # only flows with SYN>1 or a gap >= MIN_GAP_S
set -euo pipefail
cap=$1 min=${2:-0}
tcpdump -r "$cap" -nn -tt 2>/dev/null | awk -v min="$min" '
$2 != "IP" { next }
{
	t = $1; src = $3; dst = $5; sub(/:$/, "", dst)
	fl = $0; sub(/.*Flags \[/, "", fl); sub(/\].*/, "", fl)
	if (dst ~ /\.80$/) { key = src; dir = "c" } else { key = dst; dir = "s" }
	if (dir == "c" && fl == "S") {           # a SYN: a new connection unless a retransmission
		if (!(key in syn) || (key in done)) { n++; id[key] = n; syn[key] = 0; first[n] = t; name[n] = key; delete done[key]; est[n] = "" }
		syn[key]++; nsyn[id[key]] = syn[key]; last[id[key]] = t; next
	}
	if (!(key in id)) next
	k = id[key]
	if (last[k] != "" && t - last[k] > gap[k]) { gap[k] = t - last[k]; gapat[k] = last[k] }
	last[k] = t
	if (dir == "c" && est[k] == "" && fl ~ /^\.$|P/) est[k] = t - first[k]
	if (fl ~ /R/) { end[k] = (dir == "c" ? "client-RST" : "server-RST"); done[key] = 1 }
	else if (fl ~ /F/ && end[k] == "") end[k] = (dir == "c" ? "client-FIN" : "server-FIN")
	pk[k]++
}
END {
	for (k = 1; k <= n; k++) {
		if (nsyn[k] <= 1 && gap[k] < min) continue
		printf "%s %-22s syn=%d established=%s maxgap=%.1fs(at %s) packets=%d end=%s\n", strftime("%T", first[k]), name[k], nsyn[k],
			est[k] == "" ? "never" : sprintf("%.2fs", est[k]), gap[k], gapat[k] ? strftime("%T", gapat[k]) : "-", pk[k], end[k] ? end[k] : "open"
	}
}'
