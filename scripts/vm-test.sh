#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make vm-test: boot the kernel, run the libbpf-rs suite as root, and
# report "N passed, N failed". Non-zero exit on any failed test, a guest
# panic, a hang, or a kernel splat on the console. The kernel, module and
# suite are the Makefile's prerequisites (make vm-test builds what is
# missing first; BPF_SKB_EXT_PROFILE picks which).
#
# KDIR=path runs the suite on a kernel the user built from their own tree
# with the series applied (and CONFIG_RUST, CONFIG_BPF_SKB_EXT).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

bin=$(cat "$BPF_SKB_EXT_CACHE/suite-path.$BPF_SKB_EXT_PROFILE" 2>/dev/null)
[ -x "$bin" ] || die "no suite built for the $BPF_SKB_EXT_PROFILE kernel: run this through make (make vm-test builds it first)"

results=$VM_RESULTS
rm -rf "$results"; mkdir -p "$results"
# The guest sees the host's root, but vng hides /var/cache behind a tmpfs:
# what it runs travels in the shared results dir.
cp "$bin" "$results/vm-tests"
# BPF_SKB_EXT_MODULE=path: another build of the provider, e.g. the in-tree sample
# ($KOUT/samples/rust/rust_bpf_skb_ext.ko, the same source as rust/).
cp "${BPF_SKB_EXT_MODULE:-$(cat "$BPF_SKB_EXT_CACHE/module-path.$BPF_SKB_EXT_PROFILE")}" "$results/rust_bpf_skb_ext.ko"
# The suite's test-only modules (vm-guest.sh exports their paths).
cp "$(cat "$BPF_SKB_EXT_CACHE/test-modules-path.$BPF_SKB_EXT_PROFILE")/leaky_provider.ko" "$results/"
cp "$BPF_SKB_EXT_TOP/scripts/vm-suite.sh" "$results/"
# The suite (57 tests, one process each) must finish in 35 minutes: on the
# same 2-core host it took 8 to 16.5 minutes of VM time alone (2026-12-05),
# and 28 minutes beside a kernel build, where 1500 s cut it short; each test
# gets 300 s (the slowest, module_reload_under_traffic, took 65-220 s), so a
# hung one still leaves time for the rest. The VM gets a margin for boot and
# the kmemleak scan. With a cold kernel build (~25 minutes here) that stays
# within CI's 90 minutes.
# (make vm-test-kasan sets longer ones: BPF_SKB_EXT_SUITE_TIMEOUT, BPF_SKB_EXT_TEST_TIMEOUT.)
BPF_SKB_EXT_VM_TIMEOUT=${BPF_SKB_EXT_VM_TIMEOUT:-2400} "$BPF_SKB_EXT_TOP/scripts/vm-run.sh" "$results" \
	"$results/vm-guest.sh" "$results" "$results/rust_bpf_skb_ext.ko" "${BPF_SKB_EXT_SUITE_TIMEOUT:-2100}" \
	"$results/vm-suite.sh" "${BPF_SKB_EXT_TEST_TIMEOUT:-300}" "$results/vm-tests" ${BPF_SKB_EXT_TEST_FILTER:-} \
	${BPF_SKB_EXT_STOP_AT_FAILURE:+--stop}
vm_status=$?

cat "$results/run.log" 2>/dev/null
echo
echo "VM $(cat "$results/vm-seconds" 2>/dev/null) s, $(head -n1 "$results/guest.log" 2>/dev/null)"
"$BPF_SKB_EXT_TOP/scripts/vm-summary.sh" "$results" "${BPF_SKB_EXT_KDIR:-$KOUT}/.config" "$vm_status" |
	tee "$results/summary.txt"
status=${PIPESTATUS[0]}
record_result "make vm-test${BPF_SKB_EXT_TEST_FILTER:+ BPF_SKB_EXT_TEST_FILTER=$BPF_SKB_EXT_TEST_FILTER}" \
	"$(tail -n1 "$results/summary.txt")$([ "$status" = 0 ] || echo ' (run failed)'); VM $(cat "$results/vm-seconds" 2>/dev/null) s"
exit "$status"
