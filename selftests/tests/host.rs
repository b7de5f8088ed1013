// SPDX-License-Identifier: GPL-2.0
//! Checks that run on the host (`cargo test`, `make check`): they need neither root, the
//! patched kernel nor the VM, and are not counted among the VM tests (`tests/vm/`).

use skb_meta_selftests::{hook_stats, write_mode, TAG_MAGIC, TAG_SIZE};

/// The Rust constants agree with the header the BPF programs are built from: the skeleton's
/// struct sizes the tag from it, and the defines must match.
#[test]
fn tag_layout_matches_bpf_header() {
    let r: hook_stats = Default::default();
    assert_eq!(r.last_tag.len(), TAG_SIZE);
    let header = include_str!("../src/bpf/skb_meta.h");
    assert!(
        header.contains(&format!("#define TAG_SIZE {TAG_SIZE}\n")),
        "TAG_SIZE differs from src/bpf/skb_meta.h"
    );
    assert!(
        header.contains(&format!("#define TAG_MAGIC {TAG_MAGIC:#x}u\n")),
        "TAG_MAGIC differs from src/bpf/skb_meta.h"
    );
    for (name, value) in [
        ("WRITE_DYNPTR", write_mode::DYNPTR),
        ("WRITE_SLICE", write_mode::SLICE),
        ("WRITE_MEMSET", write_mode::MEMSET),
    ] {
        assert!(
            header.contains(&format!("#define {name} {value}\t")),
            "{name} differs from src/bpf/skb_meta.h"
        );
    }
}
