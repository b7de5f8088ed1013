// SPDX-License-Identifier: GPL-2.0
/* BPF programs of tests/vm/hooks.rs: where the extension is reachable,
 * tc classifiers and actions, cgroup_skb both ways, lwt, socket filters,
 * tracing, LSM, netfilter and sock_ops, and the programs the verifier
 * must reject.
 *
 * Not compiled alone: src/bpf/skb_meta.bpf.c includes it after the
 * helpers and results that every area shares, so that all tests load
 * from one object and read one .bss.
 */

SEC("cgroup_skb/egress")
int cg_write(struct __sk_buff *skb)
{
	if (match_port(skb, 0))
		do_write(skb, 0, &cg_write_stats);
	return 1;
}

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
static __always_inline int observe(struct sk_buff *skb, struct hook_stats *st)
{
	struct bpf_dynptr meta;
	__u8 tag[TAG_SIZE];
	__u32 seq, id;
	int err, r;

	st->seen++;
	err = bpf_dynptr_from_skb_meta((struct __sk_buff *)skb,
				       BPF_DYNPTR_SKB_EXT_F | BPF_DYNPTR_SKB_EXT_NOENT_F,
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
	} else if (r == 0) {
		st->read_zero++;
	} else {
		st->read_bad++;
	}
	return r;
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
		observe(skb, &sockops_stats);
		break;
	}
	return 1;
}
