#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make -s env: print the exports that point a kernel build run by hand at
# the project's Rust toolchain (rust-src, bindgen, libclang) and ccache:
#
#   eval "$(make -s env)"
#   make -C ~/src/bpf-next O=~/build/bpf-next rustavailable
set -euo pipefail
. "$(dirname "$0")/lib.sh"

"$BPF_SKB_EXT_TOP/scripts/setup.sh" >&2
rust_env
q() { printf '%q' "$1"; }
echo "export RUST_LIB_SRC=$(q "$RUST_LIB_SRC")"
echo "export LIBCLANG_PATH=$(q "$LIBCLANG_PATH")"
echo "export CCACHE_DIR=$(q "$CCACHE_DIR")"
# bindgen and virtme-ng first; ccache's compiler masquerade for gcc.
echo "export PATH=$(q "/usr/lib/ccache:$TOOLS/cargo/bin:$TOOLS/venv/bin:$HOME/.cargo/bin"):\$PATH"
