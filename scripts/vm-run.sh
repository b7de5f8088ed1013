#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a kernel with virtme-ng and run a guest script in it, without ever
# hanging the caller: a host-side timeout around the VM, a timeout inside
# it, vng's exit 255 (guest panic) treated as a failure, and the console
# scanned for kernel splats.
#
#   vm-run.sh RESULTS_DIR GUEST_COMMAND...
#
# Environment: BPF_SKB_EXT_KDIR (kernel build dir, default the cached dev build),
# BPF_SKB_EXT_VM_TIMEOUT (seconds, default 900), BPF_SKB_EXT_VM_CPUS (2), BPF_SKB_EXT_VM_MEM (2G),
# BPF_SKB_EXT_VM_QEMU_OPTS (extra qemu options, e.g. -icount for the benchmark),
# BPF_SKB_EXT_VM_APPEND (kernel command line instead of the debug profile's),
# BPF_SKB_EXT_VM_FS (9p, the default, or virtiofs).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

results=$1; shift
kdir=${BPF_SKB_EXT_KDIR:-$KOUT}
image="$kdir/arch/x86/boot/bzImage"
[ -f "$image" ] || die "no kernel image at $image (run 'make kernel', or pass KDIR=)"
mkdir -p "$results"
# The guest sees the host's root, but vng puts fresh tmpfs/overlays on some
# paths (/var/cache, /tmp): whatever the guest runs travels in the results
# dir, which is shared read-write. The callers copy binaries there; the
# guest script comes along here.
cp "$BPF_SKB_EXT_TOP/scripts/vm-guest.sh" "$results/vm-guest.sh"
vm_timeout=${BPF_SKB_EXT_VM_TIMEOUT:-900}
VNG="$TOOLS/venv/bin/vng"
export PATH="$TOOLS/venv/bin:$TOOLS/cargo/bin:$PATH"	# vng's helpers, virtiofsd

# Boot parameters for the debug profile: no slab merging (so fault
# injection hits the skb extension cache alone), full slub debugging
# (red zones, poisoning, user tracking) of the cache that holds the
# buffers, frequent KFENCE samples everywhere, and a panic if the kernel
# locks up (soft lockup after 2 x watchdog_thresh s, a task blocked for
# CONFIG_DEFAULT_HUNG_TASK_TIMEOUT, a stalled workqueue: thresholds doubled
# from the defaults, a TCG guest on a busy host is slow, not hung).
# slub_debug on every cache doubles the boot time under TCG.
append=${BPF_SKB_EXT_VM_APPEND:-"slab_nomerge slub_debug=FZPU,skbuff_ext_cache kfence.sample_interval=5 softlockup_panic=1 hung_task_panic=1 watchdog_thresh=20 workqueue.watchdog_thresh=60 printk.time=1"}
# KUnit suites wait for the test suite to run them through debugfs: the C
# suite, the Rust provider abstraction's and the Rust module parameters'
# (rust_kernel_module_param, whose cases are not named *bpf_skb*, so no
# kunit.filter_glob).
append="$append kunit.autorun=0"

# KVM only where a short probe boot shows it works: on nested setups the
# guest can hang at "Decompressing Linux...". The answer is cached per host
# kernel and qemu version.
kvm_opt=--disable-kvm
probe="$BPF_SKB_EXT_CACHE/kvm-probe.$(uname -r).$(dpkg-query -W -f='${Version}' qemu-system-x86 2>/dev/null)"
if [ -e /dev/kvm ] && [ -z "${BPF_SKB_EXT_NO_KVM:-}" ]; then
	if [ ! -f "$probe" ]; then
		log "probing KVM (30 s at most)"
		if timeout -k 5 30 "$VNG" --run "$image" --memory 512M --exec true </dev/null >/dev/null 2>&1; then
			echo kvm >"$probe"
		else
			echo tcg >"$probe"
		fi
	fi
	[ "$(cat "$probe")" = kvm ] && kvm_opt=
fi
if [ -n "$kvm_opt" ]; then accel=TCG; else accel=KVM; fi
log "booting $(basename "$image") from $kdir under $accel (timeout ${vm_timeout}s)"

# The guest's file systems (its root is the host's, plus the results dir)
# go over 9p, not virtiofs: on this machine virtiofs started corrupting guest
# memory after a few hours of uptime (every process, vm-tests, python3,
# ls, segfaulting at random addresses; the same kernels and binaries run
# cleanly over 9p, and ran cleanly over virtiofs earlier the same day).
# BPF_SKB_EXT_VM_FS=virtiofs goes back to vng's default.
fs_opt=--force-9p
[ "${BPF_SKB_EXT_VM_FS:-9p}" = virtiofs ] && fs_opt=

start=$(date +%s.%N)
timeout -k 15 "$vm_timeout" "$VNG" --run "$image" $kvm_opt $fs_opt --verbose \
	--cpus "${BPF_SKB_EXT_VM_CPUS:-2}" --memory "${BPF_SKB_EXT_VM_MEM:-2G}" \
	--rwdir "$results" --cwd "$results" --append "$append" ${BPF_SKB_EXT_VM_QEMU_OPTS:+--qemu-opts "$BPF_SKB_EXT_VM_QEMU_OPTS"} \
	--exec "$*" </dev/null >"$results/console.log" 2>&1
rc=$?
end=$(date +%s.%N)
printf '%.1f\n' "$(echo "$end - $start" | bc)" >"$results/vm-seconds"

status=0
case $rc in
0) ;;
124|137) warn "the VM hung: killed after ${vm_timeout}s"; status=1 ;;
255) warn "the guest kernel panicked (vng exit 255)"; status=1 ;;
*) warn "the guest command failed (exit $rc)"; status=1 ;;
esac

# Kernel splats anywhere on the console or in the guest's dmesg. Lockups
# print "BUG: soft lockup", "BUG: workqueue lockup" and "INFO: task ...
# blocked"; a bare "hung_task" would also match a kernel without the
# detector refusing hung_task_panic=1 from the command line.
# BPF_SKB_EXT_KCSAN_SCOPE (make vm-test-kcsan): a regex of the functions under
# test; KCSAN reports of races between two other functions (the stack has
# many benign ones) are listed, not failed.
kcsan_elsewhere=
if [ -n "${BPF_SKB_EXT_KCSAN_SCOPE:-}" ]; then
	kcsan_elsewhere=$(cat "$results/console.log" "$results/dmesg.log" 2>/dev/null |
		grep -E 'BUG: KCSAN: ' | grep -vE "$BPF_SKB_EXT_KCSAN_SCOPE" | sort -u)
fi
splats=$(cat "$results/console.log" "$results/dmesg.log" 2>/dev/null |
	grep -vE '^(\[ *[0-9.]+\] )?(Kernel c|C)ommand line:' |
	{ if [ -n "$kcsan_elsewhere" ]; then grep -vFx -f <(printf '%s\n' "$kcsan_elsewhere"); else cat; fi; } |
	grep -E 'BUG:|WARNING:|Oops|refcount_t|KFENCE|suspected memory leak|Kernel panic|general protection|UBSAN|INFO: (task|rcu)' |
	sort -u)
if [ -n "$kcsan_elsewhere" ]; then
	echo "KCSAN reports outside $BPF_SKB_EXT_KCSAN_SCOPE (listed, not failed):" >&2
	printf '  %s\n' "$kcsan_elsewhere" | head -20 >&2
fi
if [ -n "$splats" ]; then
	warn "kernel console shows:"
	printf '%s\n' "$splats" | head -40 >&2
	status=1
fi
if [ -s "$results/kmemleak.log" ]; then
	warn "kmemleak reports leaks:"
	head -40 "$results/kmemleak.log" >&2
	status=1
fi
exit $status
