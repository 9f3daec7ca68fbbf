#!/usr/bin/env bash
# Boot time of a built image, layered against merged and flattened: the VM
# test's image (tests/image/vm-test.recipe on the Debian live ISO of
# tests/image/inputs.sh) built three ways, then one BIOS VM booted N times into each, one boot at a
# time (host beta switched between them with `image promote --host`), each
# to multi-user.target and its callback. Prints per boot the total, when the
# root download started and ended and when the callback came (labboot's
# timeline), and the means. Under TCG; never part of `make check`.
#   N=3   MEM=1536   IMAGES="vmimg vmimg-merged vmimg-flat"
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/lib/netns.sh"
. "$ROOT/tests/vm/labboot-lab.sh"
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 1; }
N=${N:-3} MEM=${MEM:-1536}
read -r -a images <<<"${IMAGES:-vmimg vmimg-merged vmimg-flat}"
eval "$("$ROOT/tests/image/inputs.sh")"
ns=bimg$$
lab_tmpdir dir
r=$dir/recipe
. "$ROOT/tests/image/vm-recipe.sh"
vm_test_recipe "$r"
labboot_lab_config "$dir" 0s | sed -e "/^mac = ${LAB_VM_MAC[bios]}/a image = vmimg" >"$dir/pre.conf"
"$LABBOOT" image build -c "$dir/pre.conf" "$r/vmimg.recipe" >"$dir/build.log"
"$LABBOOT" image build -c "$dir/pre.conf" --flatten --name vmimg-flat "$r/vmimg.recipe" >>"$dir/build.log"
"$LABBOOT" image build -c "$dir/pre.conf" --merge --name vmimg-merged "$r/vmimg.recipe" >>"$dir/build.log"
LAB_CONF_OVERRIDE=$dir/pre.conf labboot_lab "$ns" "$dir" 0s
declare -A total=() root=() up=()
printf '| boot | image | squashfs | total (s) | root download (s after DHCP) | callback (s after DHCP) |\n|---|---|---|---|---|---|\n'
for ((i = 1; i <= N; i++)); do
	for img in "${images[@]}"; do
		"$LABBOOT" image promote -c "$dir/pre.conf" "$img" --host beta >/dev/null
		out=$("$ROOT/tests/vm/vm-boot.sh" --ns "$ns" --mode bios --mac "${LAB_VM_MAC[bios]}" --timeout 600 --mem "$MEM")
		t=$(awk '/^RESULT ok/ {print $4}' <<<"$out")
		[ -n "$t" ] || { echo "boot $i $img failed: $out" >&2; exit 1; }
		"$LABBOOT" hosts -c "$dir/labboot.conf" >"$dir/hosts"
		ev=$(awk '$1 == "beta" {on = 1; next} /^[a-z]/ {on = 0} on' "$dir/hosts" | sed -E 's/^ *\+ *//')
		# lines: "27.22s root http ..." once the "+" is gone
		r0=$(awk '$2 == "root" {sub(/s$/, "", $1); print $1; exit}' <<<"$ev")
		r1=$(awk '$2 == "root" {sub(/s$/, "", $1); v = $1} END {print v}' <<<"$ev")
		b=$(awk '$2 == "booted" {sub(/s$/, "", $1); print $1}' <<<"$ev" | tail -n1)
		n=$(awk '$2 == "root" && /squashfs/' <<<"$ev" | wc -l)
		printf '| %d | %s | %d | %s | %s-%s | %s |\n' "$i" "$img" "$n" "$t" "$r0" "$r1" "$b"
		total[$img]="${total[$img]:-} $t" up[$img]="${up[$img]:-} $b"
	done
done
mean() { awk '{s = 0; for (i = 1; i <= NF; i++) s += $i; printf "%.1f", s / NF}' <<<"$1"; }
for img in "${images[@]}"; do
	echo "mean $img: total $(mean "${total[$img]}") s, callback $(mean "${up[$img]}") s after DHCP"
done
