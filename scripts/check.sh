#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: checkpatch --strict on the series, rustfmt and clippy on the
# module, rustfmt/clippy on the suite, and the suite's host-side tests.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
"$BPF_SKB_EXT_TOP/scripts/setup.sh" || exit 1
"$BPF_SKB_EXT_TOP/scripts/fetch-kernel.sh" || exit 1
status=0

log "no patch numbers outside patches/ (a patch is named by its subject)"
# Numbers change with every split of the series; subjects do not. The
# exported patches and the cover letter are the only place for them.
if git -C "$BPF_SKB_EXT_TOP" grep -n -I -E \
	'(^|[^./A-Za-z_])[Pp]atch(es)? #?[0-9]+\b|\[PATCH[^]]* [0-9]+/[0-9]+\]' \
	-- ':!patches' ':!bench/pointer-proxy/*.patch' ':!scripts/check.sh'; then
	warn "name the patches above by their subject"
	status=1
fi

log "one name: bpf_skb_ext (no older names outside the measured history)"
# The extension went by five names; upstream's "skb_meta" is XDP's data_meta
# area, so what is ours says bpf_skb_ext. Allowed: upstream's own
# bpf_dynptr_from_skb_meta(), bpf_skb_meta_pointer(), __bpf_skb_meta_store_bytes()
# and DYNPTR_TYPE_SKB_META, the contract's CONFIG_BPF_SKB_META_DATA_SIZE, the
# kfunc's flag enum, and the extension id SKB_EXT_BPF_META.
if git -C "$BPF_SKB_EXT_TOP" grep -n -I -E \
	'bpf_skb_meta_(ext|ops|provider|register|unregister|supported|lock|key|zero|epoch|init|module|drop|take|wipe)|skb_meta_ext|\bbpf_skb_meta\b|SAMPLE_RUST_BPF_SKB_META|BPF_SKB_META_PROVIDER|skb_meta_selftests|SKBX_|\bskbx|skb-bpf-ext|skb-meta-|\bSKB_META_|BpfSkbMeta|\bskb_meta\.h' \
	-- ':!bench/RESULTS.md' ':!bench/REPORT.md' ':!bench/before' ':!bench/profile' ':!bench/pointer-proxy' \
	':!scripts/check.sh' \
	':!scripts/bench-report.py'; then
	warn "the extension is bpf_skb_ext (see README.md): rename the above"
	status=1
fi

# ... and the contract's Kconfig symbol is still the series' own.
if ! grep -q '^+config BPF_SKB_META_DATA_SIZE$' "$BPF_SKB_EXT_TOP"/patches/0*.patch; then
	warn "the series must define CONFIG_BPF_SKB_META_DATA_SIZE (../shared/SPEC.md)"
	status=1
fi

log "checkpatch --strict on patches/"
checkpatch_series || status=1

log "patches/ and Kconfig are made from rust/rust_bpf_skb_ext.rs (one source)"
provider_one_source || status=1

log "rustfmt on rust/ (kernel rustfmt settings)"
# Debian's tarball drops the tree's dotfiles; upstream's .rustfmt.toml is
# edition 2021 with rustfmt's defaults.
rustfmt_cfg=()
[ -f "$KSRC/.rustfmt.toml" ] && rustfmt_cfg=(--config-path "$KSRC/.rustfmt.toml")
rustfmt --check --edition 2021 "${rustfmt_cfg[@]}" "$BPF_SKB_EXT_TOP"/rust/*.rs || status=1

log "clippy on rust/ (make module CLIPPY=1)"
out=$("$BPF_SKB_EXT_TOP/scripts/build-module.sh" CLIPPY=1 2>&1)
if echo "$out" | grep -E '^(warning|error)'; then status=1; fi

log "host test of the scripts (make apply/kernel KDIR= on worktrees, clones, dirty trees)"
"$BPF_SKB_EXT_TOP/scripts/test-scripts.sh" || status=1
"$BPF_SKB_EXT_TOP/scripts/test-vm-harness.sh" || status=1

log "every mutant of selftests/mutants applies to the series and the module"
# Against the series from patches/, in a scratch worktree: the dev tree may
# be on another branch.
wt=$(mktemp -d)
mapfile -t series < <(ls "$BPF_SKB_EXT_TOP"/patches/[0-9]*.patch | grep -v '/0000-')
if git -C "$KSRC" worktree add -q --detach "$wt" base &&
   git -C "$wt" -c user.name=check -c user.email=check@localhost am -q "${series[@]}"; then
	python3 "$BPF_SKB_EXT_TOP/scripts/mutate.py" check "$BPF_SKB_EXT_TOP/selftests/mutants" "$wt" "$BPF_SKB_EXT_TOP" || status=1
else
	warn "could not apply patches/ in a scratch worktree"; status=1
fi
git -C "$KSRC" worktree remove --force "$wt" 2>/dev/null; rm -rf "$wt"

log "cargo fmt, clippy and host tests on selftests/"
"$BPF_SKB_EXT_TOP/scripts/build-selftests.sh" >/dev/null || status=1
export BPF_SKB_EXT_VMLINUX_DIR
BPF_SKB_EXT_VMLINUX_DIR=$(dirname "$(ls -t "$BPF_SKB_EXT_CACHE"/vmlinux-h/*/vmlinux.h | head -n1)")
export CARGO_TARGET_DIR="$BPF_SKB_EXT_CACHE/target"
(cd "$BPF_SKB_EXT_TOP/selftests" && cargo fmt --check && cargo clippy --release --all-targets -q -- -D warnings &&
	cargo test --release -q) || status=1

[ "$status" = 0 ] && log "check: clean" || warn "check: findings above"
exit $status
