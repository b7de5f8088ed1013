#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the VM (as root): prepares the guest, loads the hook provider
# and runs a command with a timeout, then unloads the provider and collects
# dmesg and a kmemleak scan into the results dir.
#
#   vm-guest.sh RESULTS_DIR MODULE.ko TIMEOUT COMMAND...
#
# MODULE.ko "-" runs without the provider (the kernel's own BPF selftests
# bring theirs in bpf_testmod).
set -u
results=$1 module=$2 limit=$3
shift 3

mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug
mountpoint -q /sys/fs/cgroup || mount -t cgroup2 cgroup2 /sys/fs/cgroup
mkdir -p /run/netns
ulimit -l unlimited
echo "guest up after $(cut -d' ' -f1 /proc/uptime) s" >"$results/guest.log"

# The module is loaded again by most tests: from guest memory, not from the
# host's file system over 9p.
if [ "$module" != - ]; then
	copy=$(mktemp -d) && cp "$module" "$copy/" && module=$copy/$(basename "$module")
	if ! insmod "$module" >>"$results/guest.log" 2>&1; then
		echo "insmod $module failed" >>"$results/guest.log"
	fi
	export BPF_SKB_EXT_MODULE=$module
fi
# The suite's test-only module that leaks its provider registration, also
# from guest memory.
if [ -f "$results/leaky_provider.ko" ]; then
	tmods=$(mktemp -d) && cp "$results/leaky_provider.ko" "$tmods/" &&
		export LEAKY_PROVIDER_MODULE=$tmods/leaky_provider.ko
fi

timeout -k 10 "$limit" "$@" >"$results/run.log" 2>&1
echo $? >"$results/run.rc"

# The provider must unload after the traffic: a failing rmmod (a buffer or
# a reference it still holds) is a result of its own.
if [ "$module" != - ]; then
	rmmod rust_bpf_skb_ext >"$results/rmmod.log" 2>&1
	echo $? >"$results/rmmod.rc"
fi
# Let RCU and deferred frees settle, then look for leaks. kmemleak.scanned
# says that the scans really ran; the host fails a debug run without it.
if [ -w /sys/kernel/debug/kmemleak ]; then
	sleep 1
	echo scan >/sys/kernel/debug/kmemleak &&
	sleep 6 &&
	echo scan >/sys/kernel/debug/kmemleak &&
	cat /sys/kernel/debug/kmemleak >"$results/kmemleak.log" &&
	echo "2 scans" >"$results/kmemleak.scanned"
fi
dmesg >"$results/dmesg.log"
exit 0
