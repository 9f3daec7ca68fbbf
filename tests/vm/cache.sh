#!/usr/bin/env bash
# Fetches and caches a stock Debian kernel for the netboot VM tests, outside
# the source tree: vmlinuz plus the modules a test initramfs needs.
#
#   tests/vm/cache.sh            # prints the kernel directory on stdout
#   LABBOOT_CACHE=/path tests/vm/cache.sh
#
# Layout (KVER like 6.1.0-56-amd64):
#   $LABBOOT_CACHE/kernel/KVER/vmlinuz
#   $LABBOOT_CACHE/kernel/KVER/modules/...            (tree below lib/modules/KVER)
#   $LABBOOT_CACHE/kernel/KVER/modules.net            (virtio_net + deps, load order)
#   $LABBOOT_CACHE/kernel/KVER/modules.nfs            (NFS client, overlay, squashfs, load order)
#   $LABBOOT_CACHE/kernel/current -> KVER
# Idempotent: a complete KVER directory is reused without touching apt; set
# LABBOOT_REFRESH=1 to re-resolve linux-image-amd64 (needs apt lists).
set -euo pipefail

CACHE=${LABBOOT_CACHE:-/var/cache/labboot-test}
NET_MODS=(virtio_pci virtio_net e1000)
NFS_MODS=(nfs nfsv3 nfsv4 auth_rpcgss overlay squashfs)

CACHE_TMP=
trap '[ -z "$CACHE_TMP" ] || rm -rf "$CACHE_TMP"' EXIT

log() { echo "cache: $*" >&2; }

# resolve_pkg: the versioned package linux-image-amd64 depends on
# (e.g. linux-image-6.1.0-56-amd64). Works from apt lists alone.
resolve_pkg() {
	local pkg
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-6\.1[^ ]*-amd64\)$/\1/p' | head -n1)
	if [ -z "$pkg" ]; then
		log "apt lists do not know linux-image-amd64; running apt-get update"
		apt-get update -qq
		pkg=$(apt-cache depends linux-image-amd64 |
			sed -n 's/^ *Depends: \(linux-image-6\.1[^ ]*-amd64\)$/\1/p' | head -n1)
	fi
	[ -n "$pkg" ] || { log "cannot resolve linux-image-6.1*-amd64"; return 1; }
	echo "$pkg"
}

# The .deb ships no modules.dep (depmod makes it at install time) and kmod
# may be missing on CI, so dependencies come from each module's own
# .modinfo "depends=" string, resolved by name against the unpacked tree.
declare -A MOD_PATH=()   # module name -> path relative to lib/modules/KVER
declare -A MOD_SEEN=()

index_modules() { # SRC: fill MOD_PATH from the file names below SRC
	local f b
	while IFS= read -r f; do
		b=${f##*/}; b=${b%%.ko*}; b=${b//-/_}
		MOD_PATH[$b]=$f
	done < <(cd "$1" && find kernel -name '*.ko*')
}

mod_depends() { # SRC REL: the depends= list of one module, space separated
	local d
	d=$(tr '\0' '\n' <"$1/$2" | grep -a -m1 '^depends=' || true)
	d=${d#depends=}
	echo "${d//,/ }"
}

# mod_closure SRC MOD...: prints "path: dep-paths" lines (modules.dep format)
# for MODs and their dependencies, dependencies first, each once. Names not
# in the tree are built-in (or absent) and skipped.
mod_closure() {
	local src=$1 m d line
	shift
	for m in "$@"; do
		m=${m//-/_}
		if [ -z "${MOD_PATH[$m]:-}" ] || [ -n "${MOD_SEEN[$m]:-}" ]; then continue; fi
		MOD_SEEN[$m]=1
		line="${MOD_PATH[$m]}:"
		for d in $(mod_depends "$src" "${MOD_PATH[$m]}"); do
			d=${d//-/_}
			[ -n "${MOD_PATH[$d]:-}" ] || continue
			mod_closure "$src" "$d"
			line+=" ${MOD_PATH[$d]}"
		done
		echo "$line"
	done
}

# extract PKG DEST: download the .deb into a temp dir, unpack, keep only what
# the tests need (the full module tree is ~400 MB unpacked).
extract() {
	local pkg=$1 dest tmp kver src
	tmp=$(mktemp -d "$CACHE/.tmp.XXXXXX")
	CACHE_TMP=$tmp   # removed by the EXIT trap, also when a step fails
	log "downloading $pkg"
	# _apt cannot write into a root-only temp dir; download as root quietly.
	(cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root "$pkg")
	dpkg -x "$tmp"/*.deb "$tmp/root"
	kver=$(ls "$tmp/root/lib/modules")
	src=$tmp/root/lib/modules/$kver
	dest=$CACHE/kernel/$kver
	rm -rf "$dest.new"
	mkdir -p "$dest.new/modules"
	cp "$tmp/root/boot/vmlinuz-$kver" "$dest.new/vmlinuz"
	cp "$src"/modules.builtin "$src"/modules.order "$dest.new/modules/"
	index_modules "$src"
	# modules.dep (partial, only what we keep) plus one load-order list per
	# group: the NFS list repeats nothing already in the net list.
	local m list
	for list in net nfs; do
		if [ $list = net ]; then set -- "${NET_MODS[@]}"; else set -- "${NFS_MODS[@]}"; fi
		mod_closure "$src" "$@" | tee -a "$dest.new/modules/modules.dep" |
			cut -d: -f1 >"$dest.new/modules.$list"
		while read -r m; do
			mkdir -p "$dest.new/modules/$(dirname "$m")"
			cp "$src/$m" "$dest.new/modules/$m"
		done <"$dest.new/modules.$list"
	done
	echo "$pkg" >"$dest.new/package"
	stamp >"$dest.new/stamp"
	rm -rf "$dest"
	mv "$dest.new" "$dest"
	ln -sfn "$kver" "$CACHE/kernel/current"
	rm -rf "$tmp"
	log "cached $kver in $dest"
}

# What an entry was built for: changing the module lists re-extracts.
stamp() { echo "net=${NET_MODS[*]} nfs=${NFS_MODS[*]}"; }

complete() { # DIR: is this a finished cache entry (for the current lists)?
	[ -s "$1/vmlinuz" ] && [ -s "$1/modules.net" ] && [ -f "$1/package" ] &&
		[ "$(cat "$1/stamp" 2>/dev/null)" = "$(stamp)" ]
}

main() {
	mkdir -p "$CACHE/kernel"
	local cur=$CACHE/kernel/current pkg
	if [ "${LABBOOT_REFRESH:-0}" != 1 ] && complete "$cur"; then
		readlink -f "$cur"
		return
	fi
	pkg=$(resolve_pkg)
	local d
	for d in "$CACHE"/kernel/*/; do
		# Skip the "current" link and entries another run is still building.
		case "$d" in */current/ | *.new/) continue ;; esac
		if [ -f "$d/package" ] && [ "$(cat "$d/package")" = "$pkg" ] && complete "$d"; then
			ln -sfn "$(basename "$d")" "$cur"
			readlink -f "$cur"
			return
		fi
	done
	# One fetch at a time when tests run in parallel.
	exec 9>"$CACHE/.lock"
	flock 9
	if ! complete "$cur" || [ "$(cat "$cur/package")" != "$pkg" ]; then
		extract "$pkg"
	fi
	readlink -f "$cur"
}

main "$@"
