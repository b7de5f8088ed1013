#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make series: export the kernel tree's commits over `base` into patches/
# with git format-patch (cover letter from patches/cover-letter.in, whose
# first line is the subject), then check each patch with checkpatch --strict.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# Whoever exports the series signs it off, with the identity of their git
# config (the project checkout's, which falls back to the global one): a
# placeholder is no Developer's Certificate of Origin.
name=$(git -C "$BPF_SKB_EXT_TOP" config user.name || true)
email=$(git -C "$BPF_SKB_EXT_TOP" config user.email || true)
[ -n "$name" ] && [ -n "$email" ] ||
	die "no git identity to sign the series off with: git config --global user.name 'Your Name'; git config --global user.email you@example.net"
case $email in
*@localhost | *@example.org | *@example.com | *.invalid)
	die "git identity <$email> is a placeholder: sign the series off with your own (git config user.email)" ;;
esac
signer="$name <$email>"

# BPF_SKB_EXT_EXPORT_TREE: export from another checkout of the cache tree (a
# worktree), e.g. while a build uses the main one.
cd "${BPF_SKB_EXT_EXPORT_TREE:-$KSRC}"
branch=$(git rev-parse --abbrev-ref HEAD)
n=$(git rev-list --count base..HEAD)
[ "$n" -gt 0 ] || die "no commits over base on $branch in $KSRC"
git diff --quiet HEAD || die "$KSRC has uncommitted changes; commit them first"
cover="$BPF_SKB_EXT_TOP/patches/cover-letter.in"
[ -f "$cover" ] || die "missing $cover"
git config "branch.$branch.description" "$(cat "$cover")"

# No commit may carry a placeholder author or sign-off into the export.
if git log --format=%ae base..HEAD | grep -qiE '@(localhost|example\.(org|com))$'; then
	die "commits on $branch have a placeholder author: git rebase base --exec 'git commit --amend --no-edit --reset-author' (with your identity in git config)"
fi
if git log --format=%B base..HEAD | grep -qiE '^Signed-off-by: .*@(localhost|example\.(org|com))>'; then
	die "commits on $branch carry a placeholder Signed-off-by: reword them (git rebase -i base)"
fi

# The provider has one source, rust/rust_bpf_skb_ext.rs: the sample the series
# adds is made from it here, folded into the commit that adds the sample.
if ! cmp -s "$BPF_SKB_EXT_TOP/rust/rust_bpf_skb_ext.rs" samples/rust/rust_bpf_skb_ext.rs; then
	sample=$(git log --format=%H --diff-filter=A base..HEAD -- samples/rust/rust_bpf_skb_ext.rs | tail -n1)
	[ -n "$sample" ] || die "no commit on $branch adds samples/rust/rust_bpf_skb_ext.rs"
	subject=$(git log -1 --format=%s "$sample")
	cp "$BPF_SKB_EXT_TOP/rust/rust_bpf_skb_ext.rs" samples/rust/rust_bpf_skb_ext.rs
	git -c user.name="$name" -c user.email="$email" commit -q -m "fixup! $subject" samples/rust/rust_bpf_skb_ext.rs
	GIT_SEQUENCE_EDITOR=true git -c user.name="$name" -c user.email="$email" rebase -q -i --autosquash base ||
		die "folding rust/rust_bpf_skb_ext.rs into \"$subject\" failed: resolve the rebase in $PWD"
	log "samples/rust/rust_bpf_skb_ext.rs is rust/rust_bpf_skb_ext.rs again (in \"$subject\")"
fi

rm -f "$BPF_SKB_EXT_TOP"/patches/*.patch
# --signoff adds the exporter's Signed-off-by where it is missing; the
# cover letter's From: is the exporter; --base adds base-commit, as b4 does.
git -c user.name="$name" -c user.email="$email" format-patch -q --signoff --from="$signer" \
	--cover-letter --cover-from-description=subject --base=base \
	--subject-prefix="PATCH RFC bpf-next" -o "$BPF_SKB_EXT_TOP/patches" base..HEAD
for p in "$BPF_SKB_EXT_TOP"/patches/0*.patch; do
	case $p in */0000-cover-letter.patch) continue ;; esac
	grep -qxF "Signed-off-by: $signer" "$p" || die "$(basename "$p") lacks 'Signed-off-by: $signer'"
done
log "exported $n patches from $branch to patches/, signed off by $signer"
# ... and the top-level Kconfig from the sample's entry.
python3 "$BPF_SKB_EXT_TOP/scripts/one-source.py" kconfig "$BPF_SKB_EXT_TOP"

if checkpatch_series; then
	log "checkpatch --strict: clean"
else
	warn "checkpatch --strict has findings (above)"
fi
