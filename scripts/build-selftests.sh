#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the libbpf-rs suite in selftests/ against the BTF of the kernel
# under test (vmlinux.h dumped with bpftool), and print the path of the test
# binary. Fails clearly when that kernel lacks the series.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kdir=${BPF_SKB_EXT_KDIR:-$KOUT}
[ -f "$kdir/vmlinux" ] || die "no vmlinux in $kdir (run 'make kernel')"
vdir="$BPF_SKB_EXT_CACHE/vmlinux-h/$(echo "$kdir" | sha256sum | cut -c1-12)"
mkdir -p "$vdir"
if [ ! -f "$vdir/vmlinux.h" ] || [ "$kdir/vmlinux" -nt "$vdir/vmlinux.h" ]; then
	bpftool btf dump file "$kdir/vmlinux" format c >"$vdir/vmlinux.h.tmp" ||
		die "bpftool could not dump BTF from $kdir/vmlinux (CONFIG_DEBUG_INFO_BTF?)"
	mv "$vdir/vmlinux.h.tmp" "$vdir/vmlinux.h"
fi
grep -q 'BPF_DYNPTR_SKB_EXT_F' "$vdir/vmlinux.h" ||
	die "the kernel in $kdir lacks the series: BPF_DYNPTR_SKB_EXT_F is not in its BTF"

export BPF_SKB_EXT_VMLINUX_DIR="$vdir"
export CARGO_TARGET_DIR="$BPF_SKB_EXT_CACHE/target"
mkdir -p "$CARGO_TARGET_DIR"
cd "$BPF_SKB_EXT_TOP/selftests"
# The build's messages in a file of this run's own: the target dir is shared by every
# checkout, and two builds at once (cargo takes turns on its lock) would write one file.
msgs=$(mktemp)
trap 'rm -f "$msgs"' EXIT
cargo build --release --tests --bins --message-format=json-render-diagnostics >"$msgs" ||
	die "building selftests/ failed"
bin=$(python3 -c '
import json, sys
for line in open(sys.argv[1]):
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "vm" and m.get("executable"):
        print(m["executable"])
' "$msgs" | tail -n1)
[ -n "$bin" ] || die "no test binary produced"
# For the VM targets, as the module's path is.
echo "$bin" >"$BPF_SKB_EXT_CACHE/suite-path.$BPF_SKB_EXT_PROFILE"
echo "$bin"
