#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make clean: the VM results and the out-of-tree module build, in the same
# cache the other scripts use (lib.sh picks it per user). The kernel tree,
# kernel builds, ccache and tools stay: they are what makes the next run
# fast. rm -rf "$SKBX_CACHE" starts from nothing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
rm -rf "$SKBX_CACHE/results" "$SKBX_CACHE/module"
log "removed $SKBX_CACHE/results and $SKBX_CACHE/module"
