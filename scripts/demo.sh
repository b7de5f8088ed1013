#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: build everything, boot the VM, tag five packets at tc ingress
# and print what a cgroup_skb ingress reader saw for each.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

build_for_vm >/dev/null || exit 1
demo="$SKBX_CACHE/target/release/demo"
results="$SKBX_CACHE/results/demo"
rm -rf "$results"; mkdir -p "$results"
cp "$demo" "$(cat "$SKBX_CACHE/module-path.$SKBX_PROFILE")" "$results/"	# vng hides /var/cache
SKBX_VM_TIMEOUT=300 "$SKBX_TOP/scripts/vm-run.sh" "$results" \
	"$results/vm-guest.sh" "$results" "$results/bpf_skb_meta.ko" 120 "$results/demo"
status=$?
cat "$results/run.log"
[ "$(cat "$results/run.rc" 2>/dev/null)" = 0 ] || status=1
exit $status
