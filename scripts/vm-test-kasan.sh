#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make vm-test-kasan: the tests where a memory bug of the series would
# show (buffer lifetime across clones, copies, scrub, GSO/GRO and netns;
# the provider, its unload under traffic and the KUnit suites; allocation
# failures; kernel writers; untagged packets) on the kasan profile: the
# debug profile plus generic inline KASAN, built with clang 19. A KASAN
# report is a "BUG: KASAN:" line on the console, which fails the run like
# any other splat.
#
# Not the whole suite: under TCG every test costs ~30 s with KASAN (module
# reload and verifying the skeleton's programs, instrumented), so the
# 45 tests would take over 20 minutes. SKBX_TEST_FILTER= picks others.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

export SKBX_PROFILE=kasan
export SKBX_TEST_FILTER=${SKBX_TEST_FILTER:-lifetime::,provider::,kfunc::allocation_failure,kfunc::kernel_writer,kfunc::untagged,hooks::tc_ingress_writes_cgroup_ingress_reads_udp}
export SKBX_TEST_TIMEOUT=${SKBX_TEST_TIMEOUT:-600}
export SKBX_SUITE_TIMEOUT=${SKBX_SUITE_TIMEOUT:-2400}
export SKBX_VM_TIMEOUT=${SKBX_VM_TIMEOUT:-2700}
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
