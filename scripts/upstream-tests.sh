#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make upstream-tests: the kernel's own BPF selftests (test_progs from the
# patched tree, the series' tests and those of the code it touches, listed
# in selftests/upstream-tests.list) on the dev kernel in the VM, with the
# console scan and kmemleak check of `make vm-test`. Prints
# "N passed, N failed" (test_progs tests; their subtests in brackets).
#
# The kernel is the "upstream" profile (build-upstream/): the BPF
# selftests' config fragments, then selftests/config and
# selftests/config.upstream. test_progs brings its own hook provider
# (bpf_testmod); the Rust module is not loaded.
set -uo pipefail
export BPF_SKB_EXT_PROFILE=upstream
. "$(dirname "$0")/lib.sh"

list="$BPF_SKB_EXT_TOP/selftests/upstream-tests.list"
# The kernel and test_progs are the Makefile's prerequisites (make
# upstream-tests builds them first, with this profile).
[ -d "$BPF_SKB_EXT_CACHE/upstream-tests/$BPF_SKB_EXT_PROFILE" ] ||
	die "no test_progs built: run this through make (make upstream-tests builds it first)"

out="$BPF_SKB_EXT_CACHE/upstream-tests/$BPF_SKB_EXT_PROFILE"
results="$BPF_SKB_EXT_CACHE/results/upstream-tests"
rm -rf "$results"; mkdir -p "$results/tp"
# vng hides /var/cache from the guest: test_progs, its BPF objects and test
# modules travel in the shared results dir (hard links: no copy).
find "$out" -maxdepth 1 -type f -exec cp -l -t "$results/tp/" {} + 2>/dev/null ||
	find "$out" -maxdepth 1 -type f -exec cp -t "$results/tp/" {} +

allow=$(grep -v '^#' "$list" | awk 'NF && $1 !~ /^!/ {print $1}' | paste -sd, -)
deny=$(grep -v '^#' "$list" | awk '$1 ~ /^!/ {print substr($1, 2)}' | paste -sd, -)
[ -n "$allow" ] || die "$list names no test"
# The guest command is one line (vng --exec): the arguments go in a script.
cat >"$results/run-test-progs.sh" <<GUEST
#!/bin/sh
cd "$results/tp" && exec ./test_progs -a '$allow'${deny:+ -d '$deny'}
GUEST
chmod +x "$results/run-test-progs.sh"

BPF_SKB_EXT_VM_TIMEOUT=${BPF_SKB_EXT_VM_TIMEOUT:-1500} "$BPF_SKB_EXT_TOP/scripts/vm-run.sh" "$results" \
	"$results/vm-guest.sh" "$results" - 1200 "$results/run-test-progs.sh"
vm_status=$?

log=$results/run.log
grep -E '^#[0-9/]+ .*:(FAIL|SKIP)' "$log" 2>/dev/null
summary=$(grep -E '^Summary: ' "$log" 2>/dev/null | tail -n1)
echo
echo "VM $(cat "$results/vm-seconds" 2>/dev/null) s, $(head -n1 "$results/guest.log" 2>/dev/null)"
[ -n "$deny" ] && echo "excluded (selftests/upstream-tests.list): $deny"
if [ -z "$summary" ]; then
	echo "test_progs did not finish (exit $(cat "$results/run.rc" 2>/dev/null || echo none)): see $log"
	exit 1
fi
# "Summary: 17/123 PASSED, 2 SKIPPED, 1 FAILED", or "1/3 FAILED" (tests/subtests)
read -r passed subtests skipped failed < <(echo "$summary" |
	sed -E 's#Summary: ([0-9]+)/([0-9]+) PASSED, ([0-9]+) SKIPPED, ([0-9]+)(/[0-9]+)? FAILED.*#\1 \2 \3 \4#')
echo "$passed passed, $failed failed ($subtests subtests passed, $skipped skipped)"
# A listed name that matches no test (renamed upstream, a typo) must not
# pass as "0 failed".
missing=0
for t in ${allow//,/ }; do
	grep -qE "^#[0-9]+ +$t:" "$log" || { echo "not run: $t"; missing=1; }
done
rc=$(cat "$results/run.rc" 2>/dev/null || echo 1)
status=0
[ "$failed" = 0 ] && [ "$rc" = 0 ] && [ "$vm_status" = 0 ] && [ "$missing" = 0 ] || status=1
record_result "make upstream-tests" "$passed passed, $failed failed ($subtests subtests passed, $skipped skipped)$([ "$status" = 0 ] || echo ' (run failed)')"
exit "$status"
