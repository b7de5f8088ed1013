// SPDX-License-Identifier: GPL-2.0
//! Loading the BPF programs and reading their results: the skeleton, bpffs pins, cgroup
//! attachment, the .bss snapshot and the per-packet identity check.

use super::*;

/// Opens the skeleton into `$storage` with `$port` as the L4 port the programs match, and
/// loads the named programs only: a test names every program it attaches or runs.
///
/// The object holds the programs of every test; verifying all of them took ~4 s of a test's
/// ~8 s under TCG (and far more with KASAN), so the others are not loaded. A program a test
/// uses but does not name has no fd: its attach fails with an error naming it.
#[macro_export]
macro_rules! load_skel {
    ($storage:ident, $port:expr, [$($prog:literal),+ $(,)?]) => {{
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
        let wanted: &[&str] = &[$($prog),+];
        let mut found = 0;
        for mut p in open.open_object_mut().progs_mut() {
            let on = wanted.contains(&p.name().to_string_lossy().as_ref());
            found += usize::from(on);
            p.set_autoload(on);
        }
        anyhow::ensure!(
            found == wanted.len(),
            "the skeleton lacks some of the programs {wanted:?}"
        );
        open.load()
            .map_err(|e| anyhow::anyhow!("load skeleton ({wanted:?}): {e}"))?
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
