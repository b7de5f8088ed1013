// SPDX-License-Identifier: GPL-2.0
//! Test helpers. Every helper fails with an error that names what it was doing.
//!
//! - [`net`]: network namespaces, veth pairs, UDP/TCP traffic between them;
//! - [`module`]: the hook provider module, its counters and its policy;
//! - [`kunit`]: the kernel's KUnit suites, run on demand;
//! - [`bpf`]: loading an area's skeleton ([`load_skel!`]), bpffs pins, cgroup attachment,
//!   results;
//! - [`kfunc`], [`hooks`], [`lifetime`], [`provider`]: the skeletons, one per test area;
//! - here: the tag layout, fault injection ([`Failslab`]), [`check_eq!`], errno values.

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

/// Declares the skeleton of one test area's BPF object (`tests/vm/<area>.bpf.c`, built on
/// `src/bpf/common.bpf.h`): a module `$area` with everything libbpf-cargo generated for it
/// (`$skel`, `$builder`, `types`, ...), `Builder` for [`load_skel!`], and the impls through
/// which the shared helpers serve every area's skeleton alike: [`AreaSkel`] ([`results`],
/// [`config`], the programs of `common.bpf.h`) and [`CommonBss`] ([`check_identity`]).
macro_rules! area_skel {
    ($(#[$doc:meta])* $area:ident, $skel:ident, $builder:ident) => {
        $(#[$doc])*
        pub mod $area {
            #[allow(
                clippy::all,
                missing_docs,
                non_camel_case_types,
                non_snake_case,
                dead_code
            )]
            mod generated {
                include!(concat!(env!("OUT_DIR"), "/", stringify!($area), ".skel.rs"));
            }

            pub use generated::*;

            /// The builder of this area's skeleton, for [`load_skel!`](crate::load_skel).
            pub type Builder = $builder;

            impl<'obj> $crate::AreaSkel<'obj> for $skel<'obj> {
                type Bss = types::bss;

                fn bss(&self) -> &types::bss {
                    self.maps.bss_data.as_deref().expect("skeleton has .bss")
                }

                fn bss_mut(&mut self) -> &mut types::bss {
                    self.maps
                        .bss_data
                        .as_deref_mut()
                        .expect("skeleton has .bss")
                }

                fn common_progs(&self) -> $crate::CommonProgs<'_, 'obj> {
                    let p = &self.progs;
                    $crate::CommonProgs {
                        tc_write: &p.tc_write,
                        tc_read: &p.tc_read,
                        tc_read2: &p.tc_read2,
                        cg_read: &p.cg_read,
                        cg_write: &p.cg_write,
                        tc_clone_write: &p.tc_clone_write,
                    }
                }
            }

            impl $crate::CommonBss for types::bss {
                fn readers(&self) -> [(&'static str, $crate::HookStats); 6] {
                    [
                        ("tc_read", (&self.tc_read_stats).into()),
                        ("tc_read2", (&self.tc_read2_stats).into()),
                        ("cg_read", (&self.cg_read_stats).into()),
                        ("sock_read", (&self.sock_stats).into()),
                        ("lwt_read", (&self.lwt_read_stats).into()),
                        ("act_read", (&self.act_read_stats).into()),
                    ]
                }

                fn cfg_clone_ifindex(&mut self) -> &mut u32 {
                    &mut self.cfg_clone_ifindex
                }
            }

            impl From<&types::hook_stats> for $crate::HookStats {
                fn from(s: &types::hook_stats) -> Self {
                    Self {
                        seen: s.seen,
                        dynptr_err: s.dynptr_err,
                        written: s.written,
                        write_err: s.write_err,
                        read_ok: s.read_ok,
                        read_zero: s.read_zero,
                        read_bad: s.read_bad,
                        gso: s.gso,
                        seq_high: s.seq_high,
                        err_null: s.err_null,
                        id_ok: s.id_ok,
                        id_within: s.id_within,
                        id_bad: s.id_bad,
                        last_err: s.last_err,
                        last_seq: s.last_seq,
                        last_tag: s.last_tag,
                    }
                }
            }
        }
    };
}

area_skel!(
    /// The skeleton of `tests/vm/kfunc.bpf.c`: the tests of `tests/vm/kfunc.rs`.
    kfunc,
    KfuncSkel,
    KfuncSkelBuilder
);
area_skel!(
    /// The skeleton of `tests/vm/hooks.bpf.c`: the tests of `tests/vm/hooks.rs`, and the demo.
    hooks,
    HooksSkel,
    HooksSkelBuilder
);
area_skel!(
    /// The skeleton of `tests/vm/lifetime.bpf.c`: the tests of `tests/vm/lifetime.rs`.
    lifetime,
    LifetimeSkel,
    LifetimeSkelBuilder
);
area_skel!(
    /// The skeleton of `tests/vm/provider.bpf.c`: the tests of `tests/vm/provider.rs`.
    provider,
    ProviderSkel,
    ProviderSkelBuilder
);

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

/// `cfg_write_mode`: how the BPF writers write a tag (`WRITE_*` in `bpf_skb_ext.h`).
pub mod write_mode {
    /// `bpf_dynptr_write()`.
    pub const DYNPTR: u32 = 0;
    /// `bpf_dynptr_slice_rdwr()`, then byte stores.
    pub const SLICE: u32 = 1;
    /// `bpf_dynptr_memset()` (attaches the buffer), then `bpf_dynptr_write()`.
    pub const MEMSET: u32 = 2;
    /// `bpf_probe_read_kernel_dynptr()` of the tag (from the program's stack).
    pub const PROBE_READ: u32 = 3;
}

pub mod bpf;
pub mod kunit;
pub mod module;
pub mod net;

pub use bpf::*;
pub use net::*;

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
