// SPDX-License-Identifier: GPL-2.0

//! Rust hook provider for the BPF metadata skb extension.
//!
//! Serves the buffers behind `bpf_dynptr_from_skb_meta(skb, BPF_DYNPTR_SKB_EXT_F, &ptr)`: the
//! kernel zeroes new ones, copies shared ones before they are written and wipes released ones;
//! this module accounts for every buffer set up, copied and released.
//!
//! Every hook costs O(1) on any number of CPUs: setting a buffer up is one per-CPU add and one
//! atomic add on the shared `live` count, which makes `live` and `peak` exact (the price is one
//! cache line that CPUs tagging at the same moment share); releasing one is the atomic
//! decrement alone, and `freed` is derived when read (`allocated + copied - live`).
//!
//! - `/sys/kernel/debug/bpf_skb_ext/counters` (read-only): one `name value` pair per line:
//!   `live`, `peak`, `allocated`, `copied`, `freed`, `alloc_failed`.
//! - `/sys/module/rust_bpf_skb_ext/parameters/drop_across_netns` (read-write, root): `N` (the
//!   default) keeps a packet's buffer when it crosses network namespaces, `Y` drops it. Set it
//!   at load time (`drop_across_netns=1`) or write it at any time; packets crossing after the
//!   write follow the new value.

use pin_init::pin_init_scope;

use kernel::{
    debugfs::{Dir, File},
    net::bpf_skb_ext::{self, PerCpuCounters, Provider, Registration, DATA_SIZE},
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        Arc,
    },
};

module! {
    type: RustBpfSkbExt,
    name: "rust_bpf_skb_ext",
    authors: ["bpf-skb-ext developers"],
    description: "Rust hook provider for the BPF metadata skb extension",
    license: "GPL",
    params: {
        drop_across_netns: bool {
            default: false,
            description: "Drop the BPF metadata of packets that cross network namespaces",
            perm: 0o644,
        },
    },
}

/// Per-CPU event counters, by index. Releases are not counted apart: every buffer set up is
/// live until released, so `freed` is `allocated + copied - live`.
const ALLOCATED: usize = 0;
const COPIED: usize = 1;
const ALLOC_FAILED: usize = 2;
const NR_COUNTERS: usize = 3;

/// What the hooks and debugfs share.
struct State {
    events: PerCpuCounters<NR_COUNTERS>,
    /// Buffers set up and not yet released: exact, O(1) per event.
    live: Atomic<i64>,
    /// Highest `live` reached.
    peak: Atomic<i64>,
}

impl State {
    /// Zeroed counters, shared by the hooks and debugfs.
    fn new() -> Result<Arc<Self>> {
        Ok(Arc::new(
            State {
                events: PerCpuCounters::new()?,
                live: Atomic::new(0),
                peak: Atomic::new(0),
            },
            GFP_KERNEL,
        )?)
    }

    #[inline]
    fn set_up(&self, event: usize) {
        self.events.add(event, 1);
        let live = self.live.fetch_add(1, Relaxed) + 1;
        let mut peak = self.peak.load(Relaxed);
        while live > peak {
            match self.peak.cmpxchg(peak, live, Relaxed) {
                Ok(_) => break,
                Err(seen) => peak = seen,
            }
        }
    }

    #[inline]
    fn released(&self) {
        self.live.add(-1, Relaxed);
    }

    /// Buffers released: exact when no hook runs, like the sums it is made of.
    fn freed(&self) -> i64 {
        let set_up = self
            .events
            .sum(ALLOCATED)
            .wrapping_add(self.events.sum(COPIED));
        (set_up as i64).wrapping_sub(self.live.load(Relaxed))
    }

    fn show(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        writeln!(f, "live {}", self.live.load(Relaxed))?;
        writeln!(f, "peak {}", self.peak.load(Relaxed))?;
        writeln!(f, "allocated {}", self.events.sum(ALLOCATED))?;
        writeln!(f, "copied {}", self.events.sum(COPIED))?;
        writeln!(f, "freed {}", self.freed())?;
        writeln!(f, "alloc_failed {}", self.events.sum(ALLOC_FAILED))
    }
}

/// The hooks.
struct Hooks {
    state: Arc<State>,
    /// Whether dropping it says how many buffers were live: set once the module's instance is
    /// registered; the unit tests' and one refused with `EBUSY` stay quiet.
    announce_drop: Atomic<bool>,
}

#[vtable]
impl Provider for Hooks {
    fn init(&self, _data: &mut [u8; DATA_SIZE]) {
        // The kernel zeroed the buffer: only the accounting is ours.
        self.state.set_up(ALLOCATED);
    }

    fn copy(&self, _dst: &mut [u8; DATA_SIZE], _src: &[u8; DATA_SIZE]) {
        // The kernel copied the bytes with the rest of the extension.
        self.state.set_up(COPIED);
    }

    fn release(&self, _data: &[u8; DATA_SIZE]) {
        // The kernel wiped the buffer: only the accounting is ours.
        self.state.released();
    }

    fn alloc_failed(&self) {
        self.state.events.add(ALLOC_FAILED, 1);
    }

    fn drop_across_netns() -> Option<&'static Atomic<bool>> {
        // The kernel reads the parameter where sysfs writes it: a write takes effect for the
        // next packet that crosses, and no hook runs per packet for it.
        Some(module_parameters::drop_across_netns.as_atomic())
    }
}

impl Drop for Hooks {
    fn drop(&mut self) {
        if !self.announce_drop.load(Relaxed) {
            return;
        }
        // Dropped after the registration is gone: no hook runs any more, so `live` is final for
        // this instance. Those buffers are the kernel's to wipe and free now.
        pr_info!(
            "unregistered with {} buffers live: the kernel frees them\n",
            self.state.live.load(Relaxed)
        );
    }
}

#[pin_data]
struct RustBpfSkbExt {
    // Dropped in declaration order: unregister the hooks before debugfs and the state go.
    #[pin]
    registration: Registration<Hooks>,
    _counters: Pin<KBox<File<Arc<State>>>>,
    _dir: Dir,
}

impl kernel::InPlaceModule for RustBpfSkbExt {
    fn init(_module: &'static ThisModule) -> impl PinInit<Self, Error> {
        pin_init_scope(move || {
            let state = State::new()?;
            let dir = Dir::new(c"bpf_skb_ext");
            let counters = KBox::pin_init(
                dir.read_callback_file(c"counters", state.clone(), &|s: &Arc<State>, f| s.show(f)),
                GFP_KERNEL,
            )?;
            Ok(try_pin_init!(RustBpfSkbExt {
                registration <- Registration::register(Hooks {
                    state,
                    announce_drop: Atomic::new(false),
                }),
                _counters: counters,
                _dir: dir,
            }? Error)
            // Only once the hooks are registered: a second provider gets `EBUSY` and says nothing.
            .pin_chain(|this| {
                this.registration
                    .provider()
                    .announce_drop
                    .store(true, Relaxed);
                pr_info!(
                    "serving {} byte buffers, drop_across_netns={}\n",
                    bpf_skb_ext::DATA_SIZE,
                    module_parameters::drop_across_netns.value()
                );
                Ok(())
            }))
        })
    }
}

// Unit tests of the hooks, on buffers of their own: what the provider does to a buffer is seen
// directly. Run through debugfs while the module is loaded (the VM boots with
// `kunit.autorun=0`).
#[kunit_tests(bpf_skb_ext_provider)]
mod tests {
    use super::*;

    fn hooks() -> Result<Hooks> {
        Ok(Hooks {
            state: State::new()?,
            announce_drop: Atomic::new(false),
        })
    }

    #[test]
    fn release_accounts() -> Result {
        let hooks = hooks()?;
        let mut data = [0u8; DATA_SIZE];
        hooks.init(&mut data);
        assert_eq!(hooks.state.live.load(Relaxed), 1);
        assert_eq!(hooks.state.freed(), 0);
        hooks.release(&data);
        assert_eq!(hooks.state.live.load(Relaxed), 0);
        assert_eq!(hooks.state.events.sum(ALLOCATED), 1);
        assert_eq!(hooks.state.freed(), 1);
        Ok(())
    }

    #[test]
    fn netns_policy_is_the_parameter() {
        // The kernel reads what `drop_across_netns()` points to; it must be the parameter.
        let policy = Hooks::drop_across_netns().expect("a netns policy");
        assert!(core::ptr::eq(
            policy,
            module_parameters::drop_across_netns.as_atomic()
        ));
        assert_eq!(
            policy.load(Relaxed),
            module_parameters::drop_across_netns.value()
        );
    }

    #[test]
    fn copy_counts_and_keeps_the_bytes() -> Result {
        let hooks = hooks()?;
        let src = [0x5au8; DATA_SIZE];
        // The kernel copied the bytes before the hook: the hook must leave them.
        let mut dst = src;
        hooks.copy(&mut dst, &src);
        assert_eq!(dst, src);
        assert_eq!(hooks.state.events.sum(COPIED), 1);
        assert_eq!(hooks.state.live.load(Relaxed), 1);
        Ok(())
    }

    #[test]
    fn peak_is_the_highest_live() -> Result {
        let hooks = hooks()?;
        let mut bufs = [[0u8; DATA_SIZE]; 3];
        for b in bufs.iter_mut() {
            hooks.init(b);
        }
        hooks.release(&bufs[0]);
        hooks.release(&bufs[1]);
        hooks.init(&mut bufs[0]);
        assert_eq!(hooks.state.live.load(Relaxed), 2);
        assert_eq!(hooks.state.peak.load(Relaxed), 3);
        assert_eq!(hooks.state.freed(), 2);
        Ok(())
    }
}
