#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs in the benchmark guest (through vm-guest.sh): the benchmark, then,
# in the -icount run, a per-function profile of each variant with perf.
#
#   bench-in-guest.sh BENCH OUT_DIR ROUNDS PACKETS PROFILE [BACKGROUND_OPS [ONLINE_CPUS]]
#
# BACKGROUND_OPS: operations per traffic kind, variant and round of the
# background scenario (the tagged flow idle); 0 leaves it out, empty or
# none: the benchmark's default. ONLINE_CPUS: take every CPU from that
# number up offline first (they stay possible: see scripts/bench.sh).
#
# Under -icount shift=0 guest time advances one nanosecond per executed
# instruction, so a cpu-clock sample every 10000 ns of task time is a sample
# every 10000 instructions of the sending thread (which runs the receive
# path too, in softirq inside its system call). `bench calibrate` checks
# that against two loops of known length (profile-calibrate.txt: 25% and
# 75% expected).
set -u
bench=$1 out=$2 rounds=$3 packets=$4 profile=$5 bg_ops=${6:-} online=${7:-}

if [ -n "$online" ]; then
	for dir in /sys/devices/system/cpu/cpu[0-9]*; do
		[ "${dir##*/cpu}" -lt "$online" ] || echo 0 >"$dir/online" || exit 1
	done
	want="0-$((online - 1))"
	[ "$online" != 1 ] || want=0
	[ "$(cat /sys/devices/system/cpu/online)" = "$want" ] || {
		echo "CPUs online: $(cat /sys/devices/system/cpu/online), want $want" >&2; exit 1; }
	echo "CPUs possible: $(cat /sys/devices/system/cpu/possible), online: $(cat /sys/devices/system/cpu/online)"
fi

# The benchmark thread stays on CPU 0 (its softirq receive path with it):
# a migration would start it on another CPU's cold per-CPU caches (slab
# freelists, page fragments), which a guest with many idle CPUs makes
# likely and which is no cost of any variant.
pin="taskset -c 0"
command -v taskset >/dev/null || { echo "no taskset (util-linux)" >&2; exit 1; }

$pin "$bench" "$out/bench.jsonl" "$rounds" "$packets" ${bg_ops:+"$bg_ops"} || exit $?
[ "$profile" = 1 ] || exit 0

# Debian 12's linux-perf (perf 6.1), installed by scripts/setup.sh.
perf=$(command -v perf)
if [ -z "$perf" ]; then
	echo "no perf binary (Debian package linux-perf)" >&2
	exit 1
fi
sysctl -qw kernel.kptr_restrict=0 kernel.perf_event_paranoid=-1 net.core.bpf_jit_kallsyms=1
# perf.data in the guest's own tmpfs: perf record writes nothing usable to
# the shared results dir over 9p (an 824-byte header, then nothing); the
# reports, plain text, go to the results dir.
data=$(mktemp -d)
record() {	# NAME COMMAND...: profile COMMAND, only while it says so
	local name=$1 fifos period; shift
	fifos=$(mktemp -d)	# the guest's own tmpfs: no fifos on the shared dir
	mkfifo "$fifos/ctl" "$fifos/ack"
	# Under -icount both the workload and a fixed sampling period are
	# deterministic, so one period aliases with the per-packet loop and
	# over-samples some functions; five co-prime periods, summed by the
	# report (samples x period), average that out.
	for period in 7919 9973 12007 14011 16057; do
		# --no-bpf-event: perf 6.1 can crash reading the BTF of the programs
		# the benchmark loaded; JITed programs still resolve through kallsyms.
		# -D -1 + --control: events start disabled; `bench profile` enables
		# them around its traffic only (setup, BPF loading and the verifier
		# stay out of the profile).
		BPF_SKB_EXT_PERF_CTL=$fifos/ctl BPF_SKB_EXT_PERF_ACK=$fifos/ack \
			"$perf" record -q --no-bpf-event -e cpu-clock -c "$period" -D -1 \
			--control "fifo:$fifos/ctl,$fifos/ack" -o "$data/perf-$name.data" -- $pin "$@" \
			>"$out/profile-$name.log" 2>&1 || { cat "$out/profile-$name.log" >&2; return 1; }
		"$perf" report -i "$data/perf-$name.data" --stdio --sort sym -n --percent-limit 0.02 \
			>"$out/profile-$name-$period.txt" 2>/dev/null
	done
}
# The calibration loops run under an always-on recorder.
# One retry: a calibration run once died of a segfault in its final write
# to stdout under TCG (not reproduced since).
calibrate() {
	"$perf" record -q --no-bpf-event -e cpu-clock -c 10000 -o "$data/perf-calibrate.data" -- \
		$pin "$bench" calibrate >"$out/profile-calibrate.log" 2>&1
}
calibrate || calibrate || exit 1
"$perf" report -i "$data/perf-calibrate.data" --stdio --sort sym -n \
	>"$out/profile-calibrate.txt" 2>/dev/null
for v in baseline skb_ext skb_ext_slice hash_map hash_map_fentry; do
	record "$v" "$bench" profile "$v" "${BPF_SKB_EXT_PROFILE_PACKETS:-10000}" || exit 1
done
