#!/usr/bin/env bash
# Runs every test: unit tests (cmocka through meson), each fuzz target for a
# bounded time on its seed corpus, and the integration tests (real clients
# and servers in network namespaces). Ends with "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
FUZZ_BUILD=${FUZZ_BUILD:-build-fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
ONLY=${ONLY:-}            # run only tests whose name contains this
LOGDIR=${LOGDIR:-$(mktemp -d /tmp/labboot-tests.XXXXXX)}
export LOGDIR            # tests keep artefacts there (the dashboard's screenshots)
passed=0 failed=0 skipped=0
failures=()

record() { # name status(0 pass, 77 skip, else fail) seconds
	case "$2" in
	0) passed=$((passed + 1)); printf 'PASS %-40s %5ss\n' "$1" "$3" ;;
	77) skipped=$((skipped + 1)); printf 'SKIP %-40s %5ss\n' "$1" "$3" ;;
	*) failed=$((failed + 1)); failures+=("$1"); printf 'FAIL %-40s %5ss  (log: %s/%s.log)\n' "$1" "$3" "$LOGDIR" "$1" ;;
	esac
}

selected() { [ -z "$ONLY" ] || [[ "$1" == *"$ONLY"* ]]; }

run_one() { # name command...
	local name=$1 start rc
	shift
	selected "$name" || return 0
	start=$(date +%s)
	mkdir -p "$(dirname "$LOGDIR/$name.log")"
	"$@" >"$LOGDIR/$name.log" 2>&1
	rc=$?
	# A test must not damage the machine: a program that rotates or renames
	# its log file over /dev/null leaves a regular file there for everyone.
	if [ ! -c /dev/null ] && [ "$(id -u)" = 0 ]; then
		echo "$name replaced /dev/null with a regular file (restored)" >>"$LOGDIR/$name.log"
		rm -f /dev/null && mknod -m 666 /dev/null c 1 3
		rc=1
	fi
	record "$name" "$rc" $(( $(date +%s) - start ))
	if [ "$rc" != 0 ] && [ "$rc" != 77 ]; then
		tail -n 25 "$LOGDIR/$name.log" | sed 's/^/    | /'
	fi
}

echo "== unit tests"
for t in "$BUILD"/test-*; do
	[ -f "$t" ] && [ -x "$t" ] || continue
	run_one "unit/$(basename "$t" | sed 's/^test-//')" "$t"
done

echo "== fuzz targets (${FUZZ_SECONDS}s each)"
for f in "$FUZZ_BUILD"/fuzz-*; do
	[ -f "$f" ] && [ -x "$f" ] || continue
	name=$(basename "$f" | sed 's/^fuzz-//')
	corpus="fuzz/corpus/$name"
	work=$(mktemp -d)
	[ -d "$corpus" ] && cp -r "$corpus"/. "$work"/
	run_one "fuzz/$name" "$f" -max_total_time="$FUZZ_SECONDS" -max_len=4096 -rss_limit_mb=1024 -close_fd_mask=2 "$work"
	rm -rf "$work"
done

echo "== integration tests"
for t in tests/integration/*.sh; do
	[ -f "$t" ] && [ -x "$t" ] || continue
	# a VM test boots real systems under TCG: vm-homelab took 846 s once
	case $(basename "$t") in vm-*) limit=1500 ;; *) limit=900 ;; esac
	run_one "integration/$(basename "$t" .sh)" timeout "$limit" "$t"
done

echo
[ ${#failures[@]} -gt 0 ] && echo "failed: ${failures[*]}"
echo "logs: $LOGDIR"
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
