// SPDX-License-Identifier: GPL-2.0
//! Test helpers: network namespaces, veth pairs, traffic, tc and cgroup attachment, the hook
//! provider module and its counters. Every helper fails with an error that names what it
//! was doing.

use std::{
    collections::BTreeMap,
    ffi::CString,
    fs,
    io::{Read, Write},
    net::{SocketAddr, TcpListener, TcpStream, UdpSocket},
    os::fd::{AsFd, AsRawFd},
    process::Command,
    sync::atomic::{AtomicU32, Ordering},
    time::{Duration, Instant},
};

use anyhow::{anyhow, bail, ensure, Context, Result};

/// The libbpf-rs skeleton of `src/bpf/skb_meta.bpf.c`.
#[allow(
    clippy::all,
    missing_docs,
    non_camel_case_types,
    non_snake_case,
    dead_code
)]
pub mod skel {
    include!(concat!(env!("OUT_DIR"), "/skb_meta.skel.rs"));
}

pub use skel::types::{bad_input, hook_stats};

/// The libbpf-rs skeleton of `src/bpf/bench.bpf.c`.
#[allow(
    clippy::all,
    missing_docs,
    non_camel_case_types,
    non_snake_case,
    dead_code
)]
pub mod bench_skel {
    include!(concat!(env!("OUT_DIR"), "/bench.skel.rs"));
}

/// Bytes in one tag.
pub const TAG_SIZE: usize = 64;
/// First four bytes of every tag.
pub const TAG_MAGIC: u32 = 0x5eb7_a9c1;

/// `cfg_write_mode`: how the BPF writers write a tag (`WRITE_*` in `skb_meta.h`).
pub mod write_mode {
    /// `bpf_dynptr_write()`.
    pub const DYNPTR: u32 = 0;
    /// `bpf_dynptr_slice_rdwr()`, then byte stores.
    pub const SLICE: u32 = 1;
    /// `bpf_dynptr_memset()` (attaches the buffer), then `bpf_dynptr_write()`.
    pub const MEMSET: u32 = 2;
}

/// Runs a command line (split on whitespace) and returns its stdout.
pub fn sh(cmdline: &str) -> Result<String> {
    let args: Vec<&str> = cmdline.split_whitespace().collect();
    let out = Command::new(args[0])
        .args(&args[1..])
        .output()
        .with_context(|| format!("cannot run `{cmdline}`"))?;
    if !out.status.success() {
        bail!(
            "`{cmdline}` failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

static NS_SEQ: AtomicU32 = AtomicU32::new(0);

/// A network namespace, deleted on drop if this handle created it.
pub struct Netns {
    /// Its name under /run/netns.
    pub name: String,
    owned: bool,
}

impl Netns {
    /// Creates a namespace with loopback up.
    pub fn new(tag: &str) -> Result<Self> {
        let name = format!(
            "skbx-{tag}-{}-{}",
            std::process::id(),
            NS_SEQ.fetch_add(1, Ordering::Relaxed)
        );
        sh(&format!("ip netns add {name}"))?;
        let ns = Netns { name, owned: true };
        ns.ip("link set lo up")?;
        Ok(ns)
    }

    /// A handle on a namespace owned by another handle (e.g. for another thread).
    pub fn borrow(&self) -> Netns {
        Netns {
            name: self.name.clone(),
            owned: false,
        }
    }

    /// `ip -n NS ARGS`.
    pub fn ip(&self, args: &str) -> Result<String> {
        sh(&format!("ip -n {} {args}", self.name))
    }

    /// `tc -n NS ARGS`.
    pub fn tc(&self, args: &str) -> Result<String> {
        sh(&format!("tc -n {} {args}", self.name))
    }

    /// Runs `f` on a thread that lives in this namespace.
    pub fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let path = format!("/run/netns/{}", self.name);
        std::thread::spawn(move || -> Result<T> {
            let file = fs::File::open(&path).with_context(|| format!("open {path}"))?;
            // SAFETY: setns() on a valid namespace fd only changes this thread's netns.
            if unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
                bail!("setns({path}): {}", std::io::Error::last_os_error());
            }
            f()
        })
        .join()
        .map_err(|_| anyhow!("thread in netns panicked"))?
    }

    /// Moves the calling thread into this namespace until the guard is dropped: for what must
    /// be created in the namespace (a netfilter link) from values that cannot move to another
    /// thread.
    pub fn enter(&self) -> Result<NetnsGuard> {
        let back = fs::File::open("/proc/thread-self/ns/net").context("open own netns")?;
        let path = format!("/run/netns/{}", self.name);
        let file = fs::File::open(&path).with_context(|| format!("open {path}"))?;
        // SAFETY: setns() on a valid namespace fd only changes this thread's netns.
        if unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
            bail!("setns({path}): {}", std::io::Error::last_os_error());
        }
        Ok(NetnsGuard { back })
    }

    /// The ifindex of `dev` in this namespace.
    pub fn ifindex(&self, dev: &str) -> Result<u32> {
        let dev = dev.to_string();
        self.run(move || {
            let c = CString::new(dev.clone())?;
            // SAFETY: `c` is a valid NUL-terminated string.
            let idx = unsafe { libc::if_nametoindex(c.as_ptr()) };
            if idx == 0 {
                bail!("no device {dev}");
            }
            Ok(idx)
        })
    }

    /// Attaches `prog` to tc `dir` ("ingress" or "egress") of `dev`, with a clsact qdisc.
    pub fn attach_tc(&self, dev: &str, prog: &libbpf_rs::ProgramMut<'_>, dir: &str) -> Result<()> {
        self.attach_tc_fd(
            dev,
            prog.as_fd().as_raw_fd(),
            dir,
            prog.name().to_string_lossy().as_ref(),
        )
    }

    fn attach_tc_fd(&self, dev: &str, fd: i32, dir: &str, name: &str) -> Result<()> {
        let ifindex = self.ifindex(dev)?;
        let attach = if dir == "ingress" {
            libbpf_rs::TC_INGRESS
        } else {
            libbpf_rs::TC_EGRESS
        };
        // The fd stays valid: the skeleton outlives the attachment.
        let dup = dup_fd(fd)?;
        let name = name.to_string();
        let dev = dev.to_string();
        let dir = dir.to_string();
        self.run(move || {
            // SAFETY: `dup` is a fresh duplicate of a BPF program fd that we own.
            let owned =
                unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(dup) };
            let mut hook = libbpf_rs::TcHookBuilder::new(owned.as_fd())
                .ifindex(ifindex as i32)
                .replace(true)
                .handle(1)
                .priority(1)
                .hook(attach);
            hook.create().ok();
            hook.attach()
                .with_context(|| format!("attach {name} to tc {dir} of {dev}"))?;
            Ok(())
        })
    }
}

fn dup_fd(fd: i32) -> Result<i32> {
    // SAFETY: dup() of a valid fd.
    let new = unsafe { libc::dup(fd) };
    if new < 0 {
        bail!("dup: {}", std::io::Error::last_os_error());
    }
    Ok(new)
}

impl Drop for Netns {
    fn drop(&mut self) {
        if self.owned {
            let _ = sh(&format!("ip netns del {}", self.name));
        }
    }
}

/// Two namespaces joined by a veth pair: `a`/`veth_a` (192.0.2.1, 2001:db8::1) and
/// `b`/`veth_b` (192.0.2.2, 2001:db8::2).
pub struct Pair {
    /// Sender side.
    pub a: Netns,
    /// Receiver side.
    pub b: Netns,
}

/// Device name on the `a` side of a [`Pair`].
pub const VETH_A: &str = "veth_a";
/// Device name on the `b` side of a [`Pair`].
pub const VETH_B: &str = "veth_b";
/// IPv4 address of `a`.
pub const ADDR_A: &str = "192.0.2.1";
/// IPv4 address of `b`.
pub const ADDR_B: &str = "192.0.2.2";
/// IPv6 address of `b`.
pub const ADDR6_B: &str = "2001:db8::2";

impl Pair {
    /// Creates both namespaces and the veth pair between them, addressed and up.
    pub fn new(tag: &str) -> Result<Self> {
        let a = Netns::new(&format!("{tag}a"))?;
        let b = Netns::new(&format!("{tag}b"))?;
        sh(&format!(
            "ip link add {VETH_A} netns {} type veth peer name {VETH_B} netns {}",
            a.name, b.name
        ))?;
        a.ip(&format!("addr add {ADDR_A}/24 dev {VETH_A}"))?;
        b.ip(&format!("addr add {ADDR_B}/24 dev {VETH_B}"))?;
        a.ip(&format!("-6 addr add 2001:db8::1/64 dev {VETH_A} nodad"))?;
        b.ip(&format!("-6 addr add {ADDR6_B}/64 dev {VETH_B} nodad"))?;
        a.ip(&format!("link set {VETH_A} up"))?;
        b.ip(&format!("link set {VETH_B} up"))?;
        Ok(Pair { a, b })
    }
}

/// A UDP socket bound to `addr:port` in `ns`, with a two-second receive timeout.
pub fn udp_rx(ns: &Netns, addr: &str, port: u16) -> Result<UdpSocket> {
    let bind: SocketAddr = format!("{}:{port}", bracket(addr)).parse()?;
    let rx = ns.run(move || UdpSocket::bind(bind).with_context(|| format!("bind {bind}")))?;
    rx.set_read_timeout(Some(Duration::from_millis(2000)))?;
    Ok(rx)
}

/// Sends `count` datagrams of `len` bytes from `from` to `addr:port`.
pub fn udp_send(from: &Netns, addr: &str, port: u16, count: usize, len: usize) -> Result<()> {
    let dst: SocketAddr = format!("{}:{port}", bracket(addr)).parse()?;
    from.run(move || {
        let local: SocketAddr = if dst.is_ipv4() {
            "0.0.0.0:0".parse()?
        } else {
            "[::]:0".parse()?
        };
        let tx = UdpSocket::bind(local)?;
        let mut payload = vec![0x5au8; len.max(4)];
        for _ in 0..count {
            payload[..4].copy_from_slice(&next_datagram_id().to_be_bytes());
            tx.send_to(&payload, dst)
                .with_context(|| format!("send to {dst}"))?;
        }
        Ok(())
    })
}

/// A number for the next UDP datagram the tests send, unique in the test binary: the first four
/// bytes of every payload, which the BPF writers put into the tag as the packet's identity and
/// the readers check against the packet they read it from.
pub fn next_datagram_id() -> u32 {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0x1d00_0000);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// Receives up to `count` datagrams; returns how many came before the timeout.
pub fn udp_recv(rx: &UdpSocket, count: usize) -> usize {
    let mut got = 0;
    let mut buf = vec![0u8; 65536];
    while got < count && rx.recv(&mut buf).is_ok() {
        got += 1;
    }
    got
}

/// Sends `count` UDP datagrams of `len` bytes from `from` to `to_addr:port` in `to`, and
/// returns how many arrived (waiting at most two seconds for each).
pub fn udp_flow(
    from: &Netns,
    to: &Netns,
    to_addr: &str,
    port: u16,
    count: usize,
    len: usize,
) -> Result<usize> {
    let rx = udp_rx(to, to_addr, port)?;
    udp_send(from, to_addr, port, count, len)?;
    Ok(udp_recv(&rx, count))
}

fn bracket(addr: &str) -> String {
    if addr.contains(':') {
        format!("[{addr}]")
    } else {
        addr.to_string()
    }
}

/// Sends `bytes` over one TCP connection from `from` to `to_addr:port` in `to` and returns the
/// number of bytes the server read.
pub fn tcp_flow(from: &Netns, to: &Netns, to_addr: &str, port: u16, bytes: usize) -> Result<usize> {
    let listen: SocketAddr = if to_addr.contains(':') {
        format!("[::]:{port}").parse()?
    } else {
        format!("0.0.0.0:{port}").parse()?
    };
    let listener = to.run(move || Ok(TcpListener::bind(listen)?))?;
    let dst: SocketAddr = format!("{}:{port}", bracket(to_addr)).parse()?;
    let server = std::thread::spawn(move || -> Result<usize> {
        let (mut s, _) = listener.accept()?;
        s.set_read_timeout(Some(Duration::from_secs(20)))?;
        let mut total = 0;
        let mut buf = vec![0u8; 65536];
        loop {
            let n = s.read(&mut buf)?;
            if n == 0 {
                break;
            }
            total += n;
        }
        Ok(total)
    });
    from.run(move || {
        let mut c = TcpStream::connect_timeout(&dst, Duration::from_secs(10))
            .with_context(|| format!("connect {dst}"))?;
        let chunk = vec![0xa5u8; 65536];
        let mut left = bytes;
        while left > 0 {
            let n = left.min(chunk.len());
            c.write_all(&chunk[..n])?;
            left -= n;
        }
        c.shutdown(std::net::Shutdown::Both)?;
        Ok(())
    })?;
    server
        .join()
        .map_err(|_| anyhow!("server thread panicked"))?
}

/// The hook provider module.
pub mod module {
    use super::*;

    /// Its name.
    pub const NAME: &str = "bpf_skb_meta";
    const DEBUGFS: &str = "/sys/kernel/debug/bpf_skb_meta";

    /// Path of the module object, from `SKB_META_MODULE`.
    pub fn path() -> Result<String> {
        std::env::var("SKB_META_MODULE")
            .context("SKB_META_MODULE (path of bpf_skb_meta.ko) is not set")
    }

    /// Whether it is loaded.
    pub fn loaded() -> bool {
        fs::metadata(format!("/sys/module/{NAME}")).is_ok()
    }

    /// Loads it (if needed) with `params`.
    pub fn load(params: &str) -> Result<()> {
        if loaded() {
            return Ok(());
        }
        sh(&format!("insmod {} {params}", path()?))?;
        Ok(())
    }

    /// Unloads it (if loaded).
    pub fn unload() -> Result<()> {
        if loaded() {
            sh(&format!("rmmod {NAME}"))?;
        }
        Ok(())
    }

    /// Reloads it, so that its counters start from zero.
    pub fn reload(params: &str) -> Result<()> {
        unload()?;
        load(params)
    }

    /// Its counters, by name.
    pub fn counters() -> Result<BTreeMap<String, u64>> {
        let text = fs::read_to_string(format!("{DEBUGFS}/counters")).context("read counters")?;
        let mut map = BTreeMap::new();
        for line in text.lines() {
            let (k, v) = line
                .split_once(' ')
                .ok_or_else(|| anyhow!("bad counters line {line:?}"))?;
            // A negative `live` (a buffer released that was never set up) lands here.
            let v = v
                .parse()
                .with_context(|| format!("counter {k}: {v:?} is not a count"))?;
            map.insert(k.to_string(), v);
        }
        for k in [
            "live",
            "peak",
            "allocated",
            "copied",
            "freed",
            "alloc_failed",
        ] {
            if !map.contains_key(k) {
                bail!("counters lack {k}: {text}");
            }
        }
        Ok(map)
    }

    /// One counter.
    pub fn counter(name: &str) -> Result<u64> {
        counters()?
            .get(name)
            .copied()
            .ok_or_else(|| anyhow!("no counter {name}"))
    }

    /// The netns policy: a module parameter that shows in sysfs.
    pub const POLICY: &str = "/sys/module/bpf_skb_meta/parameters/drop_across_netns";

    /// Sets the netns policy through sysfs.
    pub fn set_drop_across_netns(drop: bool) -> Result<()> {
        fs::write(POLICY, if drop { "1" } else { "0" }).context("write drop_across_netns")
    }

    /// Reads the netns policy (`Y` or `N`, as for any bool module parameter).
    pub fn drop_across_netns() -> Result<bool> {
        let s = fs::read_to_string(POLICY).context("read drop_across_netns")?;
        match s.as_str() {
            "Y\n" => Ok(true),
            "N\n" => Ok(false),
            _ => bail!("bad policy {s:?}"),
        }
    }

    /// After traffic that tagged `n` packets and cloned none: every buffer went, and there
    /// were exactly `n`.
    pub fn check_all_freed(n: u64) -> Result<()> {
        crate::check_eq!(wait_live(0)?, 0, "live buffers");
        crate::check_eq!(counter("allocated")?, n, "buffers allocated");
        crate::check_eq!(counter("freed")?, n, "buffers freed");
        Ok(())
    }

    /// Waits until `live` reaches `want`. Frees can be late: an skb consumed on another CPU
    /// than the one that allocated it goes on that CPU's defer list
    /// (skb_attempt_defer_free()), flushed only when that CPU next runs the network softirq;
    /// so after a while each CPU gets a packet to process.
    pub fn wait_live(want: u64) -> Result<u64> {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut poked = false;
        loop {
            let live = counter("live")?;
            if live == want || Instant::now() > deadline {
                return Ok(live);
            }
            if !poked && Instant::now() + Duration::from_secs(9) > deadline {
                poke_every_cpu()?;
                poked = true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Runs the network receive softirq on every CPU: a loopback datagram sent from a thread
    /// pinned to each CPU, in a scratch netns.
    fn poke_every_cpu() -> Result<()> {
        let ns = Netns::new("poke")?;
        // SAFETY: sysconf has no memory-safety preconditions.
        let cpus = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) }.max(1) as usize;
        for cpu in 0..cpus {
            ns.run(move || {
                // SAFETY: a zeroed cpu_set_t with one bit set, for the calling thread (0).
                unsafe {
                    let mut set: libc::cpu_set_t = std::mem::zeroed();
                    libc::CPU_SET(cpu, &mut set);
                    libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
                }
                let rx = UdpSocket::bind("127.0.0.1:0")?;
                let tx = UdpSocket::bind("127.0.0.1:0")?;
                tx.send_to(b"poke", rx.local_addr()?)?;
                Ok(())
            })?;
        }
        Ok(())
    }
}

/// Returned by [`Netns::enter`]: takes the thread back to its namespace when dropped.
pub struct NetnsGuard {
    back: fs::File,
}

impl Drop for NetnsGuard {
    fn drop(&mut self) {
        // SAFETY: setns() on the namespace fd the thread came from.
        let rc = unsafe { libc::setns(self.back.as_raw_fd(), libc::CLONE_NEWNET) };
        assert_eq!(rc, 0, "setns back: {}", std::io::Error::last_os_error());
    }
}

/// Opens and loads the skeleton into `$storage` with `$port` as the L4 port the programs match.
#[macro_export]
macro_rules! load_skel {
    ($storage:ident, $port:expr) => {
        $crate::load_skel!($storage, $port, [])
    };
    // Also loads the named programs that are not loaded by default (`SEC("?...")`).
    ($storage:ident, $port:expr, [$($prog:literal),*]) => {{
        use libbpf_rs::skel::{OpenSkel, SkelBuilder};
        let builder = $crate::skel::SkbMetaSkelBuilder::default();
        let mut open = builder
            .open(&mut $storage)
            .map_err(|e| anyhow::anyhow!("open skeleton: {e}"))?;
        open.maps
            .bss_data
            .as_deref_mut()
            .expect("skeleton has .bss")
            .cfg_port = $port;
        let extra: &[&str] = &[$($prog),*];
        for mut p in open.open_object_mut().progs_mut() {
            if extra.contains(&p.name().to_string_lossy().as_ref()) {
                p.set_autoload(true);
            }
        }
        open.load()
            .map_err(|e| anyhow::anyhow!("load skeleton: {e}"))?
    }};
}

/// A bpffs for programs that iproute2 loads by path. `ip -n` remounts /sys in its own mount
/// namespace, which hides /sys/fs/bpf, so this one lives under /run.
pub fn bpffs() -> Result<&'static str> {
    const DIR: &str = "/run/skbx-bpffs";
    let mounts = fs::read_to_string("/proc/self/mounts")?;
    if !mounts.lines().any(|l| l.split(' ').nth(1) == Some(DIR)) {
        fs::create_dir_all(DIR)?;
        sh(&format!("mount -t bpf bpf {DIR}"))?;
    }
    Ok(DIR)
}

/// A pinned BPF object, unpinned on drop.
pub struct Pinned(pub String);

impl Pinned {
    /// Pins `prog` as `name` in [`bpffs()`].
    pub fn prog(prog: &mut libbpf_rs::ProgramMut<'_>, name: &str) -> Result<Self> {
        let path = format!("{}/{name}-{}", bpffs()?, std::process::id());
        let _ = fs::remove_file(&path);
        prog.pin(&path).with_context(|| format!("pin {path}"))?;
        Ok(Pinned(path))
    }
}

impl Drop for Pinned {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

/// KUnit suites built into the kernel, run on demand through debugfs (the VM boots with
/// `kunit.autorun=0`).
pub mod kunit {
    use super::*;

    /// Runs `suite` and returns the names of the test cases that passed. Fails if the suite is
    /// missing, or if any case failed or was skipped.
    pub fn run(suite: &str) -> Result<Vec<String>> {
        let dir = format!("/sys/kernel/debug/kunit/{suite}");
        if !std::path::Path::new(&dir).is_dir() {
            bail!(
                "no KUnit suite {suite} ({dir}): the kernel needs CONFIG_KUNIT_DEBUGFS and the \
                 suite's option from selftests/config"
            );
        }
        fs::write(format!("{dir}/run"), "run").with_context(|| format!("run {suite}"))?;
        let results = fs::read_to_string(format!("{dir}/results"))
            .with_context(|| format!("{dir}/results"))?;
        passed(suite, &results)
    }

    /// The test cases (and the suite) that passed in a KTAP report; an error on any failed or
    /// skipped one.
    pub fn passed(suite: &str, ktap: &str) -> Result<Vec<String>> {
        let mut passed = Vec::new();
        for line in ktap.lines().map(str::trim) {
            if line.starts_with("not ok") || (line.starts_with("ok ") && line.contains("# SKIP")) {
                bail!("KUnit {suite}: {line}\n{ktap}");
            }
            if let Some((_, name)) = line.strip_prefix("ok ").and_then(|r| r.split_once(' ')) {
                passed.push(name.to_string());
            }
        }
        Ok(passed)
    }

    #[cfg(test)]
    mod tests {
        use super::passed;

        const REPORT: &str = "KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: s\n    \
                              1..2\n    ok 1 case_a\n    ok 2 case_b\nok 1 s\n";

        #[test]
        fn all_passed() {
            assert_eq!(passed("s", REPORT).unwrap(), ["case_a", "case_b", "s"]);
        }

        #[test]
        fn a_failure_or_a_skip_is_an_error() {
            let failed = REPORT.replace("    ok 2 case_b", "    not ok 2 case_b");
            assert!(passed("s", &failed).is_err());
            let skipped = REPORT.replace("ok 2 case_b", "ok 2 case_b # SKIP no provider");
            assert!(passed("s", &skipped).is_err());
        }
    }
}

/// The path of the root cgroup (cgroup2).
pub const CGROUP_ROOT: &str = "/sys/fs/cgroup";

/// Attaches a cgroup_skb program to the root cgroup; detached when the link drops.
pub fn attach_cgroup(prog: &libbpf_rs::ProgramMut<'_>) -> Result<libbpf_rs::Link> {
    let cg = fs::File::open(CGROUP_ROOT).context("open root cgroup")?;
    prog.attach_cgroup(cg.as_raw_fd()).with_context(|| {
        format!(
            "attach {} to the root cgroup",
            prog.name().to_string_lossy()
        )
    })
}

/// Fault injection on the skb extension cache (failslab): while the guard lives, every
/// `interval`-th allocation from `skbuff_ext_cache` fails, `times` failures at most; dropping it
/// switches the injection off again, also when the test fails half-way.
pub struct Failslab;

impl Failslab {
    const DIR: &'static str = "/sys/kernel/debug/failslab";
    const CACHE: &'static str = "/sys/kernel/slab/skbuff_ext_cache/failslab";

    fn write(file: &str, value: &str) -> Result<()> {
        fs::write(file, value).with_context(|| format!("write {value} to {file}"))
    }

    /// Starts failing every `interval`-th allocation of the extension cache.
    pub fn on_ext_cache(interval: u32, times: u32) -> Result<Self> {
        let dir = Self::DIR;
        let guard = Failslab;
        Self::write(&format!("{dir}/cache-filter"), "Y")?;
        Self::write(Self::CACHE, "1")?;
        Self::write(&format!("{dir}/ignore-gfp-wait"), "N")?;
        Self::write(&format!("{dir}/verbose"), "0")?;
        Self::write(&format!("{dir}/interval"), &interval.to_string())?;
        Self::write(&format!("{dir}/times"), &times.to_string())?;
        Self::write(&format!("{dir}/probability"), "100")?;
        Ok(guard)
    }
}

impl Drop for Failslab {
    fn drop(&mut self) {
        let dir = Self::DIR;
        let _ = Self::write(&format!("{dir}/probability"), "0");
        let _ = Self::write(&format!("{dir}/interval"), "1");
        let _ = Self::write(Self::CACHE, "0");
    }
}

/// Checks a condition and fails with a message naming the values.
#[macro_export]
macro_rules! check_eq {
    ($left:expr, $right:expr, $($what:tt)+) => {{
        let (l, r) = (&$left, &$right);
        if l != r {
            anyhow::bail!("{}: got {:?}, want {:?}", format!($($what)+), l, r);
        }
    }};
}

/// Test-wide constants of the kernel ABI.
pub mod errno {
    /// -EINVAL
    pub const EINVAL: i64 = -22;
    /// -E2BIG
    pub const E2BIG: i64 = -7;
    /// -ENOMEM
    pub const ENOMEM: i64 = -12;
    /// -ENOENT
    pub const ENOENT: i64 = -2;
    /// -EOPNOTSUPP
    pub const EOPNOTSUPP: i64 = -95;
}

/// A snapshot of the skeleton's .bss (results), read with a volatile copy because the
/// programs keep writing it.
pub fn results(skel: &skel::SkbMetaSkel<'_>) -> skel::types::bss {
    let bss = skel.maps.bss_data.as_deref().expect("skeleton has .bss");
    // SAFETY: `bss` points to the mmapped .bss of a loaded object; a volatile read of the whole
    // plain-old-data struct is fine while BPF programs update it.
    unsafe { std::ptr::read_volatile(bss as *const skel::types::bss) }
}

/// Every tag a hook read belongs to the packet it read it from: the identity the writer put in
/// the tag is the packet's own (a TCP segment may carry the tag of the GSO packet it was cut
/// from), for every tag that hook found well-formed.
pub fn check_identity(r: &skel::types::bss) -> Result<()> {
    for (hook, st) in [
        ("tc_read", &r.tc_read_stats),
        ("tc_read2", &r.tc_read2_stats),
        ("cg_read", &r.cg_read_stats),
        ("sock_read", &r.sock_stats),
        ("lwt_read", &r.lwt_read_stats),
        ("act_read", &r.act_read_stats),
    ] {
        ensure!(
            st.id_bad == 0,
            "{hook}: {} of {} well-formed tags were written on another packet",
            st.id_bad,
            st.read_ok
        );
        ensure!(
            st.id_ok + st.id_within == st.read_ok,
            "{hook}: {} well-formed tags, {} checked against their packet",
            st.read_ok,
            st.id_ok + st.id_within
        );
    }
    Ok(())
}

/// The skeleton's .bss, to set the `cfg_*` configuration after load.
pub fn config<'a>(skel: &'a mut skel::SkbMetaSkel<'_>) -> &'a mut skel::types::bss {
    skel.maps
        .bss_data
        .as_deref_mut()
        .expect("skeleton has .bss")
}
