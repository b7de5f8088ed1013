// SPDX-License-Identifier: GPL-2.0
/* BPF programs of tests/vm/hooks.rs: where the extension is reachable,
 * tc classifiers and actions, cgroup_skb both ways, lwt, socket filters,
 * tracing, LSM, netfilter and sock_ops, and the programs the verifier
 * must reject.
 *
 * Built into an object and a skeleton of its own (build.rs), on
 * src/bpf/common.bpf.h: the helpers, results and programs that every
 * area shares. The tests of this area load from this object only.
 */
#include "common.bpf.h"

/* tc actions (act_bpf, BPF_PROG_TYPE_SCHED_ACT) behind a matchall filter. */
SEC("action")
int act_write(struct __sk_buff *skb)
{
	if (match_port(skb, ETH_HLEN))
		do_write(skb, ETH_HLEN, &act_write_stats);
	return 0; /* TC_ACT_OK */
}

SEC("action")
int act_read(struct __sk_buff *skb)
{
	if (match_port(skb, ETH_HLEN))
		do_read(skb, ETH_HLEN, &act_read_stats);
	return 0;
}

/* Lightweight tunnels: a route's "encap bpf out" program tags the packet
 * on output and its "xmit" program reads it before the neighbour layer.
 * LWT programs see the packet from the network header on.
 */
SEC("lwt_out")
int lwt_write(struct __sk_buff *skb)
{
	if (match_port(skb, 0))
		do_write(skb, 0, &lwt_write_stats);
	return 0; /* BPF_OK */
}

SEC("lwt_xmit")
int lwt_read(struct __sk_buff *skb)
{
	if (match_port(skb, 0))
		do_read(skb, 0, &lwt_read_stats);
	return 0; /* BPF_OK */
}

/* Socket filters read the tag; their dynptr is read-only. The test
 * attaches it to a socket bound to cfg_port, and socket filters see the
 * packet from the transport header on, so there is no port to match.
 */
SEC("socket")
int sock_read(struct __sk_buff *skb)
{
	do_read(skb, L3_IS_UDP, &sock_stats);
	return skb->len;
}

/* Socket filters only read the extension: a write is refused at load. */
SEC("?socket")
int reject_write_in_socket_filter(struct __sk_buff *skb)
{
	struct bpf_dynptr meta;
	__u8 byte = 0xff;

	if (!bpf_dynptr_from_skb_meta(skb, BPF_DYNPTR_SKB_EXT_F, &meta))
		bpf_dynptr_write(&meta, 0, &byte, 1, 0);
	return skb->len;
}

/* Writing the extension leaves packet pointers valid: it is not packet
 * data. The IPv4 header is read through a pointer taken before the write.
 */
SEC("?tc")
int tc_pkt_ptr_after_write(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	__u8 *ip = data + ETH_HLEN;

	if ((void *)(ip + 20) > data_end || !match_port(skb, ETH_HLEN))
		return 0;
	do_write(skb, ETH_HLEN, &tc_write_stats);
	if (ip[0] == 0x45)
		pkt_ptr_ok++;
	return 0;
}

/* The same program twice, one taking a writable slice of the extension and
 * one a read-only slice: writing the extension is not a packet write, so
 * the first must not get the unclone prologue (same translated length).
 */
SEC("?tc")
int ext_slice_rdwr(struct __sk_buff *skb)
{
	struct bpf_dynptr meta;
	__u8 buf[8];

	if (bpf_dynptr_from_skb_meta(skb, BPF_DYNPTR_SKB_EXT_F, &meta))
		return 0;
	if (bpf_dynptr_slice_rdwr(&meta, 0, buf, sizeof(buf)))
		ext_slice_ok++;
	return 0;
}

SEC("?tc")
int ext_slice_rd(struct __sk_buff *skb)
{
	struct bpf_dynptr meta;
	__u8 buf[8];

	if (bpf_dynptr_from_skb_meta(skb, BPF_DYNPTR_SKB_EXT_F, &meta))
		return 0;
	if (bpf_dynptr_slice(&meta, 0, buf, sizeof(buf)))
		ext_slice_ok++;
	return 0;
}

/* A writable slice in a read-only hook. */
SEC("?socket")
int reject_sock_slice_rdwr(struct __sk_buff *skb)
{
	struct bpf_dynptr meta;
	__u8 *p;

	if (bpf_dynptr_from_skb_meta(skb, BPF_DYNPTR_SKB_EXT_F, &meta))
		return 0;
	p = bpf_dynptr_slice_rdwr(&meta, 0, NULL, 8);
	if (p)
		p[0] = 1;
	return 0;
}

/* An access past a slice's length. */
SEC("?tc")
int reject_slice_past_len(struct __sk_buff *skb)
{
	struct bpf_dynptr meta;
	__u8 *p;

	if (bpf_dynptr_from_skb_meta(skb, BPF_DYNPTR_SKB_EXT_F, &meta))
		return 0;
	p = bpf_dynptr_slice(&meta, 0, NULL, 8);
	if (!p)
		return 0;
	return p[8];
}

/* A slice used after bpf_clone_redirect(), which invalidates it. */
SEC("?tc")
int reject_slice_after_clone(struct __sk_buff *skb)
{
	struct bpf_dynptr meta;
	__u8 *p;

	if (bpf_dynptr_from_skb_meta(skb, BPF_DYNPTR_SKB_EXT_F, &meta))
		return 0;
	p = bpf_dynptr_slice_rdwr(&meta, 0, NULL, 8);
	if (!p)
		return 0;
	bpf_clone_redirect(skb, 1, 0);
	return p[0];
}

/* The kfunc outside the hook table: sk_skb programs also have __sk_buff. */
SEC("?sk_skb/stream_verdict")
int reject_wrong_prog_type(struct __sk_buff *skb)
{
	struct bpf_dynptr meta;

	return bpf_dynptr_from_skb_meta(skb, BPF_DYNPTR_SKB_EXT_F, &meta);
}

/* A write through a read-only slice. */
SEC("?tc")
int reject_write_rdonly_slice(struct __sk_buff *skb)
{
	struct bpf_dynptr meta;
	__u8 *p;

	if (bpf_dynptr_from_skb_meta(skb, BPF_DYNPTR_SKB_EXT_F, &meta))
		return 0;
	p = bpf_dynptr_slice(&meta, 0, NULL, 8);
	if (!p)
		return 0;
	p[0] = 1;
	return 0;
}

/* --- Where packets are observed: read-only, through a trusted sk_buff --- */

/* Read the tag of a packet that an observer holds as a struct sk_buff *;
 * untagged packets (-ENOENT) are counted as read_zero, allocating nothing.
 */
/* Was a tag read where packets are observed written on this packet? The
 * packet's identity (PKT_ID_* in bpf_skb_ext.h) from its network header, read
 * with bpf_probe_read_kernel(): observers have a struct sk_buff, not the
 * packet access of an skb program.
 */
static __always_inline void observed_identity(struct sk_buff *skb, __u32 tag_id,
					      struct hook_stats *st)
{
	unsigned char *head = skb->head;
	__u32 nh = skb->network_header, l4, id;
	__u8 vihl, proto;

	if (bpf_probe_read_kernel(&vihl, 1, head + nh))
		return;
	if (vihl >> 4 == 4) {
		if (bpf_probe_read_kernel(&proto, 1, head + nh + 9))
			return;
		l4 = nh + (vihl & 0xf) * 4;
	} else if (vihl >> 4 == 6) {
		if (bpf_probe_read_kernel(&proto, 1, head + nh + 6))
			return;
		l4 = nh + 40;
	} else {
		return;
	}
	if (proto != IPPROTO_TCP_ && proto != IPPROTO_UDP_)
		return;
	if (bpf_probe_read_kernel(&id, 4, head + l4 + (proto == IPPROTO_TCP_ ? 4 : 8)))
		return;
	count_identity(id, proto, tag_id, st);
}

/* @arg is what the program passes to the kfunc: @skb itself, or sock_ops'
 * own context, whose kernel context's @skb the identity is read from.
 */
static __always_inline int observe_from(struct __sk_buff *arg, struct sk_buff *skb,
					struct hook_stats *st)
{
	struct bpf_dynptr meta;
	__u8 tag[TAG_SIZE];
	__u32 seq, id;
	int err, r;

	st->seen++;
	err = bpf_dynptr_from_skb_meta(arg, BPF_DYNPTR_SKB_EXT_F | BPF_DYNPTR_SKB_EXT_NOENT_F,
				       &meta);
	if (err == -2 /* -ENOENT */) {
		st->read_zero++;
		st->err_null += bool_u32(bpf_dynptr_is_null(&meta));
		return 0;
	}
	if (err) {
		st->dynptr_err++;
		st->last_err = err;
		return 0;
	}
	if (bpf_dynptr_read(tag, TAG_SIZE, &meta, 0, 0)) {
		st->read_bad++;
		return 0;
	}
	r = check_tag(tag, &seq, &id);
	if (r > 0) {
		st->read_ok++;
		st->last_seq = seq;
		observe_rdonly += bool_u32(bpf_dynptr_is_rdonly(&meta));
		observed_identity(skb, id, st);
	} else if (r == 0) {
		st->read_zero++;
	} else {
		st->read_bad++;
	}
	return r;
}

static __always_inline int observe(struct sk_buff *skb, struct hook_stats *st)
{
	return observe_from((struct __sk_buff *)skb, skb, st);
}

/* Tag at tc ingress, then drop: kfree_skb reports SKB_DROP_REASON_TC_INGRESS. */
SEC("?tc")
int tc_write_drop(struct __sk_buff *skb)
{
	if (!match_port(skb, ETH_HLEN))
		return 0; /* TC_ACT_OK */
	do_write(skb, ETH_HLEN, &tc_write_stats);
	return 2; /* TC_ACT_SHOT */
}

/* Which drop reason hit my tagged packets? */
SEC("?tp_btf/kfree_skb")
int BPF_PROG(trace_tagged_drops, struct sk_buff *skb, void *location,
	     enum skb_drop_reason reason)
{
	if (observe(skb, &drop_stats) > 0) {
		__u32 i = drop_log_n++ % DROP_LOG_LEN;

		drop_log[i].seq = drop_stats.last_seq;
		drop_log[i].reason = reason;
		drop_reason_last = reason;
		if (reason == bpf_core_enum_value(enum skb_drop_reason,
						  SKB_DROP_REASON_TC_INGRESS))
			drop_reason_match++;
	}
	return 0;
}

/* A tracing program may not write the tag. */
SEC("?tp_btf/kfree_skb")
int BPF_PROG(reject_write_in_tracing, struct sk_buff *skb, void *location,
	     enum skb_drop_reason reason)
{
	struct bpf_dynptr meta;
	__u8 byte = 1;

	if (!bpf_dynptr_from_skb_meta((struct __sk_buff *)skb, BPF_DYNPTR_SKB_EXT_F, &meta))
		bpf_dynptr_write(&meta, 0, &byte, 1, 0);
	return 0;
}

/* Nor a writable slice of it in an LSM program. */
SEC("?lsm/socket_sock_rcv_skb")
int BPF_PROG(reject_slice_rdwr_in_lsm, struct sock *sk, struct sk_buff *skb)
{
	struct bpf_dynptr meta;
	__u8 *p;

	if (bpf_dynptr_from_skb_meta((struct __sk_buff *)skb, BPF_DYNPTR_SKB_EXT_F, &meta))
		return 0;
	p = bpf_dynptr_slice_rdwr(&meta, 0, NULL, 8);
	if (p)
		p[0] = 1;
	return 0;
}

/* The tag where the socket layer admits a packet. */
SEC("?lsm/socket_sock_rcv_skb")
int BPF_PROG(lsm_sock_rcv_read, struct sock *sk, struct sk_buff *skb)
{
	observe(skb, &lsm_stats);
	return 0;	/* admit it */
}

/* struct bpf_nf_ctx, which vmlinux.h has only from a kernel with netfilter
 * (the benchmark's has none): the verifier checks the context's offsets.
 */
struct nf_ctx_view {
	const void *state;
	struct sk_buff *skb;
};

/* The tag at a netfilter hook (LOCAL_IN), from the context's skb. */
SEC("?netfilter")
int nf_read(struct nf_ctx_view *ctx)
{
	observe(ctx->skb, &nf_stats);
	return 1; /* NF_ACCEPT */
}

/* The tag of incoming TCP segments, in sock_ops' header-option parsing,
 * asked for on every packet once the connection is established.
 */
SEC("?sockops")
int sockops_read(struct bpf_sock_ops *skops)
{
	struct bpf_sock_ops_kern *kctx;
	struct sk_buff *skb;

	switch (skops->op) {
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
		bpf_sock_ops_cb_flags_set(skops, skops->bpf_sock_ops_cb_flags |
					  BPF_SOCK_OPS_PARSE_ALL_HDR_OPT_CB_FLAG);
		break;
	case BPF_SOCK_OPS_PARSE_HDR_OPT_CB:
		kctx = bpf_cast_to_kern_ctx(skops);
		skb = kctx->skb;
		if (!skb) {
			sockops_no_skb++;
			break;
		}
		observe_from((struct __sk_buff *)skops, skb, &sockops_stats);
		break;
	}
	return 1;
}

/* Tracing reach. consume_skb, like kfree_skb, fires before its skb is
 * released: the tag can be read there.
 */
SEC("?tp_btf/consume_skb")
int BPF_PROG(trace_tagged_consumed, struct sk_buff *skb, void *location)
{
	observe(skb, &consume_stats);
	return 0;
}

/* net_dev_xmit fires after the driver's xmit, which may have freed the skb
 * (a veth drops a frame too large for its peer inside its xmit): the
 * verifier refuses the kfunc there.
 */
SEC("?tp_btf/net_dev_xmit")
int BPF_PROG(reject_read_at_net_dev_xmit, struct sk_buff *skb, int rc,
	     struct net_device *dev, unsigned int skb_len)
{
	observe(skb, &xmit_stats);
	return 0;
}

/* Why it must be refused: the address of the last tagged skb dropped on
 * this CPU, and net_dev_xmit events that report that very skb afterwards.
 * Addresses are compared, never dereferenced.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} last_tagged_drop SEC(".maps");

SEC("?tp_btf/kfree_skb")
int BPF_PROG(remember_tagged_drop, struct sk_buff *skb, void *location,
	     enum skb_drop_reason reason)
{
	__u32 key = 0;
	__u64 *slot;

	if (observe(skb, &drop_stats) <= 0)
		return 0;
	slot = bpf_map_lookup_elem(&last_tagged_drop, &key);
	if (slot)
		*slot = (__u64)skb;
	return 0;
}

SEC("?tp_btf/net_dev_xmit")
int BPF_PROG(xmit_of_dropped_skb, struct sk_buff *skb, int rc,
	     struct net_device *dev, unsigned int skb_len)
{
	__u32 key = 0;
	__u64 *slot;

	slot = bpf_map_lookup_elem(&last_tagged_drop, &key);
	if (slot && *slot == (__u64)skb) {
		xmit_after_free++;
		*slot = 0;
	}
	return 0;
}

/* Every kfunc or helper that may write through a dynptr, on the extension
 * in each program type that may only read it: all refused at load time.
 */
enum ext_writer {
	BY_DYNPTR_WRITE,
	BY_SLICE_RDWR,
	BY_MEMSET,
	BY_COPY,
	BY_PROBE_READ,
};

static __always_inline int write_read_only(struct sk_buff *skb, enum ext_writer how)
{
	struct bpf_dynptr meta;
	__u8 buf[8] = {};
	__u8 *p;

	if (bpf_dynptr_from_skb_meta((struct __sk_buff *)skb, BPF_DYNPTR_SKB_EXT_F, &meta))
		return 0;
	switch (how) {
	case BY_DYNPTR_WRITE:
		return bpf_dynptr_write(&meta, 8, buf, sizeof(buf), 0);
	case BY_SLICE_RDWR:
		p = bpf_dynptr_slice_rdwr(&meta, 8, NULL, 8);
		if (p)
			p[0] = 1;
		return 0;
	case BY_MEMSET:
		return bpf_dynptr_memset(&meta, 8, 8, 0x5a);
	case BY_COPY:
		return bpf_dynptr_copy(&meta, 8, &meta, 0, 8);
	case BY_PROBE_READ:
		return bpf_probe_read_kernel_dynptr(&meta, 8, 8, &cfg_port);
	}
	return 0;
}

#define SOCKET_WRITER(name, how)					\
SEC("?socket")								\
int name(struct __sk_buff *skb)						\
{									\
	write_read_only((struct sk_buff *)skb, how);			\
	return 0;							\
}
#define TRACING_WRITER(name, how)					\
SEC("?tp_btf/kfree_skb")						\
int BPF_PROG(name, struct sk_buff *skb, void *location,			\
	     enum skb_drop_reason reason)				\
{									\
	write_read_only(skb, how);					\
	return 0;							\
}
#define LSM_WRITER(name, how)						\
SEC("?lsm/socket_sock_rcv_skb")						\
int BPF_PROG(name, struct sock *sk, struct sk_buff *skb)		\
{									\
	write_read_only(skb, how);					\
	return 0;							\
}
#define NETFILTER_WRITER(name, how)					\
SEC("?netfilter")							\
int name(struct nf_ctx_view *ctx)					\
{									\
	write_read_only(ctx->skb, how);					\
	return 1;							\
}
/* sock_ops passes its own context to the kfunc. */
#define SOCKOPS_WRITER(name, how)					\
SEC("?sockops")								\
int name(struct bpf_sock_ops *skops)					\
{									\
	write_read_only((struct sk_buff *)skops, how);			\
	return 1;							\
}

SOCKET_WRITER(ro_socket_memset, BY_MEMSET)
SOCKET_WRITER(ro_socket_copy, BY_COPY)
SOCKET_WRITER(ro_socket_probe_read, BY_PROBE_READ)
TRACING_WRITER(ro_tracing_slice_rdwr, BY_SLICE_RDWR)
TRACING_WRITER(ro_tracing_memset, BY_MEMSET)
TRACING_WRITER(ro_tracing_copy, BY_COPY)
TRACING_WRITER(ro_tracing_probe_read, BY_PROBE_READ)
LSM_WRITER(ro_lsm_dynptr_write, BY_DYNPTR_WRITE)
LSM_WRITER(ro_lsm_memset, BY_MEMSET)
LSM_WRITER(ro_lsm_copy, BY_COPY)
LSM_WRITER(ro_lsm_probe_read, BY_PROBE_READ)
NETFILTER_WRITER(ro_nf_dynptr_write, BY_DYNPTR_WRITE)
NETFILTER_WRITER(ro_nf_slice_rdwr, BY_SLICE_RDWR)
NETFILTER_WRITER(ro_nf_memset, BY_MEMSET)
NETFILTER_WRITER(ro_nf_copy, BY_COPY)
NETFILTER_WRITER(ro_nf_probe_read, BY_PROBE_READ)
SOCKOPS_WRITER(ro_sockops_dynptr_write, BY_DYNPTR_WRITE)
SOCKOPS_WRITER(ro_sockops_slice_rdwr, BY_SLICE_RDWR)
SOCKOPS_WRITER(ro_sockops_memset, BY_MEMSET)
SOCKOPS_WRITER(ro_sockops_copy, BY_COPY)
SOCKOPS_WRITER(ro_sockops_probe_read, BY_PROBE_READ)

/* The kernel context's skb stays what it was before the series: an
 * untrusted pointer that programs load through without a NULL check (as
 * the kernel's net_timestamping selftest does), and not an argument for
 * the kfunc, which takes the context itself.
 */
SEC("?sockops")
int sockops_kern_skb_untrusted(struct bpf_sock_ops *skops)
{
	struct bpf_sock_ops_kern *kctx = bpf_cast_to_kern_ctx(skops);

	return kctx->skb->len ? 1 : 0;
}

SEC("?sockops")
int reject_sockops_kern_skb(struct bpf_sock_ops *skops)
{
	struct bpf_sock_ops_kern *kctx = bpf_cast_to_kern_ctx(skops);
	struct bpf_dynptr meta;

	if (!kctx->skb)
		return 1;
	bpf_dynptr_from_skb_meta((struct __sk_buff *)kctx->skb, BPF_DYNPTR_SKB_EXT_F, &meta);
	return 1;
}

/* The reading kfuncs stay open to a read-only program. */
SEC("?socket")
int ro_socket_readers(struct __sk_buff *skb)
{
	struct bpf_dynptr meta, view;
	__u8 buf[8], *p;

	if (bpf_dynptr_from_skb_meta(skb, BPF_DYNPTR_SKB_EXT_F, &meta))
		return 0;
	bpf_dynptr_clone(&meta, &view);
	bpf_dynptr_adjust(&view, 8, 16);
	if (bpf_dynptr_size(&view) != 8 || !bpf_dynptr_is_rdonly(&view) ||
	    bpf_dynptr_is_null(&view))
		return 0;
	if (bpf_dynptr_read(buf, sizeof(buf), &view, 0, 0))
		return 0;
	p = bpf_dynptr_slice(&view, 0, buf, sizeof(buf));
	return p ? p[0] : 0;
}

/* Subprograms. A global function sees a dynptr argument as a plain local
 * one, so the extension's rules would not follow it there: refused.
 */
__noinline int global_store_through_slice(struct bpf_dynptr *meta)
{
	__u8 *p = bpf_dynptr_slice_rdwr(meta, 0, NULL, 8);

	if (!p)
		return 0;
	p[0] = 1;
	return 0;
}

SEC("?tc")
int reject_ext_to_global_subprog(struct __sk_buff *skb)
{
	struct bpf_dynptr meta;

	if (bpf_dynptr_from_skb_meta(skb, BPF_DYNPTR_SKB_EXT_F, &meta))
		return 0;
	return global_store_through_slice(&meta);
}

/* A static one is verified in its caller's state: a slice taken in the
 * caller dies with a clone made in the subprogram, and one taken in the
 * subprogram with a clone made there; a global subprogram that clones
 * (it may change packet data) kills the caller's slice too.
 */
static __noinline int static_clone(struct __sk_buff *skb)
{
	return bpf_clone_redirect(skb, cfg_clone_ifindex, 0);
}

__noinline int global_clone(struct __sk_buff *skb)
{
	return bpf_clone_redirect(skb, cfg_clone_ifindex, 0);
}

static __noinline int static_slice_clone_store(struct __sk_buff *skb,
					       struct bpf_dynptr *meta)
{
	__u8 *p = bpf_dynptr_slice_rdwr(meta, 0, NULL, 8);

	if (!p)
		return 0;
	bpf_clone_redirect(skb, cfg_clone_ifindex, 0);
	p[0] = 1;
	return 0;
}

SEC("?tc")
int reject_slice_after_static_clone(struct __sk_buff *skb)
{
	struct bpf_dynptr meta;
	__u8 *p;

	if (bpf_dynptr_from_skb_meta(skb, BPF_DYNPTR_SKB_EXT_F, &meta))
		return 0;
	p = bpf_dynptr_slice_rdwr(&meta, 0, NULL, 8);
	if (!p)
		return 0;
	static_clone(skb);
	p[0] = 1;
	return 0;
}

SEC("?tc")
int reject_slice_after_global_clone(struct __sk_buff *skb)
{
	struct bpf_dynptr meta;
	__u8 *p;

	if (bpf_dynptr_from_skb_meta(skb, BPF_DYNPTR_SKB_EXT_F, &meta))
		return 0;
	p = bpf_dynptr_slice_rdwr(&meta, 0, NULL, 8);
	if (!p)
		return 0;
	global_clone(skb);
	p[0] = 1;
	return 0;
}

SEC("?tc")
int reject_clone_in_static_slice_user(struct __sk_buff *skb)
{
	struct bpf_dynptr meta;

	if (bpf_dynptr_from_skb_meta(skb, BPF_DYNPTR_SKB_EXT_F, &meta))
		return 0;
	return static_slice_clone_store(skb, &meta);
}

/* One kfunc call reached with flags 0 on one path and the flag on the
 * other: the path with 0, a metadata-area dynptr that a global function
 * may take, must not stand for the path with the flag (the flags register
 * is precise either way).
 */
static __noinline int meta_dynptr(struct __sk_buff *skb, __u64 flags,
				  struct bpf_dynptr *d)
{
	return bpf_dynptr_from_skb_meta(skb, flags, d);
}

__noinline int global_take(struct bpf_dynptr *d)
{
	return bpf_dynptr_size(d) ? 0 : 1;
}

SEC("?tc")
int reject_ext_to_global_after_two_paths(struct __sk_buff *skb)
{
	struct bpf_dynptr d;

	if (skb->mark) {
		if (meta_dynptr(skb, 0, &d))
			return 0;
	} else {
		if (meta_dynptr(skb, BPF_DYNPTR_SKB_EXT_F, &d))
			return 0;
	}
	return global_take(&d);
}

/* The same, with both paths joining before one kfunc call: each path's
 * flags are a known constant, and the call is checked once per path only if
 * the flags register is precise. The verifier walks the fall-through first,
 * so in the first program the path with 0 is checked first (the one whose
 * state could stand for the other's if it were imprecise), in the second
 * the path with the flag. The suite loads both with BPF_F_TEST_STATE_FREQ:
 * on its own the verifier keeps a state at the join only after 2 jumps and
 * 8 instructions, which these programs never reach, so the second path
 * would be walked again whatever the first path's precision.
 */
SEC("?tc")
int reject_ext_to_global_zero_first(struct __sk_buff *skb)
{
	__u64 flags = BPF_DYNPTR_SKB_EXT_F;
	struct bpf_dynptr d;

	if (skb->mark)
		flags = 0;
	if (bpf_dynptr_from_skb_meta(skb, flags, &d))
		return 0;
	return global_take(&d);
}

SEC("?tc")
int reject_ext_to_global_flag_first(struct __sk_buff *skb)
{
	__u64 flags = 0;
	struct bpf_dynptr d;

	if (skb->mark)
		flags = BPF_DYNPTR_SKB_EXT_F;
	if (bpf_dynptr_from_skb_meta(skb, flags, &d))
		return 0;
	return global_take(&d);
}

/* Flags the verifier cannot know: they decide which memory the dynptr
 * covers, so tc refuses them.
 */
__u64 unknown_flags = BPF_DYNPTR_SKB_EXT_F;

SEC("?tc")
int reject_unknown_flags(struct __sk_buff *skb)
{
	struct bpf_dynptr d;

	return bpf_dynptr_from_skb_meta(skb, unknown_flags, &d);
}

/* LSM hooks that are called without an skb: socket_getpeersec_dgram()
 * on every AF_UNIX send gets a NULL one. The kfunc refuses it.
 */
__s32 peersec_ret;
__u32 peersec_null;
__u32 peersec_calls;

SEC("?lsm/socket_getpeersec_dgram")
int BPF_PROG(lsm_peersec_no_skb, struct socket *sock, struct sk_buff *skb,
	     u32 *secid)
{
	struct bpf_dynptr meta;
	__u8 buf[8];

	/* No NULL test on skb: the verifier takes the trusted argument for
	 * non-NULL and would drop the branch as dead.
	 */
	peersec_calls++;
	peersec_ret = bpf_dynptr_from_skb_meta((struct __sk_buff *)skb,
					       BPF_DYNPTR_SKB_EXT_F, &meta);
	peersec_null = bool_u32(bpf_dynptr_is_null(&meta));
	bpf_dynptr_slice(&meta, 0, buf, sizeof(buf));
	return 0;
}
