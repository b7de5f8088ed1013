#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the dev kernel: the series from patches/ on a fresh branch from
# `base`, tinyconfig + selftests/config, ccache in the cache dir.
#
#   BPF_SKB_EXT_TREE_AS_IS=1   build the kernel tree's current checkout instead of
#                       re-applying patches/ (for work on the series itself)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

"$BPF_SKB_EXT_TOP/scripts/setup.sh"
"$BPF_SKB_EXT_TOP/scripts/fetch-kernel.sh"
lock_kernel_tree
FRAGMENT="${BPF_SKB_EXT_FRAGMENT:-$BPF_SKB_EXT_TOP/selftests/config}"
FRAGMENTS=("$FRAGMENT")
# Fragments merged first whose symbols may be lost to unmet dependencies:
# the BPF selftests' own, written for a distribution-like base config. What
# they lose is listed, not fatal; the tests that need it fail and are named
# in selftests/upstream-tests.list.
LENIENT=()
case "$BPF_SKB_EXT_PROFILE" in
debug) FRAGMENTS+=("$BPF_SKB_EXT_TOP/selftests/config.debug") ;;
kasan) FRAGMENTS+=("$BPF_SKB_EXT_TOP/selftests/config.debug" "$BPF_SKB_EXT_TOP/selftests/config.kasan") ;;
kcsan) FRAGMENTS+=("$BPF_SKB_EXT_TOP/selftests/config.debug" "$BPF_SKB_EXT_TOP/selftests/config.kcsan") ;;
bench) FRAGMENTS+=("$BPF_SKB_EXT_TOP/selftests/config.bench") ;;
upstream)
	b="$KSRC/tools/testing/selftests/bpf"
	LENIENT=("$b/config.x86_64" "$b/config.vm" "$b/config")
	FRAGMENTS+=("$BPF_SKB_EXT_TOP/selftests/config.upstream") ;;
esac

if [ -z "${BPF_SKB_EXT_TREE_AS_IS:-}" ]; then
	"$BPF_SKB_EXT_TOP/scripts/apply-series.sh"
fi

mkdir -p "$KOUT"
# Regenerate .config only when the fragment changed: kconfig would otherwise
# be re-run for nothing, and a real change must rebuild what it touches.
stamp="$KOUT/.fragment.sha256"
# Also when the tree changes: the series adds Kconfig symbols.
want=$( (cat "${LENIENT[@]}" "${FRAGMENTS[@]}" "$BPF_SKB_EXT_TOP/scripts/build-kernel.sh"; git -C "$KSRC" rev-parse 'HEAD^{tree}') |
	sha256sum | cut -d' ' -f1)
if [ ! -f "$KOUT/.config" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
	log "configuring ($BPF_SKB_EXT_PROFILE): tinyconfig + ${LENIENT[*]#$KSRC/} ${FRAGMENTS[*]#$BPF_SKB_EXT_TOP/}"
	kmake -s tinyconfig >/dev/null
	(cd "$KSRC" && KCONFIG_CONFIG="$KOUT/.config" scripts/kconfig/merge_config.sh -m -O "$KOUT" \
		"$KOUT/.config" "${LENIENT[@]}" "${FRAGMENTS[@]}" >/dev/null)
	kmake -s olddefconfig
	echo "$want" >"$stamp"
	if [ ${#LENIENT[@]} -gt 0 ] && ! check_config_kept "$KOUT" "${LENIENT[@]}" "${FRAGMENTS[@]}" 2>"$KOUT/.config-lost"; then
		warn "$(wc -l <"$KOUT/.config-lost") symbols of ${LENIENT[*]#$KSRC/} did not keep their value (list: $KOUT/.config-lost)"
	fi
fi

# Every requested symbol must have kept its value.
if ! check_config_kept "$KOUT" "${FRAGMENTS[@]}"; then
	rm -f "$stamp"
	if ! grep -q '^CONFIG_RUST=y' "$KOUT/.config"; then
		kmake rustavailable >&2 || true
	fi
	die "the kernel config lost symbols requested by selftests/config (above)"
fi

log "building the kernel ($(nproc) jobs, ccache in $CCACHE_DIR)"
start=$(date +%s)
if ! build_with_progress "$KOUT" "$KOUT/build.log" kmake -s bzImage modules; then
	grep -v -e '^die__' -e '^tag__' "$KOUT/build.log" | tail -40 >&2
	die "kernel build failed (log: $KOUT/build.log)"
fi
kmake -s modules_prepare >/dev/null
log "kernel built in $(($(date +%s) - start)) s: $KOUT/arch/x86/boot/bzImage"
