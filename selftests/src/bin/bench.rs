// SPDX-License-Identifier: GPL-2.0
//! `make bench`: the skb extension against the map side-stash, same traffic, same VM, one run.
//!
//! One thread sends UDP datagrams from netns A over a veth to netns B and receives them, in
//! batches of 32. The veth hands packets to the receive path in softirq context on the same
//! CPU, inside the sender's system call, so the thread's CPU time (CLOCK_THREAD_CPUTIME_ID)
//! covers writer, stack, reader, socket delivery and the free (with its tracepoints). Per
//! packet cost = that CPU time / packets. Variants are interleaved round by round.
//!
//! The background scenario leaves the tagged flow idle and runs the machine's other traffic
//! instead (a UNIX datagram ping-pong, netlink RTM_GETLINK dumps, loopback TCP), with each
//! variant's programs attached as in the tagged run: what every variant costs the skbs it does
//! not tag. The map variants' cleanup programs run on the frees (the fentry on every one); the
//! extension adds nothing there.
//!
//! Writes one JSON object per line to the path in argv[1].
//!
//! Two more modes feed `perf record -e cpu-clock` in the guest (scripts/bench-profile.sh):
//! `bench profile VARIANT PACKETS` runs one variant, every packet tagged, and prints its cost;
//! `bench calibrate` runs two loops of known instruction counts (1:3), against which the
//! profile's sample shares are checked: under `-icount` a cpu-clock sample falls every so many
//! guest instructions, so shares of samples are shares of instructions.

use std::{
    fmt::Write as _,
    fs,
    io::{Read, Write},
    mem::MaybeUninit,
    net::{TcpListener, TcpStream, UdpSocket},
    os::{
        fd::{AsFd, AsRawFd, FromRawFd, OwnedFd},
        unix::net::UnixDatagram,
    },
    time::{Duration, Instant},
};

use anyhow::{bail, ensure, Context, Result};
use bpf_skb_ext_selftests::{
    attach_cgroup, bench_skel, module, udp_rx, Netns, Pair, ADDR_B, VETH_A, VETH_B,
};
use libbpf_rs::{
    skel::{OpenSkel, SkelBuilder},
    MapCore,
};

const PORT: u16 = 9100;
const BATCH: usize = 32;
const MAP_SIZE: u32 = 1024;
/// Background operations per traffic kind, variant and round, unless argv[4] says otherwise.
const BG_OPS: usize = 400;

#[derive(Clone, Copy, PartialEq)]
enum Variant {
    Baseline = 0,
    Ext = 1,
    Hash = 2,
    Lru = 3,
    Meta = 4,
    /// Hash map, cleaned up from an fentry on skb_release_head_state().
    HashFentry = 5,
    /// The extension through slices: the tag is built in place and read in place, as a map
    /// value is through the pointer that a lookup returns.
    ExtSlice = 6,
}

/// Every variant but data_meta (the XDP metadata area, which only the every-packet-tagged run
/// measures): the 1% run, the background scenario and `bench profile` take these.
const SKB_VARIANTS: [Variant; 6] = [
    Variant::Baseline,
    Variant::Ext,
    Variant::ExtSlice,
    Variant::Hash,
    Variant::Lru,
    Variant::HashFentry,
];

impl Variant {
    fn name(self) -> &'static str {
        match self {
            Variant::Baseline => "baseline",
            Variant::Ext => "skb_ext",
            Variant::Hash => "hash_map",
            Variant::Lru => "lru_hash_map",
            Variant::Meta => "data_meta",
            Variant::HashFentry => "hash_map_fentry",
            Variant::ExtSlice => "skb_ext_slice",
        }
    }

    /// The BPF side's mode.
    fn mode(self) -> u32 {
        match self {
            Variant::HashFentry => Variant::Hash as u32,
            v => v as u32,
        }
    }
}

fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime with a valid clock id and timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

struct Sample {
    packets: u64,
    received: u64,
    cpu_ns: u64,
    wall_ns: u64,
    written: u64,
    write_fail: u64,
    read_ok: u64,
    read_miss: u64,
    read_bad: u64,
    tp_calls: u64,
}

impl Sample {
    fn new(
        n: usize,
        received: u64,
        cpu_ns: u64,
        wall_ns: u64,
        s: &bench_skel::types::bench_stats,
    ) -> Self {
        Sample {
            packets: n as u64,
            received,
            cpu_ns,
            wall_ns,
            written: s.written,
            write_fail: s.write_fail,
            read_ok: s.read_ok,
            read_miss: s.read_miss,
            read_bad: s.read_bad,
            tp_calls: s.tp_calls,
        }
    }
}

fn stats(skel: &bench_skel::BenchSkel<'_>) -> bench_skel::types::bench_stats {
    let bss = skel.maps.bss_data.as_deref().expect(".bss");
    // SAFETY: volatile copy of the mmapped .bss of a loaded object.
    unsafe { std::ptr::read_volatile(&bss.st) }
}

fn reset(skel: &mut bench_skel::BenchSkel<'_>, v: Variant, tag_every: u32) {
    // Entries another variant left behind (the tracepoints miss frees) must not be read as
    // this variant's tags.
    for map in [&skel.maps.stash_hash, &skel.maps.stash_lru] {
        let keys: Vec<Vec<u8>> = map.keys().collect();
        for k in keys {
            let _ = map.delete(&k);
        }
    }
    let bss = skel.maps.bss_data.as_deref_mut().expect(".bss");
    bss.st = Default::default();
    bss.mode = v.mode();
    bss.tag_every = tag_every;
}

/// Sends `n` datagrams and receives them, `BATCH` at a time.
fn traffic(tx: &UdpSocket, rx: &UdpSocket, n: usize) -> Result<u64> {
    let payload = [0x5au8; 64];
    let dst = format!("{ADDR_B}:{PORT}");
    let mut buf = [0u8; 2048];
    let mut received = 0;
    let mut sent = 0;
    while sent < n {
        let b = BATCH.min(n - sent);
        for _ in 0..b {
            tx.send_to(&payload, &dst)?;
        }
        sent += b;
        let mut misses = 0;
        let mut got = 0;
        while got < b && misses < 1000 {
            match rx.recv(&mut buf) {
                Ok(_) => got += 1,
                Err(_) => {
                    misses += 1;
                    std::thread::yield_now();
                }
            }
        }
        received += got as u64;
    }
    Ok(received)
}

/// The machine's other traffic in the background scenario: skbs that no writer tags, freed
/// like any other.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// One 64-byte datagram each way over a socketpair(AF_UNIX, SOCK_DGRAM).
    UnixDgram,
    /// One RTM_GETLINK dump of the sender's netns (lo, veth_a and the fallback tunnel devices
    /// the kernel makes in every netns) over NETLINK_ROUTE: the request, then the replies up
    /// to NLMSG_DONE.
    NetlinkGetlink,
    /// 64 bytes each way over one TCP connection on 127.0.0.1 in the sender's netns.
    TcpLoopback,
}

const KINDS: [Kind; 3] = [Kind::UnixDgram, Kind::NetlinkGetlink, Kind::TcpLoopback];

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::UnixDgram => "unix_dgram",
            Kind::NetlinkGetlink => "netlink_getlink",
            Kind::TcpLoopback => "tcp_loopback",
        }
    }
}

/// The background traffic's sockets, made once and used by every variant and round. Every
/// operation is a request and its answer, both ends in the benchmark thread: each system call
/// runs the whole path (for TCP, the loopback receive in softirq inside the sender's call), so
/// the thread's CPU time covers the skbs from allocation to free, as in the tagged run.
struct Background {
    unix: (UnixDatagram, UnixDatagram),
    rtnl: OwnedFd,
    seq: u32,
    tcp: (TcpStream, TcpStream),
    buf: Vec<u8>,
}

/// The receive buffer of the netlink dumps: libmnl's 8 KiB, which also sizes the kernel's
/// dump skbs (netlink_dump() allocates what the last recvmsg() could take).
const NETLINK_BUF: usize = 8192;
/// sizeof(struct nlmsghdr)
const NLMSG_HDRLEN: usize = 16;

impl Background {
    fn new(ns: &Netns) -> Result<Self> {
        let timeout = Some(Duration::from_secs(2));
        let unix = UnixDatagram::pair().context("socketpair(AF_UNIX, SOCK_DGRAM)")?;
        unix.0.set_read_timeout(timeout)?;
        unix.1.set_read_timeout(timeout)?;
        // Both made in the netns: a socket keeps the netns it was made in, whichever thread
        // uses it later.
        let rtnl = ns.run(|| {
            // SAFETY: socket(2) with constant arguments.
            let fd = unsafe {
                libc::socket(
                    libc::AF_NETLINK,
                    libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                    libc::NETLINK_ROUTE,
                )
            };
            ensure!(
                fd >= 0,
                "NETLINK_ROUTE socket: {}",
                std::io::Error::last_os_error()
            );
            // SAFETY: `fd` is a new socket that nothing else owns.
            let fd = unsafe { OwnedFd::from_raw_fd(fd) };
            let tv = libc::timeval {
                tv_sec: 2,
                tv_usec: 0,
            };
            // SAFETY: setsockopt on our socket with a timeval of its size.
            let rc = unsafe {
                libc::setsockopt(
                    fd.as_raw_fd(),
                    libc::SOL_SOCKET,
                    libc::SO_RCVTIMEO,
                    &tv as *const libc::timeval as *const libc::c_void,
                    std::mem::size_of::<libc::timeval>() as u32,
                )
            };
            ensure!(
                rc == 0,
                "SO_RCVTIMEO on the netlink socket: {}",
                std::io::Error::last_os_error()
            );
            Ok(fd)
        })?;
        let tcp = ns.run(|| {
            let listener = TcpListener::bind("127.0.0.1:0").context("bind 127.0.0.1")?;
            let client = TcpStream::connect(listener.local_addr()?).context("connect")?;
            let (server, _) = listener.accept().context("accept")?;
            Ok((client, server))
        })?;
        for s in [&tcp.0, &tcp.1] {
            // Each 64-byte message leaves at once, not held back for the answer's ACK.
            s.set_nodelay(true)?;
            s.set_read_timeout(timeout)?;
        }
        Ok(Background {
            unix,
            rtnl,
            seq: 0,
            tcp,
            buf: vec![0; NETLINK_BUF],
        })
    }

    fn run(&mut self, kind: Kind, ops: usize) -> Result<()> {
        let msg = [0x5au8; 64];
        let mut buf = [0u8; 64];
        for _ in 0..ops {
            match kind {
                Kind::UnixDgram => {
                    let (a, b) = &self.unix;
                    a.send(&msg).context("UNIX send")?;
                    b.recv(&mut buf).context("UNIX recv")?;
                    b.send(&msg).context("UNIX send back")?;
                    a.recv(&mut buf).context("UNIX recv back")?;
                }
                Kind::NetlinkGetlink => self.getlink()?,
                Kind::TcpLoopback => {
                    let (c, s) = &mut self.tcp;
                    c.write_all(&msg).context("TCP send")?;
                    s.read_exact(&mut buf).context("TCP recv")?;
                    s.write_all(&msg).context("TCP send back")?;
                    c.read_exact(&mut buf).context("TCP recv back")?;
                }
            }
        }
        Ok(())
    }

    /// One RTM_GETLINK dump: sends the request, reads replies up to its NLMSG_DONE.
    fn getlink(&mut self) -> Result<()> {
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        // struct nlmsghdr, then a zeroed struct ifinfomsg (AF_UNSPEC: every link), in host
        // byte order.
        const LEN: usize = NLMSG_HDRLEN + 16;
        let mut req = [0u8; LEN];
        req[0..4].copy_from_slice(&(LEN as u32).to_ne_bytes());
        req[4..6].copy_from_slice(&libc::RTM_GETLINK.to_ne_bytes());
        req[6..8].copy_from_slice(&((libc::NLM_F_REQUEST | libc::NLM_F_DUMP) as u16).to_ne_bytes());
        req[8..12].copy_from_slice(&seq.to_ne_bytes());
        let fd = self.rtnl.as_raw_fd();
        // SAFETY: send(2) of our buffer, at most its length, on our socket (unbound: the
        // kernel binds it and sends to itself, portid 0).
        let n = unsafe { libc::send(fd, req.as_ptr().cast(), req.len(), 0) };
        ensure!(
            n == req.len() as isize,
            "send RTM_GETLINK: {}",
            std::io::Error::last_os_error()
        );
        loop {
            // SAFETY: recv(2) into our buffer, at most its length.
            let n = unsafe { libc::recv(fd, self.buf.as_mut_ptr().cast(), self.buf.len(), 0) };
            ensure!(
                n > 0,
                "recv RTM_GETLINK dump: {}",
                std::io::Error::last_os_error()
            );
            let mut rest = &self.buf[..n as usize];
            while rest.len() >= NLMSG_HDRLEN {
                let len = u32::from_ne_bytes(rest[0..4].try_into()?) as usize;
                let ty = u16::from_ne_bytes(rest[4..6].try_into()?);
                let got = u32::from_ne_bytes(rest[8..12].try_into()?);
                ensure!(
                    (NLMSG_HDRLEN..=rest.len()).contains(&len),
                    "netlink message of {len} bytes in {}",
                    rest.len()
                );
                ensure!(got == seq, "netlink reply to request {got}, want {seq}");
                match i32::from(ty) {
                    libc::NLMSG_DONE => return Ok(()),
                    libc::NLMSG_ERROR => {
                        let err = rest
                            .get(NLMSG_HDRLEN..NLMSG_HDRLEN + 4)
                            .and_then(|e| e.try_into().ok())
                            .map_or(0, i32::from_ne_bytes);
                        bail!("RTM_GETLINK dump: error {err}");
                    }
                    _ => {}
                }
                // NLMSG_ALIGN
                rest = &rest[((len + 3) & !3).min(rest.len())..];
            }
        }
    }
}

/// One variant's cost on one kind of background traffic.
struct BgSample {
    cpu_ns: u64,
    wall_ns: u64,
    /// Cleanup program calls (the map variants' tracepoints or fentry).
    tp_calls: u64,
    /// Packets of the tagged flow the writer or the reader saw: 0, it is idle.
    flow_seen: u64,
}

struct Bench<'a> {
    skel: bench_skel::BenchSkel<'a>,
    pair: Pair,
    tx: UdpSocket,
    rx: UdpSocket,
}

impl Bench<'_> {
    /// The map variants' cleanup programs.
    fn cleanup(&mut self, v: Variant) -> Result<Vec<libbpf_rs::Link>> {
        let mut links = Vec::new();
        match v {
            Variant::Hash | Variant::Lru => {
                links.push(self.skel.progs.bench_consume.attach()?);
                links.push(self.skel.progs.bench_kfree.attach()?);
            }
            Variant::HashFentry => links.push(self.skel.progs.bench_release.attach()?),
            _ => {}
        }
        Ok(links)
    }

    fn run(&mut self, v: Variant, tag_every: u32, n: usize) -> Result<Sample> {
        // Per-variant attachments: the tracepoints for the map variants, XDP + tc reader for
        // data_meta. Writer and cgroup reader stay attached and switch on `mode`.
        let links = self.cleanup(v)?;
        if v == Variant::Meta {
            let ifindex = self.pair.b.ifindex(VETH_B)?;
            let fd = self.skel.progs.bench_xdp_write.as_fd().as_raw_fd();
            self.pair.b.run(move || {
                // SAFETY: the program fd stays open for the whole benchmark.
                let fd = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
                libbpf_rs::Xdp::new(fd)
                    .attach(ifindex as i32, libbpf_rs::XdpFlags::DRV_MODE)
                    .context("attach XDP")
            })?;
            self.pair
                .b
                .attach_tc(VETH_B, &self.skel.progs.bench_meta_read, "ingress")?;
        }
        reset(&mut self.skel, v, tag_every);
        let (c0, w0) = (thread_cpu_ns(), Instant::now());
        let received = traffic(&self.tx, &self.rx, n)?;
        let (cpu_ns, wall_ns) = (thread_cpu_ns() - c0, w0.elapsed().as_nanos() as u64);
        let s = stats(&self.skel);
        drop(links);
        if v == Variant::Meta {
            self.pair.b.ip(&format!("link set dev {VETH_B} xdp off"))?;
            self.pair
                .b
                .tc(&format!("filter del dev {VETH_B} ingress"))?;
        }
        Ok(Sample::new(n, received, cpu_ns, wall_ns, &s))
    }

    /// The tagged flow idle, the machine's other traffic running: `ops` operations of each
    /// kind, with this variant's programs attached as in the tagged run (the writer and the
    /// reader stay attached; the map variants' cleanup programs come and go with the variant).
    ///
    /// `warmup` operations of each kind run first, unmeasured, with the same programs: what the
    /// run before left on this CPU under -icount (a detached trampoline's RCU callbacks, text
    /// patching, another variant's slab state) is then spent before the window, and whatever
    /// the window still inherits comes from this variant's own runs. Without it the baseline,
    /// which followed the fentry variant in most rounds, measured 40 instructions per UNIX
    /// operation dearer than the extension's variants, which run no program on that traffic.
    fn background(
        &mut self,
        bg: &mut Background,
        v: Variant,
        ops: usize,
        warmup: usize,
    ) -> Result<Vec<(Kind, BgSample)>> {
        let links = self.cleanup(v)?;
        let mut samples = Vec::new();
        for kind in KINDS {
            bg.run(kind, warmup)?;
        }
        for kind in KINDS {
            reset(&mut self.skel, v, 1);
            // What the attachment or the previous run left to do (RCU callbacks, TCP's
            // delayed ACK) runs now, while this thread sleeps, not inside the window: a few
            // hundred operations are a short window for a batch of callbacks.
            std::thread::sleep(Duration::from_millis(20));
            let (c0, w0) = (thread_cpu_ns(), Instant::now());
            bg.run(kind, ops)?;
            let (cpu_ns, wall_ns) = (thread_cpu_ns() - c0, w0.elapsed().as_nanos() as u64);
            let s = stats(&self.skel);
            samples.push((
                kind,
                BgSample {
                    cpu_ns,
                    wall_ns,
                    tp_calls: s.tp_calls,
                    flow_seen: s.seen_w + s.seen_r,
                },
            ));
        }
        drop(links);
        Ok(samples)
    }

    /// In-flight tagged packets outnumber the map: a plug qdisc holds `n` packets after the
    /// writer (tc egress) and before the reader, then releases them.
    fn backlog(&mut self, v: Variant, n: usize) -> Result<(Sample, u64)> {
        let links = self.cleanup(v)?;
        reset(&mut self.skel, v, 1);
        self.pair
            .a
            .tc(&format!("qdisc add dev {VETH_A} root plug limit 100000000"))?;
        self.pair
            .a
            .tc(&format!("qdisc change dev {VETH_A} root plug block"))?;
        let payload = [0x5au8; 64];
        for _ in 0..n {
            self.tx.send_to(&payload, format!("{ADDR_B}:{PORT}"))?;
        }
        let slab = ext_slab_bytes().unwrap_or(0);
        self.pair.a.tc(&format!(
            "qdisc change dev {VETH_A} root plug release_indefinite"
        ))?;
        // Wait until the reader saw every released packet, then drain the socket.
        let deadline = Instant::now() + std::time::Duration::from_secs(20);
        while stats(&self.skel).seen_r < n as u64 && Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let mut buf = [0u8; 2048];
        let mut received = 0;
        while received < n as u64 && self.rx.recv(&mut buf).is_ok() {
            received += 1;
        }
        self.pair.a.tc(&format!("qdisc del dev {VETH_A} root"))?;
        let s = stats(&self.skel);
        drop(links);
        Ok((Sample::new(n, received, 0, 0, &s), slab))
    }
}

/// Bytes of skb extension objects held now: live buffers (module counter) times the slab
/// size of `skbuff_ext_cache` (which may be merged with another cache, so /proc/slabinfo
/// does not always list it).
fn ext_slab_bytes() -> Result<u64> {
    let size: u64 = fs::read_to_string("/sys/kernel/slab/skbuff_ext_cache/slab_size")
        .context("read skbuff_ext_cache slab_size")?
        .trim()
        .parse()?;
    Ok(size * module::counter("live")?)
}

fn map_memlock(map: &libbpf_rs::MapMut<'_>) -> u64 {
    let path = format!("/proc/self/fdinfo/{}", map.as_fd().as_raw_fd());
    fs::read_to_string(path)
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("memlock:").map(|v| v.trim().parse().ok()))
                .flatten()
        })
        .unwrap_or(0)
}

fn json(
    scenario: &str,
    v: Variant,
    round: usize,
    tag_every: u32,
    s: &Sample,
    extra: &str,
) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "{{\"scenario\":\"{scenario}\",\"variant\":\"{}\",\"round\":{round},\"tag_every\":{tag_every},\
         \"packets\":{},\"received\":{},\"cpu_ns\":{},\"wall_ns\":{},\"written\":{},\"write_fail\":{},\
         \"read_ok\":{},\"read_miss\":{},\"read_bad\":{},\"tp_calls\":{}{extra}}}",
        v.name(),
        s.packets,
        s.received,
        s.cpu_ns,
        s.wall_ns,
        s.written,
        s.write_fail,
        s.read_ok,
        s.read_miss,
        s.read_bad,
        s.tp_calls
    );
    o
}

/// Two instructions per iteration (`dec`, `jnz`): `2 * n` instructions in all.
#[inline(never)]
#[no_mangle]
extern "C" fn calibrate_loop_1x(n: u64) {
    // SAFETY: a register-only countdown loop; it touches no memory.
    unsafe {
        core::arch::asm!("2:", "dec {0}", "jnz 2b", inout(reg) n => _, options(nomem, nostack));
    }
}

/// The same loop, three times as many iterations as asked for: `6 * n` instructions.
#[inline(never)]
#[no_mangle]
extern "C" fn calibrate_loop_3x(n: u64) {
    let n = 3 * n;
    // SAFETY: a register-only countdown loop; it touches no memory.
    unsafe {
        core::arch::asm!("2:", "dec {0}", "jnz 2b", inout(reg) n => _, options(nomem, nostack));
    }
}

/// `bench calibrate`: loops of known length, 1:3, for the profiler's sample shares.
fn calibrate() {
    for _ in 0..10 {
        calibrate_loop_1x(std::hint::black_box(5_000_000));
        calibrate_loop_3x(std::hint::black_box(5_000_000));
    }
    println!("calibrate_loop_1x: 1e8 instructions, calibrate_loop_3x: 3e8 instructions");
}

/// Sends `cmd` to `perf record --control fifo:CTL,ACK` (paths in `BPF_SKB_EXT_PERF_CTL` and
/// `BPF_SKB_EXT_PERF_ACK`) and waits for its acknowledgement; nothing without them.
fn perf_control(cmd: &str) -> Result<()> {
    use std::io::{Read, Write};
    let (Ok(ctl), Ok(ack)) = (
        std::env::var("BPF_SKB_EXT_PERF_CTL"),
        std::env::var("BPF_SKB_EXT_PERF_ACK"),
    ) else {
        return Ok(());
    };
    fs::OpenOptions::new()
        .write(true)
        .open(&ctl)
        .and_then(|mut f| f.write_all(format!("{cmd}\n").as_bytes()))
        .with_context(|| format!("perf control fifo {ctl}"))?;
    let mut buf = [0u8; 5];
    fs::File::open(&ack)
        .and_then(|mut f| f.read_exact(&mut buf))
        .with_context(|| format!("perf ack fifo {ack}"))?;
    Ok(())
}

/// The background scenario, after the others (which then run as they did before it existed):
/// `rounds` rounds, each variant in turn in every round, `ops` operations of each kind.
///
/// The skbs an operation frees are counted by hash_map_fentry's own program, the fentry on
/// skb_release_head_state() that every free passes, in the same round: the traffic is the same
/// for every variant, and no other variant gets a program it does not have in the tagged run.
/// (The tracepoint variants' calls are no count of skbs: TCP frees most of its skbs through
/// __kfree_skb(), which fires neither tracepoint.)
fn background(
    bench: &mut Bench<'_>,
    rounds: usize,
    ops: usize,
    lines: &mut Vec<String>,
) -> Result<()> {
    // data_meta is left out: its programs are XDP and tc on the receiver's veth, which none
    // of this traffic crosses, and it has nothing on the free path; it would measure the
    // baseline again.
    let mut bg = Background::new(&bench.pair.a)?;
    // Warm-up: slabs, the netlink dump's buffer size (set by the first recvmsg), TCP's
    // quick-ACK start (pure ACKs until the connection turns to delayed, piggybacked ones).
    let warmup = (ops / 4).max(50);
    bench.background(&mut bg, Variant::Baseline, warmup, 0)?;
    for round in 0..rounds {
        let mut runs = Vec::new();
        // Each round starts at another variant: under -icount a variant's cost also depends,
        // deterministically, on its place in the sequence (what the one before left running
        // on this CPU: RCU callbacks of a detached program, text patching of its tracepoints),
        // which would otherwise be the same bias in every round. Rotated, the place shows in
        // the min-max, not in the median.
        for i in 0..SKB_VARIANTS.len() {
            let v = SKB_VARIANTS[(i + round) % SKB_VARIANTS.len()];
            for (kind, s) in bench.background(&mut bg, v, ops, warmup)? {
                runs.push((v, kind, s));
            }
        }
        for (v, kind, s) in &runs {
            let skbs = runs
                .iter()
                .find(|(fv, fk, _)| *fv == Variant::HashFentry && fk == kind)
                .map_or(0, |(_, _, f)| f.tp_calls);
            lines.push(format!(
                "{{\"scenario\":\"background\",\"traffic\":\"{}\",\"variant\":\"{}\",\"round\":{round},\
                 \"ops\":{ops},\"cpu_ns\":{},\"wall_ns\":{},\"tp_calls\":{},\"skbs\":{skbs},\
                 \"flow_seen\":{}}}",
                kind.name(),
                v.name(),
                s.cpu_ns,
                s.wall_ns,
                s.tp_calls,
                s.flow_seen
            ));
        }
        eprintln!("background round {round} done");
    }
    Ok(())
}

fn variant_by_name(name: &str) -> Result<Variant> {
    SKB_VARIANTS
        .into_iter()
        .find(|v| v.name() == name)
        .with_context(|| format!("unknown variant {name}"))
}

fn main() -> Result<()> {
    let arg1 = std::env::args().nth(1).context(
        "usage: bench OUT.jsonl [ROUNDS] [PACKETS] [BACKGROUND_OPS] | profile VARIANT PACKETS \
         | calibrate",
    )?;
    if arg1 == "calibrate" {
        calibrate();
        return Ok(());
    }
    let profile = if arg1 == "profile" {
        let v = variant_by_name(&std::env::args().nth(2).context("profile VARIANT PACKETS")?)?;
        let n: usize = std::env::args().nth(3).map_or(Ok(20000), |s| s.parse())?;
        Some((v, n))
    } else {
        None
    };
    let out = arg1;
    let (rounds, packets, bg_ops): (usize, usize, usize) = if profile.is_some() {
        (0, 0, 0)
    } else {
        (
            std::env::args().nth(2).map_or(Ok(5), |s| s.parse())?,
            std::env::args().nth(3).map_or(Ok(4000), |s| s.parse())?,
            // Operations per traffic kind, variant and round; 0: no background scenario.
            std::env::args().nth(4).map_or(Ok(BG_OPS), |s| s.parse())?,
        )
    };
    module::load("")?;
    let mut obj = MaybeUninit::uninit();
    let mut open = bench_skel::BenchSkelBuilder::default().open(&mut obj)?;
    open.maps.stash_hash.set_max_entries(MAP_SIZE)?;
    open.maps.stash_lru.set_max_entries(MAP_SIZE)?;
    open.maps.bss_data.as_deref_mut().expect(".bss").cfg_port = PORT;
    let skel = open.load()?;

    let pair = Pair::new("bench")?;
    pair.a
        .attach_tc(VETH_A, &skel.progs.bench_write, "egress")?;
    let _cg = attach_cgroup(&skel.progs.bench_read)?;
    let rx = udp_rx(&pair.b, ADDR_B, PORT)?;
    rx.set_nonblocking(true)?;
    let rxfd = rx.as_raw_fd();
    let size: i32 = 64 << 20;
    // SAFETY: setsockopt on a valid socket with an int value.
    unsafe {
        libc::setsockopt(
            rxfd,
            libc::SOL_SOCKET,
            libc::SO_RCVBUFFORCE,
            &size as *const i32 as *const libc::c_void,
            4,
        )
    };
    let tx = pair.a.run(|| Ok(UdpSocket::bind("0.0.0.0:0")?))?;
    // The backlog scenario holds thousands of sent packets in a qdisc: they
    // count against the sender's buffer, which must not block the sender.
    // SAFETY: setsockopt on a valid socket with an int value.
    unsafe {
        libc::setsockopt(
            tx.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_SNDBUFFORCE,
            &size as *const i32 as *const libc::c_void,
            4,
        )
    };
    let mut bench = Bench { skel, pair, tx, rx };
    let mut lines = Vec::new();

    // Warm-up: ARP, caches, slabs.
    bench.run(Variant::Baseline, 1, 500)?;
    if let Some((v, n)) = profile {
        bench.run(v, 1, 500)?;
        // perf samples only the traffic: its control fifo turns the events on and off.
        perf_control("enable")?;
        let s = bench.run(v, 1, n);
        perf_control("disable")?;
        let s = s?;
        println!(
            "{}: {} packets, {} received, {} ns of thread CPU per packet, {} tags read back",
            v.name(),
            s.packets,
            s.received,
            s.cpu_ns / s.packets,
            s.read_ok
        );
        return Ok(());
    }
    // data_meta only here: every packet tagged.
    let all: Vec<Variant> = SKB_VARIANTS.into_iter().chain([Variant::Meta]).collect();
    for round in 0..rounds {
        for &v in &all {
            let s = bench.run(v, 1, packets)?;
            lines.push(json("all_tagged", v, round, 1, &s, ""));
        }
        for v in SKB_VARIANTS {
            let s = bench.run(v, 100, packets)?;
            lines.push(json("one_percent_tagged", v, round, 100, &s, ""));
        }
        eprintln!("round {round} done");
    }
    let backlog_n = 4 * MAP_SIZE as usize;
    for v in [
        Variant::Ext,
        Variant::Hash,
        Variant::Lru,
        Variant::HashFentry,
    ] {
        let (s, slab) = bench.backlog(v, backlog_n)?;
        let memlock = match v {
            Variant::Hash | Variant::HashFentry => map_memlock(&bench.skel.maps.stash_hash),
            Variant::Lru => map_memlock(&bench.skel.maps.stash_lru),
            _ => 0,
        };
        let extra =
            format!(",\"map_size\":{MAP_SIZE},\"ext_slab_bytes\":{slab},\"map_memlock\":{memlock}");
        lines.push(json("backlog", v, 0, 1, &s, &extra));
    }
    if bg_ops > 0 {
        background(&mut bench, rounds, bg_ops, &mut lines)?;
    }
    let c = module::counters()?;
    lines.push(format!(
        "{{\"scenario\":\"module\",\"peak\":{},\"allocated\":{},\"freed\":{},\"alloc_failed\":{}}}",
        c["peak"], c["allocated"], c["freed"], c["alloc_failed"]
    ));
    fs::write(&out, lines.join("\n") + "\n").with_context(|| format!("write {out}"))?;
    Ok(())
}
