// SPDX-License-Identifier: GPL-2.0
//! The contract of `bpf_dynptr_from_skb_meta(BPF_DYNPTR_SKB_EXT_F)`, tested with real devices
//! and real traffic inside the VM (`make vm-test`).
//!
//! Every test needs root, the patched kernel and the hook provider module, so they are
//! `#[ignore]`d for a host `cargo test`; the VM runs them with `--include-ignored`, one at a
//! time (`--test-threads=1`): they share the module and its counters.
//!
//! One file per table of the contract (`SPEC.md`), as the kernel's BPF selftests have one
//! prog_tests file per area: `kfunc.rs` (Kfunc behaviour), `hooks.rs` (Hooks, and the
//! extension as plain memory), `lifetime.rs` (Lifetime), `provider.rs` (the Rust hook
//! provider). Helpers used by more than one area live here. Each file's BPF programs are
//! beside it (`kfunc.bpf.c`, `hooks.bpf.c`, `lifetime.bpf.c`, `provider.bpf.c`), each built
//! into an object and a skeleton of its own on `src/bpf/common.bpf.h`, which holds the helpers,
//! results and programs the areas share. A test loads its own area's skeleton, and only the
//! programs it names (`load_skel!(area, ...)`); `tests/host.rs` checks that each name is a
//! program of that object. Host-only checks are in `tests/host.rs`, not counted here.

use std::{
    fs,
    mem::MaybeUninit,
    os::{
        fd::{AsFd, AsRawFd},
        unix::fs::PermissionsExt,
    },
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use anyhow::{bail, ensure, Context, Result};
use bpf_skb_ext_selftests::{
    check_eq, check_identity, config, errno::*, kunit, load_skel, module, mptcp_flow,
    next_datagram_id, pin_to_cpu, results, sh, tcp_flow, udp_flow, udp_recv, udp_rx, udp_send,
    write_mode, AreaSkel, CommonBss, Failslab, Netns, Pair, Pinned, ADDR6_B, ADDR_A, ADDR_B,
    TAG_SIZE, VETH_A, VETH_B,
};
use libbpf_rs::{skel::OpenSkel, skel::SkelBuilder, PrintLevel};

mod hooks;
mod kfunc;
mod lifetime;
mod provider;

/// Fresh module instance, default policy: counters start at zero.
fn fresh_module() -> Result<()> {
    module::reload("")
}

/// A third netns `c` behind veth_c0 (in `a`) / veth_c1 (in `c`): tc_clone_write on a's egress
/// tags, clones to veth_c0 and rewrites the original; tc_read reads originals in `b`,
/// tc_read2 the clones in `c`.
/// The skeleton may be any area's: all have these programs (`src/bpf/common.bpf.h`).
fn clone_setup<'obj>(p: &Pair, skel: &mut impl AreaSkel<'obj>, tag: &str) -> Result<Netns> {
    let c = Netns::new(tag)?;
    sh(&format!(
        "ip link add veth_c0 netns {} type veth peer name veth_c1 netns {}",
        p.a.name, c.name
    ))?;
    p.a.ip("link set veth_c0 up")?;
    c.ip("link set veth_c1 up")?;
    *config(skel).cfg_clone_ifindex() = p.a.ifindex("veth_c0")?;
    let progs = skel.common_progs();
    p.a.attach_tc(VETH_A, progs.tc_clone_write, "egress")?;
    p.b.attach_tc(VETH_B, progs.tc_read, "ingress")?;
    c.attach_tc("veth_c1", progs.tc_read2, "ingress")?;
    Ok(c)
}
