// SPDX-License-Identifier: GPL-2.0
//! SPEC "The Rust hook provider": its counters, zeroed buffers, unload (also under traffic) and
//! what BPF sees without it.

use super::*;

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

/// The provider's own hooks, unit-tested in the module (KUnit suite `bpf_skb_ext_provider`, run
/// while it is loaded): release accounts (freed is derived from live), copy counts and leaves
/// the bytes, peak is the highest live count, and the netns policy the kernel reads is the
/// module parameter's own storage. The wipe on release is the core's: KUnit
/// `bpf_skb_ext_core_wipes_released` (lifetime).
#[test]
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn kunit_provider_hooks() -> Result<()> {
    fresh_module()?;
    let passed = kunit::run("bpf_skb_ext_provider")?;
    for case in [
        "release_accounts",
        "netns_policy_is_the_parameter",
        "copy_counts_and_keeps_the_bytes",
        "peak_is_the_highest_live",
    ] {
        ensure!(
            passed.iter().any(|n| n == case),
            "KUnit case {case} did not pass: {passed:?}"
        );
    }
    Ok(())
}

/// Counters for a known pattern: N packets tagged and held in an AF_PACKET queue (clones),
/// then freed: live follows, peak covers the queue, live returns to 0.
#[test]
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn counters_follow_tagged_packets_in_flight() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(provider, obj, 7012, ["tc_write"]);
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

/// Both vCPUs tag at once: two senders, each pinned to its own CPU, start together; tc egress
/// runs on the sender's CPU, so the buffers are set up from both at the same moment, and an
/// AF_PACKET tap holds them all. live and peak must count every one of them, exactly (the
/// peak is a compare-and-swap maximum that two CPUs race on), and the per-CPU `allocated`
/// must sum both CPUs.
#[test]
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn peak_counts_two_cpus_tagging_at_once() -> Result<()> {
    fresh_module()?;
    // SAFETY: sysconf has no memory-safety preconditions.
    let cpus = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    ensure!(cpus >= 2, "the VM has {cpus} CPU(s); this test needs two");
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(provider, obj, 7019, ["tc_write"]);
    let p = Pair::new("peak2")?;
    p.a.attach_tc(VETH_A, &skel.progs.tc_write, "egress")?;
    let tap = packet_tap(&p.a, VETH_A)?;
    let rx = udp_rx(&p.b, ADDR_B, 7019)?;
    // 2 x 80 datagrams: below what the receiving socket's default buffer holds unread.
    const PER_CPU: u64 = 80;
    let start = Arc::new(std::sync::Barrier::new(2));
    let senders: Vec<_> = (0..2usize)
        .map(|cpu| {
            let (a, start) = (p.a.borrow(), start.clone());
            std::thread::spawn(move || {
                a.run(move || {
                    pin_to_cpu(cpu)?;
                    let tx = std::net::UdpSocket::bind("0.0.0.0:0")?;
                    let mut payload = [0x5au8; 64];
                    start.wait();
                    for _ in 0..PER_CPU {
                        payload[..4].copy_from_slice(&next_datagram_id().to_be_bytes());
                        tx.send_to(&payload, (ADDR_B, 7019))?;
                    }
                    // SAFETY: sched_getcpu() has no preconditions.
                    let now = unsafe { libc::sched_getcpu() };
                    ensure!(now == cpu as i32, "sender pinned to CPU {cpu} ran on {now}");
                    Ok(())
                })
            })
        })
        .collect();
    for s in senders {
        s.join()
            .map_err(|_| anyhow::anyhow!("sender thread panicked"))??;
    }
    check_eq!(
        udp_recv(&rx, 2 * PER_CPU as usize),
        2 * PER_CPU as usize,
        "datagrams"
    );
    check_eq!(
        results(&skel).tc_write_stats.written,
        2 * PER_CPU,
        "tags written"
    );
    let c = module::counters()?;
    check_eq!(
        c["allocated"],
        2 * PER_CPU,
        "buffers allocated on both CPUs"
    );
    check_eq!(c["live"], 2 * PER_CPU, "buffers held by the tap");
    check_eq!(c["peak"], 2 * PER_CPU, "peak: every buffer of both CPUs");
    drop(tap);
    check_eq!(module::wait_live(0)?, 0, "live after the tap is closed");
    let c = module::counters()?;
    check_eq!(c["peak"], 2 * PER_CPU, "peak after the tap is closed");
    check_eq!(c["freed"], 2 * PER_CPU, "buffers freed");
    Ok(())
}

/// A buffer set up under one load of the provider and copied on write under the next: tc
/// egress tags packets that a plug qdisc then holds; the module is reloaded; released, the
/// packets reach the receiver, where an AF_PACKET tap's clone shares each buffer and tc
/// ingress rewrites the tag's sequence number. The copy is the new instance's (copied, then
/// freed with the datagram it went with); the old buffers, freed when the tap closes, are
/// nobody's (no hook: live must not go below 0); the tag crosses the reload whole.
#[test]
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn tag_from_before_a_reload_is_copied_by_the_next_provider() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(provider, obj, 7021, ["tc_write", "tc_reload_rewrite"]);
    let p = Pair::new("cowreload")?;
    p.a.attach_tc(VETH_A, &skel.progs.tc_write, "egress")?;
    // Resolve the neighbour first (the writer ignores this port): the plug would hold the ARP
    // request, and the datagrams would wait untagged in the neighbour's queue.
    check_eq!(
        udp_flow(&p.a, &p.b, ADDR_B, 7022, 1, 64)?,
        1,
        "warm-up datagram"
    );
    p.a.tc(&format!("qdisc add dev {VETH_A} root plug limit 100000000"))?;
    p.a.tc(&format!("qdisc change dev {VETH_A} root plug block"))?;
    let rx = udp_rx(&p.b, ADDR_B, 7021)?;
    const N: u64 = 40;
    udp_send(&p.a, ADDR_B, 7021, N as usize, 64)?;
    let c = module::counters()?;
    check_eq!(c["allocated"], N, "buffers set up before the reload");
    check_eq!(c["live"], N, "buffers held by the plug qdisc");
    module::unload()?;
    module::load("")?;
    check_eq!(module::counter("live")?, 0, "live right after the reload");
    let tap = packet_tap(&p.b, VETH_B)?;
    p.b.attach_tc(VETH_B, &skel.progs.tc_reload_rewrite, "ingress")?;
    p.a.tc(&format!(
        "qdisc change dev {VETH_A} root plug release_indefinite"
    ))?;
    check_eq!(udp_recv(&rx, N as usize), N as usize, "datagrams released");
    let r = results(&skel);
    check_eq!(
        r.tc_write_stats.written,
        N,
        "tags written before the reload"
    );
    check_eq!(
        r.tc_read_stats.read_ok,
        N,
        "tags read whole after the reload"
    );
    check_eq!(r.tc_read_stats.id_ok, N, "tags on their own packet");
    check_eq!(r.reload_rewrite_err, 0, "rewrites that failed");
    check_eq!(r.reload_rewritten, N, "tags rewritten (copied on write)");
    check_eq!(r.tc_read2_stats.read_ok, N, "rewritten tags read whole");
    check_eq!(r.tc_read2_stats.seq_high, N, "rewritten sequence numbers");
    check_eq!(
        r.tc_read2_stats.id_ok,
        N,
        "rewritten tags on their own packet"
    );
    check_eq!(
        module::wait_live(0)?,
        0,
        "live after the copies went with their datagrams"
    );
    let c = module::counters()?;
    check_eq!(c["allocated"], 0, "buffers the new instance set up");
    check_eq!(c["copied"], N, "copies the new instance made");
    check_eq!(c["freed"], N, "copies freed");
    drop(tap);
    // The old buffers go now; a release hook called for them would take live below 0.
    std::thread::sleep(Duration::from_millis(200));
    let c = module::counters()?;
    check_eq!(c["live"], 0, "live after the old buffers were freed");
    check_eq!(
        c["freed"],
        N,
        "freed: the old buffers are not the new instance's"
    );
    Ok(())
}

/// Buffers come back from the slab with old bytes: a new tag must start from zeros.
#[test]
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn recycled_buffers_start_zeroed() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(provider, obj, 7013, ["tc_fresh_check"]);
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
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn without_module_flag_is_not_supported() -> Result<()> {
    module::unload()?;
    let res = (|| -> Result<()> {
        let mut obj = MaybeUninit::uninit();
        let skel = load_skel!(provider, obj, 7014, ["tc_write", "tc_read"]);
        let p = Pair::new("nomod")?;
        p.a.attach_tc(VETH_A, &skel.progs.tc_write, "egress")?;
        p.b.attach_tc(VETH_B, &skel.progs.tc_read, "ingress")?;
        check_eq!(udp_flow(&p.a, &p.b, ADDR_B, 7014, 20, 64)?, 20, "datagrams");
        let r = results(&skel);
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

/// 50 rmmod/insmod cycles while tagged traffic flows: no splat (checked by the runner), no
/// packet lost, no bad tag, counters sane.
#[test]
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn module_reload_under_traffic() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(provider, obj, 7016, ["tc_write", "tc_read"]);
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
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn stress_flows_clones_and_reloads() -> Result<()> {
    fresh_module()?;
    let mut obj = MaybeUninit::uninit();
    let mut skel = load_skel!(
        provider,
        obj,
        7017,
        ["tc_clone_write", "tc_read", "tc_read2"]
    );
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

/// The test-only module that leaks its provider registration (`selftests/modules/`).
const LEAKY: &str = "leaky_provider";

/// Whether `leaky_provider` is loaded.
fn leaky_loaded() -> bool {
    fs::metadata(format!("/sys/module/{LEAKY}")).is_ok()
}

/// Runs `body` with `leaky_provider` loaded in place of rust_bpf_skb_ext (`body` may unload it),
/// then unloads it if it is still there and loads rust_bpf_skb_ext again, whatever `body` did.
fn with_leaky_provider(body: impl FnOnce() -> Result<()>) -> Result<()> {
    let leaky = std::env::var("LEAKY_PROVIDER_MODULE")
        .context("LEAKY_PROVIDER_MODULE (path of leaky_provider.ko) is not set")?;
    module::unload()?;
    let res = sh(&format!("insmod {leaky}")).and_then(|_| body());
    if leaky_loaded() {
        let _ = sh(&format!("rmmod {LEAKY}"));
    }
    let reload = module::load("");
    res?;
    reload.context("rust_bpf_skb_ext must register again once the leaked provider's module is gone")
}

/// Safe Rust can leak a `Registration` (`leaky_provider` forgets the pinned box at init), so its
/// drop never unregisters the provider; `rmmod` must still leave the kernel calling no code of
/// the module it freed. While the module is loaded its provider serves: tags are written, and an
/// AF_PACKET queue holds clones of the tagged packets. Once it is gone the flag is not supported
/// (-EOPNOTSUPP, as without any provider), traffic flows, the held buffers are freed with no hook
/// to call, and rust_bpf_skb_ext can register again. A hook called after `rmmod` is an Oops on the
/// console, which fails the run.
#[test]
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn leaked_registration_is_harmless_after_unload() -> Result<()> {
    with_leaky_provider(|| {
        let mut obj = MaybeUninit::uninit();
        let skel = load_skel!(provider, obj, 7090, ["tc_write"]);
        let p = Pair::new("leak")?;
        p.a.attach_tc(VETH_A, &skel.progs.tc_write, "egress")?;
        // Tagged packets that outlive the provider: clones held by an AF_PACKET socket on the
        // sender's veth, freed only when it closes, after the module went.
        let tap = packet_tap(&p.a, VETH_A)?;
        const N: u64 = 20;
        check_eq!(
            udp_flow(&p.a, &p.b, ADDR_B, 7090, N as usize, 64)?,
            N as usize,
            "datagrams while the leaked provider serves"
        );
        let before = results(&skel).tc_write_stats;
        check_eq!(before.seen, N, "packets the writer saw");
        check_eq!(
            before.written,
            N,
            "tags written through the leaked provider"
        );

        sh(&format!("rmmod {LEAKY}")).context("nothing holds leaky_provider: rmmod must work")?;
        ensure!(!leaky_loaded(), "{LEAKY} still loaded after rmmod");

        // Its hooks are freed code now: a write must not reach them.
        check_eq!(
            udp_flow(&p.a, &p.b, ADDR_B, 7090, N as usize, 64)?,
            N as usize,
            "datagrams after the module went"
        );
        let r = results(&skel);
        check_identity(&r)?;
        let after = r.tc_write_stats;
        check_eq!(
            after.seen - before.seen,
            N,
            "packets seen after the module went"
        );
        check_eq!(
            after.written - before.written,
            0,
            "tags written after the module went"
        );
        check_eq!(
            (after.dynptr_err + after.write_err) - (before.dynptr_err + before.write_err),
            N,
            "writes that failed after the module went"
        );
        check_eq!(
            after.last_err,
            EOPNOTSUPP,
            "writer error after the module went"
        );
        // The buffers that outlived their provider: freed (and wiped) by the kernel alone.
        drop(tap);
        Ok(())
    })
}

/// A provider refused because another one is registered says nothing: insmod of
/// rust_bpf_skb_ext fails with EBUSY while `leaky_provider` serves, and neither its "serving"
/// line nor its unload message ("unregistered with N buffers live", which a refused instance
/// used to print when the failed initialiser dropped its hooks) appears. Once the other provider
/// is gone, it loads and says it serves.
#[test]
#[ignore = "needs root, the patched kernel and rust_bpf_skb_ext.ko: run by `make vm-test`"]
fn second_provider_refused_without_a_word() -> Result<()> {
    with_leaky_provider(|| {
        let mark = dmesg_lines()?.len();
        let refused = module::load("");
        ensure!(
            refused.is_err(),
            "rust_bpf_skb_ext registered while {LEAKY} serves"
        );
        let msg = format!("{:#}", refused.unwrap_err());
        ensure!(
            msg.contains("busy"),
            "insmod of a second provider failed, but not with EBUSY: {msg}"
        );
        ensure!(!module::loaded(), "a refused provider stayed loaded");
        let said: Vec<String> = dmesg_lines()?.split_off(mark);
        let loud: Vec<&String> = said
            .iter()
            .filter(|l| l.contains("rust_bpf_skb_ext: serving") || l.contains("unregistered with"))
            .collect();
        ensure!(loud.is_empty(), "the refused provider logged: {loud:?}");
        sh(&format!("rmmod {LEAKY}"))?;
        let mark = dmesg_lines()?.len();
        module::load("")?;
        let said = dmesg_lines()?.split_off(mark);
        ensure!(
            said.iter()
                .any(|l| l.contains("rust_bpf_skb_ext: serving ")),
            "no \"serving\" line from the provider that registered: {said:?}"
        );
        Ok(())
    })
}
