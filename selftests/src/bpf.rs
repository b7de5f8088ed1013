// SPDX-License-Identifier: GPL-2.0
//! Loading the BPF programs and reading their results: the skeletons, bpffs pins, cgroup
//! attachment, the .bss snapshot and the per-packet identity check.
//!
//! Every test area has an object and a skeleton of its own (`tests/vm/<area>.bpf.c`, declared
//! by `area_skel!` in `lib.rs`), and libbpf-cargo generates separate Rust types for each. All
//! are built on `src/bpf/common.bpf.h`, so all have its programs, configuration and results:
//! [`AreaSkel`] and [`CommonBss`] give the helpers here and in the tests that common part,
//! whichever area's skeleton they are handed, and [`HookStats`] is `struct hook_stats` once
//! for all of them.

use super::*;

/// Opens the skeleton of test area `$area` (`kfunc`, `hooks`, `lifetime`, `provider`: the
/// object of `tests/vm/<area>.bpf.c`) into `$storage` with `$port` as the L4 port the programs
/// match, and loads the named programs only: a test names every program it attaches or runs.
///
/// The object holds the programs of every test of its area and those every area shares;
/// verifying them all is slow (all of the suite's, in one object, took ~4 s of a test's ~8 s
/// under TCG, and far more with KASAN), so the others are not loaded. A program a test uses but does not name has no fd: its attach
/// fails with an error naming it. A test names programs of its own area's object only
/// (checked on the host by `tests/host.rs`).
#[macro_export]
macro_rules! load_skel {
    ($area:ident, $storage:ident, $port:expr, [$($prog:literal),+ $(,)?]) => {{
        use libbpf_rs::skel::{OpenSkel, SkelBuilder};
        let builder = $crate::$area::Builder::default();
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
            "the {} skeleton lacks some of the programs {wanted:?}",
            stringify!($area)
        );
        open.load()
            .map_err(|e| anyhow::anyhow!("load skeleton ({wanted:?}): {e}"))?
    }};
}

/// A loaded skeleton of any test area: what `src/bpf/common.bpf.h` gives every area's object.
/// Implemented for each area's skeleton by `area_skel!` (`lib.rs`).
pub trait AreaSkel<'obj> {
    /// The area's .bss: the configuration and results of `common.bpf.h`, and the area's own.
    type Bss: Copy + CommonBss;

    /// The mmapped .bss.
    fn bss(&self) -> &Self::Bss;

    /// The mmapped .bss, to write.
    fn bss_mut(&mut self) -> &mut Self::Bss;

    /// The programs of `common.bpf.h`.
    fn common_progs(&self) -> CommonProgs<'_, 'obj>;
}

/// The programs of `src/bpf/common.bpf.h`, which every area's object has (a test still names
/// those it uses to [`load_skel!`]).
pub struct CommonProgs<'a, 'obj> {
    /// tc: tags the packets to `cfg_port` (`tc_write_stats`).
    pub tc_write: &'a libbpf_rs::ProgramMut<'obj>,
    /// tc: reads their tags (`tc_read_stats`).
    pub tc_read: &'a libbpf_rs::ProgramMut<'obj>,
    /// tc: a second reader (`tc_read2_stats`).
    pub tc_read2: &'a libbpf_rs::ProgramMut<'obj>,
    /// cgroup_skb ingress: reads the tags (`cg_read_stats`).
    pub cg_read: &'a libbpf_rs::ProgramMut<'obj>,
    /// cgroup_skb egress: tags (`cg_write_stats`).
    pub cg_write: &'a libbpf_rs::ProgramMut<'obj>,
    /// tc: tags, clones to `cfg_clone_ifindex`, rewrites the original's tag (`clone_stats`).
    pub tc_clone_write: &'a libbpf_rs::ProgramMut<'obj>,
}

/// The .bss of any test area, as far as `src/bpf/common.bpf.h` defines it. Implemented for each
/// area's `types::bss` by `area_skel!` (`lib.rs`).
pub trait CommonBss {
    /// The readers whose tags [`check_identity`] checks, by hook.
    fn readers(&self) -> [(&'static str, HookStats); 6];

    /// `cfg_clone_ifindex`: where `tc_clone_write` sends its clones.
    fn cfg_clone_ifindex(&mut self) -> &mut u32;
}

/// What one hook saw (`struct hook_stats`, `src/bpf/bpf_skb_ext.h`), the same type whichever
/// area's skeleton it comes from: each area's `types::hook_stats` converts into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HookStats {
    /// Matched packets.
    pub seen: u64,
    /// `bpf_dynptr_from_skb_meta()` failed.
    pub dynptr_err: u64,
    /// Tag written.
    pub written: u64,
    /// Write failed.
    pub write_err: u64,
    /// A well-formed tag (magic, all 64 bytes).
    pub read_ok: u64,
    /// All zeros: no tag.
    pub read_zero: u64,
    /// Anything else.
    pub read_bad: u64,
    /// Packets with gso_segs > 1.
    pub gso: u64,
    /// Well-formed tags with seq >= SEQ_REWRITE.
    pub seq_high: u64,
    /// Dynptr was null after a failed create.
    pub err_null: u64,
    /// read_ok, and the tag's packet identity is this packet's.
    pub id_ok: u64,
    /// read_ok on a TCP segment of the packet the tag was written on (GSO).
    pub id_within: u64,
    /// read_ok, but the tag was written on another packet.
    pub id_bad: u64,
    /// Last error code seen.
    pub last_err: i64,
    /// Sequence number in the last tag read.
    pub last_seq: u32,
    /// The last tag read.
    pub last_tag: [u8; TAG_SIZE],
}

/// A bpffs for programs that iproute2 loads by path. `ip -n` remounts /sys in its own mount
/// namespace, which hides /sys/fs/bpf, so this one lives under /run.
pub fn bpffs() -> Result<&'static str> {
    const DIR: &str = "/run/bpf-skb-ext-bpffs";
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
pub fn results<'obj, S: AreaSkel<'obj>>(skel: &S) -> S::Bss {
    let bss = skel.bss();
    // SAFETY: `bss` points to the mmapped .bss of a loaded object; a volatile read of the whole
    // plain-old-data struct is fine while BPF programs update it.
    unsafe { std::ptr::read_volatile(bss as *const S::Bss) }
}

/// Every tag a hook read belongs to the packet it read it from: the identity the writer put in
/// the tag is the packet's own (a TCP segment may carry the tag of the GSO packet it was cut
/// from), for every tag that hook found well-formed.
pub fn check_identity<R: CommonBss>(r: &R) -> Result<()> {
    for (hook, st) in r.readers() {
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
pub fn config<'obj, S: AreaSkel<'obj>>(skel: &mut S) -> &mut S::Bss {
    skel.bss_mut()
}
