#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: boot the VM, tag five packets at tc ingress and print what a
# cgroup_skb ingress reader saw for each. The kernel, module and demo binary
# are the Makefile's prerequisites.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

demo="$BPF_SKB_EXT_CACHE/target/release/demo"
[ -x "$demo" ] || die "no demo built: run this through make (make demo builds it first)"
results="$BPF_SKB_EXT_CACHE/results/demo"
rm -rf "$results"; mkdir -p "$results"
cp "$demo" "$(cat "$BPF_SKB_EXT_CACHE/module-path.$BPF_SKB_EXT_PROFILE")" "$results/"	# vng hides /var/cache
BPF_SKB_EXT_VM_TIMEOUT=300 "$BPF_SKB_EXT_TOP/scripts/vm-run.sh" "$results" \
	"$results/vm-guest.sh" "$results" "$results/rust_bpf_skb_ext.ko" 120 "$results/demo"
status=$?
cat "$results/run.log"
[ "$(cat "$results/run.rc" 2>/dev/null)" = 0 ] || status=1
exit $status
