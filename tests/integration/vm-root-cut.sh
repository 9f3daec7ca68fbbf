#!/usr/bin/env bash
# A root download cut off half-way is retried: the machines reach labboot
# through a proxy (tests/lib/cut_proxy.py, [boot] url) that closes the
# first download of the image's base squashfs after 20 MB, as a flaky link
# would. A BIOS VM booting the layered image over HTTP must say so on its
# console, fetch the file again and come up with every layer.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/lib/netns.sh"
. "$ROOT/tests/vm/labboot-lab.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

eval "$("$ROOT/tests/image/inputs.sh")"
ns=vmcut$$
lab_tmpdir dir
. "$ROOT/tests/image/vm-recipe.sh"
vm_test_recipe "$dir/recipe"
labboot_lab_config "$dir" 1s |
	sed -e "/^\[boot\]/a url = http://$LAB_SERVER_IP:8080" -e "/^mac = ${LAB_VM_MAC[bios]}/a image = vmimg" >"$dir/pre.conf"
"$LABBOOT" image build -c "$dir/pre.conf" "$dir/recipe/vmimg.recipe" >"$dir/build.log" 2>&1 ||
	{ cat "$dir/build.log"; fail "image build"; }

LAB_CONF_OVERRIDE=$dir/pre.conf labboot_lab "$ns" "$dir" 1s
lab_spawn "$ns" python3 "$ROOT/tests/lib/cut_proxy.py" "$LAB_SERVER_IP:8080" "$LAB_SERVER_IP:80" \
	live/filesystem.squashfs 20000000 >"$dir/proxy.log" 2>&1
for _ in $(seq 50); do grep -q listening "$dir/proxy.log" && break; sleep 0.1; done
grep -q listening "$dir/proxy.log" || fail "the proxy did not start: $(cat "$dir/proxy.log")"

"$ROOT/tests/vm/vm-boot.sh" --ns "$ns" --mode bios --mac "${LAB_VM_MAC[bios]}" --timeout 480 --mem 1536 \
	--log "$dir/bios.serial" >"$dir/bios.out" 2>"$dir/bios.err" || {
	tr -d '\r' <"$dir/bios.serial" | grep -av '^\s*$' | tail -n 40
	fail "the VM did not come up after the cut download"
}
grep -q "^cut /images/vmimg/.*/live/filesystem.squashfs after 20000000 bytes$" "$dir/proxy.log" ||
	fail "the proxy cut nothing: $(cat "$dir/proxy.log")"
tr -d '\r' <"$dir/bios.serial" | >/dev/null grep -a "labboot: download of http://$LAB_SERVER_IP:8080/images/vmimg/.*/live/filesystem.squashfs failed (try 1), retrying" ||
	fail "the console does not show the retry"
grep -q "^LABBOOT-TEST target=active booted=active" "$dir/bios.out" || fail "not up: $(grep target= "$dir/bios.out")"
layers=$("$LABBOOT" image show -c "$dir/pre.conf" vmimg | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["stack"]))')
grep -q "^LABBOOT-TEST layers=$layers$" "$dir/bios.out" || fail "layers: $(grep layers= "$dir/bios.out")"
# (labboot sees the proxy's address, not the VM's: the proxy counts)
n=$(grep -c '^request GET /images/vmimg/.*/live/filesystem.squashfs ' "$dir/proxy.log" || true)
[ "$n" -ge 2 ] || fail "$n requests of the base squashfs, want 2 (the cut one and the retry)"
echo "ok: the download cut after 20 MB was retried; the VM came up with all $layers layers, $(grep '^RESULT' "$dir/bios.out")"
