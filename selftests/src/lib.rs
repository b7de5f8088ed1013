// SPDX-License-Identifier: GPL-2.0
//! Test helpers. Every helper fails with an error that names what it was doing.
//!
//! - [`net`]: network namespaces, veth pairs, UDP/TCP traffic between them;
//! - [`module`]: the hook provider module, its counters and its policy;
//! - [`kunit`]: the kernel's KUnit suites, run on demand;
//! - [`bpf`]: the skeleton ([`load_skel!`]), bpffs pins, cgroup attachment, results;
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
