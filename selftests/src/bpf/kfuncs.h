/* SPDX-License-Identifier: GPL-2.0 */
/* The kfuncs the suite's and the benchmark's BPF programs call, declared
 * once: Debian 12's bpftool does not emit kfunc prototypes into vmlinux.h.
 * An unused declaration costs nothing (clang emits only the externs a
 * program references).
 */
#ifndef BPF_SKB_EXT_KFUNCS_H
#define BPF_SKB_EXT_KFUNCS_H

/* Not in every kernel's BTF (the bench profile has no BPF crypto). */
struct bpf_crypto_ctx;
struct bpf_crypto_params;

extern int bpf_dynptr_from_skb_meta(struct __sk_buff *skb, __u64 flags,
				    struct bpf_dynptr *ptr) __ksym;
extern void *bpf_dynptr_slice(const struct bpf_dynptr *p, __u64 offset,
			      void *buffer, __u64 buffer__szk) __ksym;
extern void *bpf_dynptr_slice_rdwr(const struct bpf_dynptr *p, __u64 offset,
				   void *buffer, __u64 buffer__szk) __ksym;
extern __u64 bpf_dynptr_size(const struct bpf_dynptr *p) __ksym;
extern bool bpf_dynptr_is_null(const struct bpf_dynptr *p) __ksym;
extern bool bpf_dynptr_is_rdonly(const struct bpf_dynptr *p) __ksym;
extern int bpf_dynptr_memset(const struct bpf_dynptr *p, __u64 offset,
			     __u64 size, __u8 val) __ksym;
extern int bpf_dynptr_copy(const struct bpf_dynptr *dst_ptr, __u64 dst_off,
			   const struct bpf_dynptr *src_ptr, __u64 src_off,
			   __u64 size) __ksym;
extern int bpf_dynptr_clone(const struct bpf_dynptr *p,
			    struct bpf_dynptr *clone__uninit) __ksym;
extern int bpf_dynptr_adjust(struct bpf_dynptr *p, __u64 start,
			     __u64 end) __ksym;
extern int bpf_probe_read_kernel_dynptr(const struct bpf_dynptr *dptr,
					__u64 off, __u64 size,
					const void *unsafe_ptr__ign) __ksym;
extern struct bpf_crypto_ctx *
bpf_crypto_ctx_create(const struct bpf_crypto_params *params, __u32 params__sz,
		      int *err) __ksym;
extern void bpf_crypto_ctx_release(struct bpf_crypto_ctx *ctx) __ksym;
extern int bpf_crypto_encrypt(struct bpf_crypto_ctx *ctx,
			      const struct bpf_dynptr *src,
			      const struct bpf_dynptr *dst,
			      const struct bpf_dynptr *siv__nullable) __ksym;
extern void bpf_rcu_read_lock(void) __ksym;
extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;

#endif
