# SPDX-License-Identifier: GPL-2.0
#
# Entry points. Every target installs what it needs (scripts/setup.sh) and
# keeps the kernel tree, build output and caches in $(BPF_SKB_EXT_CACHE)
# (/var/cache/bpf-skb-ext for root), outside the work tree.

S := scripts
.PHONY: all setup env kernel module selftests upstream-selftests vm-test upstream-tests demo bench series apply check \
	prefix-builds check-compiled-out mutate ext-size vm-test-kasan vm-test-kcsan clean help

# The default: make vm-test.
all: vm-test

# Install what every target needs (Debian packages, rust-src, bindgen, virtme-ng); idempotent.
setup:
	@$(S)/setup.sh

# The build order is in the prerequisites below: the kernel, then the provider
# and the suite against it, then what runs them. BPF_SKB_EXT_PROFILE picks the kernel
# (debug); a target that needs another sets it for its prerequisites too (so
# one such target per make command).

# The dev kernel: patches/ on a fresh branch from `base`, tinyconfig + selftests/config.
# KDIR=your/tree: that tree, out of tree in the cache (KCONFIG=file to start from).
kernel:
	@$(if $(KDIR),KDIR=$(KDIR) KCONFIG=$(KCONFIG) $(S)/build-user-kernel.sh,$(S)/build-kernel.sh)

# The exports for kernel builds run by hand: eval "$$(make -s env)"
env:
	@$(S)/env.sh

# The Rust hook provider (rust/), against the dev kernel or KDIR=.
module: kernel
	@$(if $(KDIR),KDIR=$(KDIR)) $(S)/build-module.sh $(if $(CLIPPY),CLIPPY=1)

# The libbpf-rs suite, with vmlinux.h from the kernel under test.
selftests: kernel
	@$(if $(KDIR),KDIR=$(KDIR)) $(S)/build-selftests.sh >/dev/null

# test_progs and its BPF objects (clang 19), from the tree of the upstream profile's kernel.
upstream-selftests: kernel
	@$(S)/build-upstream-tests.sh

# Build all, boot the VM, run the suite: prints "N passed, N failed".
vm-test: module selftests
	@KDIR=$(KDIR) $(S)/vm-test.sh

# The whole suite on a KASAN kernel built with clang 19 (BPF_SKB_EXT_PROFILE=kasan):
# 15-30 minutes under TCG, so not part of vm-test.
vm-test-kasan: module selftests
	@$(S)/vm-test-kasan.sh
vm-test-kasan: export BPF_SKB_EXT_PROFILE = kasan

# The tests that race (two CPUs, reloads under traffic, counters) on a KCSAN
# kernel built with clang 19 (BPF_SKB_EXT_PROFILE=kcsan); not part of vm-test.
vm-test-kcsan: module selftests
	@$(S)/vm-test-kcsan.sh
vm-test-kcsan: export BPF_SKB_EXT_PROFILE = kcsan

# Mutation run: one-line mutants (selftests/mutants) of the series and the
# module, each against the tests it names; killed/survived per mutant (it
# rebuilds the kernel, module and suite per mutant itself).
mutate: module selftests
	@$(S)/mutate.sh

# The kernel's own BPF selftests (test_progs, clang-19) on the dev kernel:
# the series' tests and those of the code it touches (selftests/upstream-tests.list).
upstream-tests: upstream-selftests
	@$(S)/upstream-tests.sh
upstream-tests: export BPF_SKB_EXT_PROFILE = upstream

# Build all, boot the VM, tag packets at tc ingress, read them at cgroup ingress.
demo: module selftests
	@KDIR=$(KDIR) $(S)/demo.sh

# Extension vs map side-stash benchmark: results, table and chart in bench/.
bench: module selftests
	@$(S)/bench.sh
bench: export BPF_SKB_EXT_PROFILE = bench

# Export the kernel tree's commits over `base` into patches/ (+ checkpatch --strict).
series:
	@$(S)/export-series.sh

# git am the series onto your own tree: make apply KDIR=~/src/bpf-next
apply:
	@test -n "$(KDIR)" || { echo "usage: make apply KDIR=path/to/kernel/tree"; exit 2; }
	@KDIR=$(KDIR) $(S)/apply-series.sh

# Style and static checks: checkpatch --strict, rustfmt, clippy, the host-side tests.
check:
	@$(S)/check.sh

# Build each prefix of the series (every patch must build on its own).
prefix-builds: kernel
	@$(S)/prefix-builds.sh

# The series with CONFIG_BPF_SKB_EXT=n: builds, and its BTF lacks the flag enum.
check-compiled-out: kernel
	@$(S)/check-compiled-out.sh

# What the extension adds to every skb extension object: skbuff_ext_cache's
# object size with Debian's config for the base kernel, with and without it.
ext-size:
	@$(S)/ext-size.sh

# Remove the VM results and the module build (the kernel builds stay).
clean:
	@$(S)/clean.sh

# Every target and environment knob, with its default.
help:
	@$(S)/help.sh
