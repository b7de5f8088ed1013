// SPDX-License-Identifier: GPL-2.0
//! Checks that run on the host (`cargo test`, `make check`): they need neither root, the
//! patched kernel nor the VM, and are not counted among the VM tests (`tests/vm/`).

use std::{collections::BTreeSet, mem::MaybeUninit};

use bpf_skb_ext_selftests::{hooks, kfunc, lifetime, provider, write_mode, TAG_MAGIC, TAG_SIZE};
use libbpf_rs::skel::{OpenSkel, SkelBuilder};

/// The Rust constants agree with the header the BPF programs are built from: every area's
/// skeleton sizes the tag from it, and the defines must match.
#[test]
fn tag_layout_matches_bpf_header() {
    for (area, len) in [
        ("kfunc", kfunc::types::hook_stats::default().last_tag.len()),
        ("hooks", hooks::types::hook_stats::default().last_tag.len()),
        (
            "lifetime",
            lifetime::types::hook_stats::default().last_tag.len(),
        ),
        (
            "provider",
            provider::types::hook_stats::default().last_tag.len(),
        ),
    ] {
        assert_eq!(len, TAG_SIZE, "tag size in the {area} skeleton");
    }
    let header = include_str!("../src/bpf/bpf_skb_ext.h");
    assert!(
        header.contains(&format!("#define TAG_SIZE {TAG_SIZE}\n")),
        "TAG_SIZE differs from src/bpf/bpf_skb_ext.h"
    );
    assert!(
        header.contains(&format!("#define TAG_MAGIC {TAG_MAGIC:#x}u\n")),
        "TAG_MAGIC differs from src/bpf/bpf_skb_ext.h"
    );
    for (name, value) in [
        ("WRITE_DYNPTR", write_mode::DYNPTR),
        ("WRITE_SLICE", write_mode::SLICE),
        ("WRITE_MEMSET", write_mode::MEMSET),
    ] {
        assert!(
            header.contains(&format!("#define {name} {value}\t")),
            "{name} differs from src/bpf/bpf_skb_ext.h"
        );
    }
}

/// The names of the programs in a skeleton's object, read by opening it (no load: no root,
/// no kernel).
fn programs<B: for<'obj> SkelBuilder<'obj>>(builder: B) -> BTreeSet<String> {
    let mut obj = MaybeUninit::uninit();
    let open = builder.open(&mut obj).expect("open the skeleton");
    open.open_object()
        .progs()
        .map(|p| p.name().to_string_lossy().into_owned())
        .collect()
}

/// The string literals of Rust source that look like program names (`"tc_write"`). Escaped
/// quotes never start one.
fn name_literals(src: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = src;
    while let Some(at) = rest.find('"') {
        let after = &rest[at + 1..];
        let len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        let escaped = rest[..at].ends_with('\\');
        if len > 0 && after[len..].starts_with('"') && !escaped {
            names.push(&after[..len]);
            rest = &after[len + 1..];
        } else {
            rest = after;
        }
    }
    names
}

/// Every `load_skel!(area, storage, port, [names])` of `src` outside comments: the area and
/// the names, or what could not be read.
fn load_skel_calls(src: &str) -> Vec<Result<(&str, Vec<&str>), String>> {
    let mut calls = Vec::new();
    for (at, _) in src.match_indices("load_skel!(") {
        let line = &src[src[..at].rfind('\n').map_or(0, |n| n + 1)..at];
        if line.contains("//") {
            continue;
        }
        let args = &src[at + "load_skel!(".len()..];
        let (Some(open), Some(close)) = (args.find('['), args.find(']')) else {
            calls.push(Err(format!("no program list after {line}load_skel!(")));
            continue;
        };
        let area = args[..open].split(',').next().unwrap_or("").trim();
        calls.push(Ok((area, name_literals(&args[open..close]))));
    }
    calls
}

/// A test loads the skeleton of its own area, and every program it names (to `load_skel!`, or
/// to the verifier checks that load one program each) is in that area's object: a name that
/// lives only in another area's object, or nowhere, fails here rather than in the VM.
#[test]
fn tests_name_programs_of_their_own_area() {
    let objects = [
        ("kfunc", programs(kfunc::Builder::default())),
        ("hooks", programs(hooks::Builder::default())),
        ("lifetime", programs(lifetime::Builder::default())),
        ("provider", programs(provider::Builder::default())),
    ];
    let object = |area: &str| {
        objects
            .iter()
            .find(|(a, _)| *a == area)
            .map(|(_, progs)| progs)
    };
    let everywhere: BTreeSet<&String> = objects.iter().flat_map(|(_, p)| p).collect();
    // The area of each file, if it has one (the demo loads the hooks skeleton).
    let sources = [
        (
            "tests/vm/kfunc.rs",
            Some("kfunc"),
            include_str!("vm/kfunc.rs"),
        ),
        (
            "tests/vm/hooks.rs",
            Some("hooks"),
            include_str!("vm/hooks.rs"),
        ),
        (
            "tests/vm/lifetime.rs",
            Some("lifetime"),
            include_str!("vm/lifetime.rs"),
        ),
        (
            "tests/vm/provider.rs",
            Some("provider"),
            include_str!("vm/provider.rs"),
        ),
        ("tests/vm/main.rs", None, include_str!("vm/main.rs")),
        ("src/bin/demo.rs", None, include_str!("../src/bin/demo.rs")),
    ];
    let mut wrong = Vec::new();
    let mut named = 0;
    for (file, own, src) in sources {
        for call in load_skel_calls(src) {
            let (area, names) = match call {
                Ok(call) => call,
                Err(e) => {
                    wrong.push(format!("{file}: {e}"));
                    continue;
                }
            };
            if own.is_some_and(|own| own != area) {
                wrong.push(format!(
                    "{file}: loads the {area} skeleton, not its own area's"
                ));
            }
            let Some(progs) = object(area) else {
                wrong.push(format!("{file}: load_skel! of an unknown area {area:?}"));
                continue;
            };
            for name in names {
                named += 1;
                if !progs.contains(name) {
                    wrong.push(format!(
                        "{file}: {name} is not a program of the {area} object"
                    ));
                }
            }
        }
        // Names handed to the loader otherwise (hooks.rs loads one program at a time to see the
        // verifier refuse it): a literal passed to `expect_rejected*()` must name a program of
        // the file's own object, and so must any literal that names a program of some object
        // (the lists those calls go through).
        let Some(own) = own else { continue };
        let progs = object(own).expect("an area of the table");
        for call in ["expect_rejected(", "expect_rejected_with("] {
            for (at, _) in src.match_indices(call) {
                let arg = src[at + call.len()..].trim_start();
                let Some(name) = arg.strip_prefix('"').and_then(|a| a.split('"').next()) else {
                    continue;
                };
                named += 1;
                if !progs.contains(name) {
                    wrong.push(format!(
                        "{file}: {name} is not a program of the {own} object"
                    ));
                }
            }
        }
        for name in name_literals(src) {
            if everywhere.contains(&name.to_string()) && !progs.contains(name) {
                wrong.push(format!(
                    "{file}: {name:?} is a program of another area's object, not of {own}"
                ));
            }
        }
    }
    assert!(named > 0, "no load_skel! call found");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
