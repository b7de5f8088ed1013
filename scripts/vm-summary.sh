#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The verdict of a suite run in the VM, from what the guest left in the
# results dir: "N passed, N failed" and a non-zero exit on a failed test, a
# test that never ran (crash, VM timeout; a filter is named instead), a
# failing rmmod of the provider, a kmemleak that did not scan on a kernel
# that has it, or a VM that failed (vm-run.sh's status: panic, hang, splat).
#
#   vm-summary.sh RESULTS_DIR KERNEL_CONFIG VM_STATUS
set -uo pipefail
warn() { printf '\033[1;33mWARNING: %s\033[0m\n' "$*" >&2; }
results=$1 kconfig=$2 vm_status=$3

passed=$(grep -cE '^test .* \.\.\. ok$' "$results/run.log" 2>/dev/null || true)
failed=$(grep -cE '^test .* \.\.\. FAILED$' "$results/run.log" 2>/dev/null || true)
passed=${passed:-0} failed=${failed:-0}
rc=$(cat "$results/run.rc" 2>/dev/null || echo missing)
echo
echo "results: $results (console.log, dmesg.log, run.log, kmemleak.log)"
if [ "$failed" -gt 0 ]; then
	echo "failed:"
	grep -E '^test .* \.\.\. FAILED$' "$results/run.log" | sed 's/^test /  /; s/ \.\.\. FAILED$//'
fi
status=0
# Every listed test must have run: a crash, a VM timeout or a hang leaves
# names without a verdict. A filter (BPF_SKB_EXT_TEST_FILTER) is named, not failed.
if [ -s "$results/tests.list" ]; then
	listed=$(wc -l <"$results/tests.list")
	ran=$(grep -oE '^test .* \.\.\. (ok|FAILED)$' "$results/run.log" | sed -E 's/^test (.*) \.\.\. .*/\1/' | sort -u)
	missing=$(sort -u "$results/tests.picked" 2>/dev/null | comm -23 - <(printf '%s\n' "$ran"))
	if [ -n "$missing" ]; then
		echo "never ran (no verdict):"
		printf '  %s\n' $missing
		failed=$((failed + $(printf '%s\n' $missing | wc -l)))
		status=1
	fi
	if [ -n "${BPF_SKB_EXT_TEST_FILTER:-}" ]; then
		echo "filter '$BPF_SKB_EXT_TEST_FILTER': $(wc -l <"$results/tests.picked") of $listed tests picked"
	fi
else
	warn "the guest never listed the tests (results/tests.list missing)"
	status=1
fi
# The provider unloads after the suite, and kmemleak really scanned.
if [ "$(cat "$results/rmmod.rc" 2>/dev/null)" != 0 ]; then
	warn "rmmod rust_bpf_skb_ext failed after the suite: $(cat "$results/rmmod.log" 2>/dev/null)"
	status=1
fi
if grep -q '^CONFIG_DEBUG_KMEMLEAK=y' "$kconfig" 2>/dev/null; then
	if [ ! -f "$results/kmemleak.scanned" ] || grep -qiE 'kmemleak: .*(disabled|Cannot allocate)' "$results/dmesg.log" 2>/dev/null; then
		warn "kmemleak did not scan (not writable in debugfs, or disabled: $(grep -iE 'kmemleak: ' "$results/dmesg.log" 2>/dev/null | head -n1))"
		status=1
	else
		echo "kmemleak: $(cat "$results/kmemleak.scanned") after the suite, no leak reported"
	fi
elif [ -z "${BPF_SKB_EXT_NO_LEAK_CHECK:-}" ]; then
	warn "the kernel has no kmemleak (CONFIG_DEBUG_KMEMLEAK): no leak check ran (BPF_SKB_EXT_NO_LEAK_CHECK=1 accepts that)"
	status=1
fi
if [ "$rc" != 0 ]; then
	[ "$failed" -gt 0 ] || { warn "the test binary exited $rc (timeout or crash) with no test marked failed"; failed=$((failed + 1)); }
	status=1
fi
[ "$vm_status" = 0 ] || status=1
if [ "$status" != 0 ] && [ "$failed" = 0 ]; then
	failed=1	# the VM itself failed: count it, so the line never says 0 failed
fi
echo "$passed passed, $failed failed"
exit $status
