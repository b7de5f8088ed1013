// SPDX-License-Identifier: GPL-2.0
//! The hook provider module.

use super::*;

/// Its name.
pub const NAME: &str = "rust_bpf_skb_ext";
const DEBUGFS: &str = "/sys/kernel/debug/bpf_skb_ext";

/// Path of the module object, from `BPF_SKB_EXT_MODULE`.
pub fn path() -> Result<String> {
    std::env::var("BPF_SKB_EXT_MODULE")
        .context("BPF_SKB_EXT_MODULE (path of rust_bpf_skb_ext.ko) is not set")
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
pub const POLICY: &str = "/sys/module/rust_bpf_skb_ext/parameters/drop_across_netns";

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
            pin_to_cpu(cpu)?;
            let rx = UdpSocket::bind("127.0.0.1:0")?;
            let tx = UdpSocket::bind("127.0.0.1:0")?;
            tx.send_to(b"poke", rx.local_addr()?)?;
            Ok(())
        })?;
    }
    Ok(())
}
