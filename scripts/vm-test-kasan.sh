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
# so the suite takes 15-30 minutes instead of 5. SKBX_TEST_FILTER= picks a
# subset (comma-separated name filters).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

export SKBX_PROFILE=kasan
export SKBX_TEST_TIMEOUT=${SKBX_TEST_TIMEOUT:-600}
export SKBX_SUITE_TIMEOUT=${SKBX_SUITE_TIMEOUT:-3600}
export SKBX_VM_TIMEOUT=${SKBX_VM_TIMEOUT:-3900}
"$SKBX_TOP/scripts/vm-test.sh"
status=$?
# A run that passes without KASAN proves nothing about it.
results="$SKBX_CACHE/results/vm-test"
if ! cat "$results/console.log" "$results/dmesg.log" 2>/dev/null |
	grep -q 'KernelAddressSanitizer initialized'; then
	warn "KASAN did not initialise in the guest ($results/console.log): the run does not count"
	status=1
fi
exit $status
