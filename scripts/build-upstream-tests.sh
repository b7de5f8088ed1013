#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the kernel's own BPF selftests runner (test_progs, with bpf_testmod
# and the other test modules) from the dev kernel tree, against the dev
# kernel's build: clang/LLVM/lld 19 from Debian 12 for the BPF objects, the
# selftests' own libbpf and bpftool. Output in $BPF_SKB_EXT_CACHE/upstream-tests,
# never in the work tree.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

"$BPF_SKB_EXT_TOP/scripts/setup.sh"
[ -f "$KOUT/vmlinux" ] || die "no dev kernel at $KOUT (run 'make kernel')"

out="$BPF_SKB_EXT_CACHE/upstream-tests/$BPF_SKB_EXT_PROFILE"
mkdir -p "$out"
# Debian installs LLVM 19 as clang-19, llc-19, ...; the selftests' Makefile
# calls clang, llc, llvm-strip and -fuse-ld=lld: the unversioned names of
# LLVM's own bin dir serve both. One difference to the LLVM the selftests
# are written for: the arena library (libarena/) names no BPF CPU and uses
# 32-bit cmpxchg and signed division, which clang 19's default CPU lacks
# ("unsupported atomic operation", "unsupported signed division"); newer
# clang defaults to a newer CPU. A clang in front of clang 19 adds
# -mcpu=v4 to BPF compiles that name no CPU; the test_progs objects name
# theirs (v3) and are compiled as the Makefile says. SKIP_LLVM=1: test_progs
# would link LLVM's disassembler (llvm-19-dev) for the tests that check JITed
# code (__jited); none of the tests run here does.
wrap="$TOOLS/llvm-19-bpf-cpu"
mkdir -p "$wrap"
cat >"$wrap/clang.new" <<'WRAP'
#!/bin/sh
# clang 19, BPF CPU v4 unless one is named (written by build-upstream-tests.sh)
real=/usr/lib/llvm-19/bin/clang
case " $* " in
*" -mcpu="*) ;;
*" --target=bpf"*|*" -target bpf"*) exec "$real" -mcpu=v4 "$@" ;;
esac
exec "$real" "$@"
WRAP
chmod +x "$wrap/clang.new" && mv "$wrap/clang.new" "$wrap/clang"
export PATH="$wrap:/usr/lib/llvm-19/bin:$PATH"
rust_env
log "building test_progs from $KSRC against $KOUT ($(nproc) jobs, output $out)"
start=$(date +%s)
if ! build_with_progress "$out" "$out/build.log" \
	make -C "$KSRC/tools/testing/selftests/bpf" O="$KOUT" OUTPUT="$out" SKIP_LLVM=1 \
	-j"$(nproc)" test_progs; then
	grep -E 'error|Error' "$out/build.log" | head -40 >&2
	die "test_progs build failed (log: $out/build.log)"
fi
[ -f "$out/bpf_testmod.ko" ] || die "bpf_testmod.ko was not built (log: $out/build.log)"
log "test_progs built in $(($(date +%s) - start)) s: $out/test_progs"
