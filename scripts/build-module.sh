#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the Rust hook provider (rust/) against a kernel build dir
# (default: the cached dev build), and the suite's test-only modules
# (selftests/modules/) beside it. Output goes to the cache (MO=), never
# into the work tree. Extra arguments go to make (e.g. CLIPPY=1).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kdir=${BPF_SKB_EXT_KDIR:-$KOUT}
mo="$BPF_SKB_EXT_CACHE/module"
[ "$kdir" = "$KOUT" ] && [ "$BPF_SKB_EXT_PROFILE" = debug ] || mo="$BPF_SKB_EXT_CACHE/module-$(echo "$kdir" | sha256sum | cut -c1-8)"
[ -f "$kdir/Module.symvers" ] || die "$kdir is not a built kernel tree (run 'make kernel')"
grep -q '^CONFIG_RUST=y' "$kdir/.config" || die "$kdir has no Rust support (CONFIG_RUST)"
grep -q '^CONFIG_BPF_SKB_EXT=y' "$kdir/.config" || die "$kdir lacks the series (CONFIG_BPF_SKB_EXT)"
mkdir -p "$mo"
rust_env
PATH="$(ccache_dir):$PATH" make -s -C "$kdir" M="$BPF_SKB_EXT_TOP/rust" MO="$mo" \
	${BPF_SKB_EXT_LLVM:+LLVM=$BPF_SKB_EXT_LLVM} CONFIG_BPF_SKB_EXT_PROVIDER=m "$@" modules
log "module built: $mo/rust_bpf_skb_ext.ko"
echo "$mo/rust_bpf_skb_ext.ko" >"$BPF_SKB_EXT_CACHE/module-path.$BPF_SKB_EXT_PROFILE"
# The test-only modules (leaky_provider.ko), for the VM tests to load.
mkdir -p "$mo-tests"
PATH="$(ccache_dir):$PATH" make -s -C "$kdir" M="$BPF_SKB_EXT_TOP/selftests/modules" MO="$mo-tests" \
	${BPF_SKB_EXT_LLVM:+LLVM=$BPF_SKB_EXT_LLVM} "$@" modules
log "test modules built: $mo-tests/leaky_provider.ko"
echo "$mo-tests" >"$BPF_SKB_EXT_CACHE/test-modules-path.$BPF_SKB_EXT_PROFILE"
