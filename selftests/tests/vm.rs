// SPDX-License-Identifier: GPL-2.0
//! The contract of `bpf_dynptr_from_skb_meta(BPF_DYNPTR_SKB_EXT_F)`, tested with real devices
//! and real traffic inside the VM (`make vm-test`).
//!
//! Every test needs root, the patched kernel and the hook provider module, so they are
//! `#[ignore]`d for a host `cargo test`; the VM runs them with `--include-ignored`, one at a
//! time (`--test-threads=1`): they share the module and its counters.

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
use libbpf_rs::{skel::OpenSkel, skel::SkelBuilder, PrintLevel};
use skb_meta_selftests::{
    check_eq, check_identity, config, errno::*, hook_stats, kunit, load_skel, module, results, sh,
    skel::types::bss, tcp_flow, udp_flow, udp_recv, udp_rx, udp_send, write_mode, Failslab, Netns,
    Pair, Pinned, ADDR6_B, ADDR_B, TAG_MAGIC, TAG_SIZE, VETH_A, VETH_B,
};

const VM: &str = "needs root, the patched kernel and bpf_skb_meta.ko: run by `make vm-test`";

/// Fresh module instance, default policy: counters start at zero.
fn fresh_module() -> Result<()> {
    module::reload("")
}

/// Packets of a UDP flow tagged at tc ingress reach cgroup_skb ingress with all 64 bytes.
#[test]
#[ignore = "needs root, the patched kernel and bpf_skb_meta.ko: run by `make vm-test`"]
fn tc_ingress_writes_cgroup_ingress_reads_udp() -> Result<()> {
    let _ = VM;
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(obj, 7001);
    let p = Pair::new("udp")?;
    p.b.attach_tc(VETH_B, &skel.progs.tc_write, "ingress")?;
    let _cg = skb_meta_selftests::attach_cgroup(&skel.progs.cg_read)?;

    let got4 = udp_flow(&p.a, &p.b, ADDR_B, 7001, 100, 200)?;
    let got6 = udp_flow(&p.a, &p.b, ADDR6_B, 7001, 50, 1200)?;
    check_eq!(got4 + got6, 150, "datagrams received");
    let r = results(&skel);
    check_identity(&r)?;
    check_eq!(r.tc_write_stats.written, 150, "tags written at tc ingress");
    check_eq!(
        r.tc_write_stats.write_err,
        0,
        "write errors (last {})",
        r.tc_write_stats.last_err
    );
    check_eq!(
        r.cg_read_stats.read_ok,
        150,
        "well-formed tags at cgroup ingress"
    );
    check_eq!(r.cg_read_stats.read_bad, 0, "bad tags");
    check_eq!(r.cg_read_stats.read_zero, 0, "untagged packets");
    let c = module::counters()?;
    check_eq!(c["allocated"], 150, "buffers allocated");
    check_eq!(module::wait_live(0)?, 0, "live buffers after the flow");
    check_eq!(module::counter("freed")?, 150, "buffers freed");
    Ok(())
}

/// The same over TCP: every segment that reaches the socket carries its tag.
#[test]
#[ignore = "needs root, the patched kernel and bpf_skb_meta.ko: run by `make vm-test`"]
fn tc_ingress_writes_cgroup_ingress_reads_tcp() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(obj, 7002);
    let p = Pair::new("tcp")?;
    p.b.attach_tc(VETH_B, &skel.progs.tc_write, "ingress")?;
    let _cg = skb_meta_selftests::attach_cgroup(&skel.progs.cg_read)?;

    let bytes = tcp_flow(&p.a, &p.b, ADDR_B, 7002, 1 << 20)?;
    check_eq!(bytes, 1 << 20, "bytes received");
    // The last ACK of the teardown may still be in flight.
    std::thread::sleep(Duration::from_millis(300));
    let r = results(&skel);
    check_identity(&r)?;
    ensure!(
        r.tc_write_stats.written >= 10,
        "only {} segments tagged",
        r.tc_write_stats.written
    );
    check_eq!(r.tc_write_stats.write_err, 0, "write errors");
    check_eq!(r.cg_read_stats.read_bad, 0, "bad tags");
    check_eq!(
        r.cg_read_stats.read_zero,
        0,
        "untagged segments at the socket"
    );
    check_eq!(
        r.cg_read_stats.read_ok,
        r.tc_write_stats.written,
        "tags read vs written"
    );
    check_eq!(module::wait_live(0)?, 0, "live buffers after the flow");
    Ok(())
}

/// cgroup_skb egress writes, tc egress of the same host reads.
#[test]
#[ignore = "needs root, the patched kernel and bpf_skb_meta.ko: run by `make vm-test`"]
fn cgroup_egress_writes_tc_egress_reads() -> Result<()> {
    cgroup_egress_write_run(write_mode::DYNPTR, 7003)
}

/// The same through `bpf_dynptr_slice_rdwr()`: the extension is not packet data, so a
/// writable slice works in cgroup_skb, whose packet data is read-only.
#[test]
#[ignore = "needs root, the patched kernel and bpf_skb_meta.ko: run by `make vm-test`"]
fn cgroup_egress_slice_writes_tc_egress_reads() -> Result<()> {
    cgroup_egress_write_run(write_mode::SLICE, 7033)
}

fn cgroup_egress_write_run(mode: u32, port: u16) -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let mut skel = load_skel!(obj, port);
    config(&mut skel).cfg_write_mode = mode;
    let p = Pair::new("cgeg")?;
    p.a.attach_tc(VETH_A, &skel.progs.tc_read, "egress")?;
    let _cg = skb_meta_selftests::attach_cgroup(&skel.progs.cg_write)?;

    check_eq!(
        udp_flow(&p.a, &p.b, ADDR_B, port, 80, 100)?,
        80,
        "datagrams received"
    );
    let r = results(&skel);
    check_identity(&r)?;
    check_eq!(
        r.cg_write_stats.written,
        80,
        "tags written at cgroup egress"
    );
    check_eq!(r.tc_read_stats.read_ok, 80, "tags read at tc egress");
    check_eq!(
        r.tc_read_stats.read_bad + r.tc_read_stats.read_zero,
        0,
        "bad or missing tags"
    );
    check_eq!(
        r.tc_read_stats.last_seq,
        r.cg_write_stats.written as u32 - 1,
        "the last packet's own tag"
    );
    check_eq!(module::wait_live(0)?, 0, "live buffers");
    Ok(())
}

/// Writing the extension keeps packet pointers valid (the program reads the IPv4 header
/// through a pointer taken before the write; the verifier used to reject it).
#[test]
#[ignore = "needs root, the patched kernel and bpf_skb_meta.ko: run by `make vm-test`"]
fn extension_write_keeps_packet_pointers() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(obj, 7034, ["tc_pkt_ptr_after_write"]);
    let p = Pair::new("pktp")?;
    p.a.attach_tc(VETH_A, &skel.progs.tc_pkt_ptr_after_write, "egress")?;
    p.b.attach_tc(VETH_B, &skel.progs.tc_read, "ingress")?;
    check_eq!(udp_flow(&p.a, &p.b, ADDR_B, 7034, 30, 64)?, 30, "datagrams");
    let r = results(&skel);
    check_identity(&r)?;
    check_eq!(r.tc_write_stats.written, 30, "tags written");
    check_eq!(r.pkt_ptr_ok, 30, "IPv4 headers read after the write");
    check_eq!(r.tc_read_stats.read_ok, 30, "tags read at the peer");
    module::check_all_freed(30)
}

/// A kfunc that writes through `__bpf_dynptr_data_rw()` (`bpf_crypto_encrypt()`, AES-128-ECB
/// of 16 zero bytes under an all-zero key) into an untagged packet's extension: it gets the
/// packet's own, newly attached buffer, and the ciphertext lands there (it used to be handed
/// a shared read-only page of zeros: an oops, or every untagged reader seeing the bytes).
#[test]
#[ignore = "needs root, the patched kernel and bpf_skb_meta.ko: run by `make vm-test`"]
fn kernel_writer_gets_the_packets_own_buffer() -> Result<()> {
    const AES128_ZERO: [u8; 16] = [
        0x66, 0xe9, 0x4b, 0xd4, 0xef, 0x8a, 0x2c, 0x3b, 0x88, 0x4c, 0xfa, 0x59, 0xca, 0x34, 0x2b,
        0x2e,
    ];
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(obj, 7037, ["crypto_setup", "tc_crypto_into_ext"]);
    let input = libbpf_rs::ProgramInput::default();
    skel.progs.crypto_setup.test_run(input)?;
    check_eq!(results(&skel).crypto_setup_done, 1, "crypto_setup ran");
    check_eq!(
        results(&skel).crypto_setup_err,
        0,
        "crypto context (ecb(aes))"
    );
    let p = Pair::new("cryp")?;
    p.a.attach_tc(VETH_A, &skel.progs.tc_crypto_into_ext, "egress")?;
    p.b.attach_tc(VETH_B, &skel.progs.tc_read, "ingress")?;
    check_eq!(udp_flow(&p.a, &p.b, ADDR_B, 7037, 3, 64)?, 3, "datagrams");
    let r = results(&skel);
    check_identity(&r)?;
    check_eq!(r.crypto_done, 1, "bpf_crypto_encrypt() ran");
    check_eq!(r.crypto_ret, 0, "bpf_crypto_encrypt() into the extension");
    check_eq!(
        &r.crypto_out[..16],
        &AES128_ZERO[..],
        "ciphertext in the extension"
    );
    ensure!(
        r.crypto_out[16..].iter().all(|&b| b == 0),
        "bytes past the ciphertext not zero"
    );
    check_eq!(module::counter("allocated")?, 1, "buffers attached");
    // The peer reads the ciphertext on that packet and zeros on the others.
    check_eq!(
        r.tc_read_stats.read_bad,
        1,
        "the packet with the ciphertext"
    );
    check_eq!(
        r.tc_read_stats.read_zero,
        2,
        "untagged packets still read zeros"
    );
    module::check_all_freed(1)
}

/// Translated length of a loaded program, from bpftool.
fn xlated_len(name: &str) -> Result<u64> {
    let out = sh(&format!("bpftool -j prog show name {name}"))?;
    let key = "\"bytes_xlated\":";
    let at = out
        .find(key)
        .with_context(|| format!("no bytes_xlated in {out}"))?
        + key.len();
    let digits: String = out[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    Ok(digits.parse()?)
}

/// A writable slice of the extension is not a packet write: the program does not get the
/// unclone prologue (`bpf_skb_pull_data()` on every cloned skb, which tc used to run before a
/// program that only writes the extension). Same program with a read-only slice: same length.
#[test]
#[ignore = "needs root, the patched kernel and bpf_skb_meta.ko: run by `make vm-test`"]
fn writable_extension_slice_needs_no_unclone() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(obj, 7035, ["ext_slice_rdwr", "ext_slice_rd"]);
    let rdwr = xlated_len("ext_slice_rdwr")?;
    let rd = xlated_len("ext_slice_rd")?;
    check_eq!(rdwr, rd, "translated bytes, writable vs read-only slice");
    // And both work on traffic: writable slices attach, read-only ones copy zeros.
    let p = Pair::new("uncl")?;
    p.a.attach_tc(VETH_A, &skel.progs.ext_slice_rdwr, "egress")?;
    p.b.attach_tc(VETH_B, &skel.progs.ext_slice_rd, "ingress")?;
    let n = udp_flow(&p.a, &p.b, ADDR_B, 7035, 10, 64)?;
    check_eq!(n, 10, "datagrams");
    ensure!(
        results(&skel).ext_slice_ok >= 20,
        "slices taken: {} (want one per packet per hook)",
        results(&skel).ext_slice_ok
    );
    ensure!(
        module::counter("allocated")? >= 10,
        "writable slices attached no buffer"
    );
    Ok(())
}

/// A packet never tagged reads as zeros, and reading allocates nothing.
#[test]
#[ignore = "needs root, the patched kernel and bpf_skb_meta.ko: run by `make vm-test`"]
fn untagged_packets_read_zeros_and_allocate_nothing() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(obj, 7004);
    let p = Pair::new("zero")?;
    p.b.attach_tc(VETH_B, &skel.progs.tc_read, "ingress")?;
    let _cg = skb_meta_selftests::attach_cgroup(&skel.progs.cg_read)?;

    check_eq!(
        udp_flow(&p.a, &p.b, ADDR_B, 7004, 60, 64)?,
        60,
        "datagrams received"
    );
    let r = results(&skel);
    check_identity(&r)?;
    check_eq!(r.tc_read_stats.read_zero, 60, "zero reads at tc ingress");
    check_eq!(
        r.cg_read_stats.read_zero,
        60,
        "zero reads at cgroup ingress"
    );
    check_eq!(
        r.tc_read_stats.read_ok + r.tc_read_stats.read_bad,
        0,
        "non-zero reads"
    );
    let c = module::counters()?;
    check_eq!(c["allocated"], 0, "buffers allocated by reads");
    check_eq!(c["peak"], 0, "peak");
    Ok(())
}

/// A third netns `c` behind veth_c0 (in `a`) / veth_c1 (in `c`): tc_clone_write on a's egress
/// tags, clones to veth_c0 and rewrites the original; tc_read reads originals in `b`,
/// tc_read2 the clones in `c`.
fn clone_setup(
    p: &Pair,
    skel: &mut skb_meta_selftests::skel::SkbMetaSkel<'_>,
    tag: &str,
) -> Result<Netns> {
    let c = Netns::new(tag)?;
    sh(&format!(
        "ip link add veth_c0 netns {} type veth peer name veth_c1 netns {}",
        p.a.name, c.name
    ))?;
    p.a.ip("link set veth_c0 up")?;
    c.ip("link set veth_c1 up")?;
    config(skel).cfg_clone_ifindex = p.a.ifindex("veth_c0")?;
    p.a.attach_tc(VETH_A, &skel.progs.tc_clone_write, "egress")?;
    p.b.attach_tc(VETH_B, &skel.progs.tc_read, "ingress")?;
    c.attach_tc("veth_c1", &skel.progs.tc_read2, "ingress")?;
    Ok(c)
}

/// bpf_clone_redirect(): the clone sees the original's tag; a write on the original after
/// cloning unshares the buffer (copied counter), and the clone never sees it.
#[test]
#[ignore = "needs root, the patched kernel and bpf_skb_meta.ko: run by `make vm-test`"]
fn clone_shares_tag_and_write_unshares_it() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let mut skel = load_skel!(obj, 7005);
    let p = Pair::new("clone")?;
    let _c = clone_setup(&p, &mut skel, "clonec")?;

    const N: u64 = 40;
    check_eq!(
        udp_flow(&p.a, &p.b, ADDR_B, 7005, N as usize, 100)?,
        N as usize,
        "datagrams"
    );
    std::thread::sleep(Duration::from_millis(200));
    let r = results(&skel);
    check_identity(&r)?;
    check_eq!(r.clone_redirect_ret, 0, "bpf_clone_redirect()");
    check_eq!(r.clone_rewrite_ret, 0, "write after the clone");
    check_eq!(r.clone_stats.written, N, "originals tagged");
    // The original carries the rewritten tag, the clone the first one.
    check_eq!(r.tc_read_stats.read_ok, N, "tags on the originals");
    check_eq!(
        r.tc_read_stats.seq_high,
        N,
        "originals with the rewritten tag"
    );
    check_eq!(r.tc_read2_stats.read_ok, N, "tags on the clones");
    check_eq!(r.tc_read2_stats.seq_high, 0, "clones that saw the rewrite");
    // Read-only slices point into a buffer held alone, copy a shared one.
    let s = r.clone_slices;
    check_eq!(
        s.alone_in_place,
        N as u32,
        "slices in place before the clone"
    );
    check_eq!(s.shared_copy, N as u32, "slices copied while shared");
    check_eq!(s.shared_tag_ok, N as u32, "copied slices holding the tag");
    check_eq!(
        s.unshared_in_place,
        N as u32,
        "slices in place after the write"
    );
    check_eq!(s.unshared_tag_ok, N as u32, "slices with the rewritten tag");
    let cnt = module::counters()?;
    check_eq!(cnt["allocated"], N, "buffers allocated");
    check_eq!(cnt["copied"], N, "copy-on-write copies");
    check_eq!(module::wait_live(0)?, 0, "live buffers");
    check_eq!(module::counter("freed")?, 2 * N, "buffers freed");
    Ok(())
}

/// Crossing a veth into another netns keeps the tag by default, and drops it with the
/// module's drop policy, switched at runtime.
#[test]
#[ignore = "needs root, the patched kernel and bpf_skb_meta.ko: run by `make vm-test`"]
fn veth_netns_crossing_keeps_or_drops_by_policy() -> Result<()> {
    fresh_module()?;
    check_eq!(module::drop_across_netns()?, false, "default policy (keep)");
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(obj, 7006);
    let p = Pair::new("netns")?;
    p.a.attach_tc(VETH_A, &skel.progs.tc_write, "egress")?;
    p.b.attach_tc(VETH_B, &skel.progs.tc_read, "ingress")?;

    check_eq!(
        udp_flow(&p.a, &p.b, ADDR_B, 7006, 30, 100)?,
        30,
        "datagrams (keep)"
    );
    let r = results(&skel);
    check_identity(&r)?;
    check_eq!(r.tc_read_stats.read_ok, 30, "tags kept across the netns");

    // Root may write the parameter, nobody else; a bad value changes nothing.
    let mode = fs::metadata(module::POLICY)?.permissions().mode() & 0o777;
    check_eq!(mode, 0o644, "sysfs permissions of the parameter");
    let bad = fs::write(module::POLICY, "maybe");
    check_eq!(
        bad.map_err(|e| e.raw_os_error()),
        Err(Some(libc::EINVAL)),
        "writing a bad value"
    );
    check_eq!(
        module::drop_across_netns()?,
        false,
        "policy after a bad write"
    );

    module::set_drop_across_netns(true)?;
    check_eq!(
        module::drop_across_netns()?,
        true,
        "policy after the switch"
    );
    check_eq!(
        udp_flow(&p.a, &p.b, ADDR_B, 7006, 30, 100)?,
        30,
        "datagrams (drop)"
    );
    let r = results(&skel);
    check_identity(&r)?;
    check_eq!(r.tc_write_stats.written, 60, "tags written");
    check_eq!(
        r.tc_read_stats.read_ok,
        30,
        "tags that crossed with the drop policy"
    );
    check_eq!(
        r.tc_read_stats.read_zero,
        30,
        "tags dropped at the crossing"
    );
    check_eq!(module::wait_live(0)?, 0, "live buffers");
    check_eq!(module::counter("freed")?, 60, "buffers freed");

    // The load-time parameter sets the initial policy.
    module::reload("drop_across_netns=1")?;
    check_eq!(
        module::drop_across_netns()?,
        true,
        "policy from the module parameter"
    );
    module::reload("")?;
    Ok(())
}

/// tc actions (SCHED_ACT: act_bpf behind a matchall filter) write the tag at A's egress and
/// read it at B's ingress, as classifiers do.
#[test]
#[ignore = "needs root, the patched kernel and bpf_skb_meta.ko: run by `make vm-test`"]
fn tc_actions_write_and_read() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let mut skel = load_skel!(obj, 7020);
    let p = Pair::new("act")?;
    let writer = Pinned::prog(&mut skel.progs.act_write, "act_write")?;
    let reader = Pinned::prog(&mut skel.progs.act_read, "act_read")?;
    for (ns, dev, dir, prog) in [
        (&p.a, VETH_A, "egress", &writer),
        (&p.b, VETH_B, "ingress", &reader),
    ] {
        ns.tc(&format!("qdisc add dev {dev} clsact"))?;
        ns.tc(&format!(
            "filter add dev {dev} {dir} matchall action bpf object-pinned {}",
            prog.0
        ))?;
    }

    check_eq!(
        udp_flow(&p.a, &p.b, ADDR_B, 7020, 20, 200)?,
        20,
        "datagrams"
    );
    let r = results(&skel);
    check_identity(&r)?;
    check_eq!(
        r.act_write_stats.written,
        20,
        "tags written by the egress action"
    );
    check_eq!(
        r.act_read_stats.read_ok,
        20,
        "tags read by the ingress action"
    );
    check_eq!(r.act_read_stats.read_bad, 0, "malformed tags");
    module::check_all_freed(20)
}

/// Lightweight tunnel programs: a route's `encap bpf out` program tags locally sent
/// packets, its `xmit` program reads the tag on the same packet, and tc at the peer sees it.
#[test]
#[ignore = "needs root, the patched kernel and bpf_skb_meta.ko: run by `make vm-test`"]
fn lwt_out_writes_lwt_xmit_reads() -> Result<()> {
    lwt_out_write_run(write_mode::DYNPTR, 7019)
}

/// The same through `bpf_dynptr_slice_rdwr()`: lwt out may not write packet data, but the
/// extension is not packet data.
#[test]
#[ignore = "needs root, the patched kernel and bpf_skb_meta.ko: run by `make vm-test`"]
fn lwt_out_slice_writes_lwt_xmit_reads() -> Result<()> {
    lwt_out_write_run(write_mode::SLICE, 7036)
}

fn lwt_out_write_run(mode: u32, port: u16) -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let mut skel = load_skel!(obj, port);
    config(&mut skel).cfg_write_mode = mode;
    let p = Pair::new("lwt")?;
    let out = Pinned::prog(&mut skel.progs.lwt_write, "lwt_write")?;
    let xmit = Pinned::prog(&mut skel.progs.lwt_read, "lwt_read")?;
    // More specific than the connected /24: only traffic to B takes it.
    p.a.ip(&format!(
        "route add {ADDR_B}/32 dev {VETH_A} encap bpf out pinned {} xmit pinned {}",
        out.0, xmit.0
    ))?;
    p.b.attach_tc(VETH_B, &skel.progs.tc_read, "ingress")?;

    check_eq!(
        udp_flow(&p.a, &p.b, ADDR_B, port, 20, 200)?,
        20,
        "datagrams"
    );
    let r = results(&skel);
    check_identity(&r)?;
    check_eq!(r.lwt_write_stats.seen, 20, "packets at lwt out");
    check_eq!(r.lwt_write_stats.written, 20, "tags written at lwt out");
    check_eq!(r.lwt_write_stats.dynptr_err, 0, "dynptr errors at lwt out");
    check_eq!(r.lwt_read_stats.read_ok, 20, "tags read at lwt xmit");
    check_eq!(
        r.tc_read_stats.read_ok,
        20,
        "tags read at the peer's tc ingress"
    );
    check_eq!(
        r.tc_read_stats.last_seq,
        r.lwt_read_stats.last_seq,
        "same last tag"
    );
    module::check_all_freed(20)
}

/// The lifetime rows no BPF program reaches on demand, in the kernel's KUnit suite
/// (clone, pskb_copy, skb_copy share the buffer until a write; another extension added to or
/// removed from a shared container; scrub with and without xnet; a buffer that outlives its
/// provider), and the KUnit tests of the Rust provider abstraction. Both register a provider
/// of their own, so the module is unloaded meanwhile.
#[test]
#[ignore = "needs root, the patched kernel and bpf_skb_meta.ko: run by `make vm-test`"]
fn kunit_lifetime_and_rust_abstraction() -> Result<()> {
    module::unload()?;
    let c = kunit::run("bpf_skb_ext");
    let rust = kunit::run("rust_kernel_bpf_skb_ext");
    module::load("")?;

    let c = c?;
    for case in [
        "bpf_skb_ext_untagged_reads_zeros",
        "bpf_skb_ext_first_write_attaches_zeroed",
        "bpf_skb_ext_clone_shares",
        "bpf_skb_ext_pskb_copy_shares",
        "bpf_skb_ext_skb_copy_shares",
        "bpf_skb_ext_other_extensions",
        "bpf_skb_ext_scrub",
        "bpf_skb_ext_data_rw_is_exclusive",
        "bpf_skb_ext_recycled_buffer_starts_zeroed",
        "bpf_skb_ext_scrub_shared_container",
        "bpf_skb_ext_outlives_provider",
        "bpf_skb_ext_core_wipes_orphans",
    ] {
        ensure!(
            c.iter().any(|n| n == case),
            "KUnit case {case} did not pass: {c:?}"
        );
    }
    let rust = rust?;
    for case in [
        "bpf_skb_ext_one_provider_at_a_time",
        "bpf_skb_ext_counters_sum_over_cpus",
        "bpf_skb_ext_wipe_zeroes",
    ] {
        ensure!(
            rust.iter().any(|n| n == case),
            "Rust KUnit case {case} did not pass: {rust:?}"
        );
    }
    Ok(())
}

/// ipip encapsulation and decapsulation keep the tag.
#[test]
#[ignore = "needs root, the patched kernel and bpf_skb_meta.ko: run by `make vm-test`"]
fn ipip_tunnel_keeps_tag() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(obj, 7007);
    let p = Pair::new("ipip")?;
    p.a.ip("link add ipip_a type ipip local 192.0.2.1 remote 192.0.2.2")?;
    p.b.ip("link add ipip_b type ipip local 192.0.2.2 remote 192.0.2.1")?;
    p.a.ip("addr add 198.51.100.1 peer 198.51.100.2 dev ipip_a")?;
    p.b.ip("addr add 198.51.100.2 peer 198.51.100.1 dev ipip_b")?;
    p.a.ip("link set ipip_a up")?;
    p.b.ip("link set ipip_b up")?;
    // Written on the inner packet before encap, read after decap.
    p.a.attach_tc("ipip_a", &skel.progs.tc_write_l3, "egress")?;
    p.b.attach_tc("ipip_b", &skel.progs.tc_read_l3, "ingress")?;
    // And on the outer packet, on the wire between the two.
    p.b.attach_tc(VETH_B, &skel.progs.tc_read2, "ingress")?;

    check_eq!(
        udp_flow(&p.a, &p.b, "198.51.100.2", 7007, 25, 300)?,
        25,
        "datagrams"
    );
    let r = results(&skel);
    check_identity(&r)?;
    check_eq!(r.tc_write_stats.written, 25, "tags written before encap");
    check_eq!(r.tc_read2_stats.read_ok, 25, "tags on the outer packets");
    check_eq!(r.tc_read_stats.read_ok, 25, "tags after decap");
    check_eq!(module::wait_live(0)?, 0, "live buffers");
    Ok(())
}

/// A large TCP send, segmented in software (GSO) on a device without TSO: the tag written
/// on the GSO packet is on every segment.
#[test]
#[ignore = "needs root, the patched kernel and bpf_skb_meta.ko: run by `make vm-test`"]
fn gso_segments_keep_tag() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(obj, 7008);
    let p = Pair::new("gso")?;
    sh(&format!(
        "ip netns exec {} ethtool -K {VETH_A} tso off gso on",
        p.a.name
    ))?;
    let _cg = skb_meta_selftests::attach_cgroup(&skel.progs.cg_write)?;
    p.a.attach_tc(VETH_A, &skel.progs.tc_read2, "egress")?;
    p.b.attach_tc(VETH_B, &skel.progs.tc_read, "ingress")?;

    check_eq!(
        tcp_flow(&p.a, &p.b, ADDR_B, 7008, 1 << 20)?,
        1 << 20,
        "bytes received"
    );
    std::thread::sleep(Duration::from_millis(300));
    let r = results(&skel);
    check_identity(&r)?;
    ensure!(r.tc_read2_stats.gso > 0, "no GSO packet left the socket");
    // Every packet the socket sent went through cgroup egress and carries its tag. The one
    // kind that does not: an ACK of the closing handshake that the kernel sends for a socket
    // already in TIME_WAIT, from its per-netns control socket, outside our cgroup (seen once
    // on a loaded host). It carries no data, so it is allowed untagged, once or twice.
    let untagged_egress = r.tc_read2_stats.seen - r.tc_read2_stats.read_ok;
    ensure!(
        untagged_egress <= 2 && r.tc_read2_stats.read_zero == untagged_egress,
        "tagged packets at tc egress: {} of {} ({} bad)",
        r.tc_read2_stats.read_ok,
        r.tc_read2_stats.seen,
        r.tc_read2_stats.read_bad
    );
    ensure!(
        r.tc_read_stats.seen > r.cg_write_stats.written,
        "no segmentation: {} packets in, {} written",
        r.tc_read_stats.seen,
        r.cg_write_stats.written
    );
    check_eq!(
        r.tc_read_stats.seen - r.tc_read_stats.read_ok,
        untagged_egress,
        "untagged segments at the receiver (only the control ACKs)"
    );
    check_eq!(r.tc_read_stats.read_bad, 0, "bad tags on segments");
    // The segments carry the GSO packet's tag: the first one by its exact identity, the others
    // by their sequence numbers within it.
    ensure!(
        r.tc_read_stats.id_within > 0 && r.tc_read_stats.id_ok > 0,
        "segments: {} with their GSO packet's first sequence number, {} within it",
        r.tc_read_stats.id_ok,
        r.tc_read_stats.id_within
    );
    check_eq!(module::wait_live(0)?, 0, "live buffers");
    Ok(())
}

/// GRO: the sender segments in software (no TSO/GSO on its veth) after tagging at tc egress,
/// the receiver's veth merges the segments again (GRO on): the merged packets, seen at tc
/// ingress with gso_segs > 1, keep a whole tag (the first segment's), and every buffer is freed.
#[test]
#[ignore = "needs root, the patched kernel and bpf_skb_meta.ko: run by `make vm-test`"]
fn gro_merged_packet_keeps_a_tag() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(obj, 7018);
    let p = Pair::new("gro")?;
    sh(&format!(
        "ip netns exec {} ethtool -K {VETH_A} tso off gso off",
        p.a.name
    ))?;
    sh(&format!(
        "ip netns exec {} ethtool -K {VETH_B} gro on",
        p.b.name
    ))?;
    p.a.attach_tc(VETH_A, &skel.progs.tc_write, "egress")?;
    p.b.attach_tc(VETH_B, &skel.progs.tc_read, "ingress")?;

    check_eq!(
        tcp_flow(&p.a, &p.b, ADDR_B, 7018, 1 << 20)?,
        1 << 20,
        "bytes received"
    );
    std::thread::sleep(Duration::from_millis(300));
    let r = results(&skel);
    check_identity(&r)?;
    ensure!(
        r.tc_read_stats.gso > 0,
        "no GRO merge: {} packets read, none with gso_segs > 1",
        r.tc_read_stats.seen
    );
    check_eq!(
        r.tc_read_stats.read_ok,
        r.tc_read_stats.seen,
        "packets with a whole tag after GRO"
    );
    check_eq!(r.tc_read_stats.read_bad, 0, "bad tags after GRO");
    // The first packet's tag, by identity: a merged packet's sequence number is its first
    // segment's, so any other segment's tag would be off by its offset.
    check_eq!(
        r.tc_read_stats.id_ok,
        r.tc_read_stats.read_ok,
        "merged packets carrying their first segment's tag (id_within {})",
        r.tc_read_stats.id_within
    );
    check_eq!(module::wait_live(0)?, 0, "live buffers");
    check_eq!(
        module::counter("freed")?,
        r.tc_write_stats.written,
        "buffers freed, merged-away ones included"
    );
    Ok(())
}

/// Bad input at runtime: unknown flags, offsets and lengths past the buffer.
#[test]
#[ignore = "needs root, the patched kernel and bpf_skb_meta.ko: run by `make vm-test`"]
fn bad_input_gives_runtime_errors() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(obj, 7009);
    let p = Pair::new("bad")?;
    p.b.attach_tc(VETH_B, &skel.progs.tc_bad_input, "ingress")?;
    check_eq!(udp_flow(&p.a, &p.b, ADDR_B, 7009, 1, 10)?, 1, "datagrams");
    let b = results(&skel).bad;
    check_eq!(b.done, 1, "checks ran");
    check_eq!(b.bad_flags_ret as i64, EINVAL, "unknown flag bit");
    check_eq!(b.bad_flags_null, 1, "dynptr null after an unknown flag");
    check_eq!(b.all_flags_ret as i64, EINVAL, "all flag bits");
    check_eq!(b.size, TAG_SIZE as u64, "bpf_dynptr_size()");
    check_eq!(b.rdonly, 0, "tc dynptr read-only");
    check_eq!(b.read_past_ret as i64, E2BIG, "read past the end");
    check_eq!(b.read_off_ret as i64, E2BIG, "read at offset == size");
    check_eq!(b.write_past_ret as i64, E2BIG, "write past the end");
    check_eq!(b.write_huge_ret as i64, E2BIG, "write at offset 1 << 40");
    check_eq!(b.slice_past_null, 1, "read-only slice past the end is NULL");
    check_eq!(
        b.slice_rdwr_past_null,
        1,
        "writable slice past the end is NULL"
    );
    check_eq!(b.zero_before_write, 1, "zeros before the first write");
    check_eq!(
        b.untagged_slice_null,
        1,
        "no buffer: a slice without a bounce buffer is NULL"
    );
    check_eq!(
        b.untagged_slice_copy,
        1,
        "no buffer: zeros in the bounce buffer"
    );
    check_eq!(b.write_flags_ret as i64, EINVAL, "write with flags = 1");
    check_eq!(b.read_flags_ret as i64, EINVAL, "read with flags = 1");
    check_eq!(b.write_ok_ret, 0, "in-bounds write");
    check_eq!(b.read_back_ok, 1, "in-bounds write reads back");
    // Only the in-bounds write allocated.
    check_eq!(module::counter("allocated")?, 1, "buffers allocated");
    Ok(())
}

static LOG: Mutex<String> = Mutex::new(String::new());

fn capture_libbpf(_level: PrintLevel, msg: String) {
    LOG.lock().unwrap().push_str(&msg);
}

/// Loads only `prog` of the skeleton and returns the verifier log of its rejection.
fn expect_rejected(prog: &str) -> Result<String> {
    LOG.lock().unwrap().clear();
    libbpf_rs::set_print(Some((PrintLevel::Debug, capture_libbpf)));
    let mut obj = MaybeUninit::uninit();
    let mut open = skb_meta_selftests::skel::SkbMetaSkelBuilder::default().open(&mut obj)?;
    for mut p in open.open_object_mut().progs_mut() {
        let on = p.name().to_string_lossy() == prog;
        p.set_autoload(on);
    }
    let res = open.load();
    libbpf_rs::set_print(None);
    match res {
        Ok(_) => bail!("{prog} was accepted by the verifier"),
        Err(_) => Ok(LOG.lock().unwrap().clone()),
    }
}

fn expect_rejected_with(prog: &str, msg: &str) -> Result<()> {
    let log = expect_rejected(prog)?;
    ensure!(
        log.contains(msg),
        "{prog}: verifier log lacks {msg:?}:\n{log}"
    );
    Ok(())
}

/// An access past a slice's length is rejected by the verifier.
#[test]
#[ignore = "needs root, the patched kernel and bpf_skb_meta.ko: run by `make vm-test`"]
fn verifier_rejects_access_past_slice() -> Result<()> {
    expect_rejected_with(
        "reject_slice_past_len",
        "invalid access to memory, mem_size=8 off=8 size=1",
    )
}

/// A slice used after bpf_clone_redirect() is rejected: the helper invalidates it.
#[test]
#[ignore = "needs root, the patched kernel and bpf_skb_meta.ko: run by `make vm-test`"]
fn verifier_rejects_slice_after_clone_redirect() -> Result<()> {
    expect_rejected_with("reject_slice_after_clone", "invalid mem access 'scalar'")
}

/// A write through a read-only slice is rejected.
#[test]
#[ignore = "needs root, the patched kernel and bpf_skb_meta.ko: run by `make vm-test`"]
fn verifier_rejects_write_through_rdonly_slice() -> Result<()> {
    expect_rejected_with("reject_write_rdonly_slice", "cannot write into")
}

/// A writable slice in a read-only hook (socket filter) is refused at load time.
#[test]
#[ignore = "needs root, the patched kernel and bpf_skb_meta.ko: run by `make vm-test`"]
fn verifier_rejects_writable_slice_in_socket_filter() -> Result<()> {
    expect_rejected_with(
        "reject_sock_slice_rdwr",
        "skb extension is read-only in this prog type",
    )
}

/// A bpf_dynptr_write() to the extension in a socket filter is refused at load time.
#[test]
#[ignore = "needs root, the patched kernel and bpf_skb_meta.ko: run by `make vm-test`"]
fn verifier_rejects_write_in_socket_filter() -> Result<()> {
    expect_rejected_with(
        "reject_write_in_socket_filter",
        "skb extension is read-only in this prog type",
    )
}

/// Tracing programs read the extension only: a write is refused at load time.
#[test]
#[ignore = "needs root, the patched kernel and bpf_skb_meta.ko: run by `make vm-test`"]
fn verifier_rejects_write_in_tracing() -> Result<()> {
    expect_rejected_with(
        "reject_write_in_tracing",
        "skb extension is read-only in this prog type",
    )
}

/// LSM programs read the extension only: a writable slice is refused at load time.
#[test]
#[ignore = "needs root, the patched kernel and bpf_skb_meta.ko: run by `make vm-test`"]
fn verifier_rejects_writable_slice_in_lsm() -> Result<()> {
    expect_rejected_with(
        "reject_slice_rdwr_in_lsm",
        "skb extension is read-only in this prog type",
    )
}

/// The kfunc in a program type outside the hook table does not load.
#[test]
#[ignore = "needs root, the patched kernel and bpf_skb_meta.ko: run by `make vm-test`"]
fn verifier_rejects_kfunc_in_sk_skb() -> Result<()> {
    expect_rejected_with(
        "reject_wrong_prog_type",
        "calling kernel function bpf_dynptr_from_skb_meta is not allowed",
    )
}

/// Socket filters read the tag (their writes are refused at load time:
/// `verifier_rejects_write_in_socket_filter`).
#[test]
#[ignore = "needs root, the patched kernel and bpf_skb_meta.ko: run by `make vm-test`"]
fn socket_filter_reads_but_cannot_write() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(obj, 7010);
    let p = Pair::new("sock")?;
    p.b.attach_tc(VETH_B, &skel.progs.tc_write, "ingress")?;
    let fd = skel.progs.sock_read.as_fd().as_raw_fd();
    let rx = p.b.run(move || {
        let s = std::net::UdpSocket::bind("0.0.0.0:7010")?;
        // SAFETY: setsockopt with a valid socket, option and a c_int value.
        let rc = unsafe {
            libc::setsockopt(
                s.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_ATTACH_BPF,
                &fd as *const i32 as *const libc::c_void,
                std::mem::size_of::<i32>() as u32,
            )
        };
        ensure!(
            rc == 0,
            "SO_ATTACH_BPF: {}",
            std::io::Error::last_os_error()
        );
        Ok(s)
    })?;
    rx.set_read_timeout(Some(Duration::from_secs(2)))?;
    p.a.run(|| {
        let tx = std::net::UdpSocket::bind("0.0.0.0:0")?;
        for _ in 0..20 {
            let mut msg = *b"id..hello";
            msg[..4].copy_from_slice(&skb_meta_selftests::next_datagram_id().to_be_bytes());
            tx.send_to(&msg, format!("{ADDR_B}:7010"))?;
        }
        Ok(())
    })?;
    let mut n = 0;
    let mut buf = [0u8; 64];
    while n < 20 && rx.recv(&mut buf).is_ok() {
        n += 1;
    }
    check_eq!(n, 20, "datagrams through the socket filter");
    let r = results(&skel);
    check_identity(&r)?;
    check_eq!(r.sock_stats.read_ok, 20, "tags read by the socket filter");
    check_eq!(
        r.sock_stats.id_ok,
        20,
        "tags of the datagram they came with"
    );
    Ok(())
}

/// Allocation failure, injected on the skb extension cache, for a writer using `mode`: the
/// write fails with `want_err`, the packet is still delivered, the module counts each failure
/// exactly once (a writable slice or memset that fails must not retry the allocation).
fn allocation_failure_run(mode: u32, port: u16, want_err: i64) -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let mut skel = load_skel!(obj, port);
    config(&mut skel).cfg_write_mode = mode;
    let p = Pair::new("nomem")?;
    p.b.attach_tc(VETH_B, &skel.progs.tc_write, "ingress")?;
    let _cg = skb_meta_selftests::attach_cgroup(&skel.progs.cg_read)?;

    let failslab = Failslab::on_ext_cache(1, 10)?;
    let got = udp_flow(&p.a, &p.b, ADDR_B, port, 25, 100);
    drop(failslab);
    check_eq!(got?, 25, "datagrams delivered");
    let r = results(&skel);
    check_identity(&r)?;
    check_eq!(r.tc_write_stats.write_err, 10, "failed writes");
    check_eq!(
        r.tc_write_stats.last_err,
        want_err,
        "error of a failed write"
    );
    check_eq!(r.tc_write_stats.written, 15, "writes after the failures");
    check_eq!(
        r.cg_read_stats.read_zero,
        10,
        "packets that went on untagged"
    );
    check_eq!(r.cg_read_stats.read_ok, 15, "tagged packets");
    check_eq!(
        module::counter("alloc_failed")?,
        10,
        "allocation failures counted (once each)"
    );
    check_eq!(module::counter("allocated")?, 15, "buffers allocated");
    check_eq!(module::wait_live(0)?, 0, "live buffers");
    Ok(())
}

/// Allocation failure on `bpf_dynptr_write()`: -ENOMEM.
#[test]
#[ignore = "needs root, the patched kernel and bpf_skb_meta.ko: run by `make vm-test`"]
fn allocation_failure_gives_enomem_and_delivers() -> Result<()> {
    allocation_failure_run(write_mode::DYNPTR, 7011, ENOMEM)
}

/// Allocation failure on `bpf_dynptr_slice_rdwr()`: a NULL slice, counted once.
#[test]
#[ignore = "needs root, the patched kernel and bpf_skb_meta.ko: run by `make vm-test`"]
fn allocation_failure_on_writable_slice_counts_once() -> Result<()> {
    // The program turns the NULL slice into -ENOMEM itself.
    allocation_failure_run(write_mode::SLICE, 7031, ENOMEM)
}

/// Allocation failure on `bpf_dynptr_memset()`: -ENOMEM, counted once (it used to fall back
/// to a second allocation through `bpf_dynptr_write()` after its slice failed).
#[test]
#[ignore = "needs root, the patched kernel and bpf_skb_meta.ko: run by `make vm-test`"]
fn allocation_failure_on_memset_counts_once() -> Result<()> {
    allocation_failure_run(write_mode::MEMSET, 7032, ENOMEM)
}

/// Allocation failure on copy-on-write: the original's rewrite after bpf_clone_redirect() must
/// copy the shared buffer, and that copy fails. The write returns -ENOMEM, original and clone
/// both keep the first tag, nothing is copied, each failure is counted once.
#[test]
#[ignore = "needs root, the patched kernel and bpf_skb_meta.ko: run by `make vm-test`"]
fn allocation_failure_on_copy_on_write_keeps_the_shared_tag() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let mut skel = load_skel!(obj, 7041);
    let p = Pair::new("cownomem")?;
    let _c = clone_setup(&p, &mut skel, "cownomc")?;

    // Every second allocation from skbuff_ext_cache fails. Each packet asks for two: the
    // attach (first write) and the copy (rewrite after the clone). Once the count is in
    // step, the attach succeeds and the copy fails; before that, at most one packet's attach
    // takes the failure instead (the count carries over from earlier tests).
    const N: u64 = 30;
    let failslab = Failslab::on_ext_cache(2, 1000)?;
    let got = udp_flow(&p.a, &p.b, ADDR_B, 7041, N as usize, 100);
    drop(failslab);
    check_eq!(got?, N as usize, "datagrams delivered");
    std::thread::sleep(Duration::from_millis(200));
    let r = results(&skel);
    check_identity(&r)?;
    let attach_failed = r.clone_stats.write_err;
    ensure!(
        attach_failed <= 1,
        "{attach_failed} first writes failed: the failures are not in step"
    );
    check_eq!(
        r.clone_stats.written + attach_failed,
        N,
        "first writes, done or failed"
    );
    check_eq!(
        r.clone_rewrite_err,
        r.clone_stats.written,
        "rewrites that needed a copy and failed"
    );
    check_eq!(
        r.clone_rewrite_ret as i64,
        ENOMEM,
        "error of a failed copy-on-write"
    );
    check_eq!(
        r.tc_read_stats.read_ok,
        r.clone_stats.written,
        "originals still tagged"
    );
    check_eq!(
        r.tc_read_stats.seq_high,
        0,
        "originals with the failed rewrite"
    );
    check_eq!(
        r.tc_read2_stats.read_ok,
        r.clone_stats.written,
        "clones still tagged"
    );
    let c = module::counters()?;
    check_eq!(c["copied"], 0, "copies");
    check_eq!(c["allocated"], r.clone_stats.written, "buffers allocated");
    check_eq!(c["alloc_failed"], N, "failures, each counted once");
    check_eq!(module::wait_live(0)?, 0, "live buffers");
    check_eq!(
        module::counter("freed")?,
        r.clone_stats.written,
        "buffers freed (one per shared pair)"
    );
    Ok(())
}

/// Bad flags fail with -EINVAL and a null dynptr in every program type that has the kfunc,
/// and the right flag still works afterwards (BPF_PROG_TEST_RUN on an IPv4/UDP frame).
#[test]
#[ignore = "needs root, the patched kernel and bpf_skb_meta.ko: run by `make vm-test`"]
fn bad_flags_fail_in_every_program_type() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(
        obj,
        7042,
        [
            "tc_bad_flags",
            "act_bad_flags",
            "cg_bad_flags",
            "sock_bad_flags",
            "lwt_bad_flags"
        ]
    );
    let mut frame = vec![0u8; 14 + 20 + 8 + 16];
    frame[..6].copy_from_slice(&[0x02, 0, 0, 0, 0, 2]);
    frame[6..12].copy_from_slice(&[0x02, 0, 0, 0, 0, 1]);
    frame[12..14].copy_from_slice(&0x0800u16.to_be_bytes());
    let ip = &mut frame[14..34];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&44u16.to_be_bytes());
    ip[8] = 64;
    ip[9] = 17;
    ip[12..16].copy_from_slice(&[192, 0, 2, 1]);
    ip[16..20].copy_from_slice(&[192, 0, 2, 2]);
    frame[36..38].copy_from_slice(&7042u16.to_be_bytes());
    frame[38..40].copy_from_slice(&24u16.to_be_bytes());
    let progs = [
        ("tc", &skel.progs.tc_bad_flags),
        ("action", &skel.progs.act_bad_flags),
        ("cgroup_skb", &skel.progs.cg_bad_flags),
        ("socket filter", &skel.progs.sock_bad_flags),
        ("lwt_in", &skel.progs.lwt_bad_flags),
    ];
    for (ty, prog) in progs {
        let input = libbpf_rs::ProgramInput {
            data_in: Some(&frame),
            ..Default::default()
        };
        prog.test_run(input)
            .with_context(|| format!("BPF_PROG_TEST_RUN of the {ty} program"))?;
    }
    let r = results(&skel);
    for (ty, b) in [
        ("tc", &r.bad_flags_tc),
        ("action", &r.bad_flags_act),
        ("cgroup_skb", &r.bad_flags_cg),
        ("socket filter", &r.bad_flags_sock),
        ("lwt_in", &r.bad_flags_lwt),
    ] {
        check_eq!(b.runs, 1, "{ty}: runs");
        check_eq!(b.bit1_ret as i64, EINVAL, "{ty}: flags 1 << 1");
        check_eq!(b.bit1_null, 1, "{ty}: null dynptr after flags 1 << 1");
        check_eq!(b.all_ret as i64, EINVAL, "{ty}: flags ~0");
        check_eq!(b.all_null, 1, "{ty}: null dynptr after flags ~0");
        check_eq!(
            b.ext_and_bit_ret as i64,
            EINVAL,
            "{ty}: BPF_DYNPTR_SKB_EXT_F with another bit"
        );
        check_eq!(b.ext_and_bit_null, 1, "{ty}: null dynptr after that");
        check_eq!(b.ext_ret, 0, "{ty}: BPF_DYNPTR_SKB_EXT_F afterwards");
    }
    // Nothing was written: nothing allocated.
    check_eq!(module::counter("allocated")?, 0, "buffers allocated");
    Ok(())
}

/// An AF_PACKET socket on `ifname` in `ns` that never reads: its queue holds a clone of every
/// packet that passes, with the packet's extension, until the socket is closed.
fn packet_tap(ns: &Netns, ifname: &str) -> Result<std::os::fd::OwnedFd> {
    let ifindex = ns.ifindex(ifname)?;
    ns.run(move || {
        // SAFETY: plain socket(2)/bind(2)/setsockopt(2) calls with valid arguments.
        unsafe {
            let fd = libc::socket(
                libc::AF_PACKET,
                libc::SOCK_RAW,
                (libc::ETH_P_ALL as u16).to_be() as i32,
            );
            ensure!(
                fd >= 0,
                "AF_PACKET socket: {}",
                std::io::Error::last_os_error()
            );
            let size: i32 = 64 << 20;
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_RCVBUFFORCE,
                &size as *const i32 as *const libc::c_void,
                4,
            );
            let mut sll: libc::sockaddr_ll = std::mem::zeroed();
            sll.sll_family = libc::AF_PACKET as u16;
            sll.sll_protocol = (libc::ETH_P_ALL as u16).to_be();
            sll.sll_ifindex = ifindex as i32;
            let rc = libc::bind(
                fd,
                &sll as *const _ as *const libc::sockaddr,
                std::mem::size_of::<libc::sockaddr_ll>() as u32,
            );
            ensure!(
                rc == 0,
                "bind AF_PACKET: {}",
                std::io::Error::last_os_error()
            );
            Ok(<std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd))
        }
    })
}

/// The kernel log, one line per entry.
fn dmesg_lines() -> Result<Vec<String>> {
    let out = std::process::Command::new("dmesg").output()?;
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect())
}

/// "Never tagged" and "tagged with zeros" told apart: with BPF_DYNPTR_SKB_EXT_NOENT_F an
/// untagged packet gives -ENOENT and a null dynptr, a packet tagged with zeros reads zeros, and
/// readers allocate nothing.
#[test]
#[ignore = "needs root, the patched kernel and bpf_skb_meta.ko: run by `make vm-test`"]
fn noent_flag_tells_untagged_from_tagged_with_zeros() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(obj, 7043, ["tc_tag_zeros_every_other", "cg_read_noent"]);
    let p = Pair::new("noent")?;
    p.b.attach_tc(VETH_B, &skel.progs.tc_tag_zeros_every_other, "ingress")?;
    let _cg = skb_meta_selftests::attach_cgroup(&skel.progs.cg_read_noent)?;
    check_eq!(
        udp_flow(&p.a, &p.b, ADDR_B, 7043, 40, 100)?,
        40,
        "datagrams"
    );
    let r = results(&skel);
    check_eq!(r.tc_write_stats.written, 20, "packets tagged with zeros");
    check_eq!(r.noent_stats.seen, 40, "packets read");
    check_eq!(r.noent_stats.read_zero, 20, "tagged with zeros: zeros");
    check_eq!(r.noent_stats.dynptr_err, 20, "never tagged: an error");
    check_eq!(r.noent_stats.last_err, ENOENT, "the error");
    check_eq!(r.noent_stats.err_null, 20, "null dynptrs after -ENOENT");
    check_eq!(r.noent_stats.read_bad, 0, "anything but zeros");
    check_eq!(
        r.noent_stats.id_ok,
        40,
        "packets whose answer (zeros or -ENOENT) is their own"
    );
    check_eq!(
        r.noent_stats.id_bad,
        0,
        "packets with the other one's answer"
    );
    check_eq!(
        module::counter("allocated")?,
        20,
        "buffers (the writer's alone)"
    );
    check_eq!(module::wait_live(0)?, 0, "live buffers");
    Ok(())
}

/// Which drop reason hit my tagged packets? A tp_btf/kfree_skb program reads the tag of packets
/// dropped at tc ingress, with SKB_DROP_REASON_TC_INGRESS; its dynptr is read-only, and the
/// untagged packets it sees allocate nothing.
#[test]
#[ignore = "needs root, the patched kernel and bpf_skb_meta.ko: run by `make vm-test`"]
fn tracing_reads_the_tag_of_dropped_packets() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(obj, 7044, ["tc_write_drop", "trace_tagged_drops"]);
    let p = Pair::new("drop")?;
    p.b.attach_tc(VETH_B, &skel.progs.tc_write_drop, "ingress")?;
    let _trace = skel.progs.trace_tagged_drops.attach()?;
    let rx = udp_rx(&p.b, ADDR_B, 7044)?;
    udp_send(&p.a, ADDR_B, 7044, 30, 100)?;
    std::thread::sleep(Duration::from_millis(300));
    let mut buf = [0u8; 256];
    rx.set_nonblocking(true)?;
    ensure!(rx.recv(&mut buf).is_err(), "a dropped datagram arrived");
    let r = results(&skel);
    check_eq!(r.tc_write_stats.written, 30, "tags written before the drop");
    check_eq!(r.drop_stats.read_ok, 30, "tagged drops seen by kfree_skb");
    check_eq!(r.drop_stats.read_bad, 0, "bad tags");
    check_eq!(
        r.drop_reason_match,
        30,
        "tagged drops with SKB_DROP_REASON_TC_INGRESS (last reason {})",
        r.drop_reason_last
    );
    check_eq!(r.observe_rdonly, r.drop_stats.read_ok, "read-only dynptrs");
    check_eq!(module::counter("allocated")?, 30, "buffers");
    check_eq!(module::wait_live(0)?, 0, "live buffers");
    Ok(())
}

/// What every read-only observer of a tagged flow must have seen: `want` tags written at tc
/// and as many read by the observer (`stats`), none malformed, no kfunc error, and every
/// dynptr it got read-only.
fn check_observer(r: &bss, stats: &hook_stats, want: u64, where_: &str) -> Result<()> {
    check_eq!(r.tc_write_stats.written, want, "tags written");
    check_eq!(stats.read_ok, want, "tags read {where_}");
    check_eq!(stats.read_bad, 0, "bad tags read {where_}");
    check_eq!(stats.dynptr_err, 0, "kfunc errors {where_}");
    check_eq!(
        r.observe_rdonly,
        stats.read_ok,
        "read-only dynptrs {where_}"
    );
    Ok(())
}

/// An LSM program on socket_sock_rcv_skb reads the tag of the packets a socket admits.
#[test]
#[ignore = "needs root, the patched kernel and bpf_skb_meta.ko: run by `make vm-test`"]
fn lsm_reads_the_tag_at_socket_receive() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(obj, 7045, ["lsm_sock_rcv_read"]);
    let p = Pair::new("lsm")?;
    p.b.attach_tc(VETH_B, &skel.progs.tc_write, "ingress")?;
    let _lsm = skel.progs.lsm_sock_rcv_read.attach_lsm()?;
    check_eq!(
        udp_flow(&p.a, &p.b, ADDR_B, 7045, 25, 100)?,
        25,
        "datagrams"
    );
    let r = results(&skel);
    check_observer(&r, &r.lsm_stats, 25, "by the LSM program")
}

/// A netfilter program at LOCAL_IN reads the tag from its context's skb.
#[test]
#[ignore = "needs root, the patched kernel and bpf_skb_meta.ko: run by `make vm-test`"]
fn netfilter_reads_the_tag_at_local_in() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(obj, 7046, ["nf_read"]);
    let p = Pair::new("nf")?;
    p.b.attach_tc(VETH_B, &skel.progs.tc_write, "ingress")?;
    let _nf = {
        let _in_b = p.b.enter()?;
        skel.progs
            .nf_read
            .attach_netfilter_with_opts(libbpf_rs::NetfilterOpts {
                protocol_family: 2, // NFPROTO_IPV4
                hooknum: 1,         // NF_INET_LOCAL_IN
                priority: -100,
                ..Default::default()
            })
            .context("attach the netfilter program in netns B")?
    };
    check_eq!(
        udp_flow(&p.a, &p.b, ADDR_B, 7046, 25, 100)?,
        25,
        "datagrams"
    );
    let r = results(&skel);
    check_observer(&r, &r.nf_stats, 25, "at LOCAL_IN")
}

/// A sock_ops program reads the tag of incoming TCP segments in the header-option callback,
/// from the kernel context's skb.
#[test]
#[ignore = "needs root, the patched kernel and bpf_skb_meta.ko: run by `make vm-test`"]
fn sock_ops_reads_the_tag_of_incoming_segments() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(obj, 7047, ["sockops_read"]);
    let p = Pair::new("sockops")?;
    p.b.attach_tc(VETH_B, &skel.progs.tc_write, "ingress")?;
    let _ops = skb_meta_selftests::attach_cgroup(&skel.progs.sockops_read)?;
    check_eq!(
        tcp_flow(&p.a, &p.b, ADDR_B, 7047, 256 << 10)?,
        256 << 10,
        "bytes received"
    );
    std::thread::sleep(Duration::from_millis(300));
    let r = results(&skel);
    ensure!(
        r.sockops_stats.read_ok > 0,
        "no tag read in sock_ops ({} callbacks with a packet, {} without)",
        r.sockops_stats.seen,
        r.sockops_no_skb
    );
    check_eq!(r.sockops_stats.read_bad, 0, "bad tags");
    check_eq!(r.sockops_stats.dynptr_err, 0, "kfunc errors");
    ensure!(
        r.sockops_stats.read_ok <= r.tc_write_stats.written,
        "more tags read ({}) than written ({})",
        r.sockops_stats.read_ok,
        r.tc_write_stats.written
    );
    check_eq!(
        r.observe_rdonly,
        r.sockops_stats.read_ok,
        "read-only dynptrs"
    );
    Ok(())
}

/// Counters for a known pattern: N packets tagged and held in an AF_PACKET queue (clones),
/// then freed: live follows, peak covers the queue, live returns to 0.
#[test]
#[ignore = "needs root, the patched kernel and bpf_skb_meta.ko: run by `make vm-test`"]
fn counters_follow_tagged_packets_in_flight() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(obj, 7012);
    let p = Pair::new("cnt")?;
    p.a.attach_tc(VETH_A, &skel.progs.tc_write, "egress")?;
    // An AF_PACKET socket that never reads: its queue holds a clone of every packet. Odd
    // counts, and a second, larger hold after the first was freed: peak must follow exactly,
    // keep its value while live drops, and rise again past it. Both stay well below what the
    // receiving UDP socket's default buffer holds (~220 small datagrams), which udp_flow()
    // reads only after sending.
    const N1: u64 = 101;
    const N2: u64 = 151;
    let tap = packet_tap(&p.a, VETH_A)?;
    check_eq!(
        udp_flow(&p.a, &p.b, ADDR_B, 7012, N1 as usize, 64)?,
        N1 as usize,
        "datagrams"
    );
    let c = module::counters()?;
    check_eq!(c["allocated"], N1, "buffers allocated");
    check_eq!(c["live"], N1, "buffers held by the queued clones");
    check_eq!(c["peak"], N1, "peak: exactly the packets held");
    drop(tap);
    check_eq!(module::wait_live(0)?, 0, "live after the queue is freed");
    check_eq!(
        module::counter("peak")?,
        N1,
        "peak after the queue is freed"
    );
    let tap = packet_tap(&p.a, VETH_A)?;
    check_eq!(
        udp_flow(&p.a, &p.b, ADDR_B, 7012, N2 as usize, 64)?,
        N2 as usize,
        "datagrams of the second hold"
    );
    let c = module::counters()?;
    check_eq!(c["live"], N2, "buffers held the second time");
    check_eq!(c["peak"], N2, "peak: the larger hold");
    drop(tap);
    check_eq!(
        module::wait_live(0)?,
        0,
        "live after the second queue is freed"
    );
    let c = module::counters()?;
    check_eq!(c["allocated"], N1 + N2, "buffers allocated");
    check_eq!(c["freed"], N1 + N2, "buffers freed");
    check_eq!(c["copied"], 0, "copies (nobody wrote a clone)");
    check_eq!(c["alloc_failed"], 0, "allocation failures");
    Ok(())
}

/// Buffers come back from the slab with old bytes: a new tag must start from zeros.
#[test]
#[ignore = "needs root, the patched kernel and bpf_skb_meta.ko: run by `make vm-test`"]
fn recycled_buffers_start_zeroed() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(obj, 7013);
    let p = Pair::new("recycle")?;
    // Every packet gets a buffer through a writable slice, checked for zeros, then filled.
    p.a.attach_tc(VETH_A, &skel.progs.tc_fresh_check, "egress")?;
    for round in 0..3 {
        check_eq!(
            udp_flow(&p.a, &p.b, ADDR_B, 7013, 200, 64)?,
            200,
            "datagrams round {round}"
        );
        module::wait_live(0)?;
    }
    let r = results(&skel);
    check_identity(&r)?;
    check_eq!(r.fresh_stats.written, 600, "buffers filled");
    check_eq!(r.fresh_stats.read_zero, 600, "buffers that started zeroed");
    check_eq!(r.fresh_stats.read_bad, 0, "buffers that showed old bytes");
    Ok(())
}

/// Without the module the flag is not supported: -EOPNOTSUPP, null dynptr, traffic flows.
#[test]
#[ignore = "needs root, the patched kernel and bpf_skb_meta.ko: run by `make vm-test`"]
fn without_module_flag_is_not_supported() -> Result<()> {
    module::unload()?;
    let res = (|| -> Result<()> {
        let mut obj = MaybeUninit::uninit();
        let skel = load_skel!(obj, 7014);
        let p = Pair::new("nomod")?;
        p.a.attach_tc(VETH_A, &skel.progs.tc_write, "egress")?;
        p.b.attach_tc(VETH_B, &skel.progs.tc_read, "ingress")?;
        check_eq!(udp_flow(&p.a, &p.b, ADDR_B, 7014, 20, 64)?, 20, "datagrams");
        let r = results(&skel);
        check_identity(&r)?;
        check_identity(&r)?;
        check_eq!(r.tc_write_stats.dynptr_err, 20, "writer dynptr errors");
        check_eq!(r.tc_write_stats.last_err, EOPNOTSUPP, "writer error");
        check_eq!(r.tc_read_stats.dynptr_err, 20, "reader dynptr errors");
        check_eq!(r.tc_read_stats.last_err, EOPNOTSUPP, "reader error");
        check_eq!(r.tc_read_stats.err_null, 20, "null dynptrs");
        Ok(())
    })();
    module::load("")?;
    res
}

/// flags == 0 still gives the XDP metadata area in tc; outside tc it is not offered.
#[test]
#[ignore = "needs root, the patched kernel and bpf_skb_meta.ko: run by `make vm-test`"]
fn flags_zero_keeps_xdp_metadata_path() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(obj, 7015);
    let p = Pair::new("xdpmeta")?;
    let ifindex = p.b.ifindex(VETH_B)?;
    let xdp_fd = skel.progs.xdp_meta_write.as_fd().as_raw_fd();
    p.b.run(move || {
        // SAFETY: `xdp_fd` is a loaded XDP program that outlives this test's netns.
        let fd = unsafe { std::os::fd::BorrowedFd::borrow_raw(xdp_fd) };
        libbpf_rs::Xdp::new(fd)
            .attach(ifindex as i32, libbpf_rs::XdpFlags::DRV_MODE)
            .context("attach XDP to veth_b")
    })?;
    p.b.attach_tc(VETH_B, &skel.progs.tc_meta_read, "ingress")?;
    let _cg = skb_meta_selftests::attach_cgroup(&skel.progs.cg_flags0)?;
    check_eq!(udp_flow(&p.a, &p.b, ADDR_B, 7015, 20, 64)?, 20, "datagrams");
    let r = results(&skel);
    check_identity(&r)?;
    check_eq!(r.xdp_meta_ret, 0, "bpf_xdp_adjust_meta()");
    check_eq!(
        r.meta_stats.read_ok,
        20,
        "XDP metadata read through flags == 0"
    );
    check_eq!(r.meta_stats.dynptr_err, 0, "flags == 0 errors in tc");
    check_eq!(
        r.cg_flags0_ret as i64,
        EOPNOTSUPP,
        "flags == 0 in cgroup_skb"
    );
    check_eq!(
        r.cg_flags0_null,
        1,
        "null dynptr for flags == 0 in cgroup_skb"
    );
    check_eq!(
        module::counter("allocated")?,
        0,
        "extension buffers allocated"
    );
    Ok(())
}

/// 50 rmmod/insmod cycles while tagged traffic flows: no splat (checked by the runner), no
/// packet lost, no bad tag, counters sane.
#[test]
#[ignore = "needs root, the patched kernel and bpf_skb_meta.ko: run by `make vm-test`"]
fn module_reload_under_traffic() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(obj, 7016);
    let p = Pair::new("reload")?;
    p.a.attach_tc(VETH_A, &skel.progs.tc_write, "egress")?;
    p.b.attach_tc(VETH_B, &skel.progs.tc_read, "ingress")?;
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = stop.clone();
    let (a, rx) = (p.a.borrow(), udp_rx(&p.b, ADDR_B, 7016)?);
    // Tagged packets that outlive the first unload: clones held by an AF_PACKET socket on the
    // sender's veth, freed only when it closes, long after their provider went.
    let tap = packet_tap(&p.a, VETH_A)?;
    const HELD: u64 = 20;
    udp_send(&p.a, ADDR_B, 7016, HELD as usize, 64)?;
    check_eq!(
        udp_recv(&rx, HELD as usize),
        HELD as usize,
        "held datagrams"
    );
    let traffic = std::thread::spawn(move || -> Result<(usize, usize)> {
        let (mut sent, mut got) = (0, 0);
        while !stop2.load(Ordering::Relaxed) {
            udp_send(&a, ADDR_B, 7016, 20, 64)?;
            sent += 20;
            got += udp_recv(&rx, 20);
        }
        Ok((sent, got))
    });
    let t0 = Instant::now();
    for i in 0..50 {
        module::unload().with_context(|| format!("rmmod, cycle {i}"))?;
        module::load("").with_context(|| format!("insmod, cycle {i}"))?;
    }
    stop.store(true, Ordering::Relaxed);
    let (sent, got) = traffic
        .join()
        .map_err(|_| anyhow::anyhow!("traffic thread panicked"))??;
    eprintln!("50 cycles in {:?}, {sent} datagrams", t0.elapsed());
    // The first instance went with the held packets' buffers still live.
    // The loop's unloads are the last 50 in the log.
    let mut live_at_unload: Vec<u64> = dmesg_lines()?
        .iter()
        .rev()
        .filter_map(|l| {
            l.split("unregistered with ")
                .nth(1)?
                .split(' ')
                .next()?
                .parse()
                .ok()
        })
        .take(50)
        .collect();
    live_at_unload.reverse();
    check_eq!(live_at_unload.len(), 50, "unload messages");
    ensure!(
        live_at_unload[0] >= HELD,
        "the first unload saw {} live buffers, {HELD} were held",
        live_at_unload[0]
    );
    drop(tap);
    check_eq!(got, sent, "datagrams delivered across reloads");
    ensure!(sent >= 20, "no traffic during the reloads");
    let r = results(&skel);
    check_identity(&r)?;
    check_eq!(r.tc_read_stats.read_bad, 0, "bad tags");
    check_eq!(
        r.tc_write_stats.written + r.tc_write_stats.dynptr_err + r.tc_write_stats.write_err,
        r.tc_write_stats.seen,
        "writer outcomes"
    );
    check_eq!(
        r.tc_read_stats.read_ok + r.tc_read_stats.read_zero + r.tc_read_stats.dynptr_err,
        r.tc_read_stats.seen,
        "reader outcomes"
    );
    ensure!(r.tc_read_stats.read_ok > 0, "no tag made it through");
    // Buffers from earlier instances are freed by the core, not counted by this one.
    check_eq!(
        module::wait_live(0)?,
        0,
        "live buffers of the last instance"
    );
    let c = module::counters()?;
    ensure!(
        c["freed"] <= c["allocated"] + c["copied"],
        "freed more than set up: {c:?}"
    );
    Ok(())
}

/// Stress: IPv4 and IPv6 flows on both vCPUs for a bounded time, every packet tagged, cloned
/// and rewritten (COW), while the module is reloaded; no reader ever sees a bad tag, nothing
/// is lost, and nothing stays allocated.
#[test]
#[ignore = "needs root, the patched kernel and bpf_skb_meta.ko: run by `make vm-test`"]
fn stress_flows_clones_and_reloads() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let mut skel = load_skel!(obj, 7017);
    let p = Pair::new("stress")?;
    let _c = clone_setup(&p, &mut skel, "stressc")?;

    let stop = Arc::new(AtomicBool::new(false));
    let mut flows = Vec::new();
    for addr in [ADDR_B, ADDR6_B] {
        let (stop, a, rx) = (stop.clone(), p.a.borrow(), udp_rx(&p.b, addr, 7017)?);
        flows.push(std::thread::spawn(move || -> Result<(usize, usize)> {
            let (mut sent, mut got) = (0, 0);
            while !stop.load(Ordering::Relaxed) {
                udp_send(&a, addr, 7017, 50, 256)?;
                sent += 50;
                got += udp_recv(&rx, 50);
            }
            Ok((sent, got))
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(8);
    let mut reloads = 0;
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(500));
        module::reload("")?;
        reloads += 1;
    }
    stop.store(true, Ordering::Relaxed);
    let (mut sent, mut got) = (0, 0);
    for f in flows {
        let (s, g) = f
            .join()
            .map_err(|_| anyhow::anyhow!("flow thread panicked"))??;
        sent += s;
        got += g;
    }
    eprintln!("{sent} datagrams, {reloads} reloads");
    check_eq!(got, sent, "datagrams delivered");
    let r = results(&skel);
    check_identity(&r)?;
    check_eq!(r.tc_read_stats.read_bad, 0, "bad tags on originals");
    check_eq!(r.tc_read2_stats.read_bad, 0, "bad tags on clones");
    check_eq!(
        r.tc_read2_stats.seq_high,
        0,
        "clones that saw the original's rewrite"
    );
    ensure!(
        r.tc_read_stats.seq_high > 0,
        "no original carried its rewritten tag"
    );
    check_eq!(
        module::wait_live(0)?,
        0,
        "live buffers of the last instance"
    );
    Ok(())
}

/// The Rust constants agree with the header the BPF programs are built from (runs on the host
/// too): the skeleton's struct sizes the tag from it, and the defines must match.
#[test]
fn tag_layout_matches_bpf_header() {
    let r: skb_meta_selftests::hook_stats = Default::default();
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
