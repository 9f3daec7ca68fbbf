#!/usr/bin/env bash
# `labboot image build` and the image commands on the tiny live ISO
# (tests/image/inputs.sh --tiny): the issue's minimal recipe exactly as
# written, every instruction, cache hits and misses, identical rewrites
# dropped, whiteouts, a failed step and kill -9 mid-build (nothing
# published, nothing left mounted), bad recipes and a wrong sha256, the
# version commands, two builds at once, --flatten, and labboot serve
# handing a built image to a host without any [image] section.
source "$(dirname "$0")/../lib/common.sh"
t_need_root
t_need curl unsquashfs python3
eval "$("$ROOT/tests/image/inputs.sh" --tiny)"
d=$(lab_tmpdir)
r=$d/recipes
mkdir -p "$r/files" "$r/dir/sub" "$d/state/http"
cp "$TINY_ISO" "$r/debian-live.iso"
echo hello >"$r/files/hello.txt"
echo one >"$r/dir/a.txt"
echo two >"$r/dir/sub/b.txt"
cat >"$d/conf" <<C
[server]
interface = br0
address = 198.18.30.1
state-dir = $d/state
[dhcp]
mode = off
[tftp]
enable = no
[dns]
enable = no
[host "beta"]
mac = 52:54:00:30:00:01
image = minimal
[host "pinned"]
mac = 52:54:00:30:00:02
C
L() { "$LABBOOT" "$@"; }
C=(-c "$d/conf")
store=$d/state/images

# What is mounted or looped from our directories: must stay empty.
leftovers() {
	grep -F "$d" /proc/self/mountinfo || true
	losetup -a 2>/dev/null | grep -F "$d" || true
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" != / ] && readlink "$p/root" 2>/dev/null | grep -F "$d" && echo "process ${p#/proc/}"
	done
	true
}
expect_clean() { local l; l=$(leftovers); [ -z "$l" ] || t_fail "$1: left behind: $l"; t_ok "$1: nothing mounted, looped or running"; }
versions() { L image ls "${C[@]}" "$1" | wc -l; }
current() { readlink "$store/$1/current"; }
layer_has() { unsquashfs -lls "$1" | awk '{print $NF}' | >/dev/null grep -x "squashfs-root$2"; }
cat_in() { unsquashfs -cat "$1" "$2"; }

# ---- the issue's minimal recipe, exactly as written ----------------------
cat >"$r/minimal.recipe" <<R
# minimal.recipe
FROM ./debian-live.iso sha256:$TINY_ISO_SHA256
RUN echo "built by labboot" > /etc/motd
COPY files/hello.txt /etc/hello.txt
R
L image build "${C[@]}" "$r/minimal.recipe" | tee "$d/b1"
L image ls "${C[@]}" | tee "$d/ls"
grep -Eq '^minimal minimal-[0-9]{8}-[0-9]{6} ' "$d/ls" || t_fail "image ls: $(cat "$d/ls")"
t_expect_eq "versions after the first build" "$(versions minimal)" 1
v1=$(current minimal)
L image show "${C[@]}" minimal >"$d/show1"
stack() { python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print("\n".join(m["stack"]))' "$1"; }
mapfile -t st < <(stack "$d/show1")
t_expect_eq "stack: base, RUN, COPY, features" "${#st[@]}" 4
t_expect_eq "base reused as it is (same bytes as the ISO's)" "$(sha256sum <"$store/minimal/$v1/${st[0]}")" "$(sha256sum <"$TINY_SQUASHFS")"
t_expect_eq "RUN layer" "$(cat_in "$store/minimal/$v1/${st[1]}" etc/motd)" "built by labboot"
t_expect_eq "COPY layer" "$(cat_in "$store/minimal/$v1/${st[2]}" etc/hello.txt)" hello
layer_has "$store/minimal/$v1/${st[1]}" /etc/passwd && t_fail "the RUN layer holds files it did not change"
t_expect_eq "live-boot stack order" "$(cat "$store/minimal/$v1/live/filesystem.module" | tr '\n' ' ')" \
	"$(for s in "${st[@]}"; do printf '%s ' "${s#live/}"; done)"
for f in vmlinuz initrd.img labboot.cpio meta.json recipe build.log; do
	[ -s "$store/minimal/$v1/$f" ] || t_fail "version without $f"
done
t_ok "version has kernel, initrds, stack, metadata, recipe and log"
# the ISO's initrd is 33 bytes: padded to 36 with zeros, so that the kernel
# finds labboot.cpio after it when the EFI stub loads the two back to back
t_expect_eq "initrd.img padded to 4 bytes" "$(stat -c %s "$store/minimal/$v1/initrd.img")" 36
t_expect_eq "the padding" "$(tail -c 3 "$store/minimal/$v1/initrd.img" | od -An -tx1 | tr -d ' ')" 000000
t_expect_eq "labboot.cpio a multiple of 4 too" "$(( $(stat -c %s "$store/minimal/$v1/labboot.cpio") % 4 ))" 0
expect_clean "after a build"

# ---- cache: unchanged, last step changed, --no-cache ----------------------
L image build "${C[@]}" "$r/minimal.recipe" | tee "$d/b2"
grep -q "done in" "$d/b2" && t_fail "an unchanged rebuild ran a step"
grep -q "is up to date: $v1" "$d/b2" || t_fail "unchanged rebuild: $(cat "$d/b2")"
t_expect_eq "no new version for an unchanged recipe" "$(versions minimal)" 1
echo changed >"$r/files/hello.txt"
L image build "${C[@]}" "$r/minimal.recipe" | tee "$d/b3"
grep -q 'step 1/2: RUN .*(cached)' "$d/b3" || t_fail "step 1 rerun after a change to step 2"
grep -q 'step 2/2: COPY files/hello.txt /etc/hello.txt$' "$d/b3" || t_fail "step 2 not rerun: $(cat "$d/b3")"
v2=$(current minimal)
[ "$v1" != "$v2" ] || t_fail "no new default"
t_expect_eq "versions after a change" "$(versions minimal)" 2
sleep 1
L image build "${C[@]}" --no-cache "$r/minimal.recipe" | tee "$d/b4"
[ "$(grep -c "done in" "$d/b4")" = 2 ] || t_fail "--no-cache did not rerun every step"

# ---- every instruction ------------------------------------------------------
cat >"$r/files/fix.patch" <<'P'
--- a/etc/motd
+++ b/etc/motd
@@ -1 +1,2 @@
 built by labboot
+patched
P
cat >"$r/full.recipe" <<R
from ./debian-live.iso \\
     sha256:$TINY_ISO_SHA256
# comment
RUN echo "built by labboot" > /etc/motd && \\
    cat /etc/passwd > /tmp/p && cat /tmp/p > /etc/passwd && rm /tmp/p && \\
    rm /etc/hostname
COPY --chown=nobody:nogroup --chmod=0600 files/hello.txt /srv/secret.txt
COPY dir files/hello.txt /opt/stuff/
PATCH rootfs files/fix.patch
CMDLINE quiet loglevel=3
FEATURE networkd
FEATURE timezone Europe/Amsterdam
FEATURE ssh-key ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBfakefakefake test@lab
FEATURE toram
R
L image build "${C[@]}" "$r/full.recipe" | tee "$d/f1"
vf=$(current full)
mapfile -t st < <(L image show "${C[@]}" full >"$d/showf" && stack "$d/showf")
t_expect_eq "full stack" "${#st[@]}" 6
V=$store/full/$vf
layer_has "$V/${st[1]}" /etc/passwd && t_fail "a rewrite with the same content stayed in the layer"
unsquashfs -lls "$V/${st[1]}" | >/dev/null grep '^c.* 0, *0 .*squashfs-root/etc/hostname$' || t_fail "no whiteout for the deleted /etc/hostname: $(unsquashfs -lls "$V/${st[1]}")"
unsquashfs -lls "$V/${st[2]}" | >/dev/null grep '^-rw------- nobody/nogroup .*/srv/secret.txt$' || t_fail "COPY --chown/--chmod: $(unsquashfs -lls "$V/${st[2]}")"
for f in /opt/stuff/a.txt /opt/stuff/sub/b.txt /opt/stuff/hello.txt; do layer_has "$V/${st[3]}" "$f" || t_fail "COPY of several sources: no $f"; done
t_expect_eq "PATCH rootfs" "$(cat_in "$V/${st[4]}" etc/motd | tail -n1)" patched
layer_has "$V/${st[5]}" /etc/systemd/network/20-labboot.network || t_fail "FEATURE networkd"
layer_has "$V/${st[5]}" /usr/lib/labboot/booted || t_fail "no boot callback"
unsquashfs -lls "$V/${st[5]}" | >/dev/null grep 'etc/localtime -> /usr/share/zoneinfo/Europe/Amsterdam$' || t_fail "FEATURE timezone"
grep -q fakefakefake <(cat_in "$V/${st[5]}" root/.ssh/authorized_keys) || t_fail "FEATURE ssh-key"
python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); assert m["cmdline"] == "quiet loglevel=3 toram", m["cmdline"]' "$d/showf"
t_ok "every instruction lands where it should"
# --merge: the base and one layer, the same tree as the layered stack
L image build "${C[@]}" --merge --name fullmerged "$r/full.recipe" | tee "$d/fm"
L image show "${C[@]}" fullmerged >"$d/showfm"
mapfile -t mst < <(stack "$d/showfm")
t_expect_eq "merged stack: base + one layer" "${#mst[@]}" 2
L image diff "${C[@]}" full fullmerged | tee "$d/mdiff"
grep -qx "files: 0 added, 0 removed, 0 changed" "$d/mdiff" || t_fail "merged differs from layered: $(cat "$d/mdiff")"
unsquashfs -lls "$store/fullmerged/$(current fullmerged)/${mst[1]}" | >/dev/null grep '^c.* 0, *0 .*squashfs-root/etc/hostname$' || t_fail "merged: no whiteout for a base file"
layer_has "$store/fullmerged/$(current fullmerged)/${mst[1]}" /bin/busybox && t_fail "merged: a base file was copied"
t_ok "--merge: two squashfs, the same tree"
L image diff "${C[@]}" minimal@"$v1" full | tee "$d/diff"
grep -qx -- "- /etc/hostname" "$d/diff" || t_fail "diff: removed file"
grep -qx -- "+ /srv/secret.txt" "$d/diff" || t_fail "diff: added file"
grep -qx -- "~ /etc/motd" "$d/diff" || t_fail "diff: changed file"

# ---- failures: nothing published, nothing mounted ------------------------
n_before=$(versions minimal)
cat >"$r/minimal-fail.recipe" <<R
FROM ./debian-live.iso sha256:$TINY_ISO_SHA256
RUN echo "built by labboot" > /etc/motd
RUN echo about to fail; false
R
if L image build "${C[@]}" --name minimal "$r/minimal-fail.recipe" >"$d/fail" 2>&1; then t_fail "a failing RUN succeeded"; fi
grep -q "minimal-fail.recipe:3: RUN failed with exit status 1" "$d/fail" || t_fail "failure message: $(cat "$d/fail")"
t_expect_eq "nothing published after a failed step" "$(versions minimal)" "$n_before"
t_expect_eq "the default is untouched" "$(current minimal)" "$(L image ls "${C[@]}" minimal | awk '$3 == "default" {print $2}')"
expect_clean "after a failed step"

cat >"$r/slow.recipe" <<R
FROM ./debian-live.iso sha256:$TINY_ISO_SHA256
RUN echo started; sleep 120
R
"$LABBOOT" image build "${C[@]}" --name minimal "$r/slow.recipe" >"$d/slow" 2>&1 &
bpid=$!
lab_register_pid "$bpid"
for _ in $(seq 100); do grep -q started "$d/slow" && break; sleep 0.1; done
grep -q started "$d/slow" || t_fail "the slow step never started: $(cat "$d/slow")"
kill -9 "$bpid"
wait "$bpid" 2>/dev/null || true
for _ in $(seq 50); do [ -z "$(leftovers)" ] && break; sleep 0.1; done
expect_clean "after kill -9 of labboot mid-step"
t_expect_eq "nothing published after kill -9" "$(versions minimal)" "$n_before"
L image build "${C[@]}" "$r/minimal.recipe" >/dev/null
ls -a "$store/minimal" | >/dev/null grep '^\.tmp-' && t_fail "a killed build's temp dir survived the next build"
t_ok "the next build after kill -9 works and cleans up"

# ---- bad recipes: RECIPE:LINE before anything runs ------------------------
bad() { # NAME EXPECTED-MESSAGE: the recipe on stdin
	cat >"$r/$1.recipe"
	if L image build "${C[@]}" "$r/$1.recipe" >"$d/$1.out" 2>&1; then t_fail "$1 built"; fi
	grep -qF "$2" "$d/$1.out" || t_fail "$1: want '$2', got: $(cat "$d/$1.out")"
	[ -d "$store/$1" ] && [ -n "$(L image ls "${C[@]}" "$1")" ] && t_fail "$1 published something"
	t_ok "$1: $2"
}
printf 'FROM ./debian-live.iso sha256:%s\nRUNN echo\n' "$TINY_ISO_SHA256" | bad typo "typo.recipe:2: unknown instruction 'RUNN'"
printf 'RUN echo\n' | bad nofrom "nofrom.recipe:1: the recipe must start with FROM"
printf 'FROM ./debian-live.iso\n' | bad nosum "nosum.recipe:1: FROM ./debian-live.iso: the ISO's sha256 is missing"
printf 'FROM ./debian-live.iso sha256:%064d\n' 0 | bad wrongsum "sha256 mismatch"
printf 'FROM ./debian-live.iso sha256:%s\n\nCOPY files/nope.txt /x\n' "$TINY_ISO_SHA256" | bad nosrc "nosrc.recipe:3: COPY: files/nope.txt"
printf 'FROM ./missing.iso sha256:%s\n' "$TINY_ISO_SHA256" | bad noiso "noiso.recipe:1: FROM ./missing.iso"
head -c 100000 /dev/urandom >"$r/garbage.iso"
printf 'FROM ./garbage.iso sha256:%s\n' "$(sha256sum <"$r/garbage.iso" | cut -d' ' -f1)" | bad garbage "garbage.recipe:1: FROM ./garbage.iso: not an ISO 9660 image"
head -c 600000 "$TINY_ISO" >"$r/trunc.iso"
printf 'FROM ./trunc.iso sha256:%s\n' "$(sha256sum <"$r/trunc.iso" | cut -d' ' -f1)" | bad trunc "trunc.recipe:1: FROM ./trunc.iso: extracting live/filesystem.squashfs: the ISO is truncated"
expect_clean "after the bad recipes"
for f in "$ROOT"/examples/images/*.recipe; do
	L image check "${C[@]}" "$f" || t_fail "example $f does not parse"
done
if L image check "${C[@]}" "$r/typo.recipe" 2>"$d/check.err"; then t_fail "image check passed a typo"; fi
grep -q "typo.recipe:2: unknown instruction" "$d/check.err" || t_fail "image check: $(cat "$d/check.err")"
t_ok "image check: the examples parse, a typo is reported"

# ---- two builds of one image at once are serialised -------------------------
"$LABBOOT" image build "${C[@]}" --no-cache "$r/minimal.recipe" >"$d/c1" 2>&1 &
p1=$!
"$LABBOOT" image build "${C[@]}" --no-cache "$r/minimal.recipe" >"$d/c2" 2>&1 &
p2=$!
wait "$p1" || t_fail "concurrent build 1: $(cat "$d/c1")"
wait "$p2" || t_fail "concurrent build 2: $(cat "$d/c2")"
grep -q "waiting for it" "$d/c1" "$d/c2" || t_fail "the second build did not wait for the first"
t_ok "two builds at once: both published, one after the other"

# ---- --flatten -----------------------------------------------------------------
L image build "${C[@]}" --flatten --name flat "$r/minimal.recipe" | tee "$d/flat"
L image show "${C[@]}" flat >"$d/showflat"
mapfile -t st < <(stack "$d/showflat")
t_expect_eq "flattened stack" "${#st[@]}" 1
t_expect_eq "flattened content" "$(cat_in "$store/flat/$(current flat)/${st[0]}" etc/hello.txt)" changed
t_expect_eq "flattened base content" "$(cat_in "$store/flat/$(current flat)/${st[0]}" etc/hostname)" tiny-live

# ---- serving: no [image] section, promotion without restart -------------------
lab=lbimg$$
lab_up "$lab" 198.18.30
lab_add_veth_host "$lab" ic$$
ip -n ic$$ addr add 198.18.30.50/24 dev eth0
t_labboot "$lab" "$d/conf" "$d/log" >/dev/null
U=http://198.18.30.1
get() { ip netns exec ic$$ curl -sS --max-time 20 "$@"; }
cur=$(current minimal)
get "$U/boot.ipxe?mac=52:54:00:30:00:01" >"$d/script"
grep -q "kernel $U/images/minimal/$cur/vmlinuz " "$d/script" || t_fail "script kernel: $(cat "$d/script")"
grep -q "fetch=$U/images/minimal/$cur/live/filesystem.module" "$d/script" || t_fail "script fetch=: $(cat "$d/script")"
grep -q "systemd.hostname=beta" "$d/script" || t_fail "script hostname"
grep -q "initrd $U/images/minimal/$cur/labboot.cpio" "$d/script" || t_fail "second initrd: $(cat "$d/script")"
while read -r layer; do
	t_expect_eq "layer $layer over HTTP" "$(get "$U/images/minimal/$cur/live/$layer" | sha256sum)" \
		"$(sha256sum <"$store/minimal/$cur/live/$layer")"
done <"$store/minimal/$cur/live/filesystem.module"
t_expect_eq "the cache is not served" "$(get -o /dev/null -w '%{http_code}' "$U/images/.cache/locks/minimal")" 403
mkdir -p "$d/state/http/images/own"
echo mine >"$d/state/http/images/own/file"
t_expect_eq "an images/ dir of the HTTP root is still served" "$(get "$U/images/own/file")" mine
L image promote "${C[@]}" "minimal@$v1" >/dev/null
get "$U/boot.ipxe?mac=52:54:00:30:00:01" | >/dev/null grep "images/minimal/$v1/vmlinuz" || t_fail "promotion not served without a restart"
t_ok "a promoted version is served at once"
L image promote "${C[@]}" "full@$vf" --host pinned >/dev/null
get "$U/boot.ipxe?mac=52:54:00:30:00:02" | >/dev/null grep "images/full/$vf/vmlinuz" || t_fail "host assignment not served"
get "$U/boot.ipxe?mac=52:54:00:30:00:02" | >/dev/null grep "quiet loglevel=3 toram" || t_fail "the recipe's CMDLINE is not on the command line"
t_ok "promote --host: the host boots its version"

# ---- FROM a URL (built inside the lab, from labboot's own HTTP root) and
# FROM image:NAME (a child of a built version) ---------------------------------
cp "$TINY_ISO" "$d/state/http/tiny.iso"
printf 'FROM %s sha256:%s\nRUN echo from-url > /etc/origin\n' "$U/tiny.iso" "$TINY_ISO_SHA256" >"$r/fromurl.recipe"
ip netns exec "$lab" "$LABBOOT" image build "${C[@]}" "$r/fromurl.recipe" | tee "$d/url"
t_expect_eq "FROM URL" "$(cat_in "$store/fromurl/$(current fromurl)/live/filesystem.squashfs" etc/hostname)" tiny-live
ip netns exec "$lab" "$LABBOOT" image build "${C[@]}" "$r/fromurl.recipe" | >/dev/null grep "up to date" || t_fail "a URL base is downloaded again"
printf 'FROM %s sha256:%064d\n' "$U/tiny.iso" 0 >"$r/badurl.recipe"
if ip netns exec "$lab" "$LABBOOT" image build "${C[@]}" "$r/badurl.recipe" >"$d/badurl" 2>&1; then t_fail "a wrong sha256 from a URL built"; fi
grep -q "sha256 mismatch" "$d/badurl" || t_fail "badurl: $(cat "$d/badurl")"
ls "$store/.cache/downloads/" | >/dev/null grep "^0000" && t_fail "a wrong download was kept"
printf 'FROM image:full\nRUN echo child > /etc/child\nCMDLINE child=1\n' >"$r/child.recipe"
L image build "${C[@]}" "$r/child.recipe" | tee "$d/child"
L image show "${C[@]}" child >"$d/showchild"
mapfile -t cst < <(stack "$d/showchild")
mapfile -t pst < <(stack "$d/showf")
t_expect_eq "child stack: the parent's, the step, features" "${#cst[@]}" $(( ${#pst[@]} + 2 ))
t_expect_eq "child keeps the parent's layers" "${cst[*]:0:${#pst[@]}}" "${pst[*]}"
t_expect_eq "child layer" "$(cat_in "$store/child/$(current child)/${cst[${#pst[@]}]}" etc/child)" child
python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); assert m["cmdline"] == "quiet loglevel=3 toram child=1", m["cmdline"]' "$d/showchild"
t_ok "FROM image: the parent's stack, its command line carried on"

# ---- rollback, rm, gc -------------------------------------------------------------
L image promote "${C[@]}" "minimal@$cur" >/dev/null
L image rollback "${C[@]}" minimal >/dev/null
[ "$(current minimal)" != "$cur" ] || t_fail "rollback did not move the default"
if L image rm "${C[@]}" "minimal@$(current minimal)" 2>/dev/null; then t_fail "removed the default"; fi
if L image rm "${C[@]}" "full@$vf" 2>/dev/null; then t_fail "removed a version assigned to a host"; fi
n=$(versions minimal)
L image gc "${C[@]}" --keep 1 | tee "$d/gc"
[ "$(versions minimal)" -lt "$n" ] || t_fail "gc removed nothing"
[ -d "$store/minimal/$(current minimal)" ] || t_fail "gc removed the default"
[ -d "$store/full/$vf" ] || t_fail "gc removed an assigned version"
get "$U/boot.ipxe?mac=52:54:00:30:00:01" | >/dev/null grep "images/minimal/$(current minimal)/vmlinuz" || t_fail "after gc"
t_ok "rollback, rm and gc keep what is in use"
expect_clean "at the end"

# ---- gc empties the cache once no version uses it -------------------------------
sed "s|state-dir = $d/state|state-dir = $d/state2|" "$d/conf" >"$d/conf2"
"$LABBOOT" image build -c "$d/conf2" --no-promote "$r/minimal.recipe" >/dev/null
only=$("$LABBOOT" image ls -c "$d/conf2" minimal | awk '{print $2}')
[ -z "$(readlink "$d/state2/images/minimal/current" || true)" ] || t_fail "--no-promote made a default"
"$LABBOOT" image rm -c "$d/conf2" "minimal@$only" >/dev/null
"$LABBOOT" image gc -c "$d/conf2" | tee "$d/gc2"
t_expect_eq "cached layers left" "$(ls "$d/state2/images/.cache/layers" | wc -l)" 0
t_expect_eq "ISO extractions left" "$(ls "$d/state2/images/.cache/base" | wc -l)" 0

# ---- [images] publish sets what a build publishes ---------------------------------
{ sed "s|state-dir = $d/state|state-dir = $d/state3|" "$d/conf"; printf '[images]\npublish = merge\n'; } >"$d/conf3"
"$LABBOOT" image build -c "$d/conf3" "$r/full.recipe" >/dev/null
t_expect_eq "publish = merge" "$("$LABBOOT" image show -c "$d/conf3" full | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["stack"]))')" 2
"$LABBOOT" image build -c "$d/conf3" --layers --no-cache "$r/full.recipe" >/dev/null
t_expect_eq "--layers overrides it" "$("$LABBOOT" image show -c "$d/conf3" full | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["stack"]))')" 6
{ sed "s|state-dir = $d/state|state-dir = $d/state3|" "$d/conf"; printf '[images]\npublish = merge\ncompressor = xz\n'; } >"$d/conf5"
"$LABBOOT" image build -c "$d/conf5" "$r/full.recipe" >"$d/xz.out"
grep -q "(cached)" "$d/xz.out" && t_fail "layers cached with zstd were reused for xz"
unsquashfs -s "$d/state3/images/full/$(readlink "$d/state3/images/full/current")/$("$LABBOOT" image show -c "$d/conf5" full | python3 -c 'import json,sys; print(json.load(sys.stdin)["stack"][-1])')" |
	grep -qi "compression xz" || t_fail "the xz build's layer is not xz"
t_ok "another compressor builds its own layers"
{ cat "$d/conf"; printf '[images]\npublish = sideways\n'; } >"$d/conf4"
if "$LABBOOT" check -c "$d/conf4" 2>"$d/conf4.err"; then t_fail "publish = sideways accepted"; fi
grep -q 'publish: "sideways" is not layers, merge or flatten' "$d/conf4.err" || t_fail "conf4: $(cat "$d/conf4.err")"
