#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Apply patches/ with `git am` on a fresh `series` branch from `base` in the
# cached kernel tree (or, with KDIR=path, onto the current branch of that
# tree: any git checkout, worktrees included). Stops at the first patch that
# does not apply and names it. BPF_SKB_EXT_PATCHES=dir applies another series (the
# scripts' host test uses it).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

tree=${KDIR:-$KSRC}
patches=${BPF_SKB_EXT_PATCHES:-$BPF_SKB_EXT_TOP/patches}
mapfile -t series < <(ls "$patches"/[0-9]*.patch 2>/dev/null | grep -v '/0000-' || true)
# Ask git, not the file system: in a worktree .git is a file.
[ "$(git -C "$tree" rev-parse --is-inside-work-tree 2>/dev/null)" = true ] ||
	die "$tree is not a git checkout"
[ ${#series[@]} -gt 0 ] || die "$patches holds no series (run 'make series' in a kernel tree with commits over base)"
cd "$(git -C "$tree" rev-parse --show-toplevel)"

if [ -z "${KDIR:-}" ]; then
	want=$(cat "${series[@]}" /dev/null | sha256sum | cut -d' ' -f1)
	if [ "$(git rev-parse --abbrev-ref HEAD)" = series ] &&
	   [ "$(git config --get bpf-skb-ext.applied || true)" = "$want" ] &&
	   git diff --quiet HEAD; then
		exit 0
	fi
	cur=$(git rev-parse --abbrev-ref HEAD)
	if [ "$cur" != series ] && ! git diff --quiet HEAD; then
		die "$tree has uncommitted changes on '$cur'; commit them (and 'make series') first"
	fi
	log "applying ${#series[@]} patches on a fresh 'series' branch from base"
	# Apply in a scratch worktree, then move the tree to the result: only
	# files that differ from the current checkout are touched, so make
	# does not rebuild the world when the series did not change them.
	wt="$BPF_SKB_EXT_CACHE/am-worktree"
	git worktree remove --force "$wt" >/dev/null 2>&1 || rm -rf "$wt"
	git worktree prune
	git worktree add -q --detach "$wt" base
	for p in "${series[@]}"; do
		if ! git -C "$wt" am -q "$p" >/dev/null 2>&1; then
			git -C "$wt" am --abort >/dev/null 2>&1 || true
			git worktree remove --force "$wt"
			die "patch does not apply to base: $(basename "$p")"
		fi
	done
	new=$(git -C "$wt" rev-parse HEAD)
	git worktree remove --force "$wt"
	git checkout -q -f -B series "$new"
else
	for op in rebase-apply rebase-merge MERGE_HEAD CHERRY_PICK_HEAD; do
		[ ! -e "$(git rev-parse --git-path "$op")" ] ||
			die "$tree is in the middle of a git operation ($op); finish or abort it first"
	done
	git update-index -q --refresh || true
	if ! git diff-index --quiet HEAD --; then
		git status --short --untracked-files=no | head -n5 >&2
		die "$tree has uncommitted changes (above); commit or stash them first: nothing was applied"
	fi
	onto=$(git log -1 --format='%h %s')
	branch=$(git rev-parse --abbrev-ref HEAD)
	log "applying ${#series[@]} patches onto $branch at $onto"
	for p in "${series[@]}"; do
		if ! git am -q --3way "$p" >/dev/null 2>&1; then
			die "patch does not apply: $(basename "$p"); see 'git -C $tree am --show-current-patch', then 'git am --abort' or resolve and 'git am --continue'"
		fi
	done
	log "applied ${#series[@]} patches onto $onto; $branch is now at $(git log -1 --format='%h %s')"
	exit 0
fi
git config bpf-skb-ext.applied "$want"
log "series applied: $(git log --oneline -1)"
