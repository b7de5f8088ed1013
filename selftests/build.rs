// SPDX-License-Identifier: GPL-2.0
//! Compiles the BPF programs and generates their libbpf-rs skeletons: one object per test
//! area (`tests/vm/<area>.bpf.c`, each on `src/bpf/common.bpf.h`) and the benchmark's.
//!
//! `vmlinux.h` must come from the BTF of the kernel under test, so that new
//! UAPI (BPF_DYNPTR_SKB_EXT_F) is visible: the Makefile dumps it with bpftool
//! and passes its directory in `BPF_SKB_EXT_VMLINUX_DIR`.
use std::{env, path::PathBuf};

use libbpf_cargo::SkeletonBuilder;

const SOURCES: [(&str, &str); 5] = [
    ("tests/vm/kfunc.bpf.c", "kfunc.skel.rs"),
    ("tests/vm/hooks.bpf.c", "hooks.skel.rs"),
    ("tests/vm/lifetime.bpf.c", "lifetime.skel.rs"),
    ("tests/vm/provider.bpf.c", "provider.skel.rs"),
    ("src/bpf/bench.bpf.c", "bench.skel.rs"),
];

fn main() {
    let vmlinux_dir = env::var("BPF_SKB_EXT_VMLINUX_DIR").unwrap_or_else(|_| {
        panic!(
            "BPF_SKB_EXT_VMLINUX_DIR is not set: build through `make selftests`, which dumps \
             vmlinux.h from the kernel under test"
        )
    });
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR must be set by cargo"));
    // Debian 12's clang-19 (scripts/setup.sh installs it): clang 14 emits no BTF type tags,
    // so a `__kptr` map field (the crypto context) would be a plain integer to the verifier.
    let clang = env::var("BPF_SKB_EXT_CLANG").unwrap_or_else(|_| {
        if std::path::Path::new("/usr/bin/clang-19").exists() {
            "clang-19".into()
        } else {
            "clang".into()
        }
    });
    for (src, skel) in SOURCES {
        SkeletonBuilder::new()
            .source(src)
            .clang(&clang)
            .clang_args([
                "-I",
                &vmlinux_dir,
                // The headers every object shares (common.bpf.h, bpf_skb_ext.h, ...).
                "-I",
                "src/bpf",
                "-Wall",
                "-O2",
                "-mcpu=v3",
            ])
            .build_and_generate(out_dir.join(skel))
            .unwrap_or_else(|e| panic!("building {src} failed: {e}"));
        println!("cargo:rerun-if-changed={src}");
    }
    for header in ["common.bpf.h", "bpf_skb_ext.h", "tag.bpf.h", "kfuncs.h"] {
        println!("cargo:rerun-if-changed=src/bpf/{header}");
    }
    println!("cargo:rerun-if-env-changed=BPF_SKB_EXT_VMLINUX_DIR");
    println!("cargo:rerun-if-env-changed=BPF_SKB_EXT_CLANG");
    println!("cargo:rerun-if-changed={vmlinux_dir}/vmlinux.h");
}
