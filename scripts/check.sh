#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: checkpatch --strict on the series, rustfmt and clippy on the
# module, rustfmt/clippy on the suite, and the suite's host-side tests.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
"$SKBX_TOP/scripts/setup.sh" || exit 1
"$SKBX_TOP/scripts/fetch-kernel.sh" || exit 1
status=0

log "no patch numbers outside patches/ (a patch is named by its subject)"
# Numbers change with every split of the series; subjects do not. The
# exported patches and the cover letter are the only place for them.
if git -C "$SKBX_TOP" grep -n -I -E \
	'(^|[^./A-Za-z_])[Pp]atch(es)? #?[0-9]+\b|\[PATCH[^]]* [0-9]+/[0-9]+\]' \
	-- ':!patches' ':!bench/pointer-proxy/*.patch' ':!scripts/check.sh'; then
	warn "name the patches above by their subject"
	status=1
fi

log "checkpatch --strict on patches/"
checkpatch_series || status=1

log "patches/ and Kconfig are made from rust/bpf_skb_meta.rs (one source)"
provider_one_source || status=1

log "rustfmt on rust/ (kernel rustfmt settings)"
# Debian's tarball drops the tree's dotfiles; upstream's .rustfmt.toml is
# edition 2021 with rustfmt's defaults.
rustfmt_cfg=()
[ -f "$KSRC/.rustfmt.toml" ] && rustfmt_cfg=(--config-path "$KSRC/.rustfmt.toml")
rustfmt --check --edition 2021 "${rustfmt_cfg[@]}" "$SKBX_TOP"/rust/*.rs || status=1

log "clippy on rust/ (make module CLIPPY=1)"
out=$("$SKBX_TOP/scripts/build-module.sh" CLIPPY=1 2>&1)
if echo "$out" | grep -E '^(warning|error)'; then status=1; fi

log "host test of the scripts (make apply/kernel KDIR= on worktrees, clones, dirty trees)"
"$SKBX_TOP/scripts/test-scripts.sh" || status=1
"$SKBX_TOP/scripts/test-vm-harness.sh" || status=1

log "every mutant of selftests/mutants applies to the series and the module"
# Against the series from patches/, in a scratch worktree: the dev tree may
# be on another branch.
wt=$(mktemp -d)
mapfile -t series < <(ls "$SKBX_TOP"/patches/[0-9]*.patch | grep -v '/0000-')
if git -C "$KSRC" worktree add -q --detach "$wt" base &&
   git -C "$wt" -c user.name=check -c user.email=check@localhost am -q "${series[@]}"; then
	python3 "$SKBX_TOP/scripts/mutate.py" check "$SKBX_TOP/selftests/mutants" "$wt" "$SKBX_TOP" || status=1
else
	warn "could not apply patches/ in a scratch worktree"; status=1
fi
git -C "$KSRC" worktree remove --force "$wt" 2>/dev/null; rm -rf "$wt"

log "cargo fmt, clippy and host tests on selftests/"
"$SKBX_TOP/scripts/build-selftests.sh" >/dev/null || status=1
export SKB_META_VMLINUX_DIR
SKB_META_VMLINUX_DIR=$(dirname "$(ls -t "$SKBX_CACHE"/vmlinux-h/*/vmlinux.h | head -n1)")
export CARGO_TARGET_DIR="$SKBX_CACHE/target"
(cd "$SKBX_TOP/selftests" && cargo fmt --check && cargo clippy --release --all-targets -q -- -D warnings &&
	cargo test --release -q) || status=1

[ "$status" = 0 ] && log "check: clean" || warn "check: findings above"
exit $status
