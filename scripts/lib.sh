# SPDX-License-Identifier: GPL-2.0
# Shared settings for the project's scripts. Source it; do not run it.

# Everything big (kernel tree, build output, ccache, downloaded packages,
# Python venv, cargo target dirs) lives here, outside the work tree, so that a
# fresh clone reuses it and `git clean` never throws away a kernel build.
if [ -z "${BPF_SKB_EXT_CACHE:-}" ]; then
	if [ "$(id -u)" = 0 ]; then
		BPF_SKB_EXT_CACHE=/var/cache/bpf-skb-ext
	else
		BPF_SKB_EXT_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/bpf-skb-ext"
	fi
fi
export BPF_SKB_EXT_CACHE

BPF_SKB_EXT_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# rustup's toolchain, also when the caller's PATH lacks it (CI, sudo).
[ -d "$HOME/.cargo/bin" ] && case ":$PATH:" in *":$HOME/.cargo/bin:"*) ;; *) PATH="$HOME/.cargo/bin:$PATH" ;; esac
export PATH
export BPF_SKB_EXT_TOP

# The pinned base kernel: Debian's linux-source package.
BASE_PKG=linux-source-7.3
BASE_VERSION=7.3.4-1~bpo13+1
BASE_SHA256=703e369ddd4cce971452f5a593ee55df3a5c10c83caf0fa0df039633ed181ee3
BASE_SERIES=7.3

KSRC="$BPF_SKB_EXT_CACHE/linux"		# git tree: tag `base` + the series
# Kernel profiles: "debug" (tests, demo: selftests/config + config.debug),
# "bench" (selftests/config + config.bench: tracing for the map-based
# variants, no debug options) and "upstream" (the kernel's own BPF
# selftests: their config fragments under selftests/config), each with its
# own build output. "kasan" is the debug profile plus KASAN, built with
# clang 19 (BPF_SKB_EXT_LLVM): with CONFIG_RUST, KASAN needs a clang-built kernel.
BPF_SKB_EXT_PROFILE=${BPF_SKB_EXT_PROFILE:-debug}
BPF_SKB_EXT_LLVM=
case "$BPF_SKB_EXT_PROFILE" in
debug) KOUT="$BPF_SKB_EXT_CACHE/build" ;;
kasan) KOUT="$BPF_SKB_EXT_CACHE/build-kasan"; BPF_SKB_EXT_LLVM=-19 ;;
kcsan) KOUT="$BPF_SKB_EXT_CACHE/build-kcsan"; BPF_SKB_EXT_LLVM=-19 ;;
bench) KOUT="$BPF_SKB_EXT_CACHE/build-bench" ;;
upstream) KOUT="$BPF_SKB_EXT_CACHE/build-upstream" ;;
*) echo "unknown BPF_SKB_EXT_PROFILE $BPF_SKB_EXT_PROFILE" >&2; exit 1 ;;
esac
# Where a VM run of the suite keeps what it runs and its logs: one dir per
# profile (results/vm-test for debug, results/vm-test-kasan...), so that
# runs of different profiles can share the host; make mutate uses its own.
if [ "$BPF_SKB_EXT_PROFILE" = debug ]; then
	VM_RESULTS=$BPF_SKB_EXT_CACHE/results/vm-test
else
	VM_RESULTS=$BPF_SKB_EXT_CACHE/results/vm-test-$BPF_SKB_EXT_PROFILE
fi
VM_RESULTS=${BPF_SKB_EXT_VM_RESULTS:-$VM_RESULTS}
# KDIR= names the user's own kernel: a source tree (make apply; make kernel
# builds it out of tree into $BPF_SKB_EXT_CACHE/build-user-<hash>, never into the
# checkout) or a kernel they built themselves (a dir with vmlinux, in-tree
# or their own O=). The VM targets run on whichever of the two has a
# vmlinux; BPF_SKB_EXT_KDIR is the build dir they use.
user_build_dir() {	# $1 = KDIR; prints the out-of-tree build dir for it
	echo "$BPF_SKB_EXT_CACHE/build-user-$(realpath -m "$1" | sha256sum | cut -c1-12)"
}
if [ -n "${KDIR:-}" ] && [ -z "${BPF_SKB_EXT_KDIR:-}" ]; then
	if [ -f "$KDIR/vmlinux" ]; then
		export BPF_SKB_EXT_KDIR=$KDIR
	else
		BPF_SKB_EXT_KDIR=$(user_build_dir "$KDIR")
		export BPF_SKB_EXT_KDIR
	fi
fi
PKGS="$BPF_SKB_EXT_CACHE/debs"		# every .deb we ever downloaded
TOOLS="$BPF_SKB_EXT_CACHE/tools"		# rust-src, venv, bindgen, extracted debs
export CCACHE_DIR="$BPF_SKB_EXT_CACHE/ccache"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
warn() { printf '\033[1;33mWARNING: %s\033[0m\n' "$*" >&2; }
die() { printf '\033[1;31mERROR: %s\033[0m\n' "$*" >&2; exit 1; }

# One line in the run log of bench/RESULTS.md for a measuring target: when,
# on what (CPU model, cores, this project's commit, the kernel profile), and
# its verdict. $1 = what ran, $2 = what it said. The page is for results;
# the line is there to be kept (committed) or dropped with the rest of a run.
# BPF_SKB_EXT_NO_RECORD=1: no line (the runs inside make mutate, which records its own).
record_result() {
	local page="$BPF_SKB_EXT_TOP/bench/RESULTS.md" commit cpu
	[ -f "$page" ] && [ -z "${BPF_SKB_EXT_NO_RECORD:-}" ] || return 0
	commit=$(git -C "$BPF_SKB_EXT_TOP" rev-parse --short HEAD 2>/dev/null || echo unknown)
	git -C "$BPF_SKB_EXT_TOP" diff --quiet HEAD -- . ":!bench/RESULTS.md" 2>/dev/null || commit="$commit+changes"
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
	printf -- '- %s UTC, %s x %s, %s, profile %s: `%s`: %s\n' "$(date -u '+%Y-%m-%d %H:%M')" \
		"$(nproc)" "${cpu:-unknown CPU}" "$commit" "$BPF_SKB_EXT_PROFILE" "$1" "$2" >>"$page"
}

# One user of the shared kernel tree at a time: build-kernel.sh re-applies
# the series there and `make mutate` edits it between builds, so two make
# targets run side by side would build each other's tree. The lock is held
# until the script that took it exits; the scripts it runs see
# BPF_SKB_EXT_TREE_LOCKED and do not take it again.
lock_kernel_tree() {
	[ -z "${BPF_SKB_EXT_TREE_LOCKED:-}" ] || return 0
	mkdir -p "$BPF_SKB_EXT_CACHE"
	exec {BPF_SKB_EXT_TREE_LOCK_FD}>"$BPF_SKB_EXT_CACHE/kernel-tree.lock"
	if ! flock -n "$BPF_SKB_EXT_TREE_LOCK_FD"; then
		log "waiting for another build using $KSRC to finish"
		flock "$BPF_SKB_EXT_TREE_LOCK_FD"
	fi
	export BPF_SKB_EXT_TREE_LOCKED=1
}

# The Debian mirror this machine already uses (never hard-code a host).
debian_mirror() {
	local url
	url=$( (grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null |
		awk '{print $2}'; grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		sed 's/\[[^]]*\]//' | awk '{print $2}') | grep -E '/debian/?$' | head -n1)
	[ -n "$url" ] || die "no Debian mirror found in /etc/apt; cannot fetch packages"
	echo "${url%/}"
}

# Private apt configuration: a sources list and lists dir of our own, so that
# the system's apt sources are never touched. $1 = name, rest = suites.
PRIVATE_APT_OPTS=()
private_apt() {
	local name=$1; shift
	local dir="$BPF_SKB_EXT_CACHE/apt/$name" mirror suite
	mirror=$(debian_mirror)
	mkdir -p "$dir/lists/partial" "$dir/archives/partial"
	: >"$dir/sources.list"
	for suite in "$@"; do
		echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main" >>"$dir/sources.list"
	done
	PRIVATE_APT_OPTS=(-o "Dir::Etc::SourceList=$dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::Lists=$dir/lists" -o "Dir::Cache::Archives=$dir/archives"
		-o APT::Get::List-Cleanup=0)
	# Refresh at most once a day.
	if [ -z "$(find "$dir/lists" -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -n1)" ]; then
		apt-get "${PRIVATE_APT_OPTS[@]}" -qq update >&2 || die "apt-get update ($name) failed"
	fi
}

# Environment for building Rust-for-Linux code against our kernel.
rust_env() {
	export RUST_LIB_SRC="$TOOLS/rust-src/usr/lib/rustlib/src/rust/library"
	export LIBCLANG_PATH
	LIBCLANG_PATH=$(ls -d "$TOOLS"/venv/lib/python3*/site-packages/clang/native 2>/dev/null | head -n1)
	export PATH="$TOOLS/cargo/bin:$TOOLS/venv/bin:$PATH"
}

# Make arguments for the kernel build.
kmake() {
	rust_env
	# ccache through its masquerade dir: CC="ccache gcc" would leak into
	# rustc's -Clinker for host programs and break the Rust build.
	PATH="$(ccache_dir):$PATH" make -C "$KSRC" O="$KOUT" -j"$(nproc)" \
		${BPF_SKB_EXT_LLVM:+LLVM=$BPF_SKB_EXT_LLVM} "$@"
}

# The ccache masquerade dir for the profile's compiler. Debian's ccache
# links gcc and the default clang only; clang-19 gets a dir of its own.
ccache_dir() {
	if [ -z "$BPF_SKB_EXT_LLVM" ]; then
		echo /usr/lib/ccache
		return
	fi
	local d="$TOOLS/ccache-llvm$BPF_SKB_EXT_LLVM"
	if [ ! -x "$d/clang$BPF_SKB_EXT_LLVM" ]; then
		mkdir -p "$d"
		ln -sf /usr/bin/ccache "$d/clang$BPF_SKB_EXT_LLVM"
	fi
	echo "$d"
}

# checkpatch --strict on every patch of patches/ (not the cover letter).
# Prints the findings; returns non-zero if there are any.
checkpatch_series() {
	local p out bad=0
	for p in "$BPF_SKB_EXT_TOP"/patches/[0-9]*.patch; do
		case "$p" in */0000-*) continue ;; esac
		# The base is a source import without history, so a Fixes: tag's
		# commit id cannot be looked up here (UNKNOWN_COMMIT_ID).
		out=$(perl "$KSRC/scripts/checkpatch.pl" --strict --no-tree -q \
			--ignore UNKNOWN_COMMIT_ID "$p" 2>&1 || true)
		[ -z "$out" ] || { echo "== $(basename "$p")"; echo "$out"; bad=1; }
	done
	return $bad
}

# One source for the provider (scripts/one-source.py): patches/ and Kconfig
# are what `make series` made of rust/rust_bpf_skb_ext.rs and the series.
provider_one_source() {
	python3 "$BPF_SKB_EXT_TOP/scripts/one-source.py" check "$BPF_SKB_EXT_TOP"
}

# Every CONFIG_ line of the fragments $2... must have kept its value in the
# .config of build dir $1 (olddefconfig silently drops what an unmet
# dependency forbids, e.g. RUST without a toolchain); a later fragment's
# value overrides an earlier one's, as in merge_config.sh. Prints what was
# lost.
check_config_kept() {
	local out=$1 line sym val got bad=0
	local -A want=()
	local -a order=()
	shift
	while IFS= read -r line; do
		case "$line" in CONFIG_*=*) ;; *) continue ;; esac
		sym=${line%%=*}
		[ -n "${want[$sym]+set}" ] || order+=("$sym")
		want[$sym]=${line#*=}
	done < <(cat "$@")
	for sym in "${order[@]}"; do
		val=${want[$sym]}
		if [ "$val" = n ]; then
			grep -qx "# $sym is not set" "$out/.config" || ! grep -q "^$sym=" "$out/.config" ||
				{ echo "  $sym: wanted n, got $(grep "^$sym=" "$out/.config")" >&2; bad=1; }
		else
			got=$(grep "^$sym=" "$out/.config" || echo "$sym unset")
			[ "$got" = "$sym=$val" ] || { echo "  $sym: wanted $val, got ${got#*=}" >&2; bad=1; }
		fi
	done
	return $bad
}

# Run a long build command (its output to LOG) and say how far it got, once a
# minute: objects built so far out of the previous build's count in OUT (a
# cold build of the dev kernel is ~15 minutes of silence otherwise).
#   build_with_progress OUT LOG COMMAND...
build_with_progress() {
	local out=$1 logf=$2 start pid total n
	shift 2
	start=$(date +%s)
	total=$(cat "$out/.objects-built" 2>/dev/null || true)
	touch "$out/.build-start"
	"$@" >"$logf" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		sleep 60
		kill -0 "$pid" 2>/dev/null || break
		n=$(find "$out" -name '*.o' -newer "$out/.build-start" 2>/dev/null | wc -l)
		log "  $(($(date +%s) - start)) s: $n objects (re)built${total:+ of about $total in a full build}"
	done
	wait "$pid" || return 1
	find "$out" -name '*.o' | wc -l >"$out/.objects-built"
}
