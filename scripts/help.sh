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
{ c = "" }' "$SKBX_TOP/Makefile"
echo "  help                 this list"
cat <<EOT

Environment (default in brackets):
  SKBX_CACHE              where the kernel tree, builds, ccache, tools and results live [$SKBX_CACHE]
  KDIR, KCONFIG           your own kernel tree or build dir; the config to start it from [none]
  SKBX_PROFILE            kernel profile: debug, kasan, kcsan, bench, upstream [debug]
  SKBX_TEST_FILTER        comma-separated test-name filters for the VM targets [all tests]
  SKBX_TEST_TIMEOUT       seconds per test [300; kasan/kcsan: 600]
  SKBX_SUITE_TIMEOUT      seconds for the whole suite in the guest [2100; kasan 3600; kcsan 2400]
  SKBX_VM_TIMEOUT         host-side seconds for the whole VM [2400; kasan 3900; kcsan 2700]
  SKBX_STOP_AT_FAILURE    stop the suite at the first failure if set [unset]
  SKBX_VM_CPUS, SKBX_VM_MEM  guest vCPUs and memory [2, 2G]
  SKBX_VM_APPEND          guest kernel command line [slab debugging of the extension cache, KFENCE, panics on lockups]
  SKBX_VM_FS              how the guest sees the host: 9p or virtiofs [9p]
  SKBX_VM_QEMU_OPTS       extra QEMU options [none]
  SKBX_NO_KVM             never try KVM if set (TCG only) [probe once]
  SKBX_NO_VIRTIOFSD       do not build virtiofsd if set [unset]
  SKBX_NO_LEAK_CHECK      skip the kmemleak scans if set [unset]
  SKBX_MODULE             another build of the provider module for the VM targets [rust/'s]
  SKBX_KCSAN_SCOPE        regex of functions whose KCSAN reports fail make vm-test-kcsan [the extension's]
  SKBX_MUTANTS            mutant names for make mutate [all in selftests/mutants]
  SKBX_PATCHES            the series to apply [patches/]
  SKBX_TREE_AS_IS         build the kernel tree's checkout instead of re-applying patches/ if set [unset]
  SKBX_EXPORT_TREE        the tree make series exports from [the cache's kernel tree]
  SKBX_FRAGMENT           the main kernel config fragment [selftests/config]
  SKBX_BENCH_CLOCKS       benchmark clocks: icount, wall or both [icount wall]
  SKBX_BENCH_ROUNDS, SKBX_BENCH_PACKETS  rounds per variant, packets per round [5, 3000]
  SKBX_BENCH_BG_OPS       background scenario (tagged flow idle): operations per traffic kind, variant and round; 0: none [400]
  SKBX_BENCH_POSSIBLE_CPUS  vCPUs of the benchmark guest (e.g. 64) [2]
  SKBX_PROFILE_PACKETS    packets per perf profile in make bench [10000]
EOT
