#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: the extension against the map side-stash (hash, LRU hash) and
# data_meta, same traffic, same VM boot, variants interleaved. Two boots:
# one under QEMU -icount (guest time = executed instructions: repeatable,
# the headline numbers, unit "guest instructions") and one on the wall
# clock. Results (JSON lines), the machine's description, a table and a
# chart go to bench/.
set -uo pipefail
# A kernel without the debug profile, built apart from the test kernel (by
# the Makefile's prerequisites of make bench, with this profile).
export BPF_SKB_EXT_PROFILE=bench
. "$(dirname "$0")/lib.sh"
export BPF_SKB_EXT_KDIR=$KOUT

[ -f "$BPF_SKB_EXT_CACHE/module-path.bench" ] && [ -x "$BPF_SKB_EXT_CACHE/target/release/bench" ] ||
	die "nothing built for the bench profile: run this through make (make bench builds it first)"
out="$BPF_SKB_EXT_TOP/bench"
mkdir -p "$out"
rounds=${BPF_SKB_EXT_BENCH_ROUNDS:-5} packets=${BPF_SKB_EXT_BENCH_PACKETS:-3000}
# The background scenario (tagged flow idle; UNIX datagrams, netlink dumps,
# loopback TCP): operations per traffic kind, variant and round; 0 leaves it
# out. 400: a window of some 5 million instructions for the cheapest kind, in
# which a timer tick moves the cost per operation by about 0.1%, and about
# 1e9 guest instructions in all (estimated before the first run).
bg_ops=${BPF_SKB_EXT_BENCH_BG_OPS:-400}
# BPF_SKB_EXT_BENCH_POSSIBLE_CPUS=64: one -icount run on a guest with that many
# possible CPUs, to show that no per-packet cost grows with the number of
# CPUs (per-CPU data sized by nr_cpu_ids, loops over the possible CPUs);
# results in results-icount-possible<N>.jsonl, nothing else changes. The
# guest boots N vCPUs (only possible, hot-pluggable CPUs need QEMU's ACPI
# tables to list them as usable: with -smp 2,maxcpus=64 this tinyconfig
# guest still booted with nr_cpu_ids 2) and takes all but
# BPF_SKB_EXT_BENCH_ONLINE_CPUS (2) offline before the benchmark: nr_cpu_ids
# stays N, and the guest runs on 2 CPUs like the reference. Why not keep
# them online: under -icount one TCG thread runs the vCPUs in turn on one
# instruction counter, the guest's clock, so whatever an idle vCPU executes
# when it wakes (ticks, RCU, vmstat) is billed to the benchmark thread's
# CPU time; with 62 of them the baseline, which stores nothing, costs ~3%
# more per packet. An offline vCPU executes nothing. ONLINE_CPUS=N keeps
# them all online: results-icount-possible<N>-online<N>.jsonl.
clocks=${BPF_SKB_EXT_BENCH_CLOCKS:-icount wall} suffix= cpus=2 online=
if [ -n "${BPF_SKB_EXT_BENCH_POSSIBLE_CPUS:-}" ]; then
	cpus=$BPF_SKB_EXT_BENCH_POSSIBLE_CPUS online=${BPF_SKB_EXT_BENCH_ONLINE_CPUS:-2}
	[ "$online" -ge 1 ] && [ "$online" -le "$cpus" ] ||
		die "BPF_SKB_EXT_BENCH_ONLINE_CPUS=$online: between 1 and $cpus"
	clocks=icount suffix="-possible$cpus"
	[ "$online" = 2 ] || suffix="$suffix-online$online"
fi
status=0
for clock in $clocks; do
	results="$BPF_SKB_EXT_CACHE/results/bench-$clock"
	rm -rf "$results"; mkdir -p "$results"
	cp "$BPF_SKB_EXT_CACHE/target/release/bench" "$(cat "$BPF_SKB_EXT_CACHE/module-path.bench")" \
		"$BPF_SKB_EXT_TOP/scripts/bench-in-guest.sh" "$results/"
	opts= profile=0
	if [ "$clock" = icount ]; then
		# -icount needs TCG; under KVM the wall-clock run gives real nanoseconds.
		if [ "$(cat "$BPF_SKB_EXT_CACHE"/kvm-probe.* 2>/dev/null | head -n1)" = kvm ]; then
			log "KVM works here: skipping the -icount run"; continue
		fi
		opts="-icount shift=0,sleep=off,align=off" profile=1
	fi
	[ -z "$suffix" ] || profile=0
	log "benchmark run ($clock): $rounds rounds of $packets packets per variant, $bg_ops background operations per traffic kind"
	# No slub_debug or KFENCE sampling: allocator instrumentation would be
	# measured instead of the variants (it hits the extension's slab
	# allocations, not the preallocated maps).
	BPF_SKB_EXT_VM_APPEND="kfence.sample_interval=0" BPF_SKB_EXT_VM_CPUS=$cpus \
	BPF_SKB_EXT_VM_QEMU_OPTS=$opts BPF_SKB_EXT_NO_KVM=${opts:+1} BPF_SKB_EXT_VM_TIMEOUT=1800 "$BPF_SKB_EXT_TOP/scripts/vm-run.sh" "$results" \
		"$results/vm-guest.sh" "$results" "$results/rust_bpf_skb_ext.ko" 1500 \
		"$results/bench-in-guest.sh" "$results/bench" "$results" "$rounds" "$packets" "$profile" "$bg_ops" "$online"
	rc=$?
	if [ "$rc" != 0 ] || [ "$(cat "$results/run.rc" 2>/dev/null)" != 0 ]; then
		cat "$results/run.log" 2>/dev/null | tail -20
		warn "benchmark run ($clock) failed (results: $results)"; status=1; continue
	fi
	if [ -n "$suffix" ] && ! grep -q "nr_cpu_ids:$BPF_SKB_EXT_BENCH_POSSIBLE_CPUS " "$results/dmesg.log"; then
		warn "the guest did not get $BPF_SKB_EXT_BENCH_POSSIBLE_CPUS possible CPUs ($(grep -o 'nr_cpu_ids:[0-9]*' "$results/dmesg.log" | head -n1)): no result kept"
		status=1; continue
	fi
	cp "$results/bench.jsonl" "$out/results-$clock$suffix.jsonl"
	if [ "$profile" = 1 ]; then
		mkdir -p "$out/profile"
		cp "$results"/profile-*.txt "$results"/profile-*.log "$out/profile/"
	fi
done
[ -z "$suffix" ] || exit $status
{
	echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "host: $(nproc) cores, $(awk '/MemTotal/{print int($2/1048576)" GiB"}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
	echo "guest: 2 vCPUs, 2 GiB, QEMU $(dpkg-query -W -f='${Version}' qemu-system-x86) TCG; kernel without the debug profile (no lockdep, kmemleak), $(grep -q "^CONFIG_CC_OPTIMIZE_FOR_PERFORMANCE=y" "$KOUT/.config" && echo "-O2" || echo "-Os"), jump labels $(grep -q "^CONFIG_JUMP_LABEL=y" "$KOUT/.config" && echo on || echo off); boot: kfence.sample_interval=0, no slub_debug"
	echo "kernel: $(git -C "$KSRC" describe --always --tags 2>/dev/null) ($(git -C "$KSRC" log --oneline -1 | cut -c1-60)), config sha256 $(sha256sum "$KOUT/.config" | cut -c1-12)"
	echo "traffic: UDP, 64-byte payload, batches of 32, veth between two netns; $rounds rounds of $packets packets per variant"
	echo "background (tagged flow idle): UNIX datagram ping-pong, netlink RTM_GETLINK dumps, loopback TCP ping-pong; $rounds rounds of $bg_ops operations per traffic kind and variant"
} >"$out/machine.txt"
/usr/bin/python3 "$BPF_SKB_EXT_TOP/scripts/bench-report.py" "$out" || status=1	# Debian's, with python3-matplotlib
exit $status
