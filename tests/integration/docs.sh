#!/usr/bin/env bash
# The man pages match the code: every command and option of `labboot --help`
# and `labboot image --help` is in labboot(8), every key the parser in
# src/core/config.c accepts is in labboot.conf(5) under its section (and
# nothing else is), both pages format without a warning, and the
# configuration the Debian package installs passes `labboot check`.
source "$(dirname "$0")/../lib/common.sh"
t_need python3 groff man
d=$(lab_tmpdir)
man8=$ROOT/man/labboot.8
man5=$ROOT/man/labboot.conf.5

"$LABBOOT" --help >"$d/help" || t_fail "labboot --help failed"
"$LABBOOT" image --help >"$d/image-help" || t_fail "labboot image --help failed"
out=$(python3 "$ROOT/tests/lib/doc_check.py" commands "$d/help" "$d/image-help" "$man8") ||
	t_fail "commands or options missing from labboot(8):"$'\n'"$out"
t_ok "$out"
out=$(python3 "$ROOT/tests/lib/doc_check.py" keys "$ROOT/src/core/config.c" "$man5") ||
	t_fail "labboot.conf(5) and src/core/config.c disagree:"$'\n'"$out"
t_ok "$out"

for page in "$man8" "$man5"; do
	# groff's own warnings (-ww), then man's, as lintian runs it
	w=$(groff -man -ww -z "$page" 2>&1) || t_fail "groff failed on $page: $w"
	[ -z "$w" ] || t_fail "groff warns on $page:"$'\n'"$w"
	w=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$page" 2>&1 >/dev/null) ||
		t_fail "man failed on $page: $w"
	[ -z "$w" ] || t_fail "man --warnings on $page:"$'\n'"$w"
	t_ok "$(basename "$page") formats without warnings"
done

out=$("$LABBOOT" check -c "$ROOT/examples/labboot.conf") || t_fail "the packaged configuration: $out"
grep -q 'dhcp off' <<<"$out" || t_fail "the packaged configuration serves DHCP: $out"
t_ok "examples/labboot.conf (the package's /etc/labboot/labboot.conf): $out"
