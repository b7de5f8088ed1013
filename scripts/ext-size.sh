#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make ext-size: what the eighth skb extension costs everyone else. Builds
# net/core/skbuff.o of the base tree and of base + patches/ with Debian's
# own config for the base kernel (linux-config-<series>, amd64 flavour,
# `make olddefconfig`), and reports the object size of skbuff_ext_cache,
# which every skb extension (xfrm, MPTCP, tc chains, bridge netfilter, ...)
# is allocated from:
#   base                   Debian's config
#   series, default        the same config: CONFIG_BPF_SKB_EXT defaults to n
#   series, enabled        CONFIG_BPF_SKB_EXT=y, as a distribution would
#   series, enabled, N     the same with CONFIG_BPF_SKB_META_DATA_SIZE=N
# The size is read from the object code (the constant skb_extensions_init()
# passes to kmem_cache_create()), not computed here; the chunk sizes come
# from pahole. Output: $BPF_SKB_EXT_CACHE/results/ext-size/report.txt.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

"$BPF_SKB_EXT_TOP/scripts/setup.sh"
"$BPF_SKB_EXT_TOP/scripts/fetch-kernel.sh"
work="$BPF_SKB_EXT_CACHE/ext-size"
results="$BPF_SKB_EXT_CACHE/results/ext-size"
mkdir -p "$work" "$results"

# Debian's config for the base kernel, from the same archive as its source.
config="$work/config.amd64_none_amd64"
if [ ! -f "$config" ]; then
	pkg=linux-config-$BASE_SERIES
	private_apt trixie trixie trixie-backports
	version=$(apt-cache "${PRIVATE_APT_OPTS[@]}" madison "$pkg" |
		awk -F'|' '{gsub(/ /,"",$2); print $2}' | grep -Fx "$BASE_VERSION" || true)
	[ -n "$version" ] || version=$(apt-cache "${PRIVATE_APT_OPTS[@]}" madison "$pkg" |
		awk -F'|' '{gsub(/ /,"",$2); print $2; exit}')
	[ -n "$version" ] || die "$pkg is not offered by the mirror"
	[ "$version" = "$BASE_VERSION" ] || warn "$pkg $BASE_VERSION is gone: using $version"
	(cd "$PKGS" && apt-get "${PRIVATE_APT_OPTS[@]}" -q download "$pkg=$version" >&2)
	rm -rf "$work/deb"
	dpkg -x "$PKGS/${pkg}_${version//:/%3a}_amd64.deb" "$work/deb"
	xz -dc "$work"/deb/usr/src/"$pkg"/config.amd64_none_amd64.xz >"$config.tmp"
	mv "$config.tmp" "$config"
	echo "$pkg $version" >"$work/config.version"
fi

# Source trees: the base, and the base with patches/ applied.
tree() {
	local dir=$1
	git -C "$KSRC" worktree remove --force "$dir" >/dev/null 2>&1 || rm -rf "$dir"
	git -C "$KSRC" worktree prune
	git -C "$KSRC" worktree add -q --detach "$dir" base
}
tree "$work/src-base"
tree "$work/src-series"
KDIR="$work/src-series" "$BPF_SKB_EXT_TOP/scripts/apply-series.sh" >&2

# skbuff_ext_cache's object size, as built: skb_extensions_init() passes it
# to kmem_cache_create() as a constant (in %esi, the second argument).
object_size() {
	local hex
	hex=$(objdump -dr --no-show-raw-insn "$1" |
		awk '/<skb_extensions_init>:/{f=1; next} f && /^$/{exit}
		     f && /mov +\$0x[0-9a-f]+,%esi/{sub(/.*\$0x/, ""); sub(/,.*/, ""); v=$0}
		     f && /R_X86_64.*kmem_cache_create/{print v; exit}')
	[ -n "$hex" ] && echo $((16#$hex))
}

# build <name> <source tree> [scripts/config arguments...]
build() {
	local name=$1 src=$2 out="$work/build-$1"
	shift 2
	mkdir -p "$out"
	cp "$config" "$out/.config"
	# Nothing here needs Rust, signing keys or BTF, and Debian's trusted
	# keys live in its packaging, not in the tree.
	"$src/scripts/config" --file "$out/.config" -d RUST -d DEBUG_INFO_BTF \
		--set-str SYSTEM_TRUSTED_KEYS "" --set-str SYSTEM_REVOCATION_KEYS "" \
		--set-str MODULE_SIG_KEY "certs/signing_key.pem" "$@"
	log "building net/core/skbuff.o: $name"
	PATH="/usr/lib/ccache:$PATH" make -s -C "$src" O="$out" -j"$(nproc)" olddefconfig \
		>"$out/build.log" 2>&1 || { tail -20 "$out/build.log"; die "olddefconfig ($name)"; }
	PATH="/usr/lib/ccache:$PATH" make -s -C "$src" O="$out" -j"$(nproc)" net/core/skbuff.o \
		>>"$out/build.log" 2>&1 || { tail -20 "$out/build.log"; die "build ($name)"; }
}

build base "$work/src-base"
build series-default "$work/src-series"
build series-enabled "$work/src-series" -e BPF_SKB_EXT
build series-enabled-8 "$work/src-series" -e BPF_SKB_EXT --set-val BPF_SKB_META_DATA_SIZE 8

enabled_exts() {
	local c=$1/.config s
	for s in BRIDGE_NETFILTER XFRM NET_TC_SKB_EXT MPTCP MCTP_FLOWS INET_PSP CAN BPF_SKB_EXT; do
		grep -Eq "^CONFIG_$s=(y|m)" "$c" && printf '%s ' "$s"
	done
	return 0
}

{
	echo "skbuff_ext_cache object size, Debian $(cat "$work/config.version") config (amd64), make olddefconfig"
	echo "gcc: $(gcc -dumpfullversion), $(date -u +%F)"
	echo
	printf '%-22s %12s %10s  %s\n' build "object size" cacheline extensions
	for b in base series-default series-enabled series-enabled-8; do
		o="$work/build-$b/net/core/skbuff.o"
		size=$(object_size "$o")
		[ -n "$size" ] || die "no kmem_cache_create() size found in $o"
		# SLAB_HWCACHE_ALIGN: objects start on a cache line.
		printf '%-22s %10s B %8s B  %s\n' "$b" "$size" "$(((size + 63) / 64 * 64))" \
			"$(enabled_exts "$work/build-$b")"
	done
	echo
	echo "chunks (pahole, series-enabled):"
	for s in skb_ext sec_path tc_skb_ext mptcp_ext mctp_flow psp_skb_ext can_skb_ext \
		 nf_bridge_info bpf_skb_ext; do
		sz=$(pahole -C "$s" "$work/build-series-enabled/net/core/skbuff.o" 2>/dev/null |
			awk '/size:/{sub(/.*size: /, ""); sub(/,.*/, ""); print; exit}')
		[ -n "$sz" ] && printf '  struct %-18s %4s B\n' "$s" "$sz"
	done
} | tee "$results/report.txt"
