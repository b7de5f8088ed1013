#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make help: every target (from the comment above it in the Makefile) and
# every environment knob the scripts read, with its default.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

echo "Targets (make <target>; KDIR=path runs on your own tree where it says so):"
awk '
/^# / { l = substr($0, 3); gsub(/\$\$/, "$", l); c = c (c ? " " : "") l; next }
/^[a-z][a-z-]*: export / { next }
/^[a-z][a-z-]*:/ { t = $1; sub(":.*", "", t); if (t != "help") printf "  %-20s %s\n", t, c; c = ""; next }
{ c = "" }' "$BPF_SKB_EXT_TOP/Makefile"
echo "  help                 this list"
cat <<EOT

Environment (default in brackets):
  BPF_SKB_EXT_CACHE                where the kernel tree, builds, ccache, tools and results live [$BPF_SKB_EXT_CACHE]
  KDIR, KCONFIG                    your own kernel tree or build dir; the config to start it from [none]
  BPF_SKB_EXT_PROFILE              kernel profile: debug, kasan, kcsan, bench, upstream [debug]
  BPF_SKB_EXT_TEST_FILTER          comma-separated test-name filters for the VM targets [all tests]
  BPF_SKB_EXT_TEST_TIMEOUT         seconds per test [300; kasan/kcsan: 600]
  BPF_SKB_EXT_SUITE_TIMEOUT        seconds for the whole suite in the guest [2100; kasan 3600; kcsan 2400]
  BPF_SKB_EXT_VM_TIMEOUT           host-side seconds for the whole VM [2400; kasan 3900; kcsan 2700]
  BPF_SKB_EXT_STOP_AT_FAILURE      stop the suite at the first failure if set [unset]
  BPF_SKB_EXT_VM_CPUS, BPF_SKB_EXT_VM_MEM  guest vCPUs and memory [2, 2G]
  BPF_SKB_EXT_VM_APPEND            guest kernel command line [slab debugging of the extension cache, KFENCE, panics on lockups]
  BPF_SKB_EXT_VM_FS                how the guest sees the host: 9p or virtiofs [9p]
  BPF_SKB_EXT_VM_QEMU_OPTS         extra QEMU options [none]
  BPF_SKB_EXT_NO_KVM               never try KVM if set (TCG only) [probe once]
  BPF_SKB_EXT_NO_VIRTIOFSD         do not build virtiofsd if set [unset]
  BPF_SKB_EXT_NO_LEAK_CHECK        skip the kmemleak scans if set [unset]
  BPF_SKB_EXT_MODULE               another build of the provider module for the VM targets [rust/'s]
  BPF_SKB_EXT_KCSAN_SCOPE          regex of functions whose KCSAN reports fail make vm-test-kcsan [the extension's]
  BPF_SKB_EXT_NO_RECORD            do not append the run's line to bench/RESULTS.md if set [unset: make vm-test, -kasan/-kcsan, upstream-tests and mutate append one]
  BPF_SKB_EXT_MUTANTS              mutant names for make mutate [all in selftests/mutants]
  BPF_SKB_EXT_PATCHES              the series to apply [patches/]
  BPF_SKB_EXT_TREE_AS_IS           build the kernel tree's checkout instead of re-applying patches/ if set [unset]
  BPF_SKB_EXT_EXPORT_TREE          the tree make series exports from [the cache's kernel tree]
  BPF_SKB_EXT_FRAGMENT             the main kernel config fragment [selftests/config]
  BPF_SKB_EXT_BENCH_CLOCKS         benchmark clocks: icount, wall or both [icount wall]
  BPF_SKB_EXT_BENCH_ROUNDS, BPF_SKB_EXT_BENCH_PACKETS  rounds per variant, packets per round [5, 3000]
  BPF_SKB_EXT_BENCH_BG_OPS         background scenario (tagged flow idle): operations per traffic kind, variant and round; 0: none [400]
  BPF_SKB_EXT_BENCH_POSSIBLE_CPUS  possible CPUs (vCPUs) of a separate -icount run (e.g. 64) [none]
  BPF_SKB_EXT_BENCH_ONLINE_CPUS    of those, online during it (the rest offline, still possible) [2]
  BPF_SKB_EXT_PROFILE_PACKETS      packets per perf profile in make bench [10000]
EOT
