// SPDX-License-Identifier: GPL-2.0
/* BPF programs of tests/vm/lifetime.rs: clones, tunnels (no link-layer header).
 *
 * Not compiled alone: src/bpf/skb_meta.bpf.c includes it after the
 * helpers and results that every area shares, so that all tests load
 * from one object and read one .bss.
 */

/* Tunnel devices (ipip) have no link-layer header. */
SEC("tc")
int tc_read_l3(struct __sk_buff *skb)
{
	if (match_port(skb, 0))
		do_read(skb, 0, &tc_read_stats);
	return 0;
}

SEC("tc")
int tc_write_l3(struct __sk_buff *skb)
{
	if (match_port(skb, 0))
		do_write(skb, 0, &tc_write_stats);
	return 0;
}

/* A read-only slice of the whole tag, taken with a bounce buffer that
 * holds a pattern no tag has (a copy that was not made reads as that).
 * 1: it points into the extension, 2: it is the bounce buffer, 0: NULL.
 * *tag_ok counts slices that read as the tag with sequence @seq of
 * packet @id.
 */
static __always_inline int slice_where(struct bpf_dynptr *meta, __u8 *bounce,
				       __u32 seq, __u32 id, __u32 *tag_ok)
{
	__u32 got_seq, got_id;
	const __u8 *p;

	__builtin_memset(bounce, 0xa5, TAG_SIZE);
	p = bpf_dynptr_slice(meta, 0, bounce, TAG_SIZE);
	if (!p)
		return 0;
	if (check_tag(p, &got_seq, &got_id) == 1 && got_seq == seq && got_id == id)
		(*tag_ok)++;
	return p == (void *)bounce ? 2 : 1;
}

/* Tag, clone the packet to cfg_clone_ifindex, then rewrite the sequence
 * number (bytes 4-7 alone) of the original's tag: the write must unshare
 * the buffer, so the clone keeps the first tag, and the copy must carry
 * the 60 bytes the write did not touch, so the original's tag is still
 * well-formed, with sequence + SEQ_REWRITE.
 * Read-only slices point into a buffer the packet holds alone; while the
 * clone (queued on the other veth, not yet received) shares it, they are
 * a copy of the tag in the bounce buffer.
 */
SEC("tc")
int tc_clone_write(struct __sk_buff *skb)
{
	__u8 tag[TAG_SIZE], bounce[TAG_SIZE];
	struct bpf_dynptr meta;
	__u32 seq, id = 0;
	__u32 ignored = 0;
	__u8 proto;
	int err;

	if (!match_port(skb, ETH_HLEN))
		return 0;
	clone_stats.seen++;
	if (bpf_dynptr_from_skb_meta(skb, BPF_DYNPTR_SKB_EXT_F, &meta))
		return 0;
	seq = cfg_seq_base + __sync_fetch_and_add(&seq_next, 1);
	packet_id(skb, ETH_HLEN, &id, &proto);
	make_tag(tag, seq, id);
	err = bpf_dynptr_write(&meta, 0, tag, TAG_SIZE, 0);
	if (err) {
		clone_stats.write_err++;
		clone_stats.last_err = err;
		return 0;
	}
	clone_stats.written++;
	if (slice_where(&meta, bounce, seq, id, &ignored) == 1)
		clone_slices.alone_in_place++;
	clone_redirect_ret = bpf_clone_redirect(skb, cfg_clone_ifindex, 0);
	/* bpf_clone_redirect() changes packet data: take a new dynptr. */
	if (bpf_dynptr_from_skb_meta(skb, BPF_DYNPTR_SKB_EXT_F, &meta))
		return 0;
	if (slice_where(&meta, bounce, seq, id, &clone_slices.shared_tag_ok) == 2)
		clone_slices.shared_copy++;
	seq += SEQ_REWRITE;
	clone_rewrite_ret = bpf_dynptr_write(&meta, 4, &seq, 4, 0);
	if (clone_rewrite_ret) {
		clone_rewrite_err++;
		return 0;
	}
	if (slice_where(&meta, bounce, seq, id, &clone_slices.unshared_tag_ok) == 1)
		clone_slices.unshared_in_place++;
	return 0;
}

/* Packets that carry another skb extension (MPTCP's, on every segment an
 * MPTCP socket sends): which extensions each has, per the kernel's
 * skb->active_extensions, and what the kfunc says with NOENT. tc egress of
 * the sender may tag them (cfg_other_ext_write); tc ingress of the
 * receiver, behind a veth into another netns, sees them after
 * skb_scrub_packet().
 */
__u32 cfg_other_ext_write;
struct other_ext_stats other_ext_egress, other_ext_ingress;

static __always_inline void other_ext_probe(struct __sk_buff *skb,
					    struct other_ext_stats *st,
					    bool write)
{
	__u32 mptcp = 1U << bpf_core_enum_value(enum skb_ext_id, SKB_EXT_MPTCP);
	__u32 ours = 1U << bpf_core_enum_value(enum skb_ext_id, SKB_EXT_BPF_META);
	struct sk_buff *kskb = bpf_cast_to_kern_ctx(skb);
	struct bpf_dynptr meta;
	__u8 tag[TAG_SIZE];
	__u32 seq, id;
	__u8 active;
	int err;

	if (!match_port(skb, ETH_HLEN))
		return;
	active = kskb->active_extensions;
	st->seen++;
	if (active & mptcp)
		st->other++;
	if (active == ours)
		st->ours_only++;
	if (!active)
		st->none++;
	err = bpf_dynptr_from_skb_meta(skb, BPF_DYNPTR_SKB_EXT_F | BPF_DYNPTR_SKB_EXT_NOENT_F,
				       &meta);
	if (err == -2 /* -ENOENT */) {
		st->noent++;
		if (active & mptcp)
			st->noent_with_other++;
	} else if (!err && !bpf_dynptr_read(tag, TAG_SIZE, &meta, 0, 0) &&
		   check_tag(tag, &seq, &id) > 0) {
		st->tagged++;
	}
	if (write && (active & mptcp))
		do_write(skb, ETH_HLEN, &tc_write_stats);
}

SEC("?tc")
int tc_other_ext_egress(struct __sk_buff *skb)
{
	other_ext_probe(skb, &other_ext_egress, cfg_other_ext_write);
	return 0;
}

SEC("?tc")
int tc_other_ext_ingress(struct __sk_buff *skb)
{
	other_ext_probe(skb, &other_ext_ingress, false);
	return 0;
}
