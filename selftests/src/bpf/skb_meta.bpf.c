// SPDX-License-Identifier: GPL-2.0
/* BPF side of the selftests for bpf_dynptr_from_skb_meta(BPF_DYNPTR_SKB_EXT_F).
 *
 * Writers put a 64-byte tag on every packet whose L4 destination port is
 * cfg_port: TAG_MAGIC, a sequence number, and 56 bytes derived from both.
 * Readers check every byte and count what they saw.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "skb_meta.h"
#include "tag.bpf.h"

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

/* The packet's identity (PKT_ID_* in skb_meta.h); false if it has none. */
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
	int err;

	st->seen++;
	if (cfg_write_only_first && st->seen > cfg_write_only_first)
		return;
	err = bpf_dynptr_from_skb_meta(skb, BPF_DYNPTR_SKB_EXT_F, &meta);
	if (err) {
		st->dynptr_err++;
		st->last_err = err;
		return;
	}
	seq = cfg_seq_base + __sync_fetch_and_add(&seq_next, 1);
	packet_id(skb, l3, &id, &proto);
	make_tag(tag, seq, id);
	err = write_tag(&meta, tag);
	if (err) {
		st->write_err++;
		st->last_err = err;
		return;
	}
	st->written++;
}

/* A well-formed tag: was it written on this packet? */
static __always_inline void check_identity(struct __sk_buff *skb, __u32 l3,
					   __u32 tag_id, struct hook_stats *st)
{
	__u32 id;
	__u8 proto;

	if (!packet_id(skb, l3, &id, &proto))
		return;	/* counted in neither: read_ok != id_ok + id_within */
	/* Atomic: readers on both CPUs at once (the stress test) must not
	 * lose counts, or read_ok and the identity counts would disagree.
	 */
	if (id == tag_id)
		__sync_fetch_and_add(&st->id_ok, 1);
	else if (proto == IPPROTO_TCP_ &&
		 bpf_ntohl(id) - bpf_ntohl(tag_id) < PKT_ID_GSO_SPAN)
		__sync_fetch_and_add(&st->id_within, 1);
	else
		__sync_fetch_and_add(&st->id_bad, 1);
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

/* flags == 0 outside tc: the XDP metadata area is not offered. */
SEC("cgroup_skb/ingress")
int cg_flags0(struct __sk_buff *skb)
{
	struct bpf_dynptr meta;

	if (!match_port(skb, 0))
		return 1;
	cg_flags0_ret = bpf_dynptr_from_skb_meta(skb, 0, &meta);
	cg_flags0_null = bool_u32(bpf_dynptr_is_null(&meta));
	return 1;
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

/* The runtime errors of bad input, on the first matched packet. */
SEC("tc")
int tc_bad_input(struct __sk_buff *skb)
{
	__u8 buf[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, rd[8] = {};
	struct bpf_dynptr meta;
	__u64 size;
	int i;

	if (!match_port(skb, ETH_HLEN) || bad.done)
		return 0;
	bad.done = 1;

	bad.bad_flags_ret = bpf_dynptr_from_skb_meta(skb, 1 << 1, &meta);
	bad.bad_flags_null = bool_u32(bpf_dynptr_is_null(&meta));
	bad.all_flags_ret = bpf_dynptr_from_skb_meta(skb, ~0ULL, &meta);

	if (bpf_dynptr_from_skb_meta(skb, BPF_DYNPTR_SKB_EXT_F, &meta))
		return 0;
	size = bpf_dynptr_size(&meta);
	bad.size = size;
	bad.rdonly = bool_u32(bpf_dynptr_is_rdonly(&meta));

	/* No buffer yet: a read-only slice is a copy in our buffer, or
	 * nothing; never a pointer to memory that is not this packet's.
	 */
	bad.untagged_slice_null = !bpf_dynptr_slice(&meta, 0, NULL, 8);
	__builtin_memset(rd, 0xee, sizeof(rd));
	bad.untagged_slice_copy = bpf_dynptr_slice(&meta, 0, rd, 8) == (void *)rd &&
				  !rd[0] && !rd[7];

	bad.read_past_ret = bpf_dynptr_read(rd, 8, &meta, size - 4, 0);
	bad.read_off_ret = bpf_dynptr_read(rd, 1, &meta, size, 0);
	bad.write_past_ret = bpf_dynptr_write(&meta, size - 4, buf, 8, 0);
	bad.write_huge_ret = bpf_dynptr_write(&meta, 1ULL << 40, buf, 1, 0);
	bad.slice_past_null = !bpf_dynptr_slice(&meta, size - 4, rd, 8);
	bad.slice_rdwr_past_null = !bpf_dynptr_slice_rdwr(&meta, size - 4, rd, 8);

	/* Flags the extension does not know: refused, nothing attached. */
	bad.write_flags_ret = bpf_dynptr_write(&meta, 0, buf, 8, 1);
	bad.read_flags_ret = bpf_dynptr_read(rd, 8, &meta, 0, 1);

	/* Nothing written so far: reads are zeros. */
	bad.zero_before_write = 1;
	if (bpf_dynptr_read(rd, 8, &meta, 0, 0))
		bad.zero_before_write = 0;
	for (i = 0; i < 8; i++)
		if (rd[i])
			bad.zero_before_write = 0;

	bad.write_ok_ret = bpf_dynptr_write(&meta, size - 8, buf, 8, 0);
	if (!bpf_dynptr_read(rd, 8, &meta, size - 8, 0)) {
		bad.read_back_ok = 1;
		for (i = 0; i < 8; i++)
			if (rd[i] != buf[i])
				bad.read_back_ok = 0;
	}
	return 0;
}

/* flags == 0: the XDP metadata area, written by xdp_meta_write. */
SEC("xdp")
int xdp_meta_write(struct xdp_md *ctx)
{
	__u32 *meta;
	void *data;

	xdp_meta_ret = bpf_xdp_adjust_meta(ctx, -4);
	if (xdp_meta_ret)
		return XDP_PASS;
	meta = (void *)(long)ctx->data_meta;
	data = (void *)(long)ctx->data;
	if ((void *)(meta + 1) > data)
		return XDP_PASS;
	*meta = TAG_MAGIC;
	return XDP_PASS;
}

SEC("tc")
int tc_meta_read(struct __sk_buff *skb)
{
	struct bpf_dynptr meta;
	__u32 magic = 0;
	int err;

	if (!match_port(skb, ETH_HLEN))
		return 0;
	meta_stats.seen++;
	err = bpf_dynptr_from_skb_meta(skb, 0, &meta);
	if (err) {
		meta_stats.dynptr_err++;
		meta_stats.last_err = err;
		return 0;
	}
	err = bpf_dynptr_read(&magic, 4, &meta, 0, 0);
	if (err) {
		meta_stats.read_bad++;
		meta_stats.last_err = err;
	} else if (magic == TAG_MAGIC && bpf_dynptr_size(&meta) == 4) {
		meta_stats.read_ok++;
	} else {
		meta_stats.read_bad++;
	}
	return 0;
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

/* A kernel writer through __bpf_dynptr_data_rw(): bpf_crypto_encrypt() with
 * the extension as its destination. On an untagged packet the kfunc must be
 * given the packet's own, newly attached buffer (it used to be a shared,
 * read-only page of zeros). AES-128-ECB, all-zero key, 16 zero bytes.
 */
struct crypto_ctx_value {
	struct bpf_crypto_ctx __kptr * ctx;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct crypto_ctx_value);
} crypto_ctx_map SEC(".maps");

__u8 crypto_plain[16];
__u32 crypto_setup_done;
__s32 crypto_setup_err;
__u32 crypto_done;		/* bpf_crypto_encrypt() ran, on the first packet */
__s32 crypto_ret;
__u8 crypto_out[TAG_SIZE];	/* the extension after it */

SEC("?syscall")
int crypto_setup(void *ctx)
{
	struct bpf_crypto_params params = {
		.type = "skcipher",
		.algo = "ecb(aes)",
		.key_len = 16,
	};
	struct crypto_ctx_value *v;
	struct bpf_crypto_ctx *cctx;
	__u32 zero = 0;
	int err = 0;

	crypto_setup_done = 1;
	cctx = bpf_crypto_ctx_create(&params, sizeof(params), &err);
	if (!cctx) {
		crypto_setup_err = err ? err : -1;
		return 0;
	}
	v = bpf_map_lookup_elem(&crypto_ctx_map, &zero);
	if (!v) {
		bpf_crypto_ctx_release(cctx);
		crypto_setup_err = -2;
		return 0;
	}
	cctx = bpf_kptr_xchg(&v->ctx, cctx);
	if (cctx)
		bpf_crypto_ctx_release(cctx);
	crypto_setup_err = 0;
	return 0;
}

SEC("?tc")
int tc_crypto_into_ext(struct __sk_buff *skb)
{
	struct bpf_dynptr meta, src;
	struct crypto_ctx_value *v;
	struct bpf_crypto_ctx *cctx;
	__u32 zero = 0;

	if (!match_port(skb, ETH_HLEN) || crypto_done)
		return 0;
	if (bpf_dynptr_from_skb_meta(skb, BPF_DYNPTR_SKB_EXT_F, &meta))
		return 0;
	bpf_dynptr_from_mem(crypto_plain, sizeof(crypto_plain), 0, &src);
	v = bpf_map_lookup_elem(&crypto_ctx_map, &zero);
	if (!v)
		return 0;
	bpf_rcu_read_lock();
	cctx = v->ctx;
	if (cctx) {
		crypto_ret = bpf_crypto_encrypt(cctx, &src, &meta, NULL);
		crypto_done = 1;
	}
	bpf_rcu_read_unlock();
	bpf_dynptr_read(crypto_out, TAG_SIZE, &meta, 0, 0);
	return 0;
}

/* ---- Programs the verifier must reject (not loaded by default) ---- */

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

/* Bad flags, in every program type that has the kfunc (run with
 * BPF_PROG_TEST_RUN): -EINVAL and a null dynptr, and the next call with
 * the right flag still works.
 */
static __always_inline void bad_flags_check(struct __sk_buff *skb,
					    struct bad_flags_result *r)
{
	struct bpf_dynptr meta;

	r->runs++;
	r->bit1_ret = bpf_dynptr_from_skb_meta(skb, 1 << 1, &meta);
	r->bit1_null = bool_u32(bpf_dynptr_is_null(&meta));
	r->all_ret = bpf_dynptr_from_skb_meta(skb, ~0ULL, &meta);
	r->all_null = bool_u32(bpf_dynptr_is_null(&meta));
	r->ext_and_bit_ret = bpf_dynptr_from_skb_meta(skb, BPF_DYNPTR_SKB_EXT_F | 1 << 5,
						      &meta);
	r->ext_and_bit_null = bool_u32(bpf_dynptr_is_null(&meta));
	r->ext_ret = bpf_dynptr_from_skb_meta(skb, BPF_DYNPTR_SKB_EXT_F, &meta);
}

SEC("?tc")
int tc_bad_flags(struct __sk_buff *skb)
{
	bad_flags_check(skb, &bad_flags_tc);
	return 0;
}

SEC("?action")
int act_bad_flags(struct __sk_buff *skb)
{
	bad_flags_check(skb, &bad_flags_act);
	return 0;
}

SEC("?cgroup_skb/ingress")
int cg_bad_flags(struct __sk_buff *skb)
{
	bad_flags_check(skb, &bad_flags_cg);
	return 1;
}

SEC("?socket")
int sock_bad_flags(struct __sk_buff *skb)
{
	bad_flags_check(skb, &bad_flags_sock);
	return 0;
}

SEC("?lwt_in")
int lwt_bad_flags(struct __sk_buff *skb)
{
	bad_flags_check(skb, &bad_flags_lwt);
	return 0;
}

/* --- Where packets are observed: read-only, through a trusted sk_buff --- */

struct hook_stats drop_stats, lsm_stats, nf_stats, sockops_stats, noent_stats;
__u64 drop_reason_match;	/* tagged drops with the reason the test expects */
__u32 drop_reason_last;		/* drop reason of the last tagged drop */
__u64 sockops_no_skb;		/* PARSE_HDR_OPT callbacks without a packet */
__u64 observe_rdonly;		/* well-formed tags read through a read-only dynptr */
struct drop_record drop_log[DROP_LOG_LEN];	/* the last tagged drops */
__u32 drop_log_n;

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

/* Tag every other matched packet with zeros (bpf_dynptr_memset() attaches
 * a buffer), leave the others untagged.
 */
SEC("?tc")
int tc_tag_zeros_every_other(struct __sk_buff *skb)
{
	struct bpf_dynptr meta;
	__u8 proto;
	__u32 id;

	if (!match_port(skb, ETH_HLEN))
		return 0;
	tc_write_stats.seen++;
	/* Datagrams with an even number (sent big-endian): the reader knows
	 * which to expect.
	 */
	if (!packet_id(skb, ETH_HLEN, &id, &proto) || (bpf_ntohl(id) & 1))
		return 0;
	if (bpf_dynptr_from_skb_meta(skb, BPF_DYNPTR_SKB_EXT_F, &meta) ||
	    bpf_dynptr_memset(&meta, 0, TAG_SIZE, 0)) {
		tc_write_stats.write_err++;
		return 0;
	}
	tc_write_stats.written++;
	return 0;
}

/* Absent or zeros? BPF_DYNPTR_SKB_EXT_NOENT_F tells. */
SEC("?cgroup_skb/ingress")
int cg_read_noent(struct __sk_buff *skb)
{
	struct bpf_dynptr meta;
	__u8 tag[TAG_SIZE], proto;
	int err, i, zero = 1;
	bool tagged;
	__u32 id;

	if (!match_port(skb, 0))
		return 1;
	noent_stats.seen++;
	err = bpf_dynptr_from_skb_meta(skb, BPF_DYNPTR_SKB_EXT_F | BPF_DYNPTR_SKB_EXT_NOENT_F,
				       &meta);
	/* The writer tagged the even datagrams: -ENOENT exactly for the odd ones. */
	tagged = packet_id(skb, 0, &id, &proto) && !(bpf_ntohl(id) & 1);
	if (tagged == !err)
		noent_stats.id_ok++;
	else
		noent_stats.id_bad++;
	if (err) {
		noent_stats.dynptr_err++;
		noent_stats.last_err = err;
		noent_stats.err_null += bool_u32(bpf_dynptr_is_null(&meta));
		return 1;
	}
	if (bpf_dynptr_read(tag, TAG_SIZE, &meta, 0, 0)) {
		noent_stats.read_bad++;
		return 1;
	}
	for (i = 0; i < TAG_SIZE; i++)
		if (tag[i])
			zero = 0;
	if (zero)
		noent_stats.read_zero++;
	else
		noent_stats.read_bad++;
	return 1;
}

char _license[] SEC("license") = "GPL";
