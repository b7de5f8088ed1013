// SPDX-License-Identifier: GPL-2.0
/* BPF programs of tests/vm/provider.rs: what a fresh buffer holds.
 *
 * Built into an object and a skeleton of its own (build.rs), on
 * src/bpf/common.bpf.h: the helpers, results and programs that every
 * area shares. The tests of this area load from this object only.
 */
#include "common.bpf.h"

/* Attach a buffer through a writable slice and check that it starts as
 * zeros (read_zero) however the slab object was used before (read_bad),
 * then fill it with a tag.
 */
SEC("tc")
int tc_fresh_check(struct __sk_buff *skb)
{
	struct bpf_dynptr meta;
	__u8 tag[TAG_SIZE];
	__u32 seq, id = 0;
	int i, zero = 1;
	__u8 proto;
	__u8 *p;

	if (!match_port(skb, ETH_HLEN))
		return 0;
	fresh_stats.seen++;
	packet_id(skb, ETH_HLEN, &id, &proto);
	if (bpf_dynptr_from_skb_meta(skb, BPF_DYNPTR_SKB_EXT_F, &meta)) {
		fresh_stats.dynptr_err++;
		return 0;
	}
	p = bpf_dynptr_slice_rdwr(&meta, 0, NULL, TAG_SIZE);
	if (!p) {
		fresh_stats.write_err++;
		return 0;
	}
	for (i = 0; i < TAG_SIZE; i++)
		if (p[i])
			zero = 0;
	if (zero)
		fresh_stats.read_zero++;
	else
		fresh_stats.read_bad++;
	seq = cfg_seq_base + __sync_fetch_and_add(&seq_next, 1);
	make_tag(tag, seq, id);
	for (i = 0; i < TAG_SIZE; i++)
		p[i] = tag[i];
	fresh_stats.written++;
	return 0;
}

/* A tag set before the provider was reloaded, on a packet whose buffer an
 * AF_PACKET tap's clone shares: read it whole (tc_read_stats), rewrite its
 * sequence number, which copies the buffer under the provider loaded now,
 * and read it again (tc_read2_stats: sequence + SEQ_REWRITE, the other 60
 * bytes kept by the copy).
 */
__u64 reload_rewritten, reload_rewrite_err;

SEC("tc")
int tc_reload_rewrite(struct __sk_buff *skb)
{
	struct bpf_dynptr meta;
	__u32 seq;
	int err;

	if (!match_port(skb, ETH_HLEN))
		return 0;
	do_read(skb, ETH_HLEN, &tc_read_stats);
	if (bpf_dynptr_from_skb_meta(skb, BPF_DYNPTR_SKB_EXT_F, &meta))
		return 0;
	err = bpf_dynptr_read(&seq, sizeof(seq), &meta, 4, 0);
	if (!err) {
		seq += SEQ_REWRITE;
		err = bpf_dynptr_write(&meta, 4, &seq, sizeof(seq), 0);
	}
	if (err) {
		reload_rewrite_err++;
		return 0;
	}
	reload_rewritten++;
	do_read(skb, ETH_HLEN, &tc_read2_stats);
	return 0;
}
