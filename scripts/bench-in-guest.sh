#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs in the benchmark guest (through vm-guest.sh): the benchmark, then,
# in the -icount run, a per-function profile of each variant with perf.
#
#   bench-in-guest.sh BENCH OUT_DIR ROUNDS PACKETS PROFILE
#
# Under -icount shift=0 guest time advances one nanosecond per executed
# instruction, so a cpu-clock sample every 10000 ns of task time is a sample
# every 10000 instructions of the sending thread (which runs the receive
# path too, in softirq inside its system call). `bench calibrate` checks
# that against two loops of known length (profile-calibrate.txt: 25% and
# 75% expected).
set -u
bench=$1 out=$2 rounds=$3 packets=$4 profile=$5

"$bench" "$out/bench.jsonl" "$rounds" "$packets" || exit $?
[ "$profile" = 1 ] || exit 0

# Debian 12's linux-perf (perf 6.1), installed by scripts/setup.sh.
perf=$(command -v perf)
if [ -z "$perf" ]; then
	echo "no perf binary (Debian package linux-perf)" >&2
	exit 1
fi
sysctl -qw kernel.kptr_restrict=0 kernel.perf_event_paranoid=-1 net.core.bpf_jit_kallsyms=1
record() {
	local name=$1; shift
	"$perf" record -q -e cpu-clock -c 10000 -o "$out/perf-$name.data" -- "$@" \
		>"$out/profile-$name.log" 2>&1 || { cat "$out/profile-$name.log" >&2; return 1; }
	"$perf" report -i "$out/perf-$name.data" --stdio --sort sym --percent-limit 0.2 \
		>"$out/profile-$name.txt" 2>/dev/null
}
record calibrate "$bench" calibrate || exit 1
for v in baseline skb_ext hash_map hash_map_fentry; do
	record "$v" "$bench" profile "$v" "${SKBX_PROFILE_PACKETS:-20000}" || exit 1
done
