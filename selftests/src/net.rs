// SPDX-License-Identifier: GPL-2.0
//! Network namespaces, veth pairs and the traffic the tests send between them.

use super::*;

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
            "bpf-skb-ext-{tag}-{}-{}",
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

/// Pins the calling thread to `cpu`; fails if it cannot run there.
pub fn pin_to_cpu(cpu: usize) -> Result<()> {
    // SAFETY: a zeroed cpu_set_t with one bit set, for the calling thread (0); sched_getcpu()
    // has no preconditions.
    let (rc, now) = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        let rc = libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
        (rc, libc::sched_getcpu())
    };
    ensure!(
        rc == 0,
        "pin to CPU {cpu}: {}",
        std::io::Error::last_os_error()
    );
    ensure!(now == cpu as i32, "pinned to CPU {cpu}, running on {now}");
    Ok(())
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

/// Accepts one connection on `listener` and returns how many bytes arrived before it closed.
fn read_all(listener: TcpListener) -> Result<usize> {
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
}

/// Writes `bytes` to `c`, then shuts the connection down.
fn write_all(c: &mut TcpStream, bytes: usize) -> Result<()> {
    let chunk = vec![0xa5u8; 65536];
    let mut left = bytes;
    while left > 0 {
        let n = left.min(chunk.len());
        c.write_all(&chunk[..n])?;
        left -= n;
    }
    c.shutdown(std::net::Shutdown::Both)?;
    Ok(())
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
    let server = std::thread::spawn(move || read_all(listener));
    from.run(move || {
        let mut c = TcpStream::connect_timeout(&dst, Duration::from_secs(10))
            .with_context(|| format!("connect {dst}"))?;
        write_all(&mut c, bytes)
    })?;
    server
        .join()
        .map_err(|_| anyhow!("server thread panicked"))?
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

/// IPPROTO_MPTCP, which the libc crate does not name.
const IPPROTO_MPTCP: i32 = 262;

/// Sends `bytes` from `from` to `to_addr:port` over one MPTCP connection (IPv4) and returns how
/// many bytes arrived. MPTCP puts an skb extension of its own on every data segment it sends.
pub fn mptcp_flow(
    from: &Netns,
    to: &Netns,
    to_addr: &str,
    port: u16,
    bytes: usize,
) -> Result<usize> {
    use std::os::fd::FromRawFd;

    fn sockaddr(addr: std::net::Ipv4Addr, port: u16) -> libc::sockaddr_in {
        // SAFETY: sockaddr_in is plain old data; all zeros is a valid value.
        let mut sa: libc::sockaddr_in = unsafe { std::mem::zeroed() };
        sa.sin_family = libc::AF_INET as u16;
        sa.sin_port = port.to_be();
        sa.sin_addr.s_addr = u32::from(addr).to_be();
        sa
    }
    fn mptcp_socket() -> Result<i32> {
        // SAFETY: socket(2) with constant arguments.
        let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM, IPPROTO_MPTCP) };
        ensure!(
            fd >= 0,
            "MPTCP socket: {} (CONFIG_MPTCP, net.mptcp.enabled)",
            std::io::Error::last_os_error()
        );
        Ok(fd)
    }

    let dst: std::net::Ipv4Addr = to_addr.parse().context("mptcp_flow takes IPv4")?;
    let listener = to.run(move || {
        let fd = mptcp_socket()?;
        let sa = sockaddr(std::net::Ipv4Addr::UNSPECIFIED, port);
        // SAFETY: bind(2)/listen(2) on our socket with a valid sockaddr_in of its size.
        let rc = unsafe {
            libc::bind(
                fd,
                &sa as *const libc::sockaddr_in as *const libc::sockaddr,
                std::mem::size_of::<libc::sockaddr_in>() as u32,
            )
        };
        ensure!(rc == 0, "bind MPTCP: {}", std::io::Error::last_os_error());
        // SAFETY: as above.
        ensure!(
            unsafe { libc::listen(fd, 1) } == 0,
            "listen MPTCP: {}",
            std::io::Error::last_os_error()
        );
        // SAFETY: `fd` is a listening stream socket that nothing else owns.
        Ok(unsafe { TcpListener::from_raw_fd(fd) })
    })?;
    let server = std::thread::spawn(move || read_all(listener));
    from.run(move || {
        let fd = mptcp_socket()?;
        let sa = sockaddr(dst, port);
        // SAFETY: connect(2) on our socket with a valid sockaddr_in of its size.
        let rc = unsafe {
            libc::connect(
                fd,
                &sa as *const libc::sockaddr_in as *const libc::sockaddr,
                std::mem::size_of::<libc::sockaddr_in>() as u32,
            )
        };
        ensure!(
            rc == 0,
            "connect MPTCP: {}",
            std::io::Error::last_os_error()
        );
        // SAFETY: `fd` is a connected stream socket that nothing else owns.
        let mut c = unsafe { TcpStream::from_raw_fd(fd) };
        write_all(&mut c, bytes)
    })?;
    server
        .join()
        .map_err(|_| anyhow!("server thread panicked"))?
}
