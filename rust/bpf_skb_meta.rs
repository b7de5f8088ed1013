// SPDX-License-Identifier: GPL-2.0

//! Rust hook provider for the BPF metadata skb extension.
//!
//! Serves the buffers behind `bpf_dynptr_from_skb_meta(skb, BPF_DYNPTR_SKB_EXT_F, &ptr)`:
//! zeroes new ones, copies shared ones before they are written, wipes released ones, and counts
//! all of it per CPU. The counters and the netns policy live in debugfs:
//!
//! - `/sys/kernel/debug/bpf_skb_meta/counters` (read-only): one `name value` pair per line:
//!   `live`, `peak`, `allocated`, `copied`, `freed`, `alloc_failed`.
//! - `/sys/kernel/debug/bpf_skb_meta/drop_across_netns` (read-write): `false` (the default)
//!   keeps a packet's buffer when it crosses network namespaces, `true` drops it. Its initial
//!   value is the module parameter of the same name.

use kernel::{
    debugfs::{Dir, File},
    net::bpf_skb_ext::{self, PerCpuCounters, Provider, Registration},
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        Arc,
    },
    uaccess::UserSliceReader,
};

module! {
    type: BpfSkbMeta,
    name: "bpf_skb_meta",
    authors: ["skb-bpf-ext developers"],
    description: "Rust hook provider for the BPF metadata skb extension",
    license: "GPL",
    params: {
        drop_across_netns: bool {
            default: false,
            description: "Drop the BPF metadata of packets that cross network namespaces \
                          (initial value; change it at runtime in debugfs)",
        },
    },
}

/// Per-CPU event counters, by index.
const ALLOCATED: usize = 0;
const COPIED: usize = 1;
const FREED: usize = 2;
const ALLOC_FAILED: usize = 3;
const NR_COUNTERS: usize = 4;

/// What the hooks and debugfs share.
struct State {
    events: PerCpuCounters<NR_COUNTERS>,
    /// Highest `live` seen when a buffer was set up.
    peak: Atomic<u64>,
    /// The netns policy, settable through debugfs.
    drop_across_netns: Atomic<bool>,
}

impl State {
    /// Buffers set up and not yet released.
    fn live(&self) -> u64 {
        // Sum the frees first: a buffer released while we sum can then only make `live` too
        // high by one, never wrap below zero.
        let freed = self.events.sum(FREED);
        let set_up = self.events.sum(ALLOCATED) + self.events.sum(COPIED);
        set_up.saturating_sub(freed)
    }

    fn set_up(&self, event: usize) {
        self.events.add(event, 1);
        let live = self.live();
        let mut peak = self.peak.load(Relaxed);
        while live > peak {
            match self.peak.cmpxchg(peak, live, Relaxed) {
                Ok(_) => break,
                Err(seen) => peak = seen,
            }
        }
    }

    fn show(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        writeln!(f, "live {}", self.live())?;
        writeln!(f, "peak {}", self.peak.load(Relaxed))?;
        writeln!(f, "allocated {}", self.events.sum(ALLOCATED))?;
        writeln!(f, "copied {}", self.events.sum(COPIED))?;
        writeln!(f, "freed {}", self.events.sum(FREED))?;
        writeln!(f, "alloc_failed {}", self.events.sum(ALLOC_FAILED))
    }

    fn show_policy(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        writeln!(f, "{}", self.drop_across_netns.load(Relaxed))
    }

    fn set_policy(&self, reader: &mut UserSliceReader) -> Result {
        let mut buf = [0u8; 8];
        let len = reader.len();
        if len == 0 || len > buf.len() {
            return Err(EINVAL);
        }
        reader.read_slice(&mut buf[..len])?;
        let drop = match buf[..len].trim_ascii() {
            b"1" | b"y" | b"Y" | b"true" => true,
            b"0" | b"n" | b"N" | b"false" => false,
            _ => return Err(EINVAL),
        };
        self.drop_across_netns.store(drop, Relaxed);
        Ok(())
    }
}

/// The hooks.
struct Hooks {
    state: Arc<State>,
}

#[vtable]
impl Provider for Hooks {
    fn init(&self, data: &mut [u8]) {
        // The slab object may hold another packet's extension: start from zeros.
        data.fill(0);
        self.state.set_up(ALLOCATED);
    }

    fn copy(&self, dst: &mut [u8], src: &[u8]) {
        dst.copy_from_slice(src);
        self.state.set_up(COPIED);
    }

    fn release(&self, data: &mut [u8]) {
        bpf_skb_ext::wipe(data);
        self.state.events.add(FREED, 1);
    }

    fn alloc_failed(&self) {
        self.state.events.add(ALLOC_FAILED, 1);
    }

    fn keep_across_netns(&self) -> bool {
        !self.state.drop_across_netns.load(Relaxed)
    }
}

struct BpfSkbMeta {
    // Dropped in declaration order: unregister the hooks before debugfs and the state go.
    _registration: Registration<Hooks>,
    _counters: Pin<KBox<File<Arc<State>>>>,
    _policy: Pin<KBox<File<Arc<State>>>>,
    _dir: Dir,
}

impl kernel::Module for BpfSkbMeta {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let drop_across_netns = module_parameters::drop_across_netns.value();
        let state = Arc::new(
            State {
                events: PerCpuCounters::new()?,
                peak: Atomic::new(0),
                drop_across_netns: Atomic::new(drop_across_netns),
            },
            GFP_KERNEL,
        )?;
        let dir = Dir::new(c"bpf_skb_meta");
        let counters = KBox::pin_init(
            dir.read_callback_file(c"counters", state.clone(), &|s: &Arc<State>, f| s.show(f)),
            GFP_KERNEL,
        )?;
        let policy = KBox::pin_init(
            dir.read_write_callback_file(
                c"drop_across_netns",
                state.clone(),
                &|s: &Arc<State>, f| s.show_policy(f),
                &|s: &Arc<State>, r| s.set_policy(r),
            ),
            GFP_KERNEL,
        )?;
        let registration = Registration::register(Hooks { state })?;
        pr_info!(
            "serving {} byte buffers, drop_across_netns={}\n",
            bpf_skb_ext::DATA_SIZE,
            drop_across_netns
        );
        Ok(BpfSkbMeta {
            _registration: registration,
            _counters: counters,
            _policy: policy,
            _dir: dir,
        })
    }
}
