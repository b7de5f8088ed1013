/* SPDX-License-Identifier: GPL-2.0 */
/* BPF side of the selftests for bpf_dynptr_from_skb_meta(BPF_DYNPTR_SKB_EXT_F).
 *
 * Writers put a 64-byte tag on every packet whose L4 destination port is
 * cfg_port: TAG_MAGIC, a sequence number, and 56 bytes derived from both.
 * Readers check every byte and count what they saw.
 *
 * This header holds what every test area shares: configuration and results
 * (.bss), packet parsing, the tag writer and reader, and the programs more
 * than one area uses: the plain tc/cgroup writers and readers and the clone
 * writer (the kfunc declarations are in kfuncs.h). Each area's programs are
 * beside its tests, in tests/vm/<area>.bpf.c, which includes this header
 * first and is built into an object and a skeleton of its own: every area's
 * object has these programs and this .bss, and a test loads only the
 * programs it names.
 */
#ifndef BPF_SKB_EXT_COMMON_BPF_H
#define BPF_SKB_EXT_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "bpf_skb_ext.h"
#include "tag.bpf.h"
#include "kfuncs.h"

#define ETH_HLEN 14
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17
#define IPPROTO_IPIP_ 4

/* Configuration, set by the tests. */
__u16 cfg_port = 0;		/* L4 destination port to match */
__u32 cfg_clone_ifindex = 0;	/* tc_clone_write: where the clone goes */
__u32 cfg_seq_base = 0;		/* first sequence number written */
__u32 cfg_write_only_first = 0;	/* tc_write: tag only the first N (0: all) */
__u32 cfg_write_mode = WRITE_DYNPTR;	/* how do_write() writes the tag */

/* Results (.bss). */
struct hook_stats tc_write_stats, tc_read_stats, cg_read_stats, cg_write_stats;
struct hook_stats sock_stats, clone_stats, meta_stats, tc_read2_stats, fresh_stats;
struct hook_stats lwt_write_stats, lwt_read_stats, act_write_stats, act_read_stats;
struct bad_input bad;
__u32 seq_next;
__s32 cg_flags0_ret;
__u32 cg_flags0_null;
__s32 clone_redirect_ret;
__s32 clone_rewrite_ret;
__u64 clone_rewrite_err;	/* rewrites that failed (copy on write without memory) */
struct clone_slices clone_slices;
struct bad_flags_result bad_flags_tc, bad_flags_act, bad_flags_cg, bad_flags_sock;
struct bad_flags_result bad_flags_lwt;
__s32 xdp_meta_ret;
__u64 pkt_ptr_ok;		/* tc_pkt_ptr_after_write: IPv4 header read after */
__u64 ext_slice_ok;		/* ext_slice_rdwr/ext_slice_rd: slices taken */
struct hook_stats drop_stats, lsm_stats, nf_stats, sockops_stats, noent_stats;
struct hook_stats consume_stats, xmit_stats;
__u64 xmit_after_free;	/* net_dev_xmit events for an skb already dropped */
__u64 drop_reason_match;	/* tagged drops with the reason the test expects */
__u32 drop_reason_last;		/* drop reason of the last tagged drop */
__u64 sockops_no_skb;		/* PARSE_HDR_OPT callbacks without a packet */
__u64 observe_rdonly;		/* well-formed tags read through a read-only dynptr */
struct drop_record drop_log[DROP_LOG_LEN];	/* the last tagged drops */
__u32 drop_log_n;

/* A kfunc's bool return only defines the low byte of R0: go through a
 * byte in memory so the upper bits are cleared.
 */
static __always_inline __u32 bool_u32(bool b)
{
	volatile __u8 v = b;

	return v;
}

/* The packet's L4 header (offset in *l4, protocol in *proto), its IP
 * header starting at @l3; ipip is looked through. L3_IS_UDP: the packet
 * starts at its UDP header (socket filters).
 */
#define L3_IS_UDP 0xffffffffu

static __always_inline bool find_l4(struct __sk_buff *skb, __u32 l3, __u32 *l4,
				    __u8 *proto)
{
	__u8 ihl;

	if (l3 == L3_IS_UDP) {
		*l4 = 0;
		*proto = IPPROTO_UDP_;
		return true;
	}
	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		if (bpf_skb_load_bytes(skb, l3, &ihl, 1))
			return false;
		if (bpf_skb_load_bytes(skb, l3 + 9, proto, 1))
			return false;
		*l4 = l3 + (ihl & 0xf) * 4;
		if (*proto == IPPROTO_IPIP_) {
			/* ipip: look at the inner header */
			l3 = *l4;
			if (bpf_skb_load_bytes(skb, l3, &ihl, 1))
				return false;
			if (bpf_skb_load_bytes(skb, l3 + 9, proto, 1))
				return false;
			*l4 = l3 + (ihl & 0xf) * 4;
		}
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		if (bpf_skb_load_bytes(skb, l3 + 6, proto, 1))
			return false;
		*l4 = l3 + 40;
	} else {
		return false;
	}
	return *proto == IPPROTO_TCP_ || *proto == IPPROTO_UDP_;
}

/* Does the packet, whose IP header starts at @l3, go to cfg_port? */
static __always_inline bool match_port(struct __sk_buff *skb, __u32 l3)
{
	__u16 dport;
	__u8 proto;
	__u32 l4;

	if (!cfg_port || !find_l4(skb, l3, &l4, &proto))
		return false;
	if (bpf_skb_load_bytes(skb, l4 + 2, &dport, 2))
		return false;
	return bpf_ntohs(dport) == cfg_port;
}

/* The packet's identity (PKT_ID_* in bpf_skb_ext.h); false if it has none. */
static __always_inline bool packet_id(struct __sk_buff *skb, __u32 l3, __u32 *id,
				      __u8 *proto)
{
	__u32 l4;

	if (!find_l4(skb, l3, &l4, proto))
		return false;
	if (*proto == IPPROTO_TCP_)
		return !bpf_skb_load_bytes(skb, l4 + 4, id, 4);
	return !bpf_skb_load_bytes(skb, l4 + 8, id, 4);
}

/* Write @tag through the interface cfg_write_mode names. */
static __always_inline int write_tag(struct bpf_dynptr *meta, const __u8 *tag)
{
	__u8 *p;
	int i, err;

	switch (cfg_write_mode) {
	case WRITE_SLICE:
		p = bpf_dynptr_slice_rdwr(meta, 0, NULL, TAG_SIZE);
		if (!p)
			return -12; /* -ENOMEM: no slice, the write did not happen */
		for (i = 0; i < TAG_SIZE; i++)
			p[i] = tag[i];
		return 0;
	case WRITE_MEMSET:
		/* the first writer attaches the buffer */
		err = bpf_dynptr_memset(meta, 0, TAG_SIZE, 0xab);
		if (err)
			return err;
		return bpf_dynptr_write(meta, 0, (void *)tag, TAG_SIZE, 0);
	case WRITE_PROBE_READ:
		/* A kfunc of another subsystem that writes through a dynptr;
		 * the tag on the program's stack is kernel memory.
		 */
		return bpf_probe_read_kernel_dynptr(meta, 0, TAG_SIZE, tag);
	default:
		return bpf_dynptr_write(meta, 0, (void *)tag, TAG_SIZE, 0);
	}
}

static __always_inline void do_write(struct __sk_buff *skb, __u32 l3,
				     struct hook_stats *st)
{
	struct bpf_dynptr meta;
	__u8 tag[TAG_SIZE];
	__u32 seq, id = 0;
	__u8 proto;
	__u64 seen;
	int err;

	/* Atomic: two CPUs may tag at once (peak_counts_two_cpus_tagging_at_once
	 * lost 7 of 160 increments to a plain ++).
	 */
	seen = __sync_fetch_and_add(&st->seen, 1) + 1;
	if (cfg_write_only_first && seen > cfg_write_only_first)
		return;
	err = bpf_dynptr_from_skb_meta(skb, BPF_DYNPTR_SKB_EXT_F, &meta);
	if (err) {
		__sync_fetch_and_add(&st->dynptr_err, 1);
		st->last_err = err;
		return;
	}
	seq = cfg_seq_base + __sync_fetch_and_add(&seq_next, 1);
	packet_id(skb, l3, &id, &proto);
	make_tag(tag, seq, id);
	err = write_tag(&meta, tag);
	if (err) {
		__sync_fetch_and_add(&st->write_err, 1);
		st->last_err = err;
		return;
	}
	__sync_fetch_and_add(&st->written, 1);
}

/* A well-formed tag read from a packet whose identity is @id: the tag's
 * own packet, a TCP segment of the GSO packet it was written on, or
 * another packet. Atomic: readers on both CPUs at once (the stress test)
 * must not lose counts, or read_ok and the identity counts would disagree.
 */
static __always_inline void count_identity(__u32 id, __u8 proto, __u32 tag_id,
					   struct hook_stats *st)
{
	if (id == tag_id)
		__sync_fetch_and_add(&st->id_ok, 1);
	else if (proto == IPPROTO_TCP_ &&
		 bpf_ntohl(id) - bpf_ntohl(tag_id) < PKT_ID_GSO_SPAN)
		__sync_fetch_and_add(&st->id_within, 1);
	else
		__sync_fetch_and_add(&st->id_bad, 1);
}

/* A well-formed tag: was it written on this packet? */
static __always_inline void check_identity(struct __sk_buff *skb, __u32 l3,
					   __u32 tag_id, struct hook_stats *st)
{
	__u32 id;
	__u8 proto;

	if (!packet_id(skb, l3, &id, &proto))
		return;	/* counted in neither: read_ok != id_ok + id_within */
	count_identity(id, proto, tag_id, st);
}

static __always_inline void do_read(struct __sk_buff *skb, __u32 l3,
				    struct hook_stats *st)
{
	struct bpf_dynptr meta;
	__u8 tag[TAG_SIZE];
	__u32 seq = 0, id = 0;
	int err, r;

	st->seen++;
	err = bpf_dynptr_from_skb_meta(skb, BPF_DYNPTR_SKB_EXT_F, &meta);
	if (err) {
		st->dynptr_err++;
		st->last_err = err;
		st->err_null += bool_u32(bpf_dynptr_is_null(&meta));
		return;
	}
	err = bpf_dynptr_read(tag, TAG_SIZE, &meta, 0, 0);
	if (err) {
		st->read_bad++;
		st->last_err = err;
		return;
	}
	r = check_tag(tag, &seq, &id);
	if (r > 0) {
		__sync_fetch_and_add(&st->read_ok, 1);
		st->last_seq = seq;
		check_identity(skb, l3, id, st);
		if (seq >= SEQ_REWRITE)
			st->seq_high++;
	} else if (r == 0) {
		st->read_zero++;
	} else {
		st->read_bad++;
	}
	__builtin_memcpy(st->last_tag, tag, TAG_SIZE);
}

SEC("tc")
int tc_write(struct __sk_buff *skb)
{
	if (!match_port(skb, ETH_HLEN))
		return 0; /* TC_ACT_OK */
	if (skb->gso_segs > 1)
		tc_write_stats.gso++;
	do_write(skb, ETH_HLEN, &tc_write_stats);
	return 0;
}

SEC("tc")
int tc_read(struct __sk_buff *skb)
{
	if (!match_port(skb, ETH_HLEN))
		return 0;
	if (skb->gso_segs > 1)
		tc_read_stats.gso++;
	do_read(skb, ETH_HLEN, &tc_read_stats);
	return 0;
}

/* A second tc reader, for tests that read at two places. */
SEC("tc")
int tc_read2(struct __sk_buff *skb)
{
	if (!match_port(skb, ETH_HLEN))
		return 0;
	if (skb->gso_segs > 1)
		tc_read2_stats.gso++;
	do_read(skb, ETH_HLEN, &tc_read2_stats);
	return 0;
}

SEC("cgroup_skb/ingress")
int cg_read(struct __sk_buff *skb)
{
	if (match_port(skb, 0))
		do_read(skb, 0, &cg_read_stats);
	return 1;
}

SEC("cgroup_skb/egress")
int cg_write(struct __sk_buff *skb)
{
	if (match_port(skb, 0))
		do_write(skb, 0, &cg_write_stats);
	return 1;
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

char _license[] SEC("license") = "GPL";

#endif
