// SPDX-License-Identifier: GPL-2.0
//! SPEC "Hooks": which program types read and write the extension, and the verifier's view of
//! it as plain memory of the packet (slices, packet pointers, no unclone).

use super::*;
use bpf_skb_ext_selftests::hooks::types::{bss, hook_stats};

const VM: &str = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`";

/// Packets of a UDP flow tagged at tc ingress reach cgroup_skb ingress with all 64 bytes.
#[test]
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn tc_ingress_writes_cgroup_ingress_reads_udp() -> Result<()> {
    let _ = VM;
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(hooks, obj, 7001, ["tc_write", "cg_read"]);
    let p = Pair::new("udp")?;
    p.b.attach_tc(VETH_B, &skel.progs.tc_write, "ingress")?;
    let _cg = bpf_skb_ext_selftests::attach_cgroup(&skel.progs.cg_read)?;

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
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn tc_ingress_writes_cgroup_ingress_reads_tcp() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(hooks, obj, 7002, ["tc_write", "cg_read"]);
    let p = Pair::new("tcp")?;
    p.b.attach_tc(VETH_B, &skel.progs.tc_write, "ingress")?;
    let _cg = bpf_skb_ext_selftests::attach_cgroup(&skel.progs.cg_read)?;

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
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn cgroup_egress_writes_tc_egress_reads() -> Result<()> {
    cgroup_egress_write_run(write_mode::DYNPTR, 7003)
}

/// The same through `bpf_dynptr_slice_rdwr()`: the extension is not packet data, so a
/// writable slice works in cgroup_skb, whose packet data is read-only.
#[test]
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn cgroup_egress_slice_writes_tc_egress_reads() -> Result<()> {
    cgroup_egress_write_run(write_mode::SLICE, 7033)
}

fn cgroup_egress_write_run(mode: u32, port: u16) -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let mut skel = load_skel!(hooks, obj, port, ["tc_read", "cg_write"]);
    config(&mut skel).cfg_write_mode = mode;
    let p = Pair::new("cgeg")?;
    p.a.attach_tc(VETH_A, &skel.progs.tc_read, "egress")?;
    let _cg = bpf_skb_ext_selftests::attach_cgroup(&skel.progs.cg_write)?;

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
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn extension_write_keeps_packet_pointers() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(hooks, obj, 7034, ["tc_pkt_ptr_after_write", "tc_read"]);
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
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn writable_extension_slice_needs_no_unclone() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(hooks, obj, 7035, ["ext_slice_rdwr", "ext_slice_rd"]);
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

/// tc actions (SCHED_ACT: act_bpf behind a matchall filter) write the tag at A's egress and
/// read it at B's ingress, as classifiers do.
#[test]
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn tc_actions_write_and_read() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let mut skel = load_skel!(hooks, obj, 7020, ["act_write", "act_read"]);
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
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn lwt_out_writes_lwt_xmit_reads() -> Result<()> {
    lwt_out_write_run(write_mode::DYNPTR, 7019)
}

/// The same through `bpf_dynptr_slice_rdwr()`: lwt out may not write packet data, but the
/// extension is not packet data.
#[test]
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn lwt_out_slice_writes_lwt_xmit_reads() -> Result<()> {
    lwt_out_write_run(write_mode::SLICE, 7036)
}

fn lwt_out_write_run(mode: u32, port: u16) -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let mut skel = load_skel!(hooks, obj, port, ["lwt_write", "lwt_read", "tc_read"]);
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

static LOG: Mutex<String> = Mutex::new(String::new());

fn capture_libbpf(_level: PrintLevel, msg: String) {
    LOG.lock().unwrap().push_str(&msg);
}

/// Loads only `prog` of the skeleton and returns the verifier log of its rejection.
fn expect_rejected(prog: &str) -> Result<String> {
    expect_rejected_flags(prog, 0)
}

/// As `expect_rejected`, loading `prog` with `prog_flags` (in place of the flags its section gives,
/// none for `tc`) unless they are 0.
fn expect_rejected_flags(prog: &str, prog_flags: u32) -> Result<String> {
    LOG.lock().unwrap().clear();
    libbpf_rs::set_print(Some((PrintLevel::Debug, capture_libbpf)));
    let mut obj = MaybeUninit::uninit();
    let mut open = bpf_skb_ext_selftests::hooks::HooksSkelBuilder::default().open(&mut obj)?;
    for mut p in open.open_object_mut().progs_mut() {
        let on = p.name().to_string_lossy() == prog;
        p.set_autoload(on);
        if on && prog_flags != 0 {
            p.set_flags(prog_flags);
        }
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
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn verifier_rejects_access_past_slice() -> Result<()> {
    expect_rejected_with(
        "reject_slice_past_len",
        "invalid access to memory, mem_size=8 off=8 size=1",
    )
}

/// A slice used after bpf_clone_redirect() is rejected: the helper invalidates it.
#[test]
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn verifier_rejects_slice_after_clone_redirect() -> Result<()> {
    expect_rejected_with("reject_slice_after_clone", "invalid mem access 'scalar'")
}

/// A write through a read-only slice is rejected.
#[test]
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn verifier_rejects_write_through_rdonly_slice() -> Result<()> {
    expect_rejected_with("reject_write_rdonly_slice", "cannot write into")
}

/// A writable slice in a read-only hook (socket filter) is refused at load time.
#[test]
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn verifier_rejects_writable_slice_in_socket_filter() -> Result<()> {
    expect_rejected_with(
        "reject_sock_slice_rdwr",
        "skb extension is read-only in this prog type",
    )
}

/// A bpf_dynptr_write() to the extension in a socket filter is refused at load time.
#[test]
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn verifier_rejects_write_in_socket_filter() -> Result<()> {
    expect_rejected_with(
        "reject_write_in_socket_filter",
        "skb extension is read-only in this prog type",
    )
}

/// Tracing programs read the extension only: a write is refused at load time.
#[test]
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn verifier_rejects_write_in_tracing() -> Result<()> {
    expect_rejected_with(
        "reject_write_in_tracing",
        "skb extension is read-only in this prog type",
    )
}

/// LSM programs read the extension only: a writable slice is refused at load time.
#[test]
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn verifier_rejects_writable_slice_in_lsm() -> Result<()> {
    expect_rejected_with(
        "reject_slice_rdwr_in_lsm",
        "skb extension is read-only in this prog type",
    )
}

/// The kfunc in a program type outside the hook table does not load.
#[test]
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn verifier_rejects_kfunc_in_sk_skb() -> Result<()> {
    expect_rejected_with(
        "reject_wrong_prog_type",
        "calling kernel function bpf_dynptr_from_skb_meta is not allowed",
    )
}

/// Socket filters read the tag (their writes are refused at load time:
/// `verifier_rejects_write_in_socket_filter`).
#[test]
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn socket_filter_reads_but_cannot_write() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(hooks, obj, 7010, ["tc_write", "sock_read"]);
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
            msg[..4].copy_from_slice(&bpf_skb_ext_selftests::next_datagram_id().to_be_bytes());
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

/// Which drop reason hit my tagged packets? A tp_btf/kfree_skb program reads the tag of packets
/// dropped at tc ingress, with SKB_DROP_REASON_TC_INGRESS; its dynptr is read-only, and the
/// untagged packets it sees allocate nothing.
#[test]
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn tracing_reads_the_tag_of_dropped_packets() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(hooks, obj, 7044, ["tc_write_drop", "trace_tagged_drops"]);
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
    check_eq!(
        r.drop_stats.id_bad,
        0,
        "tags read at kfree_skb written on another packet"
    );
    check_eq!(
        r.drop_stats.id_ok + r.drop_stats.id_within,
        30,
        "tags read at kfree_skb checked against their packet"
    );
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
    check_eq!(stats.id_bad, 0, "tags {where_} written on another packet");
    check_eq!(
        stats.id_ok + stats.id_within,
        stats.read_ok,
        "tags {where_} checked against their packet"
    );
    Ok(())
}

/// An LSM program on socket_sock_rcv_skb reads the tag of the packets a socket admits.
#[test]
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn lsm_reads_the_tag_at_socket_receive() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(hooks, obj, 7045, ["tc_write", "lsm_sock_rcv_read"]);
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
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn netfilter_reads_the_tag_at_local_in() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(hooks, obj, 7046, ["tc_write", "nf_read"]);
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
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn sock_ops_reads_the_tag_of_incoming_segments() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(hooks, obj, 7047, ["tc_write", "sockops_read"]);
    let p = Pair::new("sockops")?;
    p.b.attach_tc(VETH_B, &skel.progs.tc_write, "ingress")?;
    let _ops = bpf_skb_ext_selftests::attach_cgroup(&skel.progs.sockops_read)?;
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
    check_eq!(r.sockops_stats.id_bad, 0, "tags written on another segment");
    check_eq!(
        r.sockops_stats.id_ok + r.sockops_stats.id_within,
        r.sockops_stats.read_ok,
        "tags checked against their segment"
    );
    Ok(())
}

/// Tracing programs reach the kfunc only where the skb is alive for the whole program: a
/// tp_btf program at net_dev_xmit, which fires after the driver's xmit may have freed the skb,
/// is refused at load time; consume_skb, like kfree_skb (`tracing_reads_the_tag_of_dropped_packets`),
/// is allowed.
#[test]
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn verifier_refuses_the_kfunc_where_the_skb_may_be_freed() -> Result<()> {
    expect_rejected_with(
        "reject_read_at_net_dev_xmit",
        "the skb may already be freed at this attach point",
    )?;
    let mut obj = MaybeUninit::uninit();
    let _skel = load_skel!(hooks, obj, 7050, ["trace_tagged_consumed"]);
    Ok(())
}

/// Why net_dev_xmit is refused: a veth drops a frame too large for its peer inside its xmit, and
/// net_dev_xmit then reports that skb, already freed. kfree_skb reads every tag while the skb is
/// alive; net_dev_xmit (comparing addresses only) fires for the same skb afterwards, every time.
#[test]
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn net_dev_xmit_reports_skbs_already_freed() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(
        hooks,
        obj,
        7051,
        ["tc_write", "remember_tagged_drop", "xmit_of_dropped_skb"]
    );
    let p = Pair::new("xmitfree")?;
    p.b.ip(&format!("link set {VETH_B} mtu 1000"))?;
    p.a.attach_tc(VETH_A, &skel.progs.tc_write, "egress")?;
    let _drop = skel.progs.remember_tagged_drop.attach()?;
    let _xmit = skel.progs.xmit_of_dropped_skb.attach()?;
    udp_send(&p.a, ADDR_B, 7051, 20, 1400)?;
    std::thread::sleep(Duration::from_millis(300));
    let r = results(&skel);
    check_eq!(r.tc_write_stats.written, 20, "tags written at tc egress");
    check_eq!(r.drop_stats.read_ok, 20, "tagged drops read at kfree_skb");
    check_eq!(
        r.xmit_after_free,
        20,
        "net_dev_xmit events for an skb kfree_skb had already dropped"
    );
    check_eq!(module::wait_live(0)?, 0, "live buffers");
    Ok(())
}

/// Every kfunc or helper that may write through a dynptr is refused at load time on the
/// extension in every program type that may only read it (socket filter, tracing, LSM,
/// netfilter, sock_ops); the reading ones load.
#[test]
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn verifier_refuses_every_writer_in_read_only_types() -> Result<()> {
    let mut failed = Vec::new();
    for prog in [
        "reject_write_in_socket_filter",
        "reject_sock_slice_rdwr",
        "ro_socket_memset",
        "ro_socket_copy",
        "ro_socket_probe_read",
        "reject_write_in_tracing",
        "ro_tracing_slice_rdwr",
        "ro_tracing_memset",
        "ro_tracing_copy",
        "ro_tracing_probe_read",
        "ro_lsm_dynptr_write",
        "reject_slice_rdwr_in_lsm",
        "ro_lsm_memset",
        "ro_lsm_copy",
        "ro_lsm_probe_read",
        "ro_nf_dynptr_write",
        "ro_nf_slice_rdwr",
        "ro_nf_memset",
        "ro_nf_copy",
        "ro_nf_probe_read",
        "ro_sockops_dynptr_write",
        "ro_sockops_slice_rdwr",
        "ro_sockops_memset",
        "ro_sockops_copy",
        "ro_sockops_probe_read",
    ] {
        match expect_rejected(prog) {
            Ok(log) if log.contains("skb extension is read-only in this prog type") => {}
            Ok(log) => failed.push(format!(
                "{prog}: refused for another reason: {}",
                log.lines()
                    .filter(|l| !l.starts_with("libbpf:"))
                    .rev()
                    .take(4)
                    .collect::<Vec<_>>()
                    .join(" | ")
            )),
            Err(e) => failed.push(format!("{e}")),
        }
    }
    ensure!(failed.is_empty(), "{}", failed.join("\n"));
    let mut obj = MaybeUninit::uninit();
    let _skel = load_skel!(hooks, obj, 7052, ["ro_socket_readers"]);
    Ok(())
}

/// sock_ops hands its own context to the kfunc; the kernel context's skb stays the untrusted
/// pointer it was before the series: programs load through it without a NULL check, and it is
/// not an argument the kfunc takes.
#[test]
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn sock_ops_kernel_context_skb_stays_untrusted() -> Result<()> {
    let mut obj = MaybeUninit::uninit();
    let _skel = load_skel!(hooks, obj, 7056, ["sockops_kern_skb_untrusted"]);
    expect_rejected_with("reject_sockops_kern_skb", "expected pointer to ctx")
}

/// A global function sees a dynptr argument as a plain local one: an extension dynptr passed to
/// one is refused (its slices would outlive bpf_clone_redirect() there).
#[test]
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn verifier_refuses_extension_dynptr_to_global_subprog() -> Result<()> {
    expect_rejected_with(
        "reject_ext_to_global_subprog",
        "which global function global_store_through_slice cannot take",
    )
}

/// Slices die with bpf_clone_redirect() across subprogram calls, in both orders: a clone in a
/// static or global subprogram after the caller took the slice, and a slice taken in a static
/// subprogram before its own clone.
#[test]
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn verifier_invalidates_slices_across_subprog_clones() -> Result<()> {
    for prog in [
        "reject_slice_after_static_clone",
        "reject_slice_after_global_clone",
        "reject_clone_in_static_slice_user",
    ] {
        expect_rejected_with(prog, "invalid mem access 'scalar'")?;
    }
    Ok(())
}

/// One kfunc call reached with flags 0 on one path and with the flag on another: the verifier
/// checks both (the flags register is precise either way), so the extension dynptr of the second
/// path cannot reach a global function under the cover of the first. Flags it cannot know are
/// refused in tc.
#[test]
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn verifier_checks_each_flags_value_on_its_own() -> Result<()> {
    let msg = "which global function global_take cannot take";
    expect_rejected_with("reject_ext_to_global_after_two_paths", msg)?;
    // A checkpoint at every prune point, so that the join before the call is one: the path
    // walked second is then pruned against the first unless the flags are precise.
    for prog in [
        "reject_ext_to_global_zero_first",
        "reject_ext_to_global_flag_first",
    ] {
        let log = expect_rejected_flags(prog, libbpf_rs::libbpf_sys::BPF_F_TEST_STATE_FREQ)?;
        ensure!(
            log.contains(msg),
            "{prog}: verifier log lacks {msg:?}:\n{log}"
        );
    }
    expect_rejected_with("reject_unknown_flags", "flags must be a known constant")
}

/// LSM hooks called without a packet pass a NULL skb (socket_getpeersec_dgram on every AF_UNIX
/// send): the kfunc returns -EINVAL and a null dynptr, and a slice of that is NULL.
#[test]
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn lsm_hook_without_a_packet_gets_einval() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(hooks, obj, 7055, ["lsm_peersec_no_skb"]);
    let _link = skel.progs.lsm_peersec_no_skb.attach()?;
    let (a, b) = std::os::unix::net::UnixDatagram::pair()?;
    for _ in 0..5 {
        a.send(b"peersec")?;
    }
    let mut buf = [0u8; 16];
    check_eq!(b.recv(&mut buf)?, 7, "datagram received");
    drop(_link);
    let r = results(&skel);
    ensure!(
        r.peersec_calls >= 5,
        "socket_getpeersec_dgram ran {} times",
        r.peersec_calls
    );
    check_eq!(r.peersec_ret as i64, EINVAL, "kfunc on a NULL skb");
    check_eq!(r.peersec_null, 1, "null dynptr");
    Ok(())
}
