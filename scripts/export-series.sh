#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make series: export the kernel tree's commits over `base` into patches/
# with git format-patch (cover letter from patches/cover-letter.in, whose
# first line is the subject), then check each patch with checkpatch --strict.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

cd "$KSRC"
branch=$(git rev-parse --abbrev-ref HEAD)
n=$(git rev-list --count base..HEAD)
[ "$n" -gt 0 ] || die "no commits over base on $branch in $KSRC"
git diff --quiet HEAD || die "$KSRC has uncommitted changes; commit them first"
cover="$SKBX_TOP/patches/cover-letter.in"
[ -f "$cover" ] || die "missing $cover"
git config "branch.$branch.description" "$(cat "$cover")"

rm -f "$SKBX_TOP"/patches/*.patch
git format-patch -q --cover-letter --cover-from-description=subject --base=base \
	--subject-prefix="PATCH RFC bpf-next" -o "$SKBX_TOP/patches" base..HEAD
log "exported $n patches from $branch to patches/"

if checkpatch_series; then
	log "checkpatch --strict: clean"
else
	warn "checkpatch --strict has findings (above)"
fi
