#!/usr/bin/env bash
# A built image boots for real: `labboot image build` turns the Debian live
# ISO the tests make (tests/image/inputs.sh) into a layered image and a
# flattened one; labboot serves both without any [image] section; a BIOS VM
# boots the layered one (live-boot fetches every layer into RAM over HTTP,
# taught by labboot's second initrd) and a UEFI VM the flattened one, both
# at once. Each must reach multi-user.target with its reserved hostname and
# the package a RUN step installed, run its PATCHed initrd, have the
# features (networkd with its reserved address, timezone, ssh key), and
# call back.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/lib/netns.sh"
. "$ROOT/tests/vm/labboot-lab.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

eval "$("$ROOT/tests/image/inputs.sh")"
ns=vmimg$$
lab_tmpdir dir
r=$dir/recipe
. "$ROOT/tests/image/vm-recipe.sh"
vm_test_recipe "$r"
# PATCH initrd: one line in the initrd's /init that the console shows,
# made against the ISO's own initrd (the same file as ROOTFS_INITRD).
mkdir -p "$dir/initrd/a" "$dir/initrd/b"
unmkinitramfs "$ROOTFS_INITRD" "$dir/initrd/x" >/dev/null
main=$dir/initrd/x; [ -d "$main/main" ] && main=$main/main
cp "$main/init" "$dir/initrd/a/init"
sed '/echo "Loading, please wait..."/a echo "LABBOOT-TEST initrd-patched"' "$main/init" >"$dir/initrd/b/init"
(cd "$dir/initrd" && diff -u a/init b/init >"$r/files/initrd.patch") || true
grep -q initrd-patched "$r/files/initrd.patch" || fail "could not make the initrd patch"
echo "PATCH initrd files/initrd.patch" >>"$r/vmimg.recipe"

# The lab's configuration, with beta on the layered image and gamma on the
# flattened one.
labboot_lab_config "$dir" 1s |
	sed -e "/^mac = ${LAB_VM_MAC[bios]}/a image = vmimg" -e "/^mac = ${LAB_VM_MAC[uefi]}/a image = vmimg-flat" >"$dir/pre.conf"
"$LABBOOT" image build -c "$dir/pre.conf" "$r/vmimg.recipe" | tee "$dir/build.log"
"$LABBOOT" image build -c "$dir/pre.conf" --flatten --name vmimg-flat "$r/vmimg.recipe" | tee -a "$dir/build.log"
"$LABBOOT" image ls -c "$dir/pre.conf"
layers=$("$LABBOOT" image show -c "$dir/pre.conf" vmimg | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["stack"]))')
[ "$layers" -ge 5 ] || fail "the layered image has $layers squashfs"

# labboot_lab writes its own configuration: swap ours in before it starts.
LAB_CONF_OVERRIDE=$dir/pre.conf labboot_lab "$ns" "$dir" 1s
declare -A vm_pid=()
for mode in bios uefi; do
	"$ROOT/tests/vm/vm-boot.sh" --ns "$ns" --mode "$mode" --mac "${LAB_VM_MAC[$mode]}" --timeout 420 --mem 1536 \
		>"$dir/$mode.out" 2>"$dir/$mode.err" &
	vm_pid[$mode]=$!
	lab_register_pid "${vm_pid[$mode]}" "$ns"
done
rc=0
for mode in bios uefi; do
	wait "${vm_pid[$mode]}" || { rc=1; echo "== $mode failed"; tail -n 40 "$dir/$mode.err" "$dir/$mode.out"; }
done
[ $rc = 0 ] || { tail -n 40 "$dir/labboot.log"; fail "a VM did not reach multi-user.target"; }
for mode in bios uefi; do
	out=$dir/$mode.out name=${LAB_VM_NAME[$mode]}
	grep -q "^LABBOOT-TEST hostname=$name$" "$out" || fail "$mode: hostname: $(grep hostname= "$out")"
	grep -q "^LABBOOT-TEST hello=Hello, world!" "$out" || fail "$mode: the RUN-installed package: $(grep hello= "$out")"
	grep -q "^LABBOOT-TEST motd=built by labboot" "$out" || fail "$mode: motd: $(grep motd= "$out")"
	grep -q "^LABBOOT-TEST target=active booted=active" "$out" || fail "$mode: $(grep target= "$out")"
	grep -q "^LABBOOT-TEST initrd-patched" "$out" || fail "$mode: the patched initrd did not run"
	grep -q "^LABBOOT-TEST tz=/usr/share/zoneinfo/Europe/Amsterdam networkd=active keys=vm-test@lab$" "$out" ||
		fail "$mode: features: $(grep tz= "$out")"
	grep -q "^LABBOOT-TEST addr=${LAB_VM_IP[$mode]}$" "$out" || fail "$mode: networkd's address: $(grep addr= "$out")"
	echo "ok: $mode VM up as $name from a built image, $(grep '^RESULT' "$out")"
done
grep -q "^LABBOOT-TEST layers=$layers$" "$dir/bios.out" || fail "bios: layers fetched: $(grep layers= "$dir/bios.out")"
"$LABBOOT" hosts -c "$dir/labboot.conf" | tee "$dir/hosts"
for name in beta gamma; do
	ev=$(awk -v h="$name" '$1 == h {on = 1; next} /^[a-z]/ {on = 0} on' "$dir/hosts")
	for kind in script kernel initrd root booted; do
		echo "$ev" | >/dev/null grep " $kind " || fail "$name: no $kind event"
	done
done
echo "ok: both images booted to multi-user.target and called back"
