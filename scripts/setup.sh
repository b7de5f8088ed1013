#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what the project needs, idempotently, and say what was installed.
# Debian packages come from the machine's own mirror; the extra suites
# (bookworm-backports for qemu, trixie-backports for rust-src) are read
# through a private apt configuration, never through the system's sources.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# Debian packages from bookworm (and qemu from bookworm-backports).
DEBS=(build-essential bc bison flex libelf-dev libssl-dev zlib1g-dev pkg-config
	dwarves clang llvm ccache cpio kmod iproute2 udev python3-venv rsync git
	bpftool ethtool libcap-ng-dev libseccomp-dev linux-perf clang-19 llvm-19 lld-19
	python3-matplotlib wireguard-tools)
BACKPORT_DEBS=(qemu-system-x86)

missing=()
for p in "${DEBS[@]}" "${BACKPORT_DEBS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
qemu_ver=$(dpkg-query -W -f='${Version}' qemu-system-x86 2>/dev/null || true)
case "$qemu_ver" in 1:7.*|1:8.*|"") need_bpo_qemu=1 ;; *) need_bpo_qemu=0 ;; esac
rustc_ver=$(rustc --version 2>/dev/null | awk '{print $2}')
[ -n "$rustc_ver" ] || die "rustc not found: install a Rust toolchain (rustup) first"

need_root=0
[ ${#missing[@]} -eq 0 ] || need_root=1
if [ "$need_root" = 1 ] && [ "$(id -u)" != 0 ]; then
	echo "Not root. These Debian packages are needed (bookworm; qemu-system-x86 from bookworm-backports):"
	printf '  %s\n' "${missing[@]}"
	echo "Run 'sudo $0' or install them, then run make again."
	exit 1
fi

mkdir -p "$BPF_SKB_EXT_CACHE" "$PKGS" "$TOOLS"

if [ ${#missing[@]} -gt 0 ] || [ "$need_bpo_qemu" = 1 ]; then
	private_apt bookworm bookworm bookworm-updates bookworm-backports
	log "installing Debian packages: ${missing[*]:-} ${BACKPORT_DEBS[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get "${PRIVATE_APT_OPTS[@]}" -y -q install --no-install-recommends \
		$(printf '%s\n' "${missing[@]:-}" | grep -vx -e qemu-system-x86 -e '' || true) >&2
	apt-get "${PRIVATE_APT_OPTS[@]}" -y -q install --no-install-recommends \
		-t bookworm-backports "${BACKPORT_DEBS[@]}" >&2
	cp -n "$BPF_SKB_EXT_CACHE"/apt/bookworm/archives/*.deb "$PKGS"/ 2>/dev/null || true
fi

# rust-src of exactly the installed rustc's version (the kernel needs the
# core library sources; rustup's rust-src component is not available here).
if [ ! -f "$TOOLS/rust-src/.version" ] || [ "$(cat "$TOOLS/rust-src/.version")" != "$rustc_ver" ]; then
	private_apt trixie trixie trixie-backports sid
	versions=$(apt-cache "${PRIVATE_APT_OPTS[@]}" madison rust-src | awk -F'|' '{gsub(/ /,"",$2); print $2}')
	want=$(printf '%s\n' $versions | grep -E "^${rustc_ver//./\\.}\+" | head -n1 || true)
	[ -n "$want" ] || die "no Debian rust-src for rustc $rustc_ver; versions found: $(echo $versions)"
	log "fetching rust-src $want for rustc $rustc_ver"
	(cd "$PKGS" && ls rust-src_"${want//:/%3a}"_all.deb >/dev/null 2>&1 ||
		apt-get "${PRIVATE_APT_OPTS[@]}" -q download "rust-src=$want" >&2)
	rm -rf "$TOOLS/rust-src"
	dpkg -x "$PKGS"/rust-src_"${want//:/%3a}"_all.deb "$TOOLS/rust-src"
	echo "$rustc_ver" >"$TOOLS/rust-src/.version"
fi

# Python tools: libclang (>= 17, for bindgen) and virtme-ng, in a venv.
if [ ! -x "$TOOLS/venv/bin/vng" ] || ! ls -d "$TOOLS"/venv/lib/python3*/site-packages/clang/native >/dev/null 2>&1; then
	log "installing virtme-ng and libclang 18.1.1 into $TOOLS/venv"
	python3 -m venv "$TOOLS/venv"
	"$TOOLS/venv/bin/pip" -q install --disable-pip-version-check virtme-ng libclang==18.1.1 >&2
fi

# bindgen-cli (the kernel's Rust build runs it to generate bindings).
if [ ! -x "$TOOLS/cargo/bin/bindgen" ]; then
	log "installing bindgen-cli into $TOOLS/cargo"
	cargo install -q --locked --root "$TOOLS/cargo" bindgen-cli >&2
fi

# virtiofsd is faster than 9p for the VM's root; Debian only ships it for
# trixie (newer glibc), so build it from crates.io. Optional: vng falls back.
if [ ! -x "$TOOLS/cargo/bin/virtiofsd" ] && [ -z "${BPF_SKB_EXT_NO_VIRTIOFSD:-}" ]; then
	log "installing virtiofsd into $TOOLS/cargo (optional)"
	cargo install -q --locked --root "$TOOLS/cargo" virtiofsd >&2 ||
		warn "virtiofsd did not build; virtme-ng will use 9p"
fi

log "toolchain ready (cache: $BPF_SKB_EXT_CACHE)"
