#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make vm-test-kasan: the whole suite on the kasan profile: the debug
# profile plus generic inline KASAN, built with clang 19. A KASAN report is
# a "BUG: KASAN:" line on the console, which fails the run like any other
# splat.
#
# Not part of `make vm-test`: under TCG a test costs ~20-35 s with KASAN
# instead of ~5 (module reload, netns set-up and traffic, instrumented),
# so the suite takes 15-30 minutes instead of 5. BPF_SKB_EXT_TEST_FILTER= picks a
# subset (comma-separated name filters).
set -uo pipefail
export BPF_SKB_EXT_PROFILE=kasan
. "$(dirname "$0")/lib.sh"

export BPF_SKB_EXT_TEST_TIMEOUT=${BPF_SKB_EXT_TEST_TIMEOUT:-600}
export BPF_SKB_EXT_SUITE_TIMEOUT=${BPF_SKB_EXT_SUITE_TIMEOUT:-3600}
export BPF_SKB_EXT_VM_TIMEOUT=${BPF_SKB_EXT_VM_TIMEOUT:-3900}
"$BPF_SKB_EXT_TOP/scripts/vm-test.sh"
status=$?
# A run that passes without KASAN proves nothing about it.
results=$VM_RESULTS
if ! cat "$results/console.log" "$results/dmesg.log" 2>/dev/null |
	grep -q 'KernelAddressSanitizer initialized'; then
	warn "KASAN did not initialise in the guest ($results/console.log): the run does not count"
	status=1
fi
exit $status
