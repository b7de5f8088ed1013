#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build every prefix of the series (the first patch, the first two, ...) with the dev
# config, in a scratch worktree and build dir of the cache, so the main
# build is not disturbed. Prints one line per prefix; non-zero if any fails.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

# The dev kernel (the Makefile's prerequisite) gives the config.
[ -f "$KOUT/.config" ] || die "no dev kernel configured: run this through make (make prefix-builds)"
wt="$BPF_SKB_EXT_CACHE/prefix-tree" out="$BPF_SKB_EXT_CACHE/prefix-build"
git -C "$KSRC" worktree remove --force "$wt" >/dev/null 2>&1 || rm -rf "$wt"
git -C "$KSRC" worktree prune
git -C "$KSRC" worktree add -q --detach "$wt" base || die "cannot create $wt"
mkdir -p "$out"
rust_env
status=0
for p in "$BPF_SKB_EXT_TOP"/patches/[0-9]*.patch; do
	case "$p" in */0000-*) continue ;; esac
	git -C "$wt" am -q "$p" || die "$(basename "$p") does not apply"
	# The dev config afresh for every prefix: olddefconfig drops the
	# symbols a prefix does not know yet (the KUnit option before the patch
	# that adds it), and they must come back when their patch does.
	cp "$KOUT/.config" "$out/.config"
	start=$(date +%s)
	if PATH="/usr/lib/ccache:$PATH" make -s -C "$wt" O="$out" -j"$(nproc)" olddefconfig bzImage modules \
		>"$out/build.log" 2>&1; then
		echo "OK    $(basename "$p") ($(($(date +%s) - start)) s)"
	else
		echo "FAIL  $(basename "$p") (log: $out/build.log)"; status=1
		grep -E 'error|Error' "$out/build.log" | head -5
	fi
done
git -C "$KSRC" worktree remove --force "$wt"
exit $status
