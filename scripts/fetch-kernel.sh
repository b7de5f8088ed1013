#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Fetch the pinned base kernel (Debian linux-source), verify it, and turn it
# into a git tree in the cache with a `base` tag. Idempotent.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

if git -C "$KSRC" rev-parse -q --verify refs/tags/base >/dev/null 2>&1; then
	exit 0
fi
mkdir -p "$PKGS"
version=$BASE_VERSION
deb="$PKGS/${BASE_PKG}_${version//:/%3a}_all.deb"
if [ ! -f "$deb" ]; then
	private_apt trixie trixie trixie-backports
	if ! apt-cache "${PRIVATE_APT_OPTS[@]}" show "$BASE_PKG=$version" >/dev/null 2>&1; then
		# Archives drop superseded versions: take the newest 7.3.x instead.
		newest=$(apt-cache "${PRIVATE_APT_OPTS[@]}" madison "$BASE_PKG" | awk -F'|' '{gsub(/ /,"",$2); print $2}' | head -n1)
		[ -n "$newest" ] || die "$BASE_PKG is not offered by the mirror at all"
		warn "**************************************************************"
		warn "pinned $BASE_PKG $BASE_VERSION is gone from the archive;"
		warn "falling back to $newest (SHA-256 taken from the archive index)"
		warn "**************************************************************"
		version=$newest
		deb="$PKGS/${BASE_PKG}_${version//:/%3a}_all.deb"
		BASE_SHA256=$(apt-cache "${PRIVATE_APT_OPTS[@]}" show "$BASE_PKG=$version" | awk '/^SHA256:/{print $2; exit}')
	fi
	log "downloading $BASE_PKG $version"
	(cd "$PKGS" && apt-get "${PRIVATE_APT_OPTS[@]}" -q download "$BASE_PKG=$version" >&2)
fi
log "verifying SHA-256 of $(basename "$deb")"
echo "$BASE_SHA256  $deb" | sha256sum -c --quiet - || die "SHA-256 mismatch for $deb (expected $BASE_SHA256)"

tmp="$BPF_SKB_EXT_CACHE/extract.$$"
rm -rf "$tmp" "$KSRC"
mkdir -p "$tmp"
dpkg -x "$deb" "$tmp"
tarball=$(ls "$tmp"/usr/src/linux-source-*.tar.* | head -n1)
log "extracting $(basename "$tarball")"
mkdir -p "$KSRC"
tar -xf "$tarball" -C "$KSRC" --strip-components=1
rm -rf "$tmp"

cd "$KSRC"
# Debian's tarball appends a "Debian packaging" stanza to the top-level
# .gitignore that ignores every top-level path; `git add -A` would then add
# nothing. Drop the stanza so that the base commit is the real tree.
if grep -q '^# Debian packaging' .gitignore; then
	sed -i '/^# Debian packaging/,$d' .gitignore
fi
git init -q
git config user.name "bpf-skb-ext base"
git config user.email "base@localhost"
git config core.autocrlf false
git add -A
git commit -q -m "Linux $BASE_SERIES base ($BASE_PKG $version)"
git tag base
log "base kernel ready at $KSRC ($(git ls-files | wc -l) files)"
