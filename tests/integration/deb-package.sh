#!/usr/bin/env bash
# The Debian package, end to end: built from a copy of this tree with
# `dpkg-buildpackage -us -uc -b`, lintian (errors fail, the rest is printed),
# installed with dpkg -i (services may not start: policy-rc.d; systemd is not
# PID 1 here anyway), then checked: the files, `labboot --version`, the
# system user and the state directory, `labboot check` of the installed
# configuration, the man pages, the unit (`systemd-analyze verify` without a
# word about it, `systemd-analyze security` under a threshold), nothing
# started or enabled. The installed daemon then runs as the unit runs it
# (user labboot, the unit's three capabilities only, nothing else) in a
# network namespace under strace: busybox udhcpc gets a lease (the reply
# through the ARP entry CAP_NET_ADMIN lets it set), curl and dig get answers,
# SIGHUP reloads; its system calls, socket families and writes must pass the
# unit's SystemCallFilter=, RestrictAddressFamilies= and ProtectSystem=.
# Reinstall, remove (conffile and state stay), purge (everything goes but the
# user labboot, as Debian does with system users: see debian/labboot.postrm).
# The machine is left as found on every exit path; skipped if a labboot
# package or its files are there already.
# Subnet 198.18.90.0/24.
source "$(dirname "$0")/../lib/common.sh"
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root (dpkg -i)"
	exit 77
fi
t_need dpkg-buildpackage dh lintian dpkg-parsechangelog systemd-analyze man setpriv strace pgrep busybox curl dig

pkg_status() { dpkg-query -W -f='${db:Status-Status}' labboot 2>/dev/null || true; }
st=$(pkg_status)
if [ -n "$st" ] && [ "$st" != not-installed ]; then
	echo "SKIP: the package labboot is on this machine ($st): not ours to replace or purge"
	exit 77
fi
for f in /usr/sbin/labboot /etc/labboot /var/lib/labboot /lib/systemd/system/labboot.service \
	/etc/systemd/system/labboot.service; do
	if [ -e "$f" ]; then
		echo "SKIP: $f exists (a labboot installed by hand?): the package would take it over and purge it"
		exit 77
	fi
done

d=$(lab_tmpdir)
chmod 0755 "$d"   # the daemon, run as labboot, reads its configuration from here
user_before=0 group_before=0 policy_ours=0 installed=0
getent passwd labboot >/dev/null && user_before=1
getent group labboot >/dev/null && group_before=1

# dpkg ARGS... retried while another dpkg or apt holds the lock.
dpkg_wait() {
	local out
	for _ in $(seq 60); do
		out=$(dpkg "$@" 2>&1) && { echo "$out"; return 0; }
		grep -q 'locked by another process' <<<"$out" || { echo "$out" >&2; return 1; }
		sleep 5
	done
	echo "$out" >&2
	return 1
}

# Runs once the daemon is stopped (lab_cleanup_all kills our processes first).
restore() {
	local st
	st=$(pkg_status)
	if [ "$installed" = 1 ] && [ -n "$st" ] && [ "$st" != not-installed ]; then
		dpkg_wait --purge labboot >/dev/null || echo "cleanup: dpkg --purge labboot failed" >&2
	fi
	[ "$installed" = 0 ] || rm -rf --one-file-system /var/lib/labboot
	if [ "$user_before" = 0 ] && getent passwd labboot >/dev/null; then userdel labboot || true; fi
	if [ "$group_before" = 0 ] && getent group labboot >/dev/null; then groupdel labboot || true; fi
	[ "$policy_ours" = 0 ] || rm -f /usr/sbin/policy-rc.d
}
lab_on_exit restore

# ---- build, from a copy: the worktree stays as it is -----------------------
ver=$(dpkg-parsechangelog -l "$ROOT/debian/changelog" -S Version)
src=$d/src/labboot-$ver
mkdir -p "$src"
if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
	# tracked and new files, as they are now (uncommitted edits included)
	git -C "$ROOT" ls-files -z --cached --others --exclude-standard |
		(cd "$ROOT" && tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -C "$src" -xf -
else
	tar -C "$ROOT" --exclude='./build*' --exclude=./.cache --exclude='./obj-*' -cf - . | tar -C "$src" -xf -
fi
start=$(date +%s)
# The unit tests run in CI on their own (unit/*); DEB_BUILD_OPTIONS= runs them here too.
export DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS-nocheck}
(cd "$src" && dpkg-buildpackage -us -uc -b) >"$d/build.log" 2>&1 ||
	{ tail -n 40 "$d/build.log"; t_fail "dpkg-buildpackage failed"; }
deb=$d/src/labboot_${ver}_$(dpkg --print-architecture).deb
[ -f "$deb" ] || t_fail "no $deb after the build"
t_ok "dpkg-buildpackage -us -uc -b: $(basename "$deb") in $(($(date +%s) - start)) s"

lintian_out=$(lintian --fail-on error -I --pedantic "${deb%.deb}.changes" 2>&1 | { grep -v 'running with root privileges' || true; }) ||
	{ echo "$lintian_out"; t_fail "lintian reports errors"; }
echo "lintian (warnings and infos, not failures):${lintian_out:+$'\n'}${lintian_out:- none}"
t_ok "lintian: no errors"

# ---- install ------------------------------------------------------------
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod 0755 /usr/sbin/policy-rc.d
	policy_ours=1
fi
installed=1
dpkg_wait -i "$deb" >"$d/install.log" || t_fail "dpkg -i failed"
t_expect_eq "package state after dpkg -i" "$(pkg_status)" installed

for f in /usr/sbin/labboot /lib/systemd/system/labboot.service /etc/labboot/labboot.conf \
	/usr/share/man/man8/labboot.8.gz /usr/share/man/man5/labboot.conf.5.gz \
	/usr/share/doc/labboot/copyright /usr/share/doc/labboot/README.md.gz \
	/usr/share/doc/labboot/examples/labboot.conf /usr/share/doc/labboot/examples/images/minimal.recipe; do
	[ -f "$f" ] || t_fail "$f is not installed"
done
t_ok "program, unit, configuration, man pages and docs in place"
grep -q '^ /etc/labboot/labboot.conf ' <<<"$(dpkg-query -W -f='${Conffiles}\n' labboot)" ||
	t_fail "/etc/labboot/labboot.conf is not a conffile"
cmp -s /etc/labboot/labboot.conf "$ROOT/examples/labboot.conf" || t_fail "/etc/labboot/labboot.conf is not examples/labboot.conf"
t_ok "/etc/labboot/labboot.conf is a conffile, examples/labboot.conf"
t_expect_eq "labboot --version" "$(/usr/sbin/labboot --version)" "labboot $ver"

IFS=: read -r _ _ uid gid _ home shell < <(getent passwd labboot) || t_fail "no user labboot"
[ "$uid" -lt 1000 ] || t_fail "labboot is uid $uid: not a system user"
t_expect_eq "labboot's group" "$(getent group "$gid" | cut -d: -f1)" labboot
t_expect_eq "labboot's home" "$home" /var/lib/labboot
t_expect_eq "labboot's shell" "$shell" /usr/sbin/nologin
t_expect_eq "/var/lib/labboot" "$(stat -c '%U:%G %a' /var/lib/labboot)" "labboot:labboot 750"

out=$(/usr/sbin/labboot check -c /etc/labboot/labboot.conf 2>&1) || t_fail "labboot check: $out"
grep -q 'dhcp off' <<<"$out" || t_fail "the installed configuration serves DHCP: $out"
t_ok "labboot check -c /etc/labboot/labboot.conf: $out"

t_expect_eq "man -w labboot" "$(man -w labboot)" /usr/share/man/man8/labboot.8.gz
t_expect_eq "man -w labboot.conf" "$(man -w 5 labboot.conf)" /usr/share/man/man5/labboot.conf.5.gz

# Installed, not enabled, not running (it may have been started by no one).
for f in /etc/systemd/system/*.wants/labboot.service; do
	[ ! -e "$f" ] || t_fail "the package enabled the service: $f"
done
running() { # PIDs of processes running /usr/sbin/labboot
	local p
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/exe" 2>/dev/null)" = /usr/sbin/labboot ] && echo "${p#/proc/}"
	done
	return 0
}
[ -z "$(running)" ] || t_fail "labboot runs after dpkg -i: $(running)"
t_ok "the service is neither enabled nor running"

# ---- the unit -------------------------------------------------------------
out=$(systemd-analyze verify /lib/systemd/system/labboot.service 2>&1) || t_fail "systemd-analyze verify: $out"
! grep -i labboot <<<"$out" || t_fail "systemd-analyze verify has something to say about the unit"
t_ok "systemd-analyze verify labboot.service: nothing about the unit"
out=$(systemd-analyze security --offline=yes --threshold=30 /lib/systemd/system/labboot.service 2>&1) ||
	{ echo "$out"; t_fail "systemd-analyze security: exposure above 3.0"; }
t_ok "systemd-analyze security: $(grep -o 'Overall exposure level.*' <<<"$out")"

# ---- the daemon as the unit runs it ----------------------------------------
# User=labboot, AmbientCapabilities= and CapabilityBoundingSet= of the unit,
# NoNewPrivileges=; the state directory the package made. The unit's
# namespaces and system call filter need systemd as PID 1: under strace, the
# daemon's system calls, socket families and written paths are checked
# against SystemCallFilter=, RestrictAddressFamilies= and ProtectSystem=strict
# (writable: the state directory) instead.
unit=/lib/systemd/system/labboot.service
caps=$(sed -n 's/^AmbientCapabilities=//p' "$unit")
[ "$caps" = "$(sed -n 's/^CapabilityBoundingSet=//p' "$unit")" ] ||
	t_fail "the unit's ambient and bounding capabilities differ"
setcaps=$(tr 'A-Z ' 'a-z\n' <<<"$caps" | sed 's/^cap_/+/' | paste -sd,)
cat >"$d/as-unit" <<EOF
#!/bin/sh
exec strace -f -qq -s 256 -o "$d/strace.log" setpriv --reuid=labboot --regid=labboot --clear-groups \\
	--no-new-privs --inh-caps=-all,$setcaps --ambient-caps=-all,$setcaps --bounding-set=-all,$setcaps \\
	/usr/sbin/labboot "\$@"
EOF
chmod 0755 "$d/as-unit"
NET=198.18.90
cat >"$d/labboot.conf" <<EOF
[server]
interface = br0
address = $NET.1
state-dir = /var/lib/labboot
user = labboot
[dhcp]
mode = authoritative
range = $NET.100 $NET.149
domain = lab
[dns]
enable = yes
EOF
chmod 0644 "$d/labboot.conf"
S=dps$$ C=dpc$$
lab_up "$S" "$NET"
lab_add_veth_host "$S" "$C" 52:54:00:90:00:10
LABBOOT=$d/as-unit t_labboot "$S" "$d/labboot.conf" "$d/labboot.log" >/dev/null ||
	t_fail "labboot does not start with the unit's user and capabilities"
# The registered PID is strace's; labboot is its child.
lpid=$(pgrep -P "$LABBOOT_PID")
[ "$(readlink "/proc/$lpid/exe")" = /usr/sbin/labboot ] || t_fail "no labboot under strace"
lab_register_pid "$lpid" "$S"
grep -q "already running as labboot" "$d/labboot.log" || t_fail "the daemon did not run as labboot"
t_ok "labboot serve runs as labboot with $caps: DHCP, DNS, TFTP and HTTP bound"
cat >"$d/hook" <<EOF
#!/bin/sh
[ "\$1" = bound ] || exit 0
echo "\$ip" >"$d/lease"
ip addr add "\$ip/24" dev "\$interface"
EOF
chmod +x "$d/hook"
timeout 30 ip netns exec "$C" busybox udhcpc -i eth0 -n -q -t 5 -T 2 -s "$d/hook" >"$d/udhcpc.log" 2>&1 ||
	{ cat "$d/udhcpc.log"; t_fail "udhcpc got no lease"; }
ip=$(cat "$d/lease")
# The reply went to a client without an address: through the ARP entry
# labboot set (CAP_NET_ADMIN), not by broadcast.
grep -qi 52:54:00:90:00:10 <<<"$(ip -n "$S" neigh show "$ip" dev br0)" ||
	t_fail "no ARP entry for $ip: labboot could not set it (CAP_NET_ADMIN?)"
t_ok "udhcpc got $ip, the reply unicast through the ARP entry labboot set"
code=$(ip netns exec "$C" curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://$NET.1/boot.ipxe") || true
t_expect_eq "HTTP GET /boot.ipxe" "$code" 200
out=$(ip netns exec "$C" dig +time=2 +tries=2 "@$NET.1" nothing.lab) || t_fail "no DNS answer: $out"
t_ok "DNS answers: $(grep -o 'status: [A-Z]*' <<<"$out")"
kill -HUP "$lpid"   # ExecReload=
for _ in $(seq 50); do grep -q 'reload: .* applied' "$d/labboot.log" && break; sleep 0.1; done
grep -q 'reload: .* applied' "$d/labboot.log" || t_fail "SIGHUP: no reload"
t_ok "SIGHUP reloads"
lab_kill "$lpid"
lab_kill "$LABBOOT_PID"   # strace ends with its tracee
lab_down "$S"
t_expect_eq "owner of labboot.db" "$(stat -c %U /var/lib/labboot/labboot.db)" labboot

# syscalls SET...: the system calls in systemd's sets, nested sets expanded.
syscalls() {
	local n
	for n in $(systemd-analyze syscall-filter "$@" 2>/dev/null | sed '/^@/d; s/#.*//'); do
		case $n in @*) syscalls "$n" ;; *) echo "$n" ;; esac
	done
}
# What labboot did, from its exec on (setpriv's own calls before it are
# systemd's part in the unit).
awk 'f; /execve\("\/usr\/sbin\/labboot"/ { f = 1 }' "$d/strace.log" >"$d/daemon.trace"
[ -s "$d/daemon.trace" ] || t_fail "strace saw no exec of labboot"
filter=$(sed -n 's/^SystemCallFilter=//p' "$unit")
allow=$(sed -n '1p' <<<"$filter") deny=$(sed -n '2p' <<<"$filter")
[[ "$deny" == "~"* ]] || t_fail "the unit's SystemCallFilter= changed: the test reads an allow line, then a ~deny line"
# shellcheck disable=SC2086  # lists of set names
comm -23 <(syscalls $allow | sort -u) <(syscalls ${deny#\~} | sort -u) >"$d/allowed"
sed -nE 's/^[0-9]+ +([a-z0-9_]+)\(.*/\1/p' "$d/daemon.trace" | sort -u >"$d/used"
[ "$(wc -l <"$d/used")" -gt 20 ] || t_fail "strace's output is not understood: $(head -3 "$d/daemon.trace")"
bad=$(comm -23 "$d/used" "$d/allowed" | paste -sd' ')
[ -z "$bad" ] || t_fail "labboot makes system calls SystemCallFilter= forbids: $bad"
t_ok "$(wc -l <"$d/used") distinct system calls, all allowed by the unit's SystemCallFilter="
families=$(sed -nE 's/.* socket\((AF_[A-Z0-9]+),.*/\1/p' "$d/daemon.trace" | sort -u | paste -sd' ')
for f in $families; do
	[[ " $(sed -n 's/^RestrictAddressFamilies=//p' "$unit") " == *" $f "* ]] ||
		t_fail "labboot opens $f sockets, RestrictAddressFamilies= forbids them"
done
t_ok "socket families $families, all in RestrictAddressFamilies="
# Paths opened for writing, created, renamed or removed: below the state
# directory (or /dev/null and the terminal).
written=$(grep -E '^[0-9]+ +(openat\(.*O_(WRONLY|RDWR|CREAT)|mkdirat?\(|renameat2?\(|unlinkat?\(|rmdir\()' "$d/daemon.trace" |
	grep -oE '"/[^"]*"' | tr -d '"' | sort -u || true)
bad=$(grep -vE '^(/var/lib/labboot(/|$)|/dev/(null|pts/|tty))' <<<"$written" | paste -sd' ' || true)
[ -z "$bad" ] || t_fail "labboot writes outside its state directory (ProtectSystem=strict): $bad"
t_ok "writes only below /var/lib/labboot ($(wc -l <<<"$written") paths)"

# ---- reinstall, remove, purge ---------------------------------------------
dpkg_wait -i "$deb" >>"$d/install.log" || t_fail "dpkg -i over the installed package failed"
t_ok "reinstalled over itself"
dpkg_wait --remove labboot >"$d/remove.log" || t_fail "dpkg --remove failed"
t_expect_eq "package state after dpkg --remove" "$(pkg_status)" config-files
for f in /usr/sbin/labboot /lib/systemd/system/labboot.service; do
	[ ! -e "$f" ] || t_fail "dpkg --remove left $f"
done
for f in /etc/labboot/labboot.conf /var/lib/labboot/labboot.db; do
	[ -f "$f" ] || t_fail "dpkg --remove took $f"
done
t_ok "dpkg --remove: program gone, configuration and state kept"
dpkg_wait --purge labboot >"$d/purge.log" || t_fail "dpkg --purge failed"
st=$(pkg_status)   # dpkg forgets a purged package, or keeps it as not-installed
t_expect_eq "package state after dpkg --purge" "${st:-not-installed}" not-installed
for f in /usr/sbin/labboot /etc/labboot /var/lib/labboot /lib/systemd/system/labboot.service \
	/usr/share/doc/labboot /usr/share/man/man8/labboot.8.gz /usr/share/man/man5/labboot.conf.5.gz \
	/var/lib/systemd/deb-systemd-helper-enabled/labboot.service.dsh-also \
	/var/lib/systemd/deb-systemd-helper-masked/labboot.service; do
	[ ! -e "$f" ] || t_fail "dpkg --purge left $f"
done
t_ok "dpkg --purge: files, configuration, state and systemd state gone"
getent passwd labboot >/dev/null || t_fail "purge removed the user labboot (Debian keeps system users)"
[ -z "$(running)" ] || t_fail "labboot still runs: $(running)"
t_ok "the user labboot stays (removed by this test only if it made it)"
