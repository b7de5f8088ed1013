#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make kernel KDIR=path: build the user's own kernel tree (with the series
# applied, e.g. by 'make apply KDIR=path') out of tree, in
# $BPF_SKB_EXT_CACHE/build-user-<hash>: nothing is written into their checkout.
#
# The config starts from KCONFIG=file if given, else from the build dir's
# own .config (a rebuild), else from tinyconfig plus the debug profile;
# selftests/config is merged on top and every symbol it asks for must keep
# its value. The project's Rust toolchain (rust-src, bindgen, libclang) and
# ccache are used, as for the dev kernel.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ -n "${KDIR:-}" ] || die "usage: make kernel KDIR=path/to/your/kernel/tree [KCONFIG=config]"
# A kernel the user built themselves (a dir with vmlinux, in-tree or their
# own O=): nothing to build, only the series to check for.
if [ -f "$KDIR/vmlinux" ]; then
	"$BPF_SKB_EXT_TOP/scripts/setup.sh"
	grep -q '^CONFIG_BPF_SKB_EXT=y' "$KDIR/.config" 2>/dev/null ||
		die "$KDIR lacks the series: CONFIG_BPF_SKB_EXT is not set in its .config"
	log "using the kernel built in $KDIR"
	exit 0
fi
src=$(realpath "$KDIR")
[ -f "$src/Makefile" ] && [ -f "$src/Kconfig" ] || die "$KDIR is not a kernel source tree"
"$BPF_SKB_EXT_TOP/scripts/setup.sh"
out=$(user_build_dir "$src")
export BPF_SKB_EXT_KDIR=$out
grep -q 'BPF_SKB_EXT' "$src/net/Kconfig" 2>/dev/null ||
	die "$KDIR lacks the series (no BPF_SKB_EXT in net/Kconfig): run 'make apply KDIR=$KDIR' first"
# Out-of-tree builds need a clean source tree; never clean it for the user.
if [ -f "$src/.config" ] || [ -d "$src/include/config" ]; then
	die "$KDIR has an in-tree build (.config or include/config), so the kernel cannot build it out of tree.
  Keep your config and clean the tree:  cp $KDIR/.config ~/my.config && make -C $KDIR mrproper
  then:  make kernel KDIR=$KDIR KCONFIG=~/my.config
  (or build it in place yourself, with 'eval \"\$(make -s env)\"', and run 'make vm-test KDIR=$KDIR')"
fi
mkdir -p "$out"
umake() {
	rust_env
	PATH="/usr/lib/ccache:$PATH" make -C "$src" O="$out" -j"$(nproc)" "$@"
}
fragments=("$BPF_SKB_EXT_TOP/selftests/config")
if [ -n "${KCONFIG:-}" ]; then
	[ -f "$KCONFIG" ] || die "KCONFIG=$KCONFIG: no such file"
	log "configuring $out: $KCONFIG + selftests/config"
	cp "$KCONFIG" "$out/.config"
elif [ -f "$out/.config" ]; then
	log "configuring $out: its .config + selftests/config"
else
	log "configuring $out: tinyconfig + selftests/config + selftests/config.debug"
	umake -s tinyconfig >/dev/null
	fragments+=("$BPF_SKB_EXT_TOP/selftests/config.debug")
fi
(cd "$src" && KCONFIG_CONFIG="$out/.config" scripts/kconfig/merge_config.sh -m -O "$out" \
	"$out/.config" "${fragments[@]}" >/dev/null)
umake -s olddefconfig
if ! check_config_kept "$out" "${fragments[@]}"; then
	grep -q '^CONFIG_RUST=y' "$out/.config" || umake rustavailable >&2 || true
	die "the config lost symbols requested by selftests/config (above)"
fi

log "building $KDIR in $out ($(nproc) jobs, ccache in $CCACHE_DIR)"
start=$(date +%s)
if ! build_with_progress "$out" "$out/build.log" umake -s bzImage modules; then
	grep -v -e '^die__' -e '^tag__' "$out/build.log" | tail -40 >&2
	die "kernel build failed (log: $out/build.log)"
fi
umake -s modules_prepare >/dev/null
log "built in $(($(date +%s) - start)) s: $out/arch/x86/boot/bzImage"
log "now: make vm-test KDIR=$KDIR   (or make demo KDIR=$KDIR)"
git -C "$src" status --porcelain --ignored 2>/dev/null | grep -q . &&
	warn "$KDIR has files git does not track or ignores (git status --ignored): not from this build, which went to $out"
exit 0
