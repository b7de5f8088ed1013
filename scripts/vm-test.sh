#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make vm-test: build what is missing, boot the kernel, run the libbpf-rs
# suite as root, and report "N passed, N failed". Non-zero exit on any
# failed test, a guest panic, a hang, or a kernel splat on the console.
#
# KDIR=path runs the suite on a kernel the user built from their own tree
# with the series applied (and CONFIG_RUST, CONFIG_BPF_SKB_EXT).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

start=$(date +%s)
bin=$(build_for_vm) || exit 1
built=$(date +%s)

results="$SKBX_CACHE/results/vm-test"
rm -rf "$results"; mkdir -p "$results"
# The guest sees the host's root, but vng hides /var/cache behind a tmpfs:
# what it runs travels in the shared results dir.
cp "$bin" "$results/vm-tests"
cp "$(cat "$SKBX_CACHE/module-path.$SKBX_PROFILE")" "$results/"
# The suite (34 tests, ~3 min under TCG on an idle host) must finish in 8
# minutes, which leaves room for a busy host; the VM gets a margin for boot
# and the kmemleak scan.
SKBX_VM_TIMEOUT=${SKBX_VM_TIMEOUT:-720} "$SKBX_TOP/scripts/vm-run.sh" "$results" \
	"$results/vm-guest.sh" "$results" "$results/bpf_skb_meta.ko" 480 \
	"$results/vm-tests" --include-ignored --test-threads=1 ${SKBX_TEST_FILTER:-}
vm_status=$?

cat "$results/run.log" 2>/dev/null
passed=$(grep -cE '^test .* \.\.\. ok$' "$results/run.log" 2>/dev/null || true)
failed=$(grep -cE '^test .* \.\.\. FAILED$' "$results/run.log" 2>/dev/null || true)
passed=${passed:-0} failed=${failed:-0}
rc=$(cat "$results/run.rc" 2>/dev/null || echo missing)
echo
echo "results: $results (console.log, dmesg.log, run.log, kmemleak.log)"
echo "build $((built - start)) s, VM $(cat "$results/vm-seconds" 2>/dev/null) s, $(cat "$results/guest.log" 2>/dev/null | head -n1)"
if [ "$failed" -gt 0 ]; then
	echo "failed:"
	grep -E '^test .* \.\.\. FAILED$' "$results/run.log" | sed 's/^test /  /; s/ \.\.\. FAILED$//'
fi
status=0
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
