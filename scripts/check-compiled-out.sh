#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-compiled-out: the series built with CONFIG_BPF_SKB_EXT=n (the
# dev config otherwise, without Rust), in a build dir of its own. Passes if
# the kernel builds without warnings in the files the series touches and
# its BTF has no enum bpf_dynptr_skb_meta_flags: the CO-RE probe the docs
# recommend, bpf_core_enum_value_exists(enum bpf_dynptr_skb_meta_flags,
# BPF_DYNPTR_SKB_EXT_F), must be false on such a kernel.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

# The dev kernel (the Makefile's prerequisite) gives the config.
[ -f "$KOUT/.config" ] || die "no dev kernel configured: run this through make (make check-compiled-out)"
out="$BPF_SKB_EXT_CACHE/build-noext"
mkdir -p "$out"
cp "$KOUT/.config" "$out/.config"
(cd "$KSRC" && scripts/config --file "$out/.config" -d BPF_SKB_EXT -d RUST \
	-d BPF_SKB_EXT_KUNIT_TEST)
log "building with CONFIG_BPF_SKB_EXT=n in $out"
start=$(date +%s)
if ! PATH="/usr/lib/ccache:$PATH" make -s -C "$KSRC" O="$out" -j"$(nproc)" olddefconfig vmlinux \
	>"$out/build.log" 2>&1; then
	tail -20 "$out/build.log"
	die "the kernel does not build with CONFIG_BPF_SKB_EXT=n (log: $out/build.log)"
fi
grep -q '^CONFIG_BPF_SKB_EXT=y' "$out/.config" && die "CONFIG_BPF_SKB_EXT is still set"
log "built in $(($(date +%s) - start)) s"
status=0
if grep -E 'warning:' "$out/build.log" | grep -E 'skbuff|filter|helpers|verifier|bpf_skb_ext'; then
	warn "warnings in files the series touches"; status=1
fi
# Dump to files: grep -q would end the pipe early, and pipefail then reads
# bpftool's SIGPIPE as "not found".
bpftool btf dump file "$out/vmlinux" >"$out/btf.txt" || die "no BTF in $out/vmlinux"
bpftool btf dump file "$KOUT/vmlinux" >"$KOUT/btf.txt" || die "no BTF in $KOUT/vmlinux"
if grep -q "bpf_dynptr_skb_meta_flags" "$out/btf.txt"; then
	warn "enum bpf_dynptr_skb_meta_flags is in the BTF of a kernel without the feature"
	status=1
else
	log "BTF has no enum bpf_dynptr_skb_meta_flags: the CO-RE probe is false"
fi
grep -q "bpf_dynptr_skb_meta_flags" "$KOUT/btf.txt" ||
	{ warn "the dev kernel's BTF lacks the enum: the check above proves nothing"; status=1; }
[ "$status" = 0 ] && log "the dev kernel's BTF has it: the probe tells the two apart"
exit $status
