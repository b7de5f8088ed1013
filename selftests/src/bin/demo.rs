// SPDX-License-Identifier: GPL-2.0
//! `make demo`: tag packets at tc ingress, read the tags at cgroup_skb ingress, and print
//! what the reader saw for each packet. Runs as root inside the VM.

use std::mem::MaybeUninit;

use anyhow::Result;
use skb_meta_selftests::{
    attach_cgroup, load_skel, module, results, udp_flow, Pair, ADDR_B, TAG_MAGIC, VETH_B,
};

fn main() -> Result<()> {
    module::load("")?;
    let mut obj = MaybeUninit::uninit();
    let skel = load_skel!(obj, 9000);
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
    Ok(())
}
