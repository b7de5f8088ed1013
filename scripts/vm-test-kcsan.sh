#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make vm-test-kcsan: the tests that race, on the kcsan profile (the debug
# profile plus KCSAN, built with clang 19): two CPUs tagging, cloning and
# reading at once, the provider reloaded under traffic, the counters read
# while they move, a provider registered while the last one's hooks run.
# A KCSAN report ("BUG: KCSAN: data-race in f / g") that names the
# extension's code (BPF_SKB_EXT_KCSAN_SCOPE) fails the run; races between two
# other functions of the stack are listed, not failed.
#
# BPF_SKB_EXT_TEST_FILTER= picks other tests (comma-separated name filters).
set -uo pipefail
export BPF_SKB_EXT_PROFILE=kcsan
. "$(dirname "$0")/lib.sh"

export BPF_SKB_EXT_TEST_FILTER=${BPF_SKB_EXT_TEST_FILTER:-stress_flows_clones_and_reloads,module_reload_under_traffic,peak_counts_two_cpus_tagging_at_once,counters_follow_tagged_packets_in_flight,kunit_lifetime,kunit_provider_hooks,clone_shares_tag}
export BPF_SKB_EXT_KCSAN_SCOPE=${BPF_SKB_EXT_KCSAN_SCOPE:-bpf_skb_ext|skb_ext|bpf_dynptr|skb_scrub_packet}
export BPF_SKB_EXT_TEST_TIMEOUT=${BPF_SKB_EXT_TEST_TIMEOUT:-600}
export BPF_SKB_EXT_SUITE_TIMEOUT=${BPF_SKB_EXT_SUITE_TIMEOUT:-2400}
export BPF_SKB_EXT_VM_TIMEOUT=${BPF_SKB_EXT_VM_TIMEOUT:-2700}
"$BPF_SKB_EXT_TOP/scripts/vm-test.sh"
status=$?
# A run that passes without KCSAN proves nothing about it.
results=$VM_RESULTS
if ! cat "$results/console.log" "$results/dmesg.log" 2>/dev/null | grep -q 'kcsan: enabled early'; then
	warn "KCSAN did not start in the guest ($results/console.log): the run does not count"
	status=1
fi
exit $status
