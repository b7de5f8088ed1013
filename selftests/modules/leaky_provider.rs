// SPDX-License-Identifier: GPL-2.0

//! Test-only module: a BPF metadata skb extension provider whose registration is leaked.
//!
//! Safe Rust may leak any value, a [`Registration`] included: [`core::mem::forget`] of the
//! pinned box that holds it, as done here, or [`KBox::leak`], or a reference cycle. Its
//! `PinnedDrop` then never runs and nothing in this module unregisters the provider: without
//! the kernel's own unregistration (the ops name this module as their owner), the kernel would
//! go on calling the provider's hooks (code in this module) after `rmmod` has freed this
//! module's memory. With it, `rmmod` logs "bpf_skb_ext: module leaky_provider unloads with its
//! provider registered: unregistering it" and waits for running hooks first.
//!
//! The selftest `provider::leaked_registration_is_harmless_after_unload` loads this module,
//! tags packets through it, unloads it and tags more: the kernel must stop serving a provider
//! whose module is gone (BPF then gets `-EOPNOTSUPP`, as with no provider at all) instead of
//! calling freed code. Nothing here is a provider to copy from: see
//! `samples/rust/rust_bpf_skb_ext.rs`.
//!
//! The module's exit does nothing on purpose; its hook counts cannot be read once it is gone.
//!
//! The leak itself is safe code. The one `unsafe` block only tells kmemleak that the leaked
//! allocation is leaked on purpose: once the kernel forgets the provider of an unloaded module
//! nothing points to it any more, and a kmemleak report would fail the run.

use core::ffi::c_void;

use kernel::{
    net::bpf_skb_ext::{Provider, Registration, DATA_SIZE},
    prelude::*,
    sync::atomic::{Atomic, Relaxed},
};

module! {
    type: LeakyProvider,
    name: "leaky_provider",
    authors: ["bpf-skb-ext developers"],
    description: "Test only: leaks its BPF metadata skb extension provider registration",
    license: "GPL",
}

/// A provider that only counts its hook calls.
struct Counting {
    /// Buffers set up (`init`).
    inits: Atomic<i64>,
    /// Buffers copied for a writer (`copy`).
    copies: Atomic<i64>,
    /// Buffers released (`release`).
    releases: Atomic<i64>,
}

#[vtable]
impl Provider for Counting {
    fn init(&self, _data: &mut [u8; DATA_SIZE]) {
        self.inits.add(1, Relaxed);
    }

    fn copy(&self, _dst: &mut [u8; DATA_SIZE], _src: &[u8; DATA_SIZE]) {
        self.copies.add(1, Relaxed);
    }

    fn release(&self, _data: &[u8; DATA_SIZE]) {
        self.releases.add(1, Relaxed);
    }
}

/// The module: holds nothing, the registration is leaked at init.
struct LeakyProvider;

impl kernel::Module for LeakyProvider {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let registration = KBox::pin_init(
            Registration::register(Counting {
                inits: Atomic::new(0),
                copies: Atomic::new(0),
                releases: Atomic::new(0),
            }),
            GFP_KERNEL,
        )?;
        pr_info!("provider registered, registration leaked: unloading leaves it registered\n");
        let leaked: *const Registration<Counting> = &*registration;
        // The leak, in safe code: `PinnedDrop` never runs, the provider stays registered.
        core::mem::forget(registration);
        not_a_leak(leaked.cast());
        Ok(LeakyProvider)
    }
}

/// Marks the allocation at `ptr` as leaked on purpose, never to be reported by kmemleak.
#[cfg(CONFIG_DEBUG_KMEMLEAK)]
fn not_a_leak(ptr: *const c_void) {
    // Not in the bindings: no header they include declares it.
    extern "C" {
        fn kmemleak_not_leak(ptr: *const c_void);
    }
    // SAFETY: `kmemleak_not_leak()` only looks `ptr` up among the allocations kmemleak tracks,
    // and does nothing if it is none of them: any pointer value may be passed.
    unsafe { kmemleak_not_leak(ptr) };
}

/// Without kmemleak there is nobody to tell.
#[cfg(not(CONFIG_DEBUG_KMEMLEAK))]
fn not_a_leak(_ptr: *const c_void) {}
