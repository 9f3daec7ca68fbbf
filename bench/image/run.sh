#!/usr/bin/env bash
# Image build: `labboot image build` against the reference notes' shell
# pipeline (bench/image/reference.sh: sha256sum -c, xorriso extract,
# unsquashfs, bind mounts + chroot for the customisation, unmkinitramfs +
# patch + cpio|zstd repack of the initrd, patch -p1 of the root, mksquashfs,
# mv into a timestamped directory), the same customisation both ways, on
# the Debian live ISO the tests build (tests/image/inputs.sh), in one run:
#   install hello.deb (COPY + dpkg -i), write /etc/motd, timezone
#   Europe/Amsterdam, remove /var/cache/apt/* /var/tmp/* /tmp/*, add
#   /etc/homelab.conf (labboot: the last step, COPY files/homelab.conf;
#   the pipeline: its filesystem.patch). The pipeline also patches a line
#   into the initrd (lib/live/boot/9990-netbase.sh, like the notes'
#   hostname patch) and repacks it; labboot does the same with PATCH initrd
#   (split, unpack, patch, repack; cached like a layer).
# Rows (wall seconds, median of REPEAT runs; sizes in MiB):
#   full build from nothing: labboot with an empty state dir (ISO hashed
#     and read, every step run and packed); the pipeline from the ISO
#   unchanged rebuild: labboot's same command again; the pipeline has no
#     cache, so its cell is its full build again (not rerun)
#   rebuild after changing the last step's input (files/homelab.conf):
#     labboot reruns that step (and its features layer); the pipeline: its
#     full build again (not rerun)
#   --flatten full build: labboot from an empty state dir, the whole stack
#     packed into one squashfs (like the pipeline's one squashfs)
#   published size: labboot the sum of the version's squashfs files (the
#     ISO's squashfs reused as it is + one layer per step), the pipeline its
#     squashfs
# The pipeline runs twice per repetition: with mksquashfs's default
# compressor (gzip, as the notes run it) and with -comp zstd (what labboot
# packs with: like with like); ratios are labboot/pipeline for both.
# Checked: /usr/bin/hello in the pipeline's squashfs and in labboot's stack
# (unsquashfs -l), /etc/homelab.conf's content, the initrd patch in the
# pipeline's initrd, nothing of the temp dir mounted after every build and
# at exit (a trap unmounts the pipeline's chroot mounts on every exit path).
# Everything lives under one temp dir, removed at exit (LAB_KEEP=1 keeps it).
# The ISO is in the page cache for both sides (inputs.sh just read it or the
# previous run did). Never part of `make check`.
#   REPEAT=3 (REPEAT=1: a quick run)   PIPE_COMPS="default zstd"
#   FLATTEN=1 (0: skip the --flatten row)   LABBOOT=build/labboot
set -euo pipefail
source "$(dirname "$0")/../../tests/lib/common.sh"
export LC_ALL=C
t_need_root
t_need xorriso unsquashfs mksquashfs unmkinitramfs cpio zstd patch diff sha256sum python3 mountpoint
[ -x "$LABBOOT" ] || t_fail "no $LABBOOT: meson setup build && ninja -C build"
REPEAT=${REPEAT:-3}
PIPE_COMPS=${PIPE_COMPS:-default zstd}
FLATTEN=${FLATTEN:-1}
HERE=$(cd "$(dirname "$0")" && pwd)
[ -x "$ROOT/tests/image/inputs.sh" ] || t_fail "no tests/image/inputs.sh in this tree (git merge main)"
eval "$("$ROOT/tests/image/inputs.sh")"

d=$(lab_tmpdir)
# unmount_below DIR: whatever is mounted at or below DIR, deepest first
# (lazily: detached at once, so the rm -rf of the temp dir never walks into
# a bound /dev or /sys).
unmount_below() {
	awk -v d="$1" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo |
		sort -r | while IFS= read -r m; do umount -l "$m" 2>/dev/null || true; done
}
mounted() { grep -F "$d" /proc/self/mountinfo || true; }
# runs before the temp dirs are removed (lab_cleanup_all: hooks, then dirs)
lab_on_exit 'l=$(mounted); [ -z "$l" ] || { echo "bench: left mounted at exit, unmounting: $l" >&2; unmount_below "$d"; }'
expect_unmounted() { local l; l=$(mounted); [ -z "$l" ] || t_fail "$1: left mounted: $l"; }

# ---- inputs ---------------------------------------------------------------------
r=$d/recipe
in=$d/pipeline-inputs
mkdir -p "$r/files" "$in"
ln -s "$LIVE_ISO" "$r/debian-live.iso"
cp "$HELLO_DEB" "$r/hello.deb"
cp "$HELLO_DEB" "$in/hello.deb"
CONF_TEXT="# homelab: written by the image bench"
echo "$CONF_TEXT" >"$r/files/homelab.conf"
# The pipeline's filesystem.patch: the same file, as a patch -p1 creates it.
fs_patch() {
	rm -rf "$d/fsp"
	mkdir -p "$d/fsp/a/etc" "$d/fsp/b/etc"
	cp "$r/files/homelab.conf" "$d/fsp/b/etc/homelab.conf"
	(cd "$d/fsp" && diff -ruN a b >"$in/filesystem.patch") || [ $? = 1 ]
}
fs_patch
# The initrd patch, like the notes' 18hostname one: a line into a live-boot
# script of this ISO's initrd (made against the file itself, untimed).
mkdir -p "$d/ip/a/lib/live/boot" "$d/ip/b/lib/live/boot"
xorriso -osirrox on -indev "$LIVE_ISO" -extract /live/initrd.img "$d/ip/initrd.img" 2>/dev/null
unmkinitramfs "$d/ip/initrd.img" "$d/ip/x"
NB=lib/live/boot/9990-netbase.sh
nb=$d/ip/x/$NB
[ -f "$nb" ] || nb=$d/ip/x/main/$NB
[ -f "$nb" ] || t_fail "no $NB in the ISO's initrd"
cp "$nb" "$d/ip/a/$NB"
sed '/log_begin_msg "Preconfiguring networking"/a\	# homelab: the hostname from the DHCP hint\n	[ -z "${HOSTNAME:-}" ] || echo "${HOSTNAME}" > /root/etc/hostname' \
	"$nb" >"$d/ip/b/$NB"
(cd "$d/ip" && diff -ruN a b >"$in/initrd.patch") || [ $? = 1 ]
grep -q '^+.*homelab' "$in/initrd.patch" || t_fail "initrd patch not made"
cp "$in/initrd.patch" "$r/files/initrd.patch"
rm -rf "$d/ip"

cat >"$r/bench.recipe" <<R
# The reference notes' customisation (bench/image/reference.sh)
FROM ./debian-live.iso sha256:$LIVE_ISO_SHA256
COPY hello.deb /tmp/
RUN dpkg -i /tmp/hello.deb && rm /tmp/hello.deb
RUN echo "built by the image bench" > /etc/motd
FEATURE timezone Europe/Amsterdam
RUN rm -rf /var/cache/apt/* /var/tmp/* /tmp/*
PATCH initrd files/initrd.patch
COPY files/homelab.conf /etc/homelab.conf
R
conf() { # STATE-DIR: a minimal configuration, its own image store
	cat <<C
[server]
state-dir = $1
[dhcp]
mode = off
[dns]
enable = no
[tftp]
enable = no
[http]
enable = no
[images]
root = $1/images
C
}
conf "$d/state" >"$d/labboot.conf"
conf "$d/state-flat" >"$d/labboot-flat.conf"

# ---- helpers ----------------------------------------------------------------------
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.3f", a / b; else print "-" }'; }
# (grep without -q: with pipefail, grep -q quitting early kills unsquashfs
# with SIGPIPE and the check fails on a big squashfs)
has_hello() { unsquashfs -l "$1" 2>/dev/null | grep -x 'squashfs-root/usr/bin/hello' >/dev/null; }

# lb NAME CONF [ARGS...]: one labboot build, its output in $d/NAME.out,
# its wall seconds in LB_T (not in $(...): t_fail must end the bench)
lb() {
	local name=$1 cf=$2 t0 t1
	shift 2
	t0=$EPOCHREALTIME
	"$LABBOOT" image build -c "$cf" --name bench "$@" "$r/bench.recipe" >"$d/$name.out" 2>&1 ||
		{ cat "$d/$name.out" >&2; t_fail "labboot image build ($name) failed"; }
	t1=$EPOCHREALTIME
	expect_unmounted "labboot $name"
	LB_T=$(secs "$t0" "$t1")
}
# version STORE: the default version's directory
version() { echo "$1/bench/$(readlink "$1/bench/current")"; }
stack_files() { # VERSION-DIR: the stack's squashfs files, bottom first
	python3 -c 'import json,sys; m=json.load(open(sys.argv[1]+"/meta.json")); print("\n".join(sys.argv[1]+"/"+s for s in m["stack"]))' "$1"
}
stack_bytes() { local f t=0; while read -r f; do t=$((t + $(stat -c %s "$f"))); done < <(stack_files "$1"); echo "$t"; }
# check_stack VERSION-DIR CONF-TEXT: hello in some layer, the top file of
# /etc/homelab.conf is CONF-TEXT
check_stack() {
	local f hello=0 conf=''
	while read -r f; do
		has_hello "$f" && hello=1
		if unsquashfs -l "$f" 2>/dev/null | grep -x 'squashfs-root/etc/homelab.conf' >/dev/null; then
			conf=$(unsquashfs -cat "$f" etc/homelab.conf)
		fi
	done < <(stack_files "$1")
	[ "$hello" = 1 ] || t_fail "labboot: no /usr/bin/hello in the stack of $1"
	[ "$conf" = "$2" ] || t_fail "labboot: /etc/homelab.conf is '$conf', want '$2'"
}

# pipe COMP: one pipeline run; its wall seconds in PIPE_T, stage times in
# $d/pipe-COMP.stages (appended: one line "RUN stage SECONDS" per stage)
PIPE_RUN=0
pipe() {
	local comp=$1 t0 t1 res sq
	PIPE_RUN=$((PIPE_RUN + 1))
	rm -rf "$d/pw" "$d/srv"
	t0=$EPOCHREALTIME
	"$HERE/reference.sh" "$LIVE_ISO" "$LIVE_ISO_SHA256" "$in" "$d/pw" "$d/srv/images" "$comp" \
		>"$d/pipe.out" 2>"$d/pipe.err" || { tail -n 30 "$d/pipe.err" >&2; expect_unmounted "pipeline ($comp, failed)"; t_fail "the pipeline ($comp) failed"; }
	t1=$EPOCHREALTIME
	expect_unmounted "pipeline ($comp)"
	awk -v n="$PIPE_RUN" '$1 == "stage" { print n, $2, $3 }' "$d/pipe.out" >>"$d/pipe-$comp.stages"
	res=$(awk '$1 == "result" { print $2 }' "$d/pipe.out")
	sq=$res/live/filesystem.squashfs
	has_hello "$sq" || t_fail "pipeline ($comp): no /usr/bin/hello in $sq"
	[ "$(unsquashfs -cat "$sq" etc/homelab.conf)" = "$CONF_TEXT" ] || t_fail "pipeline ($comp): /etc/homelab.conf"
	# (merged /usr: lib is a symlink in the initrd, the file is usr/lib/...)
	zstd -dc "$res/live/initrd.img" | cpio --quiet -i --to-stdout "*$NB" | grep homelab >/dev/null ||
		t_fail "pipeline ($comp): the initrd patch is not in the new initrd"
	PIPE_SIZE[$comp]=$(stat -c %s "$sq")
	rm -rf "$d/pw" "$d/srv"
	PIPE_T=$(secs "$t0" "$t1")
}

declare -A PIPE_SIZE PT
lb_full=() lb_same=() lb_change=() lb_flat=()
for comp in $PIPE_COMPS; do PT[$comp]=''; done
for i in $(seq 1 "$REPEAT"); do
	echo "bench: repetition $i/$REPEAT (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
	# labboot: from nothing, unchanged, last step's input changed
	echo "$CONF_TEXT" >"$r/files/homelab.conf"
	rm -rf "$d/state"
	lb "full$i" "$d/labboot.conf"
	lb_full+=("$LB_T")
	v_full=$(version "$d/state/images")
	check_stack "$v_full" "$CONF_TEXT"
	lb "same$i" "$d/labboot.conf"
	lb_same+=("$LB_T")
	grep -q "is up to date" "$d/same$i.out" || t_fail "unchanged rebuild built something: $(cat "$d/same$i.out")"
	echo "$CONF_TEXT (changed $i)" >"$r/files/homelab.conf"
	lb "change$i" "$d/labboot.conf"
	lb_change+=("$LB_T")
	check_stack "$(version "$d/state/images")" "$CONF_TEXT (changed $i)"
	LB_SIZE=$(stack_bytes "$v_full")
	LB_LAYERS=$(stack_files "$v_full" | wc -l)
	echo "$CONF_TEXT" >"$r/files/homelab.conf"
	if [ "$FLATTEN" = 1 ]; then
		rm -rf "$d/state-flat"
		lb "flat$i" "$d/labboot-flat.conf" --flatten
		lb_flat+=("$LB_T")
		v_flat=$(version "$d/state-flat/images")
		check_stack "$v_flat" "$CONF_TEXT"
		LB_FLAT_SIZE=$(stack_bytes "$v_flat")
		rm -rf "$d/state-flat"
	fi
	for comp in $PIPE_COMPS; do
		pipe "$comp"
		PT[$comp]+=" $PIPE_T"
	done
done

# ---- report ---------------------------------------------------------------------------
read -r -a comps <<<"$PIPE_COMPS"
cname() { [ "$1" = default ] && echo "pipeline (gzip, as the notes)" || echo "pipeline (-comp $1)"; }
declare -A P
for comp in "${comps[@]}"; do
	# shellcheck disable=SC2086  # a list of numbers
	P[$comp]=$(median ${PT[$comp]})
done
L_FULL=$(median "${lb_full[@]}")
L_SAME=$(median "${lb_same[@]}")
L_CHANGE=$(median "${lb_change[@]}")
L_FLAT=-
[ "$FLATTEN" = 1 ] && L_FLAT=$(median "${lb_flat[@]}")

echo
echo "## labboot image build, per step (the first full build, $d/full1.out)"
echo
sed 's/^/    /' "$d/full1.out"
echo
echo "    (rebuild after the change:)"
sed 's/^/    /' "$d/change1.out"
if [ "$FLATTEN" = 1 ]; then
	echo
	echo "    (--flatten:)"
	sed 's/^/    /' "$d/flat1.out"
fi
echo
echo "## pipeline per stage (s, median of $REPEAT)"
echo
stages="check extract unsquash chroot initrd patch mksquashfs publish"
printf '| stage |'; for comp in "${comps[@]}"; do printf ' %s |' "$(cname "$comp")"; done; echo
printf '|---|'; for _ in "${comps[@]}"; do printf -- '---:|'; done; echo
for s in $stages; do
	printf '| %s |' "$s"
	for comp in "${comps[@]}"; do
		# shellcheck disable=SC2046
		printf ' %s |' "$(median $(awk -v s="$s" '$2 == s { print $3 }' "$d/pipe-$comp.stages"))"
	done
	echo
done
echo
echo "## labboot vs the pipeline (wall s, median of $REPEAT; sizes MiB)"
echo
hdr="| row |"; sep="|---|"
for comp in "${comps[@]}"; do hdr+=" $(cname "$comp") |"; sep+="---:|"; done
hdr+=" labboot |"; sep+="---:|"
for comp in "${comps[@]}"; do hdr+=" ratio vs $([ "$comp" = default ] && echo gzip || echo "$comp") |"; sep+="---:|"; done
echo "$hdr"
echo "$sep"
row() { # LABEL LABBOOT PIPELINE-SUFFIX VALUE-OF-COMP-FN
	local label=$1 lv=$2 fn=$3 comp line
	line="| $label |"
	for comp in "${comps[@]}"; do line+=" $($fn "$comp") |"; done
	line+=" $lv |"
	for comp in "${comps[@]}"; do line+=" $(ratio "$lv" "$($fn "$comp" | awk '{print $1}')") |"; done
	echo "$line"
}
p_full() { echo "${P[$1]}"; }
p_again() { echo "${P[$1]} (= full: no cache)"; }
p_size() { mib "${PIPE_SIZE[$1]}"; }
row "full build from nothing" "$L_FULL" p_full
row "unchanged rebuild" "$L_SAME" p_again
row "rebuild after changing the last step's input" "$L_CHANGE" p_again
[ "$FLATTEN" = 1 ] && row "--flatten full build from nothing" "$L_FLAT" p_full
row "published size ($LB_LAYERS squashfs for labboot)" "$(mib "$LB_SIZE")" p_size
[ "$FLATTEN" = 1 ] && row "published size, --flatten (1 squashfs)" "$(mib "$LB_FLAT_SIZE")" p_size
echo
echo "labboot runs: full ${lb_full[*]}; unchanged ${lb_same[*]}; changed ${lb_change[*]}${lb_flat:+; flatten ${lb_flat[*]}}"
for comp in "${comps[@]}"; do echo "pipeline runs ($(cname "$comp")):${PT[$comp]}"; done
echo
echo "## goals"
echo
verdict() { if awk "BEGIN { exit !($1) }"; then echo "met"; else echo "NOT met"; fi; }
for comp in "${comps[@]}"; do
	echo "- full build at least 2x faster than the $(cname "$comp"): $(awk -v p="${P[$comp]}" -v l="$L_FULL" 'BEGIN { printf "%.2fx", p / l }') -> $(verdict "${P[$comp]} >= 2 * $L_FULL")"
done
echo "- unchanged rebuild under 2 s: ${L_SAME} s -> $(verdict "$L_SAME < 2")"
for comp in "${comps[@]}"; do
	echo "- rebuild after a change to the last step under 10 % of the $(cname "$comp")'s full build: $(awk -v p="${P[$comp]}" -v l="$L_CHANGE" 'BEGIN { printf "%.1f %%", 100 * l / p }') -> $(verdict "$L_CHANGE < 0.1 * ${P[$comp]}")"
done
echo
echo "($(nproc) CPUs, load average at the end $(cut -d' ' -f1-3 /proc/loadavg); temp dir on $(df --output=fstype "$d" | tail -1);"
echo " labboot packs layers with its libsquashfs packer, zstd level 6;"
echo " the pipeline's rebuild cells are its full build: it has no cache)"
