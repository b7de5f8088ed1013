// SPDX-License-Identifier: GPL-2.0
//! SPEC "Lifetime": what happens to the buffer when packets are cloned, cross namespaces and
//! tunnels, are segmented or merged; the KUnit lifetime suites.

use super::*;

/// bpf_clone_redirect(): the clone sees the original's tag; a write on the original after
/// cloning unshares the buffer (copied counter), and the clone never sees it.
#[test]
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn clone_shares_tag_and_write_unshares_it() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let mut skel = load_skel!(
        lifetime,
        obj,
        7005,
        ["tc_clone_write", "tc_read", "tc_read2"]
    );
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
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn veth_netns_crossing_keeps_or_drops_by_policy() -> Result<()> {
    fresh_module()?;
    check_eq!(module::drop_across_netns()?, false, "default policy (keep)");
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(lifetime, obj, 7006, ["tc_write", "tc_read"]);
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

/// The lifetime rows no BPF program reaches on demand, in the kernel's KUnit suite
/// (clone, pskb_copy, skb_copy share the buffer until a write; another extension added to or
/// removed from a shared container; scrub with and without xnet; a buffer that outlives its
/// provider), and the KUnit tests of the Rust provider abstraction. Both register a provider
/// of their own, so the module is unloaded meanwhile. Also the KUnit tests of the Rust module
/// parameters in sysfs ("rust: module_param: support parameters in sysfs"), which the
/// provider's netns policy is.
#[test]
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn kunit_lifetime_and_rust_abstraction() -> Result<()> {
    module::unload()?;
    let c = kunit::run("bpf_skb_ext");
    let rust = kunit::run("rust_kernel_bpf_skb_ext");
    module::load("")?;
    let params = kunit::run("rust_kernel_module_param")?;

    let c = c?;
    for case in [
        "bpf_skb_ext_untagged_reads_zeros",
        "bpf_skb_ext_first_write_attaches_zeroed",
        "bpf_skb_ext_clone_shares",
        "bpf_skb_ext_pskb_copy_shares",
        "bpf_skb_ext_skb_copy_shares",
        "bpf_skb_ext_other_extensions",
        "bpf_skb_ext_scrub",
        "bpf_skb_ext_core_wipes_released",
        "bpf_skb_ext_data_rw_is_exclusive",
        "bpf_skb_ext_recycled_buffer_starts_zeroed",
        "bpf_skb_ext_scrub_shared_container",
        "bpf_skb_ext_write_after_shared_secpath_reset",
        "bpf_skb_ext_secpath_set_after_the_clone_is_gone",
        "bpf_skb_ext_scrub_drops_left_behind_secpath",
        "bpf_skb_ext_outlives_provider",
        "bpf_skb_ext_core_wipes_orphans",
        "bpf_skb_ext_unregister_waits_for_hooks",
        "bpf_skb_ext_register_waits_for_old_hooks",
        "bpf_skb_ext_rdonly_dynptr_refuses_writes",
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
    ] {
        ensure!(
            rust.iter().any(|n| n == case),
            "Rust KUnit case {case} did not pass: {rust:?}"
        );
    }
    for case in ["module_param_bool_in_sysfs", "module_param_u32_in_sysfs"] {
        ensure!(
            params.iter().any(|n| n == case),
            "Rust KUnit case {case} did not pass: {params:?}"
        );
    }
    Ok(())
}

/// ipip encapsulation and decapsulation keep the tag.
#[test]
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn ipip_tunnel_keeps_tag() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(
        lifetime,
        obj,
        7007,
        ["tc_write_l3", "tc_read_l3", "tc_read2"]
    );
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
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn gso_segments_keep_tag() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(lifetime, obj, 7008, ["cg_write", "tc_read2", "tc_read"]);
    let p = Pair::new("gso")?;
    sh(&format!(
        "ip netns exec {} ethtool -K {VETH_A} tso off gso on",
        p.a.name
    ))?;
    let _cg = bpf_skb_ext_selftests::attach_cgroup(&skel.progs.cg_write)?;
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
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn gro_merged_packet_keeps_a_tag() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(lifetime, obj, 7018, ["tc_write", "tc_read"]);
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

/// WireGuard scrubs every packet it decrypts, which keeps our extension, then zeroes the headers
/// group, `slow_gro` included; GRO puts the extensions of a packet whose head it steals only
/// with `slow_gro` set. Tagged on the underlay veth (native XDP there gives the packets page-frag
/// heads, as a NIC driver does), TCP through the tunnel: every buffer is freed.
#[test]
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn wireguard_gro_frees_every_tag() -> Result<()> {
    const WG_PORT: u16 = 51820;
    const BYTES: usize = 1 << 20;
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(lifetime, obj, WG_PORT, ["tc_write", "xdp_pass"]);
    let p = Pair::new("wg")?;
    let tmp = std::env::temp_dir();
    let mut public = Vec::new();
    for (ns, side) in [(&p.a, "a"), (&p.b, "b")] {
        let key = tmp.join(format!("bpf-skb-ext-wg-{}-{side}", std::process::id()));
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "umask 077; wg genkey > {0}; wg pubkey < {0}",
                key.display()
            ))
            .output()?;
        ensure!(out.status.success(), "wg genkey: {out:?}");
        public.push(String::from_utf8(out.stdout)?.trim().to_string());
        ns.ip("link add wg0 type wireguard")?;
        sh(&format!(
            "ip netns exec {} wg set wg0 private-key {} listen-port {WG_PORT}",
            ns.name,
            key.display()
        ))?;
        // The device holds the key now.
        fs::remove_file(&key)?;
    }
    for (ns, peer_pub, peer_addr, addr, peer_inner) in [
        (&p.a, &public[1], ADDR_B, "198.51.100.1", "198.51.100.2"),
        (&p.b, &public[0], ADDR_A, "198.51.100.2", "198.51.100.1"),
    ] {
        sh(&format!(
            "ip netns exec {} wg set wg0 peer {peer_pub} allowed-ips {peer_inner}/32 endpoint {peer_addr}:{WG_PORT}",
            ns.name
        ))?;
        ns.ip(&format!("addr add {addr}/24 dev wg0"))?;
        ns.ip("link set wg0 up")?;
    }
    let ifindex = p.b.ifindex(VETH_B)?;
    let _xdp = {
        let _in_b = p.b.enter()?;
        skel.progs.xdp_pass.attach_xdp(ifindex as i32)?
    };
    p.b.attach_tc(VETH_B, &skel.progs.tc_write, "ingress")?;

    check_eq!(
        tcp_flow(&p.a, &p.b, "198.51.100.2", 7057, BYTES)?,
        BYTES,
        "bytes received through the tunnel"
    );
    std::thread::sleep(Duration::from_millis(300));
    let r = results(&skel);
    ensure!(
        r.tc_write_stats.written > 100,
        "{} tags written on the underlay",
        r.tc_write_stats.written
    );
    check_eq!(module::wait_live(0)?, 0, "live buffers after the flow");
    check_eq!(
        module::counter("freed")?,
        r.tc_write_stats.written,
        "buffers freed, merged-away ones included"
    );
    Ok(())
}

/// Real traffic that carries another skb extension, MPTCP's (on every segment an MPTCP socket
/// sends), through a veth into another netns (`skb_scrub_packet(skb, true)`):
/// - untagged: the kfunc with NOENT says -ENOENT on segments that carry only the other
///   extension, nothing is allocated, and the crossing drops the other extension;
/// - tagged at tc egress: every tag arrives, alone in its container (the crossing moved it out of
///   the one it shared with MPTCP's, a copy the provider counts), MPTCP's dropped;
/// - with allocations of the extension cache failing: every failure the provider is told of is
///   a tag that was not written at tc egress or was lost in that move, and no other.
#[test]
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn other_extensions_on_real_traffic() -> Result<()> {
    const PORT: u16 = 7054;
    const BYTES: usize = 256 << 10;
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let mut skel = load_skel!(
        lifetime,
        obj,
        PORT,
        ["tc_other_ext_egress", "tc_other_ext_ingress"]
    );
    let p = Pair::new("mptcp")?;
    p.a.attach_tc(VETH_A, &skel.progs.tc_other_ext_egress, "egress")?;
    p.b.attach_tc(VETH_B, &skel.progs.tc_other_ext_ingress, "ingress")?;

    check_eq!(
        mptcp_flow(&p.a, &p.b, ADDR_B, PORT, BYTES)?,
        BYTES,
        "bytes received, untagged"
    );
    let r = results(&skel);
    let (eg, ing) = (&r.other_ext_egress, &r.other_ext_ingress);
    ensure!(
        eg.other >= 4,
        "only {} segments carried MPTCP's extension at tc egress",
        eg.other
    );
    check_eq!(
        eg.noent_with_other,
        eg.other,
        "-ENOENT on segments carrying only MPTCP's extension"
    );
    check_eq!(eg.tagged + ing.tagged, 0, "tags on untagged traffic");
    check_eq!(ing.other, 0, "MPTCP's extension after the netns crossing");
    check_eq!(
        ing.none,
        ing.seen,
        "segments with no extension after the crossing"
    );
    check_eq!(ing.noent, ing.seen, "-ENOENT after the crossing");
    check_eq!(
        module::counter("allocated")?,
        0,
        "buffers for untagged traffic"
    );

    config(&mut skel).cfg_other_ext_write = 1;
    let before = results(&skel);
    check_eq!(
        mptcp_flow(&p.a, &p.b, ADDR_B, PORT, BYTES)?,
        BYTES,
        "bytes received, tagged"
    );
    let r = results(&skel);
    let written = r.tc_write_stats.written;
    ensure!(written >= 4, "only {written} segments tagged");
    check_eq!(r.tc_write_stats.write_err, 0, "tag write errors");
    let ing_tagged = r.other_ext_ingress.tagged - before.other_ext_ingress.tagged;
    check_eq!(ing_tagged, written, "tags that arrived");
    check_eq!(
        r.other_ext_ingress.ours_only - before.other_ext_ingress.ours_only,
        written,
        "tagged segments carrying ours alone after the crossing"
    );
    check_eq!(
        r.other_ext_ingress.other,
        0,
        "MPTCP's extension after the crossing"
    );
    check_eq!(module::wait_live(0)?, 0, "live buffers");
    let c = module::counters()?;
    check_eq!(c["allocated"], written, "buffers attached at tc egress");
    check_eq!(
        c["copied"],
        written,
        "buffers moved out of a shared container at the crossing"
    );

    // Every third allocation of the extension cache fails, a dozen times: they hit the tag
    // writes, the moves at the crossing and MPTCP's own extensions, which TCP recovers from.
    let mut lost = 0;
    for round in 0..3 {
        let before = results(&skel);
        let failed_before = module::counter("alloc_failed")?;
        {
            let _failslab = Failslab::on_ext_cache(3, 12)?;
            let _ = mptcp_flow(&p.a, &p.b, ADDR_B, PORT, 64 << 10);
        }
        std::thread::sleep(Duration::from_millis(300));
        let r = results(&skel);
        let written = r.tc_write_stats.written - before.tc_write_stats.written;
        let write_err = r.tc_write_stats.write_err - before.tc_write_stats.write_err;
        let arrived = r.other_ext_ingress.tagged - before.other_ext_ingress.tagged;
        ensure!(
            arrived <= written,
            "round {round}: {arrived} tags arrived of {written}"
        );
        let failed = module::counter("alloc_failed")? - failed_before;
        check_eq!(
            failed,
            write_err + (written - arrived),
            "round {round}: allocation failures counted vs tags not written ({write_err}) or lost \
             at the crossing ({})",
            written - arrived
        );
        lost += written - arrived;
        if lost > 0 {
            break;
        }
    }
    ensure!(
        lost > 0,
        "the injected failures never hit a move at the crossing"
    );
    check_eq!(module::wait_live(0)?, 0, "live buffers");
    Ok(())
}
