// SPDX-License-Identifier: GPL-2.0
/* BPF programs of tests/vm/lifetime.rs: tunnels (no link-layer header),
 * other skb extensions on real traffic. The clone writer (tc_clone_write)
 * is in src/bpf/common.bpf.h: the kfunc and provider tests clone too.
 *
 * Built into an object and a skeleton of its own (build.rs), on
 * src/bpf/common.bpf.h: the helpers, results and programs that every
 * area shares. The tests of this area load from this object only.
 */
#include "common.bpf.h"

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

/* Native XDP on a veth makes it give the packets it receives page-frag
 * heads (skb_pp_cow_data()), as NIC drivers do: heads that GRO steals.
 */
SEC("?xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return 2; /* XDP_PASS */
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
