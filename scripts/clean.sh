#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make clean: the VM results and the out-of-tree module build, in the same
# cache the other scripts use (lib.sh picks it per user). The kernel tree,
# kernel builds, ccache and tools stay: they are what makes the next run
# fast. rm -rf "$BPF_SKB_EXT_CACHE" starts from nothing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
rm -rf "$BPF_SKB_EXT_CACHE/results" "$BPF_SKB_EXT_CACHE/module"
log "removed $BPF_SKB_EXT_CACHE/results and $BPF_SKB_EXT_CACHE/module"
