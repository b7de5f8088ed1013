// SPDX-License-Identifier: GPL-2.0
//! `make demo`: tag packets at tc ingress, read the tags at cgroup_skb ingress, and print
//! what the reader saw for each packet; then tag packets that tc drops, and print the drop
//! reason a tracing program (tp_btf/kfree_skb) saw next to each tag. Runs as root inside the VM.

use std::{collections::BTreeMap, fs, mem::MaybeUninit, thread, time::Duration};

use anyhow::Result;
use bpf_skb_ext_selftests::{
    attach_cgroup, load_skel, module, results, udp_flow, udp_send, Pair, ADDR_B, TAG_MAGIC, VETH_B,
};

/// Drop reason names by value, from the kfree_skb tracepoint's print format (tracefs).
fn drop_reason_names() -> BTreeMap<u32, String> {
    let mut names = BTreeMap::new();
    for path in [
        "/sys/kernel/tracing/events/skb/kfree_skb/format",
        "/sys/kernel/debug/tracing/events/skb/kfree_skb/format",
    ] {
        let Ok(format) = fs::read_to_string(path) else {
            continue;
        };
        // ... __print_symbolic(REC->reason, { 2, "NOT_SPECIFIED" }, { 3, "NO_SOCKET" }, ...
        for pair in format.split('{').skip(1) {
            let mut it = pair.split('}').next().unwrap_or("").split(',');
            let (Some(num), Some(name)) = (it.next(), it.next()) else {
                continue;
            };
            if let Ok(n) = num.trim().parse() {
                names.insert(n, name.trim().trim_matches('"').to_string());
            }
        }
        break;
    }
    names
}

fn main() -> Result<()> {
    module::load("")?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(hooks, obj, 9000, ["tc_write", "cg_read"]);
    let p = Pair::new("demo")?;
    println!("writer: tc ingress of {VETH_B} in {}", p.b.name);
    println!("reader: cgroup_skb ingress (root cgroup), UDP to {ADDR_B}:9000");
    p.b.attach_tc(VETH_B, &skel.progs.tc_write, "ingress")?;
    let _cg = attach_cgroup(&skel.progs.cg_read)?;
    for i in 0..5 {
        let got = udp_flow(&p.a, &p.b, ADDR_B, 9000, 1, 100)?;
        let r = results(&skel);
        let t = &r.cg_read_stats.last_tag;
        let magic = u32::from_ne_bytes([t[0], t[1], t[2], t[3]]);
        let hex: Vec<String> = t[..16].iter().map(|b| format!("{b:02x}")).collect();
        println!(
            "packet {i}: delivered={got} reader saw seq={} magic={} ok={} bytes[0..16]={} ...",
            r.cg_read_stats.last_seq,
            if magic == TAG_MAGIC { "ok" } else { "BAD" },
            r.cg_read_stats.read_ok,
            hex.join(" ")
        );
    }
    let r = results(&skel);
    let c = module::counters()?;
    println!(
        "written {} read_ok {} read_bad {} untagged {}; module: {:?}",
        r.tc_write_stats.written,
        r.cg_read_stats.read_ok,
        r.cg_read_stats.read_bad,
        r.cg_read_stats.read_zero,
        c
    );
    if r.cg_read_stats.read_ok != 5 || r.cg_read_stats.read_bad != 0 {
        anyhow::bail!("the reader did not see all five tags");
    }

    // Which drop reason hit my tagged packets?
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(hooks, obj, 9001, ["tc_write_drop", "trace_tagged_drops"]);
    let p = Pair::new("demodrop")?;
    println!();
    println!(
        "writer: tc ingress of {VETH_B} in {}, which then drops the packet",
        p.b.name
    );
    println!("reader: tp_btf/kfree_skb, read-only, UDP to {ADDR_B}:9001");
    p.b.attach_tc(VETH_B, &skel.progs.tc_write_drop, "ingress")?;
    let _trace = skel.progs.trace_tagged_drops.attach()?;
    udp_send(&p.a, ADDR_B, 9001, 3, 100)?;
    thread::sleep(Duration::from_millis(300));
    let r = results(&skel);
    let names = drop_reason_names();
    for d in r
        .drop_log
        .iter()
        .take((r.drop_log_n as usize).min(r.drop_log.len()))
    {
        println!(
            "dropped: tag seq={} reason={} ({})",
            d.seq,
            d.reason,
            names.get(&d.reason).map_or("?", String::as_str)
        );
    }
    println!(
        "tagged drops {}, untagged frees seen {}",
        r.drop_stats.read_ok, r.drop_stats.read_zero
    );
    if r.drop_stats.read_ok != 3 || r.drop_stats.read_bad != 0 {
        anyhow::bail!("the tracing program did not see the three tagged drops");
    }
    Ok(())
}
