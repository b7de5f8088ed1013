// SPDX-License-Identifier: GPL-2.0
//! SPEC "Kfunc behaviour": what `bpf_dynptr_from_skb_meta()` returns and does for each case
//! (untagged packets, kernel writers, allocation failure, bad input and flags, NOENT, flags 0).

use super::*;

/// A kfunc that writes through `__bpf_dynptr_data_rw()` (`bpf_crypto_encrypt()`, AES-128-ECB
/// of 16 zero bytes under an all-zero key) into an untagged packet's extension: it gets the
/// packet's own, newly attached buffer, and the ciphertext lands there (it used to be handed
/// a shared read-only page of zeros: an oops, or every untagged reader seeing the bytes).
#[test]
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn kernel_writer_gets_the_packets_own_buffer() -> Result<()> {
    const AES128_ZERO: [u8; 16] = [
        0x66, 0xe9, 0x4b, 0xd4, 0xef, 0x8a, 0x2c, 0x3b, 0x88, 0x4c, 0xfa, 0x59, 0xca, 0x34, 0x2b,
        0x2e,
    ];
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(
        kfunc,
        obj,
        7037,
        ["crypto_setup", "tc_crypto_into_ext", "tc_read"]
    );
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

/// A packet never tagged reads as zeros, and reading allocates nothing.
#[test]
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn untagged_packets_read_zeros_and_allocate_nothing() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(kfunc, obj, 7004, ["tc_read", "cg_read"]);
    let p = Pair::new("zero")?;
    p.b.attach_tc(VETH_B, &skel.progs.tc_read, "ingress")?;
    let _cg = bpf_skb_ext_selftests::attach_cgroup(&skel.progs.cg_read)?;

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

/// Bad input at runtime: unknown flags, offsets and lengths past the buffer.
#[test]
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn bad_input_gives_runtime_errors() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(kfunc, obj, 7009, ["tc_bad_input"]);
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

/// Allocation failure, injected on the skb extension cache, for a writer using `mode`: the
/// write fails with `want_err`, the packet is still delivered, the module counts each failure
/// exactly once (a writable slice or memset that fails must not retry the allocation).
fn allocation_failure_run(mode: u32, port: u16, want_err: i64) -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let mut skel = load_skel!(kfunc, obj, port, ["tc_write", "cg_read"]);
    config(&mut skel).cfg_write_mode = mode;
    let p = Pair::new("nomem")?;
    p.b.attach_tc(VETH_B, &skel.progs.tc_write, "ingress")?;
    let _cg = bpf_skb_ext_selftests::attach_cgroup(&skel.progs.cg_read)?;

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
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn allocation_failure_gives_enomem_and_delivers() -> Result<()> {
    allocation_failure_run(write_mode::DYNPTR, 7011, ENOMEM)
}

/// Allocation failure on `bpf_dynptr_slice_rdwr()`: a NULL slice, counted once.
#[test]
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn allocation_failure_on_writable_slice_counts_once() -> Result<()> {
    // The program turns the NULL slice into -ENOMEM itself.
    allocation_failure_run(write_mode::SLICE, 7031, ENOMEM)
}

/// Allocation failure on `bpf_dynptr_memset()`: -ENOMEM, counted once (it used to fall back
/// to a second allocation through `bpf_dynptr_write()` after its slice failed).
#[test]
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn allocation_failure_on_memset_counts_once() -> Result<()> {
    allocation_failure_run(write_mode::MEMSET, 7032, ENOMEM)
}

/// Allocation failure on `bpf_probe_read_kernel_dynptr()`, a writer from outside the dynptr
/// code: -ENOMEM, counted once (its fallback for memory a slice cannot cover wrote through
/// `bpf_dynptr_write()` after the slice failed, and allocated a second time).
#[test]
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn allocation_failure_on_probe_read_dynptr_counts_once() -> Result<()> {
    allocation_failure_run(write_mode::PROBE_READ, 7038, ENOMEM)
}

/// Allocation failure on copy-on-write: the original's rewrite after bpf_clone_redirect() must
/// copy the shared buffer, and that copy fails. The write returns -ENOMEM, original and clone
/// both keep the first tag, nothing is copied, each failure is counted once.
#[test]
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn allocation_failure_on_copy_on_write_keeps_the_shared_tag() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let mut skel = load_skel!(kfunc, obj, 7041, ["tc_clone_write", "tc_read", "tc_read2"]);
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
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn bad_flags_fail_in_every_program_type() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(
        kfunc,
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

/// "Never tagged" and "tagged with zeros" told apart: with BPF_DYNPTR_SKB_EXT_NOENT_F an
/// untagged packet gives -ENOENT and a null dynptr, a packet tagged with zeros reads zeros, and
/// readers allocate nothing.
#[test]
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn noent_flag_tells_untagged_from_tagged_with_zeros() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(
        kfunc,
        obj,
        7043,
        ["tc_tag_zeros_every_other", "cg_read_noent"]
    );
    let p = Pair::new("noent")?;
    p.b.attach_tc(VETH_B, &skel.progs.tc_tag_zeros_every_other, "ingress")?;
    let _cg = bpf_skb_ext_selftests::attach_cgroup(&skel.progs.cg_read_noent)?;
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

/// flags == 0 still gives the XDP metadata area in tc; outside tc it is not offered.
#[test]
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn flags_zero_keeps_xdp_metadata_path() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(
        kfunc,
        obj,
        7015,
        ["xdp_meta_write", "tc_meta_read", "cg_flags0"]
    );
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
    let _cg = bpf_skb_ext_selftests::attach_cgroup(&skel.progs.cg_flags0)?;
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

/// Every access path at non-zero offsets of a tagged packet, on its own buffer and on one shared
/// with a clone (read-only slices through the bounce buffer), directly and through a view moved by
/// bpf_dynptr_adjust(): copies, read-only and writable slices, memset and copy all reach exactly
/// the bytes they name (BPF_PROG_TEST_RUN of `tc_offsets`, which checks each against a reference
/// copy and names the line of the first mismatch).
#[test]
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn every_access_path_honours_its_offset() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let mut skel = load_skel!(kfunc, obj, 7053, ["tc_offsets"]);
    sh("ip link set lo up")?;
    config(&mut skel).cfg_clone_ifindex = 1; // lo, where the clone goes
    let mut frame = vec![0u8; 14 + 20 + 8 + 16];
    frame[12..14].copy_from_slice(&0x0800u16.to_be_bytes());
    frame[14] = 0x45;
    let input = libbpf_rs::ProgramInput {
        data_in: Some(&frame),
        ..Default::default()
    };
    skel.progs
        .tc_offsets
        .test_run(input)
        .context("BPF_PROG_TEST_RUN of tc_offsets")?;
    let r = results(&skel);
    check_eq!(r.offsets_clone_ret, 0, "bpf_clone_redirect() to lo");
    check_eq!(
        r.offsets_line,
        0,
        "line of tests/vm/kfunc.bpf.c whose check failed"
    );
    // One buffer for the packet, one copied for it when the shared one was written.
    check_eq!(module::counter("allocated")?, 1, "buffers allocated");
    check_eq!(module::counter("copied")?, 1, "buffers copied on write");
    check_eq!(module::wait_live(0)?, 0, "live buffers");
    Ok(())
}
