#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Host-side test of the scripts a kernel developer points at their own
# tree: 'make apply KDIR=' on a git worktree, a plain clone, a dirty tree
# and a directory that is no git checkout, and where 'make kernel KDIR='
# puts its build. Uses a toy repository with a one-patch series; needs no
# kernel and no root. Prints one line per case; non-zero if any fails.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export BPF_SKB_EXT_CACHE="$tmp/cache" BPF_SKB_EXT_PATCHES="$tmp/patches"
git() { command git -c user.name=test -c user.email=test@localhost -c init.defaultBranch=main "$@"; }
status=0
ok() { echo "ok    $*"; }
bad() { echo "FAIL  $*"; status=1; }

# A "kernel" repo: base commit, then the series as one patch.
git init -q "$tmp/repo"
echo base >"$tmp/repo/file"
git -C "$tmp/repo" add file && git -C "$tmp/repo" commit -q -m base
echo series >>"$tmp/repo/file"
git -C "$tmp/repo" commit -q -am "net: the series"
git -C "$tmp/repo" format-patch -q -1 -o "$tmp/patches"
git -C "$tmp/repo" reset -q --hard HEAD~1
apply() { KDIR=$1 "$top/scripts/apply-series.sh" 2>&1; }

git -C "$tmp/repo" worktree add -q -b wt "$tmp/wt"
out=$(apply "$tmp/wt"); rc=$?
if [ $rc = 0 ] && echo "$out" | grep -q "onto wt at .* base" &&
   [ "$(git -C "$tmp/wt" log -1 --format=%s)" = "net: the series" ]; then
	ok "apply onto a git worktree (.git is a file), says what it applied onto"
else
	bad "apply onto a git worktree: rc=$rc: $out"
fi

git clone -q "$tmp/repo" "$tmp/clone"
out=$(apply "$tmp/clone"); rc=$?
[ $rc = 0 ] && [ "$(git -C "$tmp/clone" log -1 --format=%s)" = "net: the series" ] &&
	ok "apply onto a plain clone" || bad "apply onto a plain clone: rc=$rc: $out"

git -C "$tmp/repo" worktree add -q -b dirty "$tmp/dirty"
echo local change >>"$tmp/dirty/file"
head=$(git -C "$tmp/dirty" rev-parse HEAD)
out=$(apply "$tmp/dirty"); rc=$?
if [ $rc != 0 ] && echo "$out" | grep -q "uncommitted changes" &&
   [ "$(git -C "$tmp/dirty" rev-parse HEAD)" = "$head" ] && grep -q "local change" "$tmp/dirty/file"; then
	ok "a dirty tree is refused, with its changes and HEAD left alone"
else
	bad "dirty tree: rc=$rc: $out"
fi

mkdir "$tmp/plain"
out=$(apply "$tmp/plain"); rc=$?
[ $rc != 0 ] && echo "$out" | grep -q "not a git checkout" &&
	ok "a directory that is no git checkout is refused" || bad "no git checkout: rc=$rc: $out"

# make kernel/vm-test KDIR=: a source tree builds into the cache, a tree
# with a vmlinux (the user's own build) is used as it is.
kdir_of() { (KDIR=$1; unset BPF_SKB_EXT_KDIR; . "$top/scripts/lib.sh"; echo "$BPF_SKB_EXT_KDIR"); }
case "$(kdir_of "$tmp/wt")" in
"$BPF_SKB_EXT_CACHE"/build-user-*) ok "KDIR= a source tree: builds in \$BPF_SKB_EXT_CACHE/build-user-*" ;;
*) bad "KDIR= a source tree: $(kdir_of "$tmp/wt")" ;;
esac
touch "$tmp/wt/vmlinux"
[ "$(kdir_of "$tmp/wt")" = "$tmp/wt" ] && ok "KDIR= a built tree: used as it is" ||
	bad "KDIR= a built tree: $(kdir_of "$tmp/wt")"
exit $status
